"""`gate --bisect --jobs N`: the searches advance in step and their next releases run side by side.

The answers and the set of runs must be those of one release at a time (each search takes the same
halvings); only the wall time may differ. Interrupted, no suite outlives the gate.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from harness.gate import suite as gate_run
from harness.gate.bisect import Bisector, Uninstallable, run_each
from harness.gate.bisect_run import side_by_side
from harness.gate.changes import changes_between
from harness.gate.compare import compare_runs
from harness.paths.proxy import stop

from .test_gate_bisect import RELEASES, Runner, run


def answers(jobs: int, runner: Runner, **kwargs: Any) -> tuple[list[tuple[Any, ...]], Bisector, list[list[str]]]:
    batches: list[list[str]] = []

    def run_many(versions: Sequence[str]) -> Any:
        batches.append(list(versions))
        return run_each(runner, versions)

    bisector = Bisector(list(RELEASES), runner, run_many=run_many, **kwargs)
    good, bad = run(RELEASES[0]), run(RELEASES[-1])
    changes = changes_between(compare_runs(good, bad), good, bad)
    found = bisector.bisect(changes, jobs=jobs)
    return (
        [(f.change.key, f.first, f.last_without, f.came_and_went, f.undecided, f.narrowed_only) for f in found],
        (bisector),
        batches,
    )


@pytest.mark.parametrize("uninstallable", [frozenset(), frozenset({"1.5"})], ids=["all-installable", "1.5-not"])
def test_in_step_gives_the_answers_and_runs_of_one_at_a_time(uninstallable: frozenset[str]) -> None:
    alone, alone_bisector, _ = answers(1, Runner(uninstallable))
    runner = Runner(uninstallable)
    together, bisector, batches = answers(3, runner)
    assert together == alone
    assert sorted(bisector.order) == sorted(alone_bisector.order)
    assert len(runner.calls) == len(set(runner.calls)), "a release's suite runs once"
    assert max(len(b) for b in batches) > 1, "some releases ran side by side"
    assert all(len(b) <= 3 for b in batches)
    assert [s.version for s in bisector.skipped] == sorted(uninstallable)


def test_a_spent_budget_in_step_starts_nothing_more_and_narrows() -> None:
    runner = Runner()
    started: list[str] = []

    def may_start() -> bool:
        started.append("?")
        return len(started) <= 3  # the two ends and one more

    found, bisector, _ = answers(2, runner, may_start=may_start)
    assert len(runner.calls) == 3 and bisector.stopped
    assert any(narrowed for *_, narrowed in found)


def test_side_by_side_runs_at_once_and_returns_each_answer() -> None:
    together = threading.Barrier(3, timeout=60)  # passes only when all three runs are under way at once

    def run_release(version: str) -> dict[str, Any]:
        together.wait()
        if version == "1.5":
            raise Uninstallable("ERROR: No matching distribution found for litellm==1.5")
        return run(version)

    made = side_by_side(run_release)(["1.3", "1.5", "1.7"])
    assert made["1.3"] == run("1.3") and made["1.7"] == run("1.7")
    assert isinstance(made["1.5"], Uninstallable)


def test_a_run_that_fails_stops_the_others_and_its_own_error_comes_back() -> None:
    procs: list[subprocess.Popen[bytes]] = []
    # the failing run waits for the other's suite to be under way (a loaded machine may start the
    # other thread late: a fixed pause raced it)
    under_way = threading.Event()

    def run_release(version: str) -> dict[str, Any]:
        if version == "1.7":
            proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
            procs.append(proc)
            under_way.set()
            try:
                gate_run._wait(proc, time.monotonic() + 60)
            finally:
                stop(proc)
        assert under_way.wait(timeout=60), "1.7's suite never started"
        raise OSError("disk full while writing 1.3's report")

    try:
        with pytest.raises(OSError, match="disk full"):  # not the Interrupted it caused in 1.7's thread
            side_by_side(run_release)(["1.7", "1.3"])
        # stopped by its process group (SIGTERM), not waited out: `sleep 60` ending on its own exits 0
        assert procs[0].wait(timeout=60) == -signal.SIGTERM
    finally:
        gate_run.allow_suites()
        for proc in procs:
            stop(proc)


def test_interrupted_no_suite_outlives_the_gate() -> None:
    """One run is interrupted (Ctrl-C); the suite the other thread waits on is stopped by its process
    group before the interrupt reaches the caller."""
    procs: list[subprocess.Popen[bytes]] = []
    under_way = threading.Event()  # the interrupt comes once the other suite runs, however late

    def run_release(version: str) -> dict[str, Any]:
        if version == "1.3":
            assert under_way.wait(timeout=60), "1.7's suite never started"
            raise KeyboardInterrupt
        proc = subprocess.Popen(["sleep", "60"], start_new_session=True)  # a suite leads its own session
        procs.append(proc)
        under_way.set()
        try:
            gate_run._wait(proc, time.monotonic() + 60)
        finally:
            stop(proc)
        return run(version)

    try:
        with pytest.raises(KeyboardInterrupt):
            side_by_side(run_release)(["1.3", "1.7"])
        assert procs and procs[0].wait(timeout=60) == -signal.SIGTERM, "the other suite was stopped, not waited out"
    finally:
        gate_run.allow_suites()
        for proc in procs:
            stop(proc)


def test_a_suite_past_its_deadline_is_stopped() -> None:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            gate_run._wait(proc, time.monotonic() + 0.6)
    finally:
        stop(proc)
    assert proc.wait(timeout=60) == -signal.SIGTERM


def test_jobs_below_one_is_one_line_and_exit_2(tmp_path) -> None:
    import sys

    from .support import ROOT

    command = [sys.executable, "-m", "harness", "gate", "--bisect", "--good", "1.80.17", "--bad", "1.108.7",
               "--jobs", "0", "--report-dir", str(tmp_path), "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "harness gate: --jobs must be 1 or more (releases run side by side), not 0"
    ]
    assert not (tmp_path / "cache").exists()


def test_an_interrupted_bisect_says_so_in_one_line_and_exits_130(tmp_path, monkeypatch, capsys) -> None:
    from harness import cli
    from harness.gate import bisect_run

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(bisect_run, "run_bisect", interrupted)
    handler = signal.getsignal(signal.SIGTERM)  # cli.main turns SIGTERM into an interrupt; put it back
    try:
        code = cli.main(["gate", "--bisect", "--good", "1.80.17", "--bad", "1.108.7", "--report-dir", str(tmp_path)])
    finally:
        signal.signal(signal.SIGTERM, handler)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130
    assert err == [
        "harness gate: interrupted; every suite it started was stopped; the release runs finished are kept in "
        f"{tmp_path / 'bisect-runs'}: the same command continues"
    ]
