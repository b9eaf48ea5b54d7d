"""Faults of the machine the suite runs on, each tried for real: a disk that fills while recording,
two runs at once in one checkout, a read-only TMPDIR. A proxy that never becomes ready is in
`test_proxy.py`, a part that dies mid-run in `test_part_death.py`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import ROOT, body, clean_env, run

SHIPPED = ROOT / "tests" / "cassettes" / "chat" / "basic"


def test_a_disk_that_fills_while_recording_keeps_the_old_cassette_and_says_so(tmp_path: Path):
    cassettes = tmp_path / "cassettes"
    shutil.copytree(SHIPPED, cassettes / "chat" / "basic")
    before = {p.name: p.read_bytes() for p in (cassettes / "chat" / "basic").iterdir()}
    done = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/contract/test_chat.py",
            "-k",
            "basic",
            "-p",
            "tests.harness.diskfull",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--paths",
            "direct",
            "--upstream",
            "emulator",
            "--record",
            "--cassette-dir",
            str(cassettes),
            "--parity-report",
            "none",
        ],
        clean_env({"PYTHONPATH": str(ROOT)}),
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert body(out).count("harness: cannot write cassette") == 1, out[-3000:]
    assert "No space left on device (errno 28); the previous recording is unchanged" in out
    assert "pytest tests/contract/test_chat.py -k 'basic' --upstream emulator --record" in out  # the command
    assert "Traceback" not in out
    after = {p.name: p.read_bytes() for p in (cassettes / "chat" / "basic").iterdir()}
    assert after == before  # intact, and no temporary file left behind


def _suite(report: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/contract/test_chat.py",
            "-k",
            "basic or system",
            "-p",
            "no:cacheprovider",
            "--paths",
            "direct",
            "--parity-report",
            str(report),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow_tier  # two whole suite runs at once in subprocesses: .ci/run's second command
def test_two_runs_at_once_in_one_checkout_keep_their_own_reports(tmp_path: Path):
    report = tmp_path / "parity-report.json"
    env = clean_env()
    first, second = _suite(report, env), _suite(report, env)
    outs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    written = sorted(p.name for p in tmp_path.glob("parity-report*.json"))
    assert len(written) == 2, (written, outs)  # one each: neither run overwrote the other's
    for name in written:
        data = json.loads((tmp_path / name).read_text())
        assert len(data["outcomes"]) == 2
    notes = [line for out in outs for line in out.splitlines() if "another run in this checkout" in line]
    assert len(notes) == 1, outs


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder nobody may create files in: permission bits for a user; root ignores those, but not
    sysfs, where no one creates files."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    return Path("/sys/kernel")


def test_a_read_only_tmpdir_is_one_message_before_anything_runs(tmp_path: Path):
    readonly = _read_only_folder(tmp_path)
    done = run(
        [sys.executable, "-m", "pytest", "tests/contract/test_chat.py", "-p", "no:cacheprovider"],
        clean_env({"TMPDIR": str(readonly)}),
    )
    out = done.stdout + done.stderr
    assert done.returncode == 4, out[-3000:]
    assert body(out).count(f"TMPDIR={readonly} is not a writable folder") == 1, out[-3000:]
    assert "point TMPDIR at a writable folder" in out and "Traceback" not in out
