"""Benchmark: what a bisect cost, against its promised bound, and a repeat bisect against its runs.

Targets (issue 14): at most ceil(log2(N)) suite runs per distinct first release among N installable
releases, plus the two ends; no release's suite runs twice; a repeat bisect with every venv cached
within 10% of the sum of its suite runs.

    python benchmarks/gate_bisect.py docs/gate-example/bisect-report.json       # figures of a finished bisect
    python benchmarks/gate_bisect.py REPORT --runs DIR/bisect-runs              # + what its release runs cost
    python benchmarks/gate_bisect.py --repeat --good 1.80.17 --bad 1.108.7      # time a repeat bisect

The first form reads a committed report; the second runs `python -m harness gate --bisect` into a
fresh folder (venvs cached by an earlier run, no kept runs) and sets its wall time against every suite
run it made, the gate's own included, each from its interpreter's start to its exit: the rest is the
bisect's own overhead (venv checks, pip's release list, package probes, comparisons, reports).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def figures(report: dict) -> list[str]:
    runs = report["suite_runs"]
    versions = [r["version"] for r in runs]
    walls = [r["wall_s"] or 0.0 for r in runs]
    # `exact` since the bisect tells "placed in one release" from a range left by releases that could not tell
    placed = [c for c in report["changes"] if c.get("exact", bool(c.get("first_seen_in")) and not c["narrowed_only"])]
    firsts = sorted({c["first_seen_in"] for c in placed}, key=Version)
    narrowed = sum(bool(c.get("narrowed_only")) for c in report["changes"])
    between = len(report["changes"]) - len(placed) - narrowed
    kept = list(report.get("reused_runs", []))
    repeated = [v for v, n in Counter(versions + kept).items() if n > 1]
    lines = [
        f"bisect {report['good']} -> {report['bad']}: {report['installable_releases']} installable releases, "
        f"{len(placed)} of {len(report['changes'])} changes placed in one release ({len(firsts)} distinct)"
        + (f"; {narrowed} narrowed only (budget spent)" if narrowed else "")
        + (f"; {between} left between releases whose run could not tell" if between else ""),
        f"release runs: {len(runs) + len(kept)} ({len(runs)} in this sitting, {len(kept)} kept by earlier sittings of "
        f"the same command; bound {report['runs_bound']}); releases run twice: {repeated or 'none'}",
    ]
    if walls:
        lines.append(
            f"time per run: median {sorted(walls)[len(walls) // 2]:.0f} s, max {max(walls):.0f} s, "
            f"sum {sum(walls):.0f} s"
        )
    lines.append("first releases: " + ", ".join(firsts))
    return lines


def run_costs(runs_dir: Path) -> list[str]:
    """What the kept release runs cost, over every sitting that made them: the suite's wall time, the
    venv builds' time, and how much of the builds the runs waited for (on the bisect's path; the rest
    was built ahead, beside other runs). Read from each run's `suite-run.json` and `venv.json`."""
    suites: list[float] = []
    builds: list[float] = []
    waits: list[float] = []
    cached = 0
    for folder in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        try:
            suites.append(float(json.loads((folder / "suite-run.json").read_text())["wall_s"]))
            venv = json.loads((folder / "venv.json").read_text())
        except (OSError, ValueError, KeyError, TypeError):
            continue
        cached += bool(venv.get("cached"))
        builds.append(float(venv.get("build_s") or 0.0))
        waits.append(float(venv.get("waited_s") or 0.0))
    if not suites:
        return [f"no release run with its timings under {runs_dir}"]
    suite, wait = sum(suites), sum(waits)
    on_path = [b for b in builds if b > 0]
    median = f" (median {sorted(on_path)[len(on_path) // 2]:.0f} s)" if on_path else ""
    return [
        f"release runs timed: {len(suites)}; their suites {suite / 60:.0f} min "
        f"(median {sorted(suites)[len(suites) // 2]:.0f} s)",
        f"venvs: {cached} found ready (built ahead beside other runs, or cached), {len(on_path)} built on the "
        f"bisect's path{median}: {wait / 60:.0f} min waited, {wait / (wait + suite):.0%} of the releases' "
        "runs end to end (waits + suites)",
    ]


def suite_seconds(report_dir: Path) -> tuple[int, float]:
    """Every suite run under a bisect's report folder (the gate's own runs, its emulator reruns and
    reruns of differing items, and the release runs): how many, and their wall time as the gate saw
    it, from the interpreter's start to its exit (`suite-run.json` beside each parity report)."""
    walls = []
    for path in sorted(report_dir.rglob("suite-run.json")):
        try:
            walls.append(float(json.loads(path.read_text())["wall_s"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return len(walls), sum(walls)


def repeat(good: str, bad: str, jobs: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "harness", "gate", "--bisect", "--good", good, "--bad", bad]
        command += ["--report-dir", tmp, "--jobs", str(jobs)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"gate_bisect: the bisect could not run (exit {done.returncode}):\n{done.stderr[-2000:]}")
        report = json.loads((Path(tmp) / "bisect-report.json").read_text())
        count, suites = suite_seconds(Path(tmp))
    if not suites:
        return [*figures(report), f"repeat bisect wall {wall:.0f} s; no suite run reported"]
    side = f", {jobs} side by side" if jobs > 1 else ""
    return [
        *figures(report),
        f"repeat bisect {good} -> {bad}{side}: wall {wall:.0f} s; {count} suite runs (the gate's and the releases') "
        f"took {suites:.0f} s: {wall / suites - 1:+.0%} "
        + ("(target: within +10%)" if jobs == 1 else "(below 0: the runs overlapped)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default=str(ROOT / "docs" / "gate-example" / "bisect-report.json"))
    parser.add_argument("--repeat", action="store_true", help="run a repeat bisect (venvs cached) and time it")
    parser.add_argument("--good", default="1.80.17")
    parser.add_argument("--bad", default="1.108.7")
    parser.add_argument("--jobs", type=int, default=1, help="--repeat: releases side by side")
    parser.add_argument("--runs", help="a bisect's bisect-runs folder: what its release runs cost, every sitting")
    args = parser.parse_args()
    if args.repeat:
        lines = repeat(args.good, args.bad, args.jobs)
    else:
        path = Path(args.report)
        if not path.is_file():
            sys.exit(f"gate_bisect: no bisect report at {path}; run `python -m harness gate --bisect` first")
        lines = figures(json.loads(path.read_text()))
        if args.runs:
            lines += run_costs(Path(args.runs))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
