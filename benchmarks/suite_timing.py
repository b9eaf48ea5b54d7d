"""Offline contract-suite wall time, split into proxy start-up, per-case time per path, and overhead.

Runs `pytest tests/contract` (replay, the default) serially with every proxy started by the `litellm`
command (`HARNESS_PROXY_START=cli`), whose start-up is the proxy's true cold start, the yardstick of
every figure here; then serially, with `-n 2` and with `-n 4` as a user runs it (proxies forked from a
warm LiteLLM whose import overlaps collection, `harness.paths.zygote`). It reads the per-item timings
the plugin writes to its parity JSON and prints the figures and the targets: wall time at most
3 x the cold start, harness overhead < 5 ms per case. `--whole` also times the README's test command
(`pytest -n 2`, the contract with the self-tests) and plain `pytest` (target: 180 s on 2 cores).
`--config` times config mode (examples/production-like, the team's own retries, timeouts and
fallbacks, against the emulator) next to the default mode on the same cases, both serial.

    python benchmarks/suite_timing.py [--whole] [--config]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(
    extra: list[str], paths: tuple[str, ...] = ("tests/contract",), env: dict[str, str] | None = None
) -> tuple[float, dict]:
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
            env={**os.environ, **(env or {})},
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"benchmark: the suite failed ({proc.returncode}):\n{proc.stdout[-2000:]}")
        return wall, json.loads(report.read_text())


def describe(label: str, wall: float, data: dict, cold: float | None = None) -> float:
    """Print one run's figures against `cold` (the CLI's cold start; this run's own start-up if None)."""
    timings = [o["timing"] for o in data["outcomes"] if o.get("timing")]
    startups = data["meta"]["proxy_startups_s"]
    started = max(startups.values()) if startups else 0.0
    cold = started if cold is None else cold
    per_path = {p: [t["calls_s"].get(p, 0.0) for t in timings if t["path"] == p] for p in ("direct", "litellm")}
    overhead = [t["overhead_s"] for t in timings]
    cases = len({t["case"] for t in timings})
    print(
        f"{label}: {cases} cases x 2 paths = {len(timings)} items, wall {wall:.1f} s = {wall / cold:.1f} x cold start"
    )
    print(
        f"  proxy start-up in this run:  {started:.1f} s (per worker: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(startups.items()))
        + f"); the yardstick, the proxy's cold start: {cold:.1f} s"
    )
    for path, values in per_path.items():
        print(
            f"  per-case time, {path:<8}     median {statistics.median(values) * 1000:6.1f} ms, sum {sum(values):.2f} s"
        )
    print(f"  harness overhead per case:   median {statistics.median(overhead) * 1000:.2f} ms (target < 5 ms)")
    print(f"  target: wall <= 3 x cold start = {3 * cold:.1f} s -> {'met' if wall <= 3 * cold else 'NOT met'}")
    return cold


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
    wall, data = run([], env={"HARNESS_PROXY_START": "cli"})
    cold = describe("serial, the litellm command (cold start)", wall, data)
    for label, extra in (("serial", []), ("-n 2", ["-n", "2"]), ("-n 4", ["-n", "4"])):
        wall, data = run(extra)
        describe(label, wall, data, cold)
    if "--whole" in sys.argv[1:]:
        for label, extra in (("pytest -n 2 (the README's command)", ["-n", "2"]), ("pytest (serial)", [])):
            wall, data = run(extra, paths=())
            print(f"whole `{label}`: {wall:.1f} s (target 180 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
