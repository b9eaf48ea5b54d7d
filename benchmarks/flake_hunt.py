"""Hunt flakes: run a suite N times, each in a fresh random order, and print every item whose outcome
ever differed, with the seeds of the runs.

    python benchmarks/flake_hunt.py 30 [pytest args...]            # the offline contract, serial and -n 2 in turn
    python benchmarks/flake_hunt.py 10 --whole [--hog] [args...]   # the README's test command itself
    python benchmarks/flake_hunt.py 10 --fresh-clone [--hog]       # .ci/run in a fresh clone of HEAD

`--whole` runs what a new user runs, `pytest` with no paths (the contract, the fidelity facts and the
harness's self-tests), not only the contract: the self-tests are where a quiet-machine assumption
hides (a health check, a wall-clock bound, a process expected up within N seconds). `--hog` runs a
CPU hog on every core beside each run (`harness.cpu_hog`: started, and stopped by its pid in
`finally`), the condition of a shared CI runner. `--fresh-clone` clones HEAD into a temporary folder
and runs `.ci/run` there, as CI does (install included), and reports its exit code and wall time.

Each run gets its own seed (`-p randomly --randomly-seed`), so any differing outcome can be replayed:
`pytest [tests/contract] -p randomly --randomly-seed=SEED [-n 2]`. A flaky item is a bug: the goal is
0 differing items.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from harness.cpu_hog import cpu_hog
from harness.junit_outcomes import ci_summary, junit_outcomes

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_S = 3600


def one_run(seed: int, workers: list[str], extra: list[str], whole: bool) -> tuple[int, dict[str, str], float]:
    """One pytest run in a fresh random order; its items' outcomes (from the JUnit XML every item is in)."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        paths = [] if whole else ["tests/contract"]
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
                "-p", "randomly", f"--randomly-seed={seed}", "--junitxml", str(junit), *workers, *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=DEADLINE_S,
        )  # fmt: skip
        wall = time.perf_counter() - started
        outcomes = junit_outcomes(junit) if junit.exists() else {}
        if proc.returncode not in (0, 1) or not outcomes:
            print(f"  run failed to report (exit {proc.returncode}):\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
        elif proc.returncode == 1:
            print("  " + "\n  ".join(line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))))
        return proc.returncode, outcomes, wall


#: where a failing fresh-clone run's whole output is kept (the clone itself is removed)
LOGS = Path(tempfile.gettempdir()) / "flake-hunt-logs"


def fresh_clone_run() -> tuple[int, float, str]:
    """`.ci/run` in a fresh clone of HEAD (a local clone: no network beyond pip's index). A failing run's
    whole output is kept in `LOGS`: its summary names the item, the log says why (a slow-tier failure
    under the hog was seen once with nothing else to go on)."""
    with tempfile.TemporaryDirectory(prefix="flake-hunt-clone-") as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
        started = time.perf_counter()
        # its own process group, stopped whole however this ends: .ci/run's pytest and proxies with it.
        # SIGINT as a terminal's Ctrl-C, whatever this process inherited: started as a shell's background
        # job it ignores SIGINT, its children would too, and `stop_group`'s Ctrl-C came to nothing (pytest
        # never ran its finalizers; only the SIGKILL a minute later ended the run)
        proc = subprocess.Popen(
            [str(clone / ".ci" / "run")], cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True, preexec_fn=_default_sigint,
        )  # fmt: skip
        try:
            out, err = proc.communicate(timeout=2 * DEADLINE_S)
        finally:
            stop_group(proc)
        summary = ci_summary(out) or out[-1500:] + err[-1500:]
        if proc.returncode != 0:
            LOGS.mkdir(parents=True, exist_ok=True)
            log = LOGS / f"ci-run-{time.strftime('%Y%m%d-%H%M%S')}.log"
            log.write_text(out + "\n--- stderr ---\n" + err, encoding="utf-8")
            summary += f"\nwhole output: {log}"
        return proc.returncode, time.perf_counter() - started, summary


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_group(proc: subprocess.Popen[str]) -> None:
    """Stop a run's process group as Ctrl-C would (pytest then runs its finalizers, which stop the
    proxies it started in their own sessions), then kill what is left after a deadline."""
    for sig, wait_s in ((signal.SIGINT, 60), (signal.SIGKILL, 30)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait_s)


def main() -> int:
    args = sys.argv[1:]
    runs = int(args[0]) if args and args[0].isdigit() else 30
    rest = args[1:] if args and args[0].isdigit() else args
    whole, hog, fresh = "--whole" in rest, "--hog" in rest, "--fresh-clone" in rest
    extra = [a for a in rest if a not in ("--whole", "--hog", "--fresh-clone")]
    with cpu_hog(enabled=hog) as hogs:
        if hogs:
            print(f"CPU hog: {len(hogs)} busy processes (pids {', '.join(map(str, hogs))})")
        if fresh:
            return fresh_clones(runs)
        return hunt(runs, extra, whole)


def fresh_clones(runs: int) -> int:
    failed = 0
    for i in range(runs):
        code, wall, tail = fresh_clone_run()
        failed += code != 0
        print(f"run {i + 1:>2}/{runs}: .ci/run in a fresh clone: exit {code}, {wall:.0f} s")
        print("  " + "\n  ".join(tail.strip().splitlines()))
    print(f"\n{runs} fresh-clone runs of .ci/run, {failed} failed")
    return 1 if failed else 0


def hunt(runs: int, extra: list[str], whole: bool) -> int:
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    failed_runs = 0
    for i in range(runs):
        seed = random.randrange(1, 2**31)
        workers = ["-n", "2"] if i % 2 and not whole else []
        code, outcomes, wall = one_run(seed, workers, extra, whole)
        mode = "whole" if whole else ("-n 2" if workers else "serial")
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
