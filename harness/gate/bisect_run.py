"""Driving a real bisect: the releases pip can see, one suite run per release, the report, the ledger.

`python -m harness gate --bisect --good X --bad Y [--update-ledger]` runs the gate between X and
Y (every case compared under both, `harness.gate.run`), turns each change it found into a search
(`harness.gate.bisect`), and runs the releases in between as the search asks for them: only the
cases the changes are about, replayed, with the emulator for what a release's requests miss. Venvs
come from the gate's cache, so a second bisect builds nothing it built before.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from harness.contract.entry_course import Course, Flip, Presence, courses, left_out, unplaced
from harness.gate import run_cache
from harness.gate.ahead import Ahead
from harness.gate.bisect import Bisector, RunData, Uninstallable, runs_bound
from harness.gate.bisect_plan import gate_between, next_releases
from harness.gate.changes import Change, changes_between
from harness.gate.entry_presence import Seen
from harness.gate.env import ensure_env, validate_version
from harness.gate.found import Found, Skip
from harness.gate.probe import oldest_runnable
from harness.gate.reach import at_end, run_ledger
from harness.gate.release_runs import _failure_line, _one_line, release_runner, side_by_side
from harness.gate.run import ROLES
from harness.gate.suite import GateError
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
    #: each ledger entry's presence in each run that could tell, {entry: {release: present}}
    #: (`harness.gate.entry_presence`): where the ledger's ranges are read from
    entry_presence: dict[str, dict[str, bool]] = field(default_factory=dict)
    #: entries that came or went between the ends, each with where (`Flip.text`)
    entry_flips: dict[str, list[str]] = field(default_factory=dict)
    #: {entry: [case, path] it covered in any run}: the atlas's rows for entries seen only between the ends
    entry_cases: dict[str, list[list[str]]] = field(default_factory=dict)
    #: what `gate --probe-oldest` found in the same report folder ({"version", "below"}), if it ran there
    oldest_runnable: dict[str, Any] | None = None
    #: every release with a run (made now, kept, or an end)
    runs_made: list[str] = field(default_factory=list)

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
            "releases": list(self.releases),
            "runs_made": sorted(self.runs_made, key=Version),
            "entry_presence": self.entry_presence,
            "entry_cases": self.entry_cases,
            "oldest_runnable": self.oldest_runnable,
        }


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
    build_ahead: int = 1,
    keep_venvs: bool = False,
    log: Any = print,
) -> BisectResult:
    """The gate between `good` and `bad`, then each change it found searched over the releases between.

    `budget_s` bounds the time spent on new release runs: once it is spent, no new one starts, and a
    change not placed exactly is reported with the narrowest range the runs so far allow. Runs kept
    by an earlier bisect into the same `report_dir` are reused, so running it again continues. `jobs`
    releases run side by side (`side_by_side`): the answers and the runs made are the same as one at
    a time, only sooner on a machine with the cores for it. `kept_only` runs nothing at all: the gate
    and the release runs come from `report_dir` (`bisect_plan`), and `needed` says what is missing,
    `plan_width` releases of it (None: all). Up to `build_ahead` venvs of the releases the searches may
    ask for next are built while the suites run (`harness.gate.ahead`; 0: none); a release's venv is removed
    once its run is kept, except the ends' (`keep_venvs`: none removed)."""
    for text in (good, bad):
        validate_version(text)
    if Version(good) >= Version(bad):
        raise GateError(f"harness gate: --good {good} must be older than --bad {bad}")
    releases, skipped = list_releases(good, bad, pip_output if pip_output is not None else pip_versions())
    log(f"harness gate: {len(releases)} releases from {good} to {bad} ({len(skipped)} left out)")
    no_runs = kept_only or budget_s == 0 or build_ahead < 1
    ahead = None if no_runs else Ahead(lambda v: ensure_env(v, repo=repo, cache_dir=cache_dir), build_ahead, 2 * jobs)

    def not_kept(versions: Sequence[str]) -> list[str]:
        return [v for v in versions if not (report_dir / "bisect-runs" / v / run_cache.FILE).exists()]

    try:
        if ahead is not None and len(releases) > 2:  # every search starts at the middle: built while the gate runs
            ahead.want(not_kept([releases[1:-1][(len(releases) - 2) // 2]]))
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
        keep = ("*",) if keep_venvs else (good, bad)  # the ends: `gate --baseline` asks for them next
        runner, kept = release_runner(repo, report_dir / "bisect-runs", nodeids, mode_args, cache_dir, deadline_s, log,
                                      keep)  # fmt: skip
        started_at = time.monotonic()

        def timed_runner(version: str) -> RunData:
            started = time.monotonic()
            try:
                failed = ahead.wait(version) if ahead is not None else None
                if failed is not None:  # its venv was built ahead, and could not be: pip's reason, once
                    raise Uninstallable(_one_line(failed))
                return runner(version)
            finally:
                timed[version] = time.monotonic() - started

        def may_start() -> bool:
            return not kept_only and (budget_s is None or time.monotonic() - started_at < budget_s)

        def prepare(versions: Sequence[str]) -> None:
            if ahead is not None:
                ahead.want(not_kept(versions))

        bisector = Bisector(list(releases), timed_runner, runs={good: good_data, bad: bad_data}, skipped=list(skipped),
                            kept=kept, may_start=may_start, run_many=side_by_side(timed_runner),
                            prepare=prepare)  # fmt: skip
        bisector.load_kept()  # every search starts from the range the kept runs leave, asked for or not
        found = bisector.bisect(changes, jobs=jobs)
        ledger = run_ledger(good_data, repo)
        seen = Seen(ledger)
        told, entries = _place_flips(bisector, seen, jobs, log)
    finally:
        if ahead is not None:
            ahead.close()
    result = BisectResult(good, bad, bisector.releases, bisector.skipped, found, timed, bisector.order,
                          comparison.verdict, bisector.reused, bisector.stopped)  # fmt: skip
    settled = set(bisector.runs) | {s.version for s in bisector.skipped}
    open_flips = unplaced(entries)
    wanted = {r for f in open_flips for r in (f.unrun if plan_width is None else f.unrun[len(f.unrun) // 2 :][:1])}
    result.needed = sorted(set(next_releases(found, bisector.releases, settled, plan_width)) | wanted, key=Version)
    result.at_ends = {"good": at_end(good_data, ledger), "bad": at_end(bad_data, ledger)}
    result.entry_presence = told
    result.entry_flips = {c.entry: [f.text() for f in c.flips] for c in entries if c.flips}
    result.entry_cases = {
        e: [list(w) for w in sorted(where)] for e, where in sorted(seen.seen_in(bisector.runs).items())
    }
    result.runs_made = sorted(bisector.runs, key=Version)
    probed = oldest_runnable(report_dir)
    if probed is not None and probed["oldest_runnable"] == good:
        result.oldest_runnable = {"version": good, "below": probed.get("below")}
    return result


#: rounds of searching entries that came or went between two runs: a search's runs may show a flip to
#: be several, and each round places what the one before found
FLIP_ROUNDS = 4


def _left_out(bisector: Bisector) -> list[str]:
    return left_out(s.version for s in bisector.skipped)


def _place_flips(
    bisector: Bisector, seen: Seen, jobs: int, log: Callable[[str], None]
) -> tuple[Presence, list[Course]]:
    """Each ledger entry's presence in every run, with every place it came or went searched down to two
    neighbouring releases, as far as the budget lets: the field-level changes the bisect searched are
    between its two ends, and an entry that came and went between them (present at both ends) is no
    such change (`harness.gate.entry_presence`)."""
    for _ in range(FLIP_ROUNDS):
        told, cases_of = seen.presence(bisector.runs)
        entries = courses(told, bisector.releases, bisector.runs, _left_out(bisector))
        open_flips = unplaced(entries)
        if not open_flips or bisector.stopped:
            return told, entries
        log(f"harness gate: {len(open_flips)} place(s) where a ledger entry came or went, between two runs: searching")
        searches = [(_flip_change(f, cases_of[f.entry], seen), f.before, f.after) for f in open_flips]
        bisector.within(searches, jobs)
    told, _ = seen.presence(bisector.runs)
    return told, courses(told, bisector.releases, bisector.runs, _left_out(bisector))


def _flip_change(flip: Flip, cases: set[str], seen: Seen) -> Change:
    """A flip as a change to search: present where the entry is in the state it flipped to."""

    def present(run: RunData) -> bool | None:
        shows = seen.shows(run, flip.entry, cases)
        return None if shows is None else shows == flip.came

    word = "came" if flip.came else "went"
    return Change(f"entry {flip.entry} {word} {flip.before}..{flip.after}", f"entry {word}", flip.entry, present,
                  tuple(sorted(cases)))  # fmt: skip


__all__ = ["ROLES", "BisectResult", "_failure_line", "list_releases", "release_runner", "run_bisect", "side_by_side"]
