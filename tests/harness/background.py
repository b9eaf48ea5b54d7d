"""Whole suite runs the self-tests read, started at collection and awaited by the tests that read them.

Several self-tests judge a complete run of the contract suite in a fresh process (re-recording every
cassette, the upgrade gate end to end, a part crashed mid-run, back-off skipped or kept). Each such
run spends most of its time in the LiteLLM proxy's cold start, on one core. Started one after
another in a thread as soon as the session has collected the tests that need them, they use the
machine's second core while the main process runs everything else; a test then waits for its run
(with a deadline) and asserts on what it printed and wrote. Each run is its own process with its own
temporary folder and report path, so the tests stay as independent as if they ran the command
themselves.

A test declares its run with `@pytest.mark.background_run("name")` and gets it from the
`background_run` fixture; the runs are defined in `RUNS`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .support import ROOT, clean_env

DEADLINE_S = 600.0
#: runs at a time: with the main process, one more than the machine's 2 cores, since a run spends
#: part of its time waiting on its proxy
LANES = 2


Made = tuple[list[str], Mapping[str, str]]  # a command and what its environment adds to a clean one


@dataclass(frozen=True)
class Spec:
    """A command in a folder of its own: `make(folder, stack)` gives (argv, extra environment). What
    the run needs beside it (an emulated Azure resource, say) enters `stack`, which closes when the
    run has ended."""

    make: Callable[[Path, ExitStack], Made]
    #: commands to run after the first one, in the same folder (each made when its turn comes)
    then: tuple[Callable[[Path, ExitStack], Made], ...] = ()


@dataclass
class Step:
    argv: list[str]
    returncode: int | None = None
    stdout: str = ""


@dataclass
class Run:
    name: str
    folder: Path
    steps: list[Step] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    error: str = ""
    #: its wall time (all steps), for the session's summary: `--durations` shows only the wait for it
    seconds: float = 0.0

    @property
    def argv(self) -> list[str]:
        return self.steps[0].argv

    @property
    def returncode(self) -> int | None:
        return self.steps[0].returncode

    @property
    def stdout(self) -> str:
        return self.steps[0].stdout


def _pytest(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]


def _crash(part: str, at: int, *args: str) -> Spec:
    def make(folder: Path, stack: ExitStack) -> Made:
        argv = _pytest(
            "tests/contract/test_chat.py",
            "-p",
            "tests.harness.partkiller",
            "-p",
            "no:randomly",
            "--parity-report",
            str(folder / "parity-report.json"),
            *args,
        )
        return argv, {"HARNESS_CRASH_PART": part, "HARNESS_CRASH_AT": str(at), "PYTHONPATH": str(ROOT)}

    return Spec(make)


def _rerecord(folder: Path, stack: ExitStack) -> Made:
    import shutil

    shutil.copytree(ROOT / "tests" / "cassettes", folder / "cassettes")
    argv = _pytest(
        "tests/contract", "-q", "--upstream", "emulator", "--record", "--cassette-dir", str(folder / "cassettes"),
        "--parity-report", str(folder / "parity-report.json"),
    )  # fmt: skip
    return argv, {}


WAITING_CASES = "(test_errors and (rate-limited-429 or server-error-503)) or (test_cooldown and wrong-key)"


def _real_waits(folder: Path, stack: ExitStack) -> Made:
    argv = _pytest(
        "tests/contract/test_errors.py", "tests/contract/test_cooldown.py", "-k", WAITING_CASES,
        "--parity-report", str(folder / "parity-report.json"), "--real-waits",
    )  # fmt: skip
    return argv, {}


def _emulator_waits(real: bool) -> Spec:
    """The waiting cases against the emulator (config mode's upstream), the back-off skipped or kept."""

    def make(folder: Path, stack: ExitStack) -> Made:
        argv = _pytest(
            "tests/contract/test_errors.py", "tests/contract/test_cooldown.py", "-k", WAITING_CASES,
            "--upstream", "emulator", "--parity-report", str(folder / "parity-report.json"),
            *(["--real-waits"] if real else []),
        )  # fmt: skip
        return argv, {}

    return Spec(make)


def _gate_planted(folder: Path, stack: ExitStack) -> Made:
    """The gate, same version on both sides, the candidate given a ledger without model-is-proxy-alias."""
    import yaml

    ledger = yaml.safe_load((ROOT / "tests/contract/divergences.yaml").read_text())
    ledger["divergences"] = [e for e in ledger["divergences"] if e["id"] != "model-is-proxy-alias"]
    planted = folder / "planted.yaml"
    planted.write_text(yaml.safe_dump(ledger, sort_keys=False))
    argv = [
        sys.executable, "-m", "harness", "gate", "--baseline", "current", "--candidate", "current",
        "--report-dir", str(folder / "report"), f"--candidate-arg=--ledger={planted}",
        "--", "tests/contract/test_chat.py", "-k", "basic",
    ]  # fmt: skip
    return argv, {"GITHUB_STEP_SUMMARY": str(folder / "step-summary.md")}  # as on GitHub Actions


def _live(*args: str) -> list[str]:
    """`pytest --live …` reading no .env: its only settings are the environment the spec gives."""
    return [sys.executable, "-m", "pytest", "--live", "--env-file", os.devnull, "-p", "no:cacheprovider", *args]


def _team_resource(stack: ExitStack) -> dict[str, str]:
    """A team's Azure resource, emulated for this run only: its AZURE_OPENAI_* settings."""
    from .support import emulated_team_resource

    return stack.enter_context(emulated_team_resource())


LIVE_SELECTION = ("tests/contract/test_chat.py", "-k", "basic or tool-call")


def _live_record(folder: Path, stack: ExitStack) -> Made:
    env = _team_resource(stack) | {"LITELLM_MODEL": "gpt-4o"}
    argv = _live(*LIVE_SELECTION, "--cassette-dir", str(folder / "cassettes"), "--record", "--parity-report", "none")
    (folder / "resource.json").write_text(json.dumps(env))  # for the test's secret scan
    return argv, env


def _live_record_replayed(folder: Path, stack: ExitStack) -> Made:
    argv = _pytest("--parity-report", "none", *LIVE_SELECTION, "--cassette-dir", str(folder / "cassettes"))
    return argv, {}


def _live_local_proxy(folder: Path, stack: ExitStack) -> Made:
    env = _team_resource(stack) | {"LITELLM_MODEL": "gpt-4o"}
    (folder / "resource.json").write_text(json.dumps(env))
    argv = _live(
        "tests/contract/test_chat.py", "--litellm-config", str(ROOT / "litellm.config.yaml"), "--parity-report", "none"
    )
    return argv, env


PLANTED_KEY = "5f1e0c4b9a7d4e2f8c6b1a3d9e0f7c21"  # a real-looking Azure key the user's shell holds
PLANTED_HOST = "planted-resource.openai.azure.com"


def _config_mode(example: str, *args: str, env: Mapping[str, str] | None = None) -> Spec:
    def make(folder: Path, stack: ExitStack) -> Made:
        argv = _pytest(
            *args, "--litellm-config", f"examples/{example}/litellm.config.yaml",
            "--ledger", f"examples/{example}/divergences.yaml", "--parity-report", str(folder / "parity-report.json"),
        )  # fmt: skip
        return argv, dict(env or {})

    return Spec(make)


def _planted(folder: Path, stack: ExitStack) -> Made:
    """Config mode recording cassettes, with a real-looking key and host in the environment."""
    argv = _pytest(
        "tests/contract/test_chat.py", "tests/contract/test_errors.py", "-k", "basic or rate-limited",
        "--litellm-config", "examples/production-like/litellm.config.yaml", "--litellm-model", "gpt-4o",
        "--ledger", "examples/production-like/divergences.yaml", "--record",
        "--cassette-dir", str(folder / "cassettes"), "--parity-report", str(folder / "parity-report.json"),
        "--basetemp", str(folder / "tmp"),
    )  # fmt: skip
    return argv, {"AZURE_OPENAI_API_KEY": PLANTED_KEY, "AZURE_OPENAI_API_BASE": f"https://{PLANTED_HOST}"}


def _gate_config_planted(folder: Path, stack: ExitStack) -> Made:
    """The gate in config mode (examples/production-like), the candidate's ledger missing the entry for
    the fallback that answers a 500: the item differs, so it is rerun under both, in config mode too."""
    import yaml

    example = ROOT / "examples" / "production-like"
    ledger = yaml.safe_load((example / "divergences.yaml").read_text())
    ledger["divergences"] = [e for e in ledger["divergences"] if e["id"] != "fallback-answers-failed-calls"]
    ledger["extends"] = str((example / ledger["extends"]).resolve())  # relative to the example's folder
    planted = folder / "planted.yaml"
    planted.write_text(yaml.safe_dump(ledger, sort_keys=False))
    argv = [
        sys.executable, "-m", "harness", "gate", "--baseline", "current", "--candidate", "current",
        "--litellm-config", str(example / "litellm.config.yaml"), "--litellm-model", "gpt-4o",
        "--ledger", str(example / "divergences.yaml"), "--report-dir", str(folder / "report"),
        f"--candidate-arg=--ledger={planted}", "--", "tests/contract/test_errors.py", "-k", "server-error-500",
    ]  # fmt: skip
    return argv, {}


def _num_retries_0(folder: Path, stack: ExitStack) -> Made:
    """The shipped config with one change, `router_settings.num_retries: 0`, run without a ledger of its own."""
    import yaml

    config = yaml.safe_load((ROOT / "litellm.config.yaml").read_text())
    config["router_settings"] = {"num_retries": 0}
    path = folder / "litellm.config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv = _pytest(
        "tests/contract/test_errors.py", "-k", "rate-limited-429", "--litellm-config", str(path),
        "--parity-report", str(folder / "parity-report.json"),
    )  # fmt: skip
    return argv, {"AZURE_OPENAI_API_VERSION": "2024-10-21"}


