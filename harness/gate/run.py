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
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.gate.compare import GateComparison, compare_runs
from harness.gate.env import GateEnvError, LiteLLMEnv, ensure_env
from harness.gate.reach import run_ledger, unjudged
from harness.gate.replay_misses import replay_missed_cases
from harness.gate.report import render_text
from harness.gate.suite import SUITE_DEADLINE_S, GateError, SuiteRun, run_suite
from harness.replay.atomic import write_text_atomic
from harness.report.gate import render_html
from harness.report.gate_markdown import render_gate_markdown
from harness.report.markdown import append_step_summary

ROLES = ("baseline", "candidate")
PACKAGES = ("litellm", "openai", "httpx", "uvicorn", "fastapi", "pydantic")


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
    #: each version's parity data as compared (replayed, with the emulator's results for missed cases)
    data: tuple[dict[str, Any], dict[str, Any]] = ({}, {})


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
    replayed = [json.loads(run.report.read_text()) for run in runs]
    data, served_by = _emulate_missed(envs, replayed, repo, report_dir, pytest_args,
                                      (baseline_args, candidate_args), deadline_s, log)  # fmt: skip
    comparison = compare_runs(data[0], data[1])
    # what a replay miss says about the requests themselves (the emulator reran those cases)
    comparison.request_changes += [c for c in compare_runs(*replayed).request_changes if "source" in c]
    comparison.served_by = served_by
    _rerun_differing(comparison, envs, data, repo, report_dir, pytest_args, (baseline_args, candidate_args),
                     deadline_s, log)  # fmt: skip
    comparison.baseline, comparison.candidate = envs[0].version, envs[1].version
    set_unjudged(comparison, data[0], repo)
    comparison.environments = {role: packages(env.python) for role, env in zip(ROLES, envs, strict=True)}
    for role, run in zip(ROLES, runs, strict=True):
        comparison.performance.setdefault(role, {})["suite_wall_s"] = run.wall_s
    outputs = write_reports(comparison, report_dir)
    return GateResult(comparison, (runs[0], runs[1]), outputs, (data[0], data[1]))


def _selects(arg: str) -> bool:
    """A test path or node id (`tests/...`, `x.py`, `x.py::t[id]`), as opposed to an option's value."""
    return "::" in arg or arg.endswith(".py") or Path(arg).parts[:1] == ("tests",)


def options_only(args: Sequence[str]) -> list[str]:
    """The user's pytest options without what selects items (paths, `-k`, `-m`): a rerun selects by node
    id. An option's value (`-n 2`, `--ledger my.yaml`, `-p no:randomly`) stays with its option."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in ("-k", "-m"):
            skip = True
        elif arg.startswith("-") and not arg.startswith(("-k=", "-m=")):
            out.append(arg)
        elif i and args[i - 1].startswith("-") and "=" not in args[i - 1] and not _selects(arg):
            out.append(arg)  # the value of the option before it
    return out


def _nodeids(runs: Sequence[Mapping[str, Any]], cases: set[str]) -> list[str]:
    return sorted(
        {o["nodeid"] for run in runs for o in run.get("outcomes", []) if (o.get("case") or o["nodeid"]) in cases}
    )


def _emulate_missed(
    envs: Sequence[LiteLLMEnv],
    replayed: list[dict[str, Any]],
    repo: Path,
    report_dir: Path,
    pytest_args: Sequence[str],
    extras: Sequence[Sequence[str]],
    deadline_s: float,
    log: Any,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """Cases a version's requests miss in the cassettes run again, for both versions, against the emulator,
    which answers any request deterministically; their results replace the replayed ones."""
    missed = replay_missed_cases(replayed[0]) | replay_missed_cases(replayed[1])
    compared = [{c["case"] for c in run.get("comparisons", [])} for run in replayed]
    missed |= compared[0] ^ compared[1]
    served = {case: {role: "replay" for role in ROLES} for case in compared[0] | compared[1]}
    if not missed:
        return replayed, served
    select = _nodeids(replayed, missed)
    log(f"harness gate: {len(missed)} case(s) miss the cassettes under one version; both run them on the emulator")
    merged = []
    for role, env, extra, run in zip(ROLES, envs, extras, replayed, strict=True):
        out = report_dir / "gate-runs" / f"{role}-{env.version}-emulator"
        args = [*select, "--upstream", "emulator", *options_only(pytest_args), *extra]
        emulated = json.loads(run_suite(env, repo, out, pytest_args=args, deadline_s=deadline_s).report.read_text())
        merged.append(_merge(run, emulated, missed))
    for case in missed:
        served[case] = {role: "emulator" for role in ROLES}
    return merged, served


def emulate_missed_one(
    env: LiteLLMEnv,
    replayed: dict[str, Any],
    repo: Path,
    out: Path,
    deadline_s: float,
    log: Any,
    mode_args: Sequence[str] = (),
) -> dict[str, Any]:
    """One release's run (the bisect): the cases its requests miss in the cassettes, on the emulator."""
    missed = replay_missed_cases(replayed)
    if not missed:
        return replayed
    log(f"harness gate:   {len(missed)} case(s) miss the cassettes; running them on the emulator")
    args = [*_nodeids([replayed], missed), "--upstream", "emulator", *mode_args]
    emulated = json.loads(
        run_suite(env, repo, out / "emulator", pytest_args=args, deadline_s=deadline_s).report.read_text()
    )
    return _merge(replayed, emulated, missed)


