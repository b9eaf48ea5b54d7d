"""`python -m harness gate --baseline X --candidate Y`: the same offline contract under two LiteLLM versions.

Each version gets its cached venv (`harness.gate.env`); the suite runs in each, from this
checkout and against the same cassettes, as a subprocess with a deadline, writing its
`parity-report.json`. The two reports are compared (`harness.gate.compare`) and rendered
(`harness.gate.report`). Exit status: 0 when nothing broke and every new divergence is in the
ledger, 1 otherwise, 2 when the gate itself could not run (a bad version, pip failing, a suite
that crashed instead of reporting).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.gate.compare import GateComparison, compare_runs
from harness.gate.env import GateEnvError, LiteLLMEnv, ensure_env
from harness.gate.report import render_html, render_text
from harness.paths.proxy import stop
from harness.replay.atomic import write_text_atomic

SUITE_DEADLINE_S = 3600.0
ROLES = ("baseline", "candidate")
PACKAGES = ("litellm", "openai", "httpx", "uvicorn", "fastapi", "pydantic")


class GateError(RuntimeError):
    """The gate could not produce a comparison; the message says which step and why."""


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
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), environment.get("PYTHONPATH", "")]))
    started = time.monotonic()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            command, cwd=repo, env=environment, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = proc.wait(timeout=deadline_s)
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
    return SuiteRun(env.requested, env, report, log, code, time.monotonic() - started)


def packages(python: Path) -> dict[str, str]:
    """Versions of the packages that shape what the application sees, in one environment."""
    probe = (
        "import importlib.metadata as m, json\n"
        f"out = {{}}\nfor name in {list(PACKAGES)!r}:\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: out[name] = '-'\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    try:
        return dict(json.loads(done.stdout))
    except ValueError:
        return {}


@dataclass(frozen=True)
class GateResult:
    comparison: GateComparison
    runs: tuple[SuiteRun, SuiteRun]
    outputs: tuple[Path, ...]


def run_gate(
    baseline: str,
    candidate: str,
    *,
    repo: Path,
    report_dir: Path,
    cache_dir: Path | None = None,
    pytest_args: Sequence[str] = ("tests/contract",),
    baseline_args: Sequence[str] = (),
    candidate_args: Sequence[str] = (),
    deadline_s: float = SUITE_DEADLINE_S,
    log: Any = print,
) -> GateResult:
    envs: list[LiteLLMEnv] = []
    for requested in (baseline, candidate):
        log(f"harness gate: preparing litellm {requested} ...")
        try:
            env = ensure_env(requested, repo=repo, cache_dir=cache_dir)
        except GateEnvError as exc:
            raise GateError(str(exc)) from None
        state = "cached" if env.cached else f"installed in {env.build_s:.0f} s"
        log(f"harness gate:   litellm {env.version} ({state}): {env.python}")
        envs.append(env)
    runs: list[SuiteRun] = []
    for env, extra in zip(envs, (baseline_args, candidate_args), strict=True):
        log(f"harness gate: running the offline suite under litellm {env.version} ...")
        out = report_dir / "gate-runs" / f"{ROLES[len(runs)]}-{env.version}"
        run = run_suite(env, repo, out, pytest_args=[*pytest_args, *extra], deadline_s=deadline_s)
        log(f"harness gate:   done in {run.wall_s:.0f} s (pytest exit {run.exit_code}); log {run.log}")
        runs.append(run)
    data = [json.loads(run.report.read_text()) for run in runs]
    comparison = compare_runs(data[0], data[1])
    comparison.baseline, comparison.candidate = envs[0].version, envs[1].version
    comparison.environments = {role: packages(env.python) for role, env in zip(ROLES, envs, strict=True)}
    for role, run in zip(ROLES, runs, strict=True):
        comparison.performance.setdefault(role, {})["suite_wall_s"] = run.wall_s
    outputs = write_reports(comparison, report_dir)
    return GateResult(comparison, (runs[0], runs[1]), outputs)


def write_reports(comparison: GateComparison, report_dir: Path) -> tuple[Path, ...]:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path, text_path = (report_dir / f"gate-report.{ext}" for ext in ("json", "html", "txt"))
    write_text_atomic(json_path, json.dumps(comparison.as_dict(), indent=1, default=str))
    write_text_atomic(html_path, render_html(comparison))
    write_text_atomic(text_path, render_text(comparison) + "\n")
    return json_path, html_path, text_path