RUNS: dict[str, Spec] = {
    "config-seed": _config_mode("seed-broken", "tests/contract/test_chat.py", "-k", "basic"),
    "config-production": _config_mode(
        "production-like",
        "tests/contract/test_errors.py",
        "tests/contract/test_cooldown.py",
        "--litellm-model",
        "gpt-4o",
    ),
    "config-service-principal": _config_mode("service-principal", "tests/contract/test_errors.py"),
    "config-disclosure": _config_mode("disclosure", "tests/contract/test_disclosure.py"),
    "config-planted-secret": Spec(_planted),
    "config-num-retries-0": Spec(_num_retries_0),
    "live-record": Spec(_live_record, then=(_live_record_replayed,)),
    "live-local-proxy": Spec(_live_local_proxy),
    "gate-planted": Spec(_gate_planted),
    "gate-config-planted": Spec(_gate_config_planted),
    "crash-proxy": _crash("LiteLLM proxy", 8),
    "rerecord": Spec(_rerecord),
    "waits-real": Spec(_real_waits),
    "waits-emulator-skipped": _emulator_waits(real=False),
    "waits-emulator-real": _emulator_waits(real=True),
}


class Background:
    """Runs the requested specs, `LANES` at a time, in daemon threads; `result(name)` waits for one."""

    def __init__(self, names: list[str], root: Path, *, eager: bool = True) -> None:
        self.runs: dict[str, Run] = {}
        for name in names:
            folder = root / name
            folder.mkdir(parents=True, exist_ok=True)
            self.runs[name] = Run(name, folder)
        self.running: dict[str, subprocess.Popen[str]] = {}
        self.claimed: set[str] = set()
        self.lock = threading.Lock()
        if eager:
            for i in range(LANES):
                threading.Thread(target=self._work, name=f"self-test-background-{i}", daemon=True).start()

    def _claim(self, name: str | None = None) -> Run | None:
        """The named run (or the next unclaimed one), now claimed by the caller; None if taken."""
        with self.lock:
            names = [name] if name is not None else list(self.runs)
            for candidate in names:
                if candidate not in self.claimed:
                    self.claimed.add(candidate)
                    return self.runs[candidate]
        return None

    def _work(self) -> None:
        while (run := self._claim()) is not None:
            self._run(run)

    def _run(self, run: Run) -> None:
        started = time.monotonic()
        try:
            with ExitStack() as stack:
                spec = RUNS[run.name]
                for make in (spec.make, *spec.then):
                    argv, extra = make(run.folder, stack)
                    step = Step(argv)
                    run.steps.append(step)
                    proc = subprocess.Popen(
                        argv,
                        cwd=ROOT,
                        env=clean_env(extra),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                        start_new_session=True,
                    )
                    self.running[run.name] = proc
                    step.stdout, _ = proc.communicate(timeout=DEADLINE_S)
                    step.returncode = proc.returncode
                    if step.returncode != 0 and spec.then:
                        break
        except Exception as exc:
            run.error = f"{type(exc).__name__}: {exc}"
            self._stop(run.name)
        finally:
            self.running.pop(run.name, None)
            run.seconds = time.monotonic() - started
            run.done.set()

    def _stop(self, name: str) -> None:
        proc = self.running.get(name)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the runs still going when the session ends (their proxies follow their parent's death)."""
        for name in list(self.running):
            self._stop(name)

    def timings(self) -> str:
        """One line: each finished run's wall time, longest first."""
        done = sorted((r for r in self.runs.values() if r.done.is_set()), key=lambda r: -r.seconds)
        return ", ".join(f"{r.name} {r.seconds:.1f} s" for r in done)

    def result(self, name: str) -> Run:
        run = self.runs.get(name)
        assert run is not None, f"background run {name!r} was not started: mark the test background_run({name!r})"
        if self._claim(name) is not None:  # nobody started it yet: run it here and now
            self._run(run)
        assert run.done.wait(DEADLINE_S + 60), f"background run {name!r} did not finish in time"
        assert not run.error, f"background run {name!r}: {run.error}"
        return run
