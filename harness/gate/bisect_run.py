"""Driving a real bisect: the releases pip can see, one suite run per release, the report, the ledger.

`python -m harness gate --bisect --good X --bad Y [--update-ledger]` runs the gate between X and
Y (every case compared under both, `harness.gate.run`), turns each change it found into a search
(`harness.gate.bisect`), and runs the releases in between as the search asks for them: only the
cases the changes are about, replayed, with the emulator for what a release's requests miss. Venvs
come from the gate's cache, so a second bisect builds nothing it built before.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from harness.gate import run_cache
from harness.gate.bisect import (
    Bisector,
    Found,
    RunData,
    RunMany,
    Skip,
    Uninstallable,
    run_each,
    runs_bound,
)
from harness.gate.bisect_plan import gate_between, next_releases
from harness.gate.changes import changes_between
from harness.gate.env import GateEnvError, ensure_env, validate_version
from harness.gate.probe import oldest_runnable
from harness.gate.reach import at_end, run_ledger
from harness.gate.run import ROLES, emulate_missed_one
from harness.gate.suite import GateError, Interrupted, allow_suites, cancel_suites, run_suite
from harness.gate.supply import denylist

_AVAILABLE = re.compile(r"Available versions:\s*(.+)")


def list_releases(good: str, bad: str, pip_output: str) -> tuple[list[str], list[Skip]]:
    """The releases from `good` to `bad` in `pip index versions litellm`'s output, oldest first; pre-releases
    and denylisted releases left out, each with the reason."""
    match = _AVAILABLE.search(pip_output)
    if match is None:
        raise GateError("harness gate: `pip index versions litellm` listed no versions (is the index reachable?)")
    versions = []
    for text in match.group(1).split(","):
        try:
            versions.append(Version(text.strip()))
        except InvalidVersion:
            continue
    lo, hi = Version(good), Version(bad)
    for end, label in ((lo, "--good"), (hi, "--bad")):
        if end not in versions:
            raise GateError(f"harness gate: {label} {end} is not a LiteLLM release pip can see")
    denied = denylist()
    releases, skipped = [], []
    for version in sorted(v for v in versions if lo <= v <= hi):
        if version.is_prerelease or version.is_devrelease:
            skipped.append(Skip(str(version), "a pre-release"))
        elif str(version) in denied:
            skipped.append(Skip(str(version), denied[str(version)].message()))
        else:
            releases.append(str(version))
    return releases, skipped


def pip_versions(python: str = sys.executable) -> str:
    done = subprocess.run(
        [python, "-m", "pip", "index", "versions", "litellm", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(f"harness gate: `pip index versions litellm` failed: {reason}")
    return done.stdout


@dataclass
class BisectResult:
    good: str
    bad: str
    releases: list[str]
    skipped: list[Skip]
    found: list[Found]
    runs_s: dict[str, float] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    gate_verdict: str = ""
    reused: list[str] = field(default_factory=list)  # releases whose run an earlier bisect kept
    budget_spent: bool = False
    #: releases the unplaced changes still need a run of (`bisect_plan.next_releases`)
    needed: list[str] = field(default_factory=list)
    #: every divergence each end showed, [case, path, ledger entry or ""] (`harness.gate.reach.at_end`)
    at_ends: dict[str, list[list[str]]] = field(default_factory=dict)
    #: what `gate --probe-oldest` found in the same report folder ({"version", "below"}), if it ran there
    oldest_runnable: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        firsts = {f.first for f in self.found if f.first}
        return {
            "good": self.good,
            "bad": self.bad,
            "gate_verdict": self.gate_verdict,
            "installable_releases": len(self.releases),
            "skipped": [{"version": s.version, "reason": s.reason} for s in self.skipped],
            "changes": [f.as_dict() for f in self.found],
            "suite_runs": [{"version": v, "wall_s": self.runs_s.get(v)} for v in self.order],
            "runs_bound": runs_bound(len(self.releases), len(firsts)),
            "reused_runs": list(self.reused),
            "budget_spent": self.budget_spent,
            "releases_still_needed": self.needed,
            "at_ends": self.at_ends,
            "oldest_runnable": self.oldest_runnable,
        }


#: pip's lines that say why an install failed, most telling first. pip also prints notices as ERROR
#: ("ERROR: Ignored the following versions that require a different python version"): never the reason
_REASONS = ("No matching distribution", "ResolutionImpossible", "conflict", "ERROR")
_NOTICES = ("is ignored", "Ignored the following")


def _one_line(text: str) -> str:
    """pip's reason for a failed install, in one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not any(n in line for n in _NOTICES)]
    for marker in _REASONS:
        found = [line for line in lines if marker in line]
        if found:
            return found[0]
    return (lines or ["pip could not install it"])[0]


