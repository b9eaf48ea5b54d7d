"""`python -m harness gate --bisect --good X --bad Y`: the release that made each change.

Users file LiteLLM bugs as "this broke in 1.x.y". The gate between X and Y lists what changed; the
bisect answers, for each change, "first seen in 1.N.M (last without it 1.N.K)", the way `git
bisect` names the first bad commit:

- the releases between X and Y that pip can see, pre-releases left out, known-compromised ones and
  the ones that cannot be installed skipped, each with its reason (`Skip`);
- each change is a predicate over one release's run (`Change.present`: does this run look like Y
  for it?), searched by halving the releases between the last run without it and the first with;
- a release's suite runs once, however many changes are searched (`Bisector.run_of` caches it), so
  the cost is at most ceil(log2 N) runs per distinct first release, plus the two ends;
- a change that comes and goes between X and Y is reported as such, from the runs already made.

Pure logic over plain run data: the release runner is injected (`RunRelease`), so the search is
tested on synthetic reports and driven by `harness.gate.bisect_run` for real.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.contract.compare import Level, diff
from harness.gate.compare import GateComparison, divergences, request_diff

RunData = Mapping[str, Any]  # a parity-report.json (harness.contract.results.RunResults.to_json)


class Uninstallable(Exception):
    """A release that pip cannot install; the message is pip's one-line reason."""


class BudgetSpent(Exception):
    """The bisect's time budget is spent: no new release run starts."""


RunRelease = Callable[[str], RunData]


@dataclass(frozen=True)
class Skip:
    version: str
    reason: str


@dataclass(frozen=True)
class Change:
    """One change the gate found between X and Y, and how to tell whether a run shows it."""

    key: str
    kind: str
    text: str
    present: Callable[[RunData], bool | None] = field(compare=False, repr=False)
    #: the cases (or, for an item's outcome, the node ids) a run must include to tell
    cases: tuple[str, ...] = ()


def _outcome(run: RunData, nodeid: str) -> str | None:
    return next((o["outcome"] for o in run.get("outcomes", []) if o["nodeid"] == nodeid), None)


def _comparison(run: RunData, case: str) -> Mapping[str, Any] | None:
    return next((c for c in run.get("comparisons", []) if c["case"] == case), None)


def _requests(run: RunData, case: str) -> Any:
    comparison = _comparison(run, case)
    return None if comparison is None else (comparison.get("requests") or {}).get("litellm")


def _observed(run: RunData, case: str) -> Any:
    comparison = _comparison(run, case)
    return None if comparison is None else comparison.get("litellm")


def changes_between(comparison: GateComparison, good: RunData, bad: RunData) -> list[Change]:
    """Every change of the gate's comparison from X (`good`) to Y (`bad`), as a searchable predicate."""
    out: list[Change] = []
    for row in comparison.broke:
        nodeid = row["nodeid"]
        out.append(Change(f"broke {nodeid}", "broke", nodeid, lambda r, n=nodeid: _fails(r, n), (nodeid,)))
    for row in comparison.fixed:
        nodeid = row["nodeid"]
        out.append(Change(f"fixed {nodeid}", "fixed", nodeid, lambda r, n=nodeid: _passes(r, n), (nodeid,)))
    for d in comparison.new_divergences:
        text = f"{d.path} in {d.case}" + (f" [{d.ledger}]" if d.ledger else " [not in the ledger]")
        out.append(
            Change(f"new {d.case} {d.path}", "new divergence", text, _divergence(d.case, d.path, True), (d.case,))
        )
    for d in comparison.gone_divergences:
        text = f"{d.path} in {d.case}" + (f" [{d.ledger}]" if d.ledger else "")
        out.append(
            Change(f"gone {d.case} {d.path}", "gone divergence", text, _divergence(d.case, d.path, False), (d.case,))
        )
    for change in comparison.request_changes:
        case = change["case"]
        if "source" in change:  # a replay miss: the emulator rerun compares the requests themselves
            continue
        for field_change in change["changes"]:
            path = field_change["path"]
            text = f"{path}: {field_change['baseline']} -> {field_change['candidate']} in {case}"
            out.append(Change(f"request {case} {path}", "upstream request", text, _request(good, case, path), (case,)))
    for name, cases in comparison.headers_added.items():
        out.append(Change(f"header+ {name}", "header added", name, _header(cases[0], name, True), (cases[0],)))
    for name, cases in comparison.headers_removed.items():
        out.append(Change(f"header- {name}", "header removed", name, _header(cases[0], name, False), (cases[0],)))
    for change in comparison.app_changes:
        case, path = change["case"], change["path"]
        text = f"{path}: {change['baseline']} -> {change['candidate']} in {case}"
        out.append(Change(f"value {case} {path}", "what the application sees", text, _value(good, case, path), (case,)))
    return out


def _fails(run: RunData, nodeid: str) -> bool | None:
    outcome = _outcome(run, nodeid)
    return None if outcome in (None, "infra", "skipped") else outcome != "passed"


def _passes(run: RunData, nodeid: str) -> bool | None:
    failing = _fails(run, nodeid)
    return None if failing is None else not failing


