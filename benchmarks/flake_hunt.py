"""Hunt flakes: run the offline contract N times, serially and with `-n 2` in turn, each in a fresh
random order, and print every item whose outcome ever differed, with the seeds of the runs.

    python benchmarks/flake_hunt.py 30 [pytest args...]

Each run gets its own seed (`-p randomly --randomly-seed`), so any differing outcome can be replayed:
`pytest tests/contract -p randomly --randomly-seed=SEED [-n 2]`. A flaky item is a bug: the goal is
0 differing items in 30 runs.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(seed: int, workers: list[str], extra: list[str]) -> tuple[int, dict[str, str], float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "parity.json"
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider",
                "-p", "randomly", f"--randomly-seed={seed}", "--parity-report", str(report), *workers, *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )  # fmt: skip
        wall = time.perf_counter() - started
        outcomes = {}
        if report.exists():
            outcomes = {o["nodeid"]: o["outcome"] for o in json.loads(report.read_text())["outcomes"]}
        if proc.returncode not in (0, 1) or not outcomes:
            print(f"  run failed to report (exit {proc.returncode}):\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
        return proc.returncode, outcomes, wall


def main() -> int:
    args = sys.argv[1:]
    runs = int(args[0]) if args and args[0].isdigit() else 30
    extra = args[1:] if args and args[0].isdigit() else args
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    failed_runs = 0
    for i in range(runs):
        seed = random.randrange(1, 2**31)
        workers = ["-n", "2"] if i % 2 else []
        code, outcomes, wall = one_run(seed, workers, extra)
        mode = "-n 2" if workers else "serial"
        failed_runs += code != 0
        print(f"run {i + 1:>2}/{runs}: {mode:<6} seed {seed:<10} exit {code} {len(outcomes)} items {wall:5.1f} s")
        for nodeid, outcome in outcomes.items():
            seen[nodeid][outcome].append(f"{seed}{' (-n 2)' if workers else ''}")
    differing = {nodeid: by for nodeid, by in seen.items() if len(by) > 1}
    print(f"\n{runs} runs ({failed_runs} with a non-zero exit), {len(seen)} items, {len(differing)} differing items")
    for nodeid, by in sorted(differing.items()):
        print(f"  {nodeid}")
        for outcome, seeds in sorted(by.items()):
            print(f"    {outcome} x{len(seeds)}: seeds {', '.join(seeds[:6])}{' ...' if len(seeds) > 6 else ''}")
    return 1 if differing or failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