def _failure_line(message: str) -> str:
    """The line of a failed suite's log tail that names the error (`ModuleNotFoundError: ...`)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"\w+(Error|Exception)\b:|^ERROR", line)]
    return (errors or lines or ["no output"])[-1][:300]


def release_runner(
    repo: Path,
    out: Path,
    nodeids: Sequence[str],
    mode_args: Sequence[str],
    cache_dir: Path | None,
    deadline_s: float,
    log: Any,
) -> tuple[Callable[[str], RunData], Callable[[str], RunData | None]]:
    """What the bisector calls per release (the involved cases replayed, missed ones on the emulator;
    `mode_args`, config mode's options, on every run), and the lookup of a release's run kept by an
    earlier bisect with the same inputs (`run_cache`)."""
    key = run_cache.fingerprint(repo, mode_args)

    def kept(version: str) -> RunData | None:
        data = run_cache.load(out / version, key, nodeids)
        if data is not None and run_cache.UNUSABLE in data:
            raise Uninstallable(data[run_cache.UNUSABLE])
        if data is not None:
            log(f"harness gate: litellm {version}: the run kept in {out / version} (same inputs)")
        return data

    def run_release(version: str) -> RunData:
        try:
            env = ensure_env(version, repo=repo, cache_dir=cache_dir)
        except GateEnvError as exc:
            log(f"harness gate: skipping litellm {version}: {_one_line(str(exc))}")
            raise Uninstallable(_one_line(str(exc))) from None
        log(f"harness gate: running litellm {version} ({len(nodeids)} items) ...")
        folder = out / version
        try:
            suite = run_suite(env, repo, folder, pytest_args=[*nodeids, *mode_args], deadline_s=deadline_s)
            data = emulate_missed_one(env, json.loads(suite.report.read_text()), repo, folder, deadline_s, log,
                                      mode_args)  # fmt: skip
        except GateError as exc:  # e.g. a release whose proxy does not start: skipped, never the end of the bisect
            reason = f"its suite could not run: {_failure_line(str(exc))} (log: {folder / 'pytest.log'})"
            log(f"harness gate: skipping litellm {version}: {reason}")
            run_cache.store(folder, key, {run_cache.UNUSABLE: reason}, nodeids)
            raise Uninstallable(reason) from None
        run_cache.store(folder, key, data, nodeids)
        return data

    return run_release, kept


def side_by_side(run_release: Callable[[str], RunData]) -> RunMany:
    """Releases' runs made at once, one thread each (the work is in subprocesses: pip, the suite).

    Interrupted (Ctrl-C reaches the main thread only), every running suite is stopped by its own
    process group before the interrupt goes on, so no proxy outlives the gate; a venv being built
    is left to pip, and the cache only counts a venv once its build finished.
    """

    def run_many(versions: Sequence[str]) -> Mapping[str, RunData | Uninstallable]:
        if len(versions) < 2:
            return run_each(run_release, versions)
        allow_suites()
        with ThreadPoolExecutor(max_workers=len(versions), thread_name_prefix="bisect-run") as pool:
            futures = {version: pool.submit(run_each, run_release, [version]) for version in versions}
            try:
                pending = set(futures.values())
                while pending:  # short waits: the main thread stays able to hear Ctrl-C
                    done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                    if any(f.exception() is not None for f in done):
                        break
            except BaseException:
                cancel_suites()
                raise
            finally:
                if any(f.done() and f.exception() is not None for f in futures.values()):
                    cancel_suites()  # one run failed the bisect: the others stop too
        errors = [e for e in (futures[version].exception() for version in versions) if e is not None]
        if errors:  # the failure itself, not the interruptions it caused in the other threads
            raise next((e for e in errors if not isinstance(e, Interrupted)), errors[0])
        return {version: futures[version].result()[version] for version in versions}

    return run_many


def run_bisect(
    good: str,
    bad: str,
    *,
    repo: Path,
    report_dir: Path,
    cache_dir: Path | None = None,
    pytest_args: Sequence[str] = ("tests/contract",),
    mode_args: Sequence[str] = (),
    deadline_s: float = 3600.0,
    budget_s: float | None = None,
    jobs: int = 1,
    pip_output: str | None = None,
    kept_only: bool = False,
    plan_width: int | None = None,
    log: Any = print,
) -> BisectResult:
    """The gate between `good` and `bad`, then each change it found searched over the releases between.

    `budget_s` bounds the time spent on new release runs: once it is spent, no new one starts, and a
    change not placed exactly is reported with the narrowest range the runs so far allow. Runs kept
    by an earlier bisect into the same `report_dir` are reused, so running it again continues. `jobs`
    releases run side by side (`side_by_side`): the answers and the runs made are the same as one at
    a time, only sooner on a machine with the cores for it. `kept_only` runs nothing at all: the gate
    and the release runs come from `report_dir` (`bisect_plan`), and `needed` says what is missing,
    `plan_width` releases of it (None: all)."""
    for text in (good, bad):
        validate_version(text)
    if Version(good) >= Version(bad):
        raise GateError(f"harness gate: --good {good} must be older than --bad {bad}")
    releases, skipped = list_releases(good, bad, pip_output if pip_output is not None else pip_versions())
    log(f"harness gate: {len(releases)} releases from {good} to {bad} ({len(skipped)} left out)")
    comparison, good_data, bad_data = gate_between(good, bad, repo, report_dir, cache_dir, pytest_args, mode_args,
                                                   deadline_s, kept_only, log)  # fmt: skip
    changes = changes_between(comparison, good_data, bad_data)
    cases = {case for change in changes for case in change.cases}
    ends = (good_data, bad_data)
    nodeids = sorted({o["nodeid"] for run in ends for o in run["outcomes"]
                      if (o.get("case") or o["nodeid"]) in cases or o["nodeid"] in cases})  # fmt: skip
    cases |= {o.get("case") or o["nodeid"] for run in ends for o in run["outcomes"] if o["nodeid"] in nodeids}
    log(f"harness gate: {len(changes)} change(s) to place, in {len(cases)} case(s)")
    timed: dict[str, float] = {}
    runner, kept = release_runner(repo, report_dir / "bisect-runs", nodeids, mode_args, cache_dir, deadline_s, log)
    started_at = time.monotonic()

    def timed_runner(version: str) -> RunData:
        started = time.monotonic()
        try:
            return runner(version)
        finally:
            timed[version] = time.monotonic() - started

    def may_start() -> bool:
        return not kept_only and (budget_s is None or time.monotonic() - started_at < budget_s)

    bisector = Bisector(list(releases), timed_runner, runs={good: good_data, bad: bad_data}, skipped=list(skipped),
                        kept=kept, may_start=may_start, run_many=side_by_side(timed_runner))  # fmt: skip
    if kept_only or budget_s == 0:  # only kept runs: a search narrows from all of them, asked for or not
        bisector.load_kept()
    found = bisector.bisect(changes, jobs=jobs)
    result = BisectResult(good, bad, bisector.releases, bisector.skipped, found, timed, bisector.order,
                          comparison.verdict, bisector.reused, bisector.stopped)  # fmt: skip
    settled = set(bisector.runs) | {s.version for s in bisector.skipped}
    result.needed = next_releases(found, bisector.releases, settled, plan_width)
    ledger = run_ledger(good_data, repo)
    result.at_ends = {"good": at_end(good_data, ledger), "bad": at_end(bad_data, ledger)}
    probed = oldest_runnable(report_dir)
    if probed is not None and probed["oldest_runnable"] == good:
        result.oldest_runnable = {"version": good, "below": probed.get("below")}
    return result


__all__ = ["ROLES", "BisectResult", "list_releases", "run_bisect"]
