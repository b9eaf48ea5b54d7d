"""One run of the offline suite under one LiteLLM version: a subprocess with a deadline, stopped whole.

The gate and the bisect run many of these (`harness.gate.run`, `harness.gate.bisect_run`), the
bisect several at once in threads. The suite leads its own session, so it, its proxy and its
emulator stop together, by their process group, whatever ends the wait: the exit, the deadline, or
`cancel_suites` when the gate is interrupted (only the main thread hears Ctrl-C).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.gate.env import LiteLLMEnv
from harness.paths.proxy import stop
from harness.replay.atomic import write_text_atomic

SUITE_DEADLINE_S = 3600.0
#: beside each suite run's parity report: its wall time, exit code and version
SUITE_RUN = "suite-run.json"


class GateError(RuntimeError):
    """The gate could not produce a comparison; the message says which step and why."""


class Interrupted(KeyboardInterrupt):
    """The gate was interrupted while suites ran side by side in threads (`cancel_suites`)."""


#: set when the gate is interrupted: every suite running in a thread stops its process group. The main
#: thread alone hears Ctrl-C, and the suites lead their own sessions, so nothing else would stop them.
_CANCEL = threading.Event()
#: how often a running suite looks at `_CANCEL`
POLL_S = 0.5


def cancel_suites() -> None:
    """Stop every suite running now (each in `run_suite`'s finally, by its own process group)."""
    _CANCEL.set()


def allow_suites() -> None:
    """Undo `cancel_suites` before new suites start."""
    _CANCEL.clear()


@dataclass(frozen=True)
class SuiteRun:
    label: str
    env: LiteLLMEnv
    report: Path
    log: Path
    exit_code: int
    wall_s: float


def run_suite(
    env: LiteLLMEnv,
    repo: Path,
    out: Path,
    *,
    pytest_args: Sequence[str],
    deadline_s: float = SUITE_DEADLINE_S,
) -> SuiteRun:
    """The offline suite under `env`'s interpreter; pytest's exit 0 or 1 both yield a report."""
    out.mkdir(parents=True, exist_ok=True)
    report, log = out / "parity-report.json", out / "pytest.log"
    report.unlink(missing_ok=True)
    command = [str(env.python), "-m", "pytest", "-p", "no:cacheprovider", "--parity-report", str(report), *pytest_args]
    # the gate's own report goes on the job's summary page; the suites it runs keep theirs to themselves
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "GITHUB_STEP_SUMMARY"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), environment.get("PYTHONPATH", "")]))
    started = time.monotonic()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            command, cwd=repo, env=environment, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = _wait(proc, started + deadline_s)
        except subprocess.TimeoutExpired:
            raise GateError(
                f"harness gate: the suite under litellm {env.version} did not finish within {deadline_s:.0f} s; "
                f"its log is {log}"
            ) from None
        finally:
            stop(proc)  # the suite leads its own process group: it, its proxy and emulator all go
    if code not in (0, 1) or not report.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-12:]
        raise GateError(
            f"harness gate: the suite under litellm {env.version} exited {code} without a parity report "
            f"(log: {log}):\n  " + "\n  ".join(tail)
        )
    wall_s = time.monotonic() - started
    # the run's cost as the gate saw it (interpreter start to exit), beside pytest's own clock in the
    # report: what benchmarks/gate_bisect.py sets a bisect's wall time against
    write_text_atomic(out / SUITE_RUN, json.dumps({"litellm": env.version, "exit_code": code, "wall_s": wall_s}))
    return SuiteRun(env.requested, env, report, log, code, wall_s)


def _wait(proc: subprocess.Popen[bytes], deadline: float) -> int:
    """The suite's exit code; TimeoutExpired past `deadline`, Interrupted once `cancel_suites` was called."""
    while True:
        try:
            return proc.wait(timeout=max(0.0, min(POLL_S, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if _CANCEL.is_set():
                raise Interrupted(f"the suite pid {proc.pid} was stopped: the gate was interrupted") from None
            if time.monotonic() >= deadline:
                raise
