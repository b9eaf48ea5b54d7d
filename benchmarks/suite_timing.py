"""Offline contract-suite wall time, split into proxy start-up, per-case time per path, and overhead.

Runs `pytest tests/contract` (replay, the default) serially and with `-n 2`, reading the per-item
timings the plugin writes to its parity JSON. Prints the figures and the target:
wall time < 2 x (proxy cold start + sum of per-request latency), harness overhead < 5 ms per case.

    python benchmarks/suite_timing.py
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


def run(extra: list[str]) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "parity.json"
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/contract",
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
    latency_sum = sum(sum(t["calls_s"].values()) for t in timings)
    overhead = [t["overhead_s"] for t in timings]
    cases = len({t["case"] for t in timings})
    budget = 2 * (cold + latency_sum)
    print(f"{label}: {cases} cases x 2 paths = {len(timings)} items, wall {wall:.1f} s")
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
    print(
        f"  target: wall < 2 x (cold start + sum of latencies) = {budget:.1f} s -> "
        f"{'met' if wall < budget else 'NOT met'}"
    )


def main() -> int:
    for label, extra in (("serial", []), ("-n 2", ["-n", "2"])):
        wall, data = run(extra)
        describe(label, wall, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
