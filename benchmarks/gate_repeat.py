"""Benchmark: a repeat upgrade-gate run between two already-installed LiteLLM versions.

Target (issue 7): no more than the two offline suite runs plus 20%. The first gate run makes sure
both venvs exist (it is not timed); the second is timed end to end and set against the wall time of
the two suite runs it contains (from its gate-report.json).

    python benchmarks/gate_repeat.py [--baseline 1.80.17] [--candidate current] [-- pytest args]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gate(baseline: str, candidate: str, report_dir: Path, pytest_args: list[str]) -> float:
    command = [sys.executable, "-m", "harness", "gate", "--baseline", baseline, "--candidate", candidate]
    command += ["--report-dir", str(report_dir), "--", *pytest_args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"gate_repeat: the gate could not run (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="1.80.17")
    parser.add_argument("--candidate", default="current")
    parser.add_argument("--report-dir", help="keep the timed run's gate report here (default: discarded)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    pytest_args = [a for a in args.pytest_args if a != "--"] or ["tests/contract"]
    with tempfile.TemporaryDirectory() as tmp:
        warm = gate(args.baseline, args.candidate, Path(tmp) / "warm", pytest_args)
        timed = Path(args.report_dir) if args.report_dir else Path(tmp) / "timed"
        total = gate(args.baseline, args.candidate, timed, pytest_args)
        report = json.loads((timed / "gate-report.json").read_text())
    suites = {role: report["performance"][role]["suite_wall_s"] for role in ("baseline", "candidate")}
    both = sum(suites.values())
    print(f"gate {report['baseline']} -> {report['candidate']} ({' '.join(pytest_args)})")
    print(f"  first run (venvs ensured):  {warm:8.1f} s")
    print(f"  repeat run, end to end:     {total:8.1f} s")
    print(f"  baseline suite:             {suites['baseline']:8.1f} s")
    print(f"  candidate suite:            {suites['candidate']:8.1f} s")
    print(f"  gate overhead:              {total - both:8.1f} s ({(total / both - 1) * 100:+.1f}% over the two suites)")
    print(f"  target: <= +20%: {'met' if total <= 1.2 * both else 'NOT met'}")


if __name__ == "__main__":
    main()