def _divergence(case: str, path: str, when_present: bool) -> Callable[[RunData], bool | None]:
    def present(run: RunData) -> bool | None:
        if _comparison(run, case) is None:
            return None
        there = any(k[0] == case and k[1] == path for k in divergences(run))
        return there if when_present else not there

    return present


def _request(good: RunData, case: str, path: str) -> Callable[[RunData], bool | None]:
    before = _requests(good, case)

    def present(run: RunData) -> bool | None:
        now = _requests(run, case)
        if before is None or now is None:
            return None
        return any(m.path == path for m in request_diff(before, now))

    return present


def _header(case: str, name: str, when_present: bool) -> Callable[[RunData], bool | None]:
    def present(run: RunData) -> bool | None:
        comparison = _comparison(run, case)
        names = (comparison or {}).get("header_names", {}).get("litellm")
        if not names:
            return None
        return (name in names) == when_present

    return present


def _value(good: RunData, case: str, path: str) -> Callable[[RunData], bool | None]:
    before = _observed(good, case)

    def present(run: RunData) -> bool | None:
        now = _observed(run, case)
        if before is None or now is None:
            return None
        return any(m.path == path for m in diff(before, now, Level.EXACT))

    return present


@dataclass
class Found:
    change: Change
    first: str | None  # the first release that shows it (None: not found)
    last_without: str | None
    came_and_went: list[str] = field(default_factory=list)  # releases that contradict a single transition
    undecided: list[str] = field(default_factory=list)  # releases whose run could not tell
    #: the budget ran out before the search ended: the change is somewhere after `last_without`, by `first`
    narrowed_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.change.kind,
            "change": self.change.text,
            "first_seen_in": self.first,
            "last_without": self.last_without,
            "came_and_went": self.came_and_went,
            "undecided": self.undecided,
            "narrowed_only": self.narrowed_only,
        }


@dataclass
class Bisector:
    """Searches every change over `releases` (oldest first, X first and Y last), running each release once."""

    releases: list[str]
    run_release: RunRelease
    runs: dict[str, RunData] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # releases in the order their suite ran
    #: a release's run kept by an earlier bisect (None: not kept); free, so the budget does not apply
    kept: Callable[[str], RunData | None] = lambda version: None
    #: whether a new release run may start (the budget); once False, searches stop where they are
    may_start: Callable[[], bool] = lambda: True
    reused: list[str] = field(default_factory=list)
    stopped: bool = False

    def run_of(self, version: str) -> RunData | None:
        if version in self.runs:
            return self.runs[version]
        if any(s.version == version for s in self.skipped):
            return None
        try:
            if (data := self.kept(version)) is not None:
                self.runs[version] = data
                self.reused.append(version)
                return data
            if self.stopped or not self.may_start():
                self.stopped = True
                raise BudgetSpent(version)
            data = self.run_release(version)
        except Uninstallable as exc:
            self.skipped.append(
                Skip(version, str(exc).strip().splitlines()[0] if str(exc).strip() else "uninstallable")
            )
            self.releases.remove(version)
            return None
        self.runs[version] = data
        self.order.append(version)
        return data

    def search(self, change: Change) -> Found:
        lo, hi = self.releases[0], self.releases[-1]
        undecided: list[str] = []
        narrowed = False
        while True:
            i, j = self.releases.index(lo), self.releases.index(hi)
            between = [r for r in self.releases[i + 1 : j] if r not in undecided]
            if not between:
                break
            mid = between[len(between) // 2]
            try:
                data = self.run_of(mid)
            except BudgetSpent:
                narrowed = True
                break
            if data is None:
                continue  # skipped: the list shrank, search again
            verdict = change.present(data)
            if verdict is None:
                undecided.append(mid)
            elif verdict:
                hi = mid
            else:
                lo = mid
        if narrowed:
            lo, hi = self._narrowest(change, lo, hi)
        found = Found(change, hi, lo, undecided=undecided, narrowed_only=narrowed)
        i, j = self.releases.index(lo), self.releases.index(hi)
        for version, data in self.runs.items():
            if version not in self.releases:
                continue
            k = self.releases.index(version)
            verdict = change.present(data)
            if verdict is not None and ((k <= i and verdict) or (k >= j and not verdict)):
                found.came_and_went.append(version)
        return found

    def _narrowest(self, change: Change, lo: str, hi: str) -> tuple[str, str]:
        """With the budget spent: the tightest (last without, first with) the runs made so far allow."""
        i, j = self.releases.index(lo), self.releases.index(hi)
        verdicts = [(r, change.present(self.runs[r])) for r in self.releases[i + 1 : j] if r in self.runs]
        first = next((r for r, v in verdicts if v), hi)
        last = max((r for r, v in verdicts if v is False and self.releases.index(r) < self.releases.index(first)),
                   key=self.releases.index, default=lo)  # fmt: skip
        return last, first

    def bisect(self, changes: Sequence[Change]) -> list[Found]:
        for end in (self.releases[0], self.releases[-1]):
            if self.run_of(end) is None:
                raise Uninstallable(f"{end} is an end of the range and cannot be installed: {self.skipped[-1].reason}")
        return [self.search(change) for change in changes]


def runs_bound(installable: int, distinct_first: int) -> int:
    """The promised cost: ceil(log2 N) runs per distinct first release, plus the two ends."""
    return distinct_first * math.ceil(math.log2(max(installable, 2))) + 2