def _merge(replayed: dict[str, Any], emulated: Mapping[str, Any], cases: set[str]) -> dict[str, Any]:
    keep = lambda item: (item.get("case") or item.get("nodeid")) not in cases  # noqa: E731
    out = dict(replayed)
    out["outcomes"] = [o for o in replayed["outcomes"] if keep(o)] + list(emulated.get("outcomes", []))
    out["comparisons"] = [c for c in replayed["comparisons"] if keep(c)] + list(emulated.get("comparisons", []))
    out["divergences"] = {**replayed.get("divergences", {}), **emulated.get("divergences", {})}
    return out


def _rerun_differing(
    comparison: GateComparison,
    envs: Sequence[LiteLLMEnv],
    data: Sequence[Mapping[str, Any]],
    repo: Path,
    report_dir: Path,
    pytest_args: Sequence[str],
    extras: Sequence[Sequence[str]],
    deadline_s: float,
    log: Any,
) -> None:
    """An item whose outcome differs between the versions runs once more under each before it is
    reported: a flake under the baseline must not show up as "fixed" (nor one under the candidate as
    "broke"). When a rerun changes the answer, the item is reported as flaky instead."""
    differing = sorted({row["nodeid"] for row in comparison.broke + comparison.fixed})
    if not differing:
        return
    log(f"harness gate: {len(differing)} item(s) differ between the versions; each runs once more under both")
    first = [{o["nodeid"]: o["outcome"] for o in run["outcomes"]} for run in data]
    again: list[dict[str, str]] = []
    for role, env, extra in zip(ROLES, envs, extras, strict=True):
        emulated = [n for n in differing if comparison.served_by.get(_case_of(data, n), {}).get(role) == "emulator"]
        outcomes: dict[str, str] = {}
        for label, select, more in (("replay", [n for n in differing if n not in emulated], []),
                                    ("emulator", emulated, ["--upstream", "emulator"])):  # fmt: skip
            if not select:
                continue
            out = report_dir / "gate-runs" / f"{role}-{env.version}-rerun-{label}"
            args = [*select, *more, *options_only(pytest_args), *extra]
            rerun = json.loads(run_suite(env, repo, out, pytest_args=args, deadline_s=deadline_s).report.read_text())
            outcomes.update({o["nodeid"]: o["outcome"] for o in rerun["outcomes"]})
        again.append(outcomes)
    flaky = {
        n for n in differing if any(again[i].get(n, first[i].get(n)) != first[i].get(n) for i in range(len(ROLES)))
    }
    comparison.flaky = [
        {"nodeid": n, "first": " / ".join(first[i].get(n, "-") for i in range(2)),
         "rerun": " / ".join(again[i].get(n, "-") for i in range(2))}
        for n in sorted(flaky)
    ]  # fmt: skip
    comparison.broke = [row for row in comparison.broke if row["nodeid"] not in flaky]
    comparison.fixed = [row for row in comparison.fixed if row["nodeid"] not in flaky]


def set_unjudged(comparison: GateComparison, baseline: Mapping[str, Any], repo: Path) -> None:
    """Items "fixed" only because the ledger's ranges do not reach back to the baseline move to
    `unjudged`, each with the entries that would cover it (`harness.gate.reach`)."""
    ledger = run_ledger(baseline, repo)
    if ledger is None or not comparison.fixed:
        return
    found = unjudged(baseline, ledger, [row["nodeid"] for row in comparison.fixed])
    comparison.unjudged = [
        {**row, "entries": found[row["nodeid"]]} for row in comparison.fixed if row["nodeid"] in found
    ]
    comparison.fixed = [row for row in comparison.fixed if row["nodeid"] not in found]


def _case_of(data: Sequence[Mapping[str, Any]], nodeid: str) -> str:
    return next((o.get("case") or nodeid for run in data for o in run["outcomes"] if o["nodeid"] == nodeid), nodeid)


def write_reports(comparison: GateComparison, report_dir: Path) -> tuple[Path, ...]:
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = tuple(report_dir / f"gate-report.{ext}" for ext in ("json", "html", "txt", "md"))
    data = json.loads(json.dumps(comparison.as_dict(), default=str))
    write_text_atomic(paths[0], json.dumps(data, indent=1))
    write_text_atomic(paths[1], render_html(data))
    write_text_atomic(paths[2], render_text(comparison) + "\n")
    markdown = render_gate_markdown(data)  # the pull request's comment (docs/ci/contract.yml)
    write_text_atomic(paths[3], markdown)
    append_step_summary(markdown, paths[3].name)
    return paths
