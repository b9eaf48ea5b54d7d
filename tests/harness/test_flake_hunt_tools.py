"""The flake hunt's parts (`benchmarks/flake_hunt.py`): the CPU hog it runs beside a suite, and the
outcomes it reads from a run's JUnit XML."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.cpu_hog import cpu_hog
from harness.junit_outcomes import junit_outcomes

from .support import ROOT


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name: [0] the state, [11] user-mode CPU ticks."""
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return _stat(pid)[0] != "Z"  # a zombie no longer runs
    except (ProcessLookupError, FileNotFoundError):
        return False


def _busy(pid: int, deadline_s: float = 30.0) -> bool:
    """It has used CPU time, waited for with a deadline (a loaded machine schedules it late)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if int(_stat(pid)[11]) > 0:
            return True
        time.sleep(0.05)
    return False


def test_the_hog_busies_every_core_and_is_stopped_by_its_pids_even_on_error() -> None:
    pids: list[int] = []
    try:
        with cpu_hog() as pids:
            assert len(pids) == os.cpu_count()
            assert all(_alive(p) for p in pids)
            assert all(_busy(p) for p in pids)
            raise RuntimeError("the run under load failed")
    except RuntimeError:
        pass
    assert pids and not any(_alive(p) for p in pids)


def test_a_sigterm_to_the_process_running_the_hog_stops_the_hog_too() -> None:
    """Python's default for SIGTERM exits without `finally`; a flake hunt stopped that way left both hogs
    spinning. Under the hog, SIGTERM ends the block as Ctrl-C does."""
    script = (
        "from harness.cpu_hog import cpu_hog\nimport time\n"
        "with cpu_hog(cores=1) as p:\n print(p[0], flush=True)\n time.sleep(120)"
    )
    runner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert runner.stdout is not None
        hog = int(runner.stdout.readline())
        assert _alive(hog)
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(30) == 128 + signal.SIGTERM
        end = time.monotonic() + 15
        while _alive(hog) and time.monotonic() < end:
            time.sleep(0.05)
        assert not _alive(hog), "the hog outlived the process that started it"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)


def test_the_hog_can_be_off() -> None:
    with cpu_hog(enabled=False) as pids:
        assert pids == []


def test_outcomes_of_every_kind_are_read_from_junit_xml(tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    xml.write_text(
        """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
        <testcase classname="tests.a" name="test_ok" time="0.1"/>
        <testcase classname="tests.a" name="test_bad[x]" time="0.1"><failure message="no">x</failure></testcase>
        <testcase classname="tests.b" name="test_err" time="0.1"><error message="setup">x</error></testcase>
        <testcase classname="tests.b" name="test_skip" time="0"><skipped type="pytest.skip" message="why"/></testcase>
        <testcase classname="tests.b" name="test_xf" time="0"><skipped type="pytest.xfail" message="known"/></testcase>
        </testsuite></testsuites>"""
    )
    assert junit_outcomes(xml) == {
        "tests.a::test_ok": "passed",
        "tests.a::test_bad[x]": "failed",
        "tests.b::test_err": "error",
        "tests.b::test_skip": "skipped",
        "tests.b::test_xf": "xfailed",
    }


def test_a_fresh_clone_runs_summary_names_each_failure_and_seed() -> None:
    from harness.junit_outcomes import ci_summary

    out = "\n".join([
        "Using --randomly-seed=1234",
        "tests/harness/test_x.py ....F",
        "FAILED tests/harness/test_x.py::test_y - AssertionError: 1 != 2",
        "==== 1 failed, 1020 passed in 455.41s ====",
        "Using --randomly-seed=99",
        "==== 66 passed, 1023 deselected in 649.09s ====",
    ])  # fmt: skip
    assert ci_summary(out).splitlines() == [
        "Using --randomly-seed=1234",
        "FAILED tests/harness/test_x.py::test_y - AssertionError: 1 != 2",
        "==== 1 failed, 1020 passed in 455.41s ====",
        "Using --randomly-seed=99",
        "==== 66 passed, 1023 deselected in 649.09s ====",
    ]


def test_the_run_it_stops_takes_ctrl_c_even_when_the_hunt_ignores_it():
    """Started as a shell's background job, the hunt ignores SIGINT and so would every child: `stop_group`'s
    Ctrl-C reached nothing and only the SIGKILL a minute later ended the run, finalizers unrun. The run's
    process starts with SIGINT at its default, so pytest in it installs its own handler."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import flake_hunt
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    show = [sys.executable, "-c", code]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        inherited = subprocess.run(show, capture_output=True, text=True, check=True, timeout=60).stdout
        restored = subprocess.run(
            show, capture_output=True, text=True, check=True, timeout=60, preexec_fn=flake_hunt._default_sigint
        ).stdout
    finally:
        signal.signal(signal.SIGINT, previous)
    assert inherited.strip() == "False"  # what the run got before: SIGINT ignored, no KeyboardInterrupt
    assert restored.strip() == "True"
