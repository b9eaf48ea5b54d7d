"""A part of the run that dies mid-run is named once; the rest of the run fails fast, as infrastructure.

Each test crashes one part (the proxy with SIGKILL, as an OOM kill would; the upstream server or
emulator thread stopped) before an item in the middle of a real run, and reads what the user reads:
the terminal, the exit code and the parity report.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from harness.runner.parts import Part, PartDown, Watch

from .support import ROOT, body, clean_env, run


def crashed_run(tmp_path: Path, part: str, at: int, *args: str) -> tuple[int, str, dict]:
    report = tmp_path / "parity-report.json"
    env = clean_env({"HARNESS_CRASH_PART": part, "HARNESS_CRASH_AT": str(at), "PYTHONPATH": str(ROOT)})
    # The crash plugin is importable as `tests.harness.partkiller` from the checkout's root.
    done = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/contract/test_chat.py",
            "-p",
            "tests.harness.partkiller",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--parity-report",
            str(report),
            *args,
        ],
        env,
    )
    return done.returncode, done.stdout + done.stderr, json.loads(report.read_text())


def _infra(report: dict) -> list[dict]:
    return [o for o in report["outcomes"] if o["outcome"] == "infra"]


@pytest.mark.background_run("crash-proxy")
def test_a_killed_proxy_is_named_once_with_its_signal_and_log(background_run):
    """`pytest tests/contract/test_chat.py` with the proxy SIGKILLed before the 8th item or, not running
    yet, before the first item after it that finds it running (background.py; a serial run's direct items
    come first and start no proxy)."""
    code, out = background_run.returncode, background_run.stdout
    report = json.loads((background_run.folder / "parity-report.json").read_text())
    assert code == 1, out[-3000:]
    assert body(out).count("harness: the LiteLLM proxy (pid ") == 1, out[-5000:]
    assert "was killed by SIGKILL" in out
    assert body(out).count("last lines of its log:") == 1 and "Uvicorn running on" in out  # the log tail, scrubbed
    assert "rerun: pytest" in out
    assert "APIConnectionError" not in out  # no symptom dressed as a contract failure
    infra = _infra(report)
    first = next(i for i, o in enumerate(report["outcomes"]) if o["outcome"] == "infra")
    assert first >= 8 and any(o["path"] == "litellm" for o in report["outcomes"][:first])  # the proxy had served
    assert infra == report["outcomes"][first:], "every item after the crash is infrastructure"
    assert all(o["outcome"] != "failed" for o in report["outcomes"])
    references = [line for line in out.splitlines() if "harness: not run, the LiteLLM proxy" in line]
    assert len(references) >= len(infra) - 1


def test_a_stopped_upstream_server_is_named_once(tmp_path: Path):
    # Direct items only: the server runs all the same (the proxy's side of replay), no proxy is needed.
    code, out, report = crashed_run(tmp_path, "loopback upstream server", 8, "--paths", "direct")
    assert code == 1, out[-3000:]
    assert body(out).count("harness: the loopback upstream server") == 1, out[-5000:]
    assert "exited with code 0" in out
    assert _infra(report) and all(o["outcome"] != "failed" for o in report["outcomes"])


def test_a_stopped_emulator_is_named_once(tmp_path: Path):
    code, out, report = crashed_run(tmp_path, "Azure emulator", 5, "--upstream", "emulator", "--paths", "direct")
    assert code == 1, out[-3000:]
    assert body(out).count("harness: the Azure emulator") == 1, out[-5000:]
    assert _infra(report) and all(o["outcome"] != "failed" for o in report["outcomes"])


def test_a_part_that_stops_answering_is_found_by_the_probe_with_a_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # accepts the connection into the backlog, never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    watch = Watch()
    watch.register(Part("hung thing", 4242, url, lambda: None))
    try:
        watch.check("first", probe=False)  # alive as far as a free check can tell
        with pytest.raises(PartDown, match=r"the hung thing \(pid 4242\) stopped answering: .* within 2 s"):
            watch.check("first", probe=True)
        with pytest.raises(PartDown, match=r"^harness: not run, the hung thing .*noticed by first"):
            watch.check("second")
    finally:
        listener.close()


def test_exit_codes_and_signals_are_named():
    watch = Watch()
    watch.register(Part("worker", 7, "http://127.0.0.1:9/", lambda: 3))
    with pytest.raises(PartDown, match=r"exited with code 3"):
        watch.check("x")
    other = Watch()
    other.register(Part("worker", 7, "http://127.0.0.1:9/", lambda: -9))
    with pytest.raises(PartDown, match=r"killed by SIGKILL"):
        other.check("x")
