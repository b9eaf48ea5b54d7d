"""Offline contract-suite wall time, split into proxy start-up, per-case time per path, and overhead.

Runs `pytest tests/contract` (replay, the default) serially, with `-n 2` and with `-n 4`, reading
the per-item timings the plugin writes to its parity JSON. Prints the figures and the targets: wall
time at most 3 x the proxy's cold start, harness overhead < 5 ms per case. `--whole` also times the
README's test command, `pytest` with the self-tests, serially (target: under 150 s on 2 cores).
`--config` times config mode (examples/production-like, the team's own retries, timeouts and
fallbacks, against the emulator) next to the default mode on the same cases, both serial and both
against their proxy's cold start.

    python benchmarks/suite_timing.py [--whole] [--config]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(extra: list[str], paths: tuple[str, ...] = ("tests/contract",)) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "parity.json"
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                *paths,
                "-q",
                "-p",
                "no:cacheprovider",
                "--parity-report",
                str(report),
                *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"benchmark: the suite failed ({proc.returncode}):\n{proc.stdout[-2000:]}")
        return wall, json.loads(report.read_text())


def describe(label: str, wall: float, data: dict) -> None:
    timings = [o["timing"] for o in data["outcomes"] if o.get("timing")]
    startups = data["meta"]["proxy_startups_s"]
    cold = max(startups.values()) if startups else 0.0
    per_path = {p: [t["calls_s"].get(p, 0.0) for t in timings if t["path"] == p] for p in ("direct", "litellm")}
    overhead = [t["overhead_s"] for t in timings]
    cases = len({t["case"] for t in timings})
    print(
        f"{label}: {cases} cases x 2 paths = {len(timings)} items, wall {wall:.1f} s = {wall / cold:.1f} x cold start"
    )
    print(
        f"  proxy cold start:            {cold:.1f} s (per worker: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(startups.items()))
        + ")"
    )
    for path, values in per_path.items():
        print(
            f"  per-case time, {path:<8}     median {statistics.median(values) * 1000:6.1f} ms, sum {sum(values):.2f} s"
        )
    print(f"  harness overhead per case:   median {statistics.median(overhead) * 1000:.2f} ms (target < 5 ms)")
    print(f"  target: wall <= 3 x cold start = {3 * cold:.1f} s -> {'met' if wall <= 3 * cold else 'NOT met'}")


#: the cases examples/production-like's ledger is written for (tests/harness/background.py runs them too)
CONFIG_CASES = ("tests/contract/test_errors.py", "tests/contract/test_cooldown.py")
CONFIG_MODE = ["--litellm-config", "examples/production-like/litellm.config.yaml", "--litellm-model", "gpt-4o",
               "--ledger", "examples/production-like/divergences.yaml"]  # fmt: skip


def main() -> int:
    if "--config" in sys.argv[1:]:
        for label, extra in (("default mode, serial", []), ("config mode, serial", CONFIG_MODE)):
            wall, data = run(extra, paths=CONFIG_CASES)
            describe(f"{label} ({', '.join(CONFIG_CASES)})", wall, data)
        return 0
    for label, extra in (("serial", []), ("-n 2", ["-n", "2"]), ("-n 4", ["-n", "4"])):
        wall, data = run(extra)
        describe(label, wall, data)
    if "--whole" in sys.argv[1:]:
        wall, data = run([], paths=())
        print(f"whole `pytest` (contract and self-tests), serial: {wall:.1f} s (target < 150 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
