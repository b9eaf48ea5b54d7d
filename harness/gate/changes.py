"""What changed between two releases' runs, each change a predicate a third release's run answers.

The gate compares the runs of X and Y (`harness.gate.compare`); the bisect must then ask, of any
release in between, "does this run look like Y for this change?". Each `Change` carries that
question (`present`: True, False, or None when the run cannot tell, say because the case did not
run or missed the cassettes). The search over releases is `harness.gate.bisect`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.compare import Level, diff
from harness.gate.compare import GateComparison, divergences, request_diff
from harness.gate.frames import without_frames

RunData = Mapping[str, Any]  # a parity-report.json (harness.contract.results.RunResults.to_json)


@dataclass(frozen=True)
class Change:
    """One change the gate found between X and Y, and how to tell whether a run shows it."""

    key: str
    kind: str
    text: str
    present: Callable[[RunData], bool | None] = field(compare=False, repr=False)
    #: the cases (or, for an item's outcome, the node ids) a run must include to tell
    cases: tuple[str, ...] = ()


class Reads:
    """What the predicates read of a run, worked out once per run and kept for the bisect's life.

    A bisect asks every change of many runs: each search's halvings, then `Bisector._came_and_went`
    asks every change of every run made (2234 changes x 140 runs on 1.63.8 -> 1.108.7). Read afresh each
    time, a run's divergences walk all its comparisons and a value change diffs the case's whole
    observation, which made a `--kept-only` pass over that bisect take 13 minutes and more. The answers
    are the same: each is a function of the run (and of X's run, fixed for one `changes_between`)."""

    def __init__(self) -> None:
        self._runs: dict[int, tuple[RunData, dict[Any, Any]]] = {}

    def _slot(self, run: RunData) -> dict[Any, Any]:
        held = self._runs.get(id(run))
        if held is None or held[0] is not run:  # an id reused by another run: start over for it
            held = (run, {})
            self._runs[id(run)] = held
        return held[1]

    def comparison(self, run: RunData, case: str) -> Mapping[str, Any] | None:
        slot = self._slot(run)
        if "cases" not in slot:
            slot["cases"] = {}
            for c in run.get("comparisons", []):
                slot["cases"].setdefault(c["case"], c)  # the first, as a scan would find it
        return slot["cases"].get(case)

    def outcome(self, run: RunData, nodeid: str) -> str | None:
        slot = self._slot(run)
        if "outcomes" not in slot:
            slot["outcomes"] = {}
            for o in run.get("outcomes", []):
                slot["outcomes"].setdefault(o["nodeid"], o["outcome"])
        return slot["outcomes"].get(nodeid)

    def diverged(self, run: RunData) -> set[tuple[str, str]]:
        """Every (case, path) the run diverged at, covered or not."""
        slot = self._slot(run)
        if "diverged" not in slot:
            slot["diverged"] = {(k[0], k[1]) for k in divergences(run)}
        return slot["diverged"]

    def differing(self, run: RunData, key: tuple[str, str], work: Callable[[], set[str] | None]) -> set[str] | None:
        """The paths `work` finds for this run (a diff against X's run), once per run and key."""
        slot = self._slot(run)
        if key not in slot:
            slot[key] = work()
        return slot[key]


def _requests(run: RunData, case: str, reads: Reads) -> Any:
    comparison = reads.comparison(run, case)
    return None if comparison is None else (comparison.get("requests") or {}).get("litellm")


def _observed(run: RunData, case: str, reads: Reads) -> Any:
    comparison = reads.comparison(run, case)
    return None if comparison is None else without_frames(comparison.get("litellm"))


def changes_between(comparison: GateComparison, good: RunData, bad: RunData) -> list[Change]:
    """Every change of the gate's comparison from X (`good`) to Y (`bad`), as a searchable predicate."""
    out: list[Change] = []
    reads = Reads()
    for row in comparison.broke:
        nodeid = row["nodeid"]
        out.append(Change(f"broke {nodeid}", "broke", nodeid, lambda r, n=nodeid: _fails(r, n, reads), (nodeid,)))
    for row in comparison.fixed:
        nodeid = row["nodeid"]
        out.append(Change(f"fixed {nodeid}", "fixed", nodeid, lambda r, n=nodeid: _passes(r, n, reads), (nodeid,)))
    for d in comparison.new_divergences:
        text = f"{d.path} in {d.case}" + (f" [{d.ledger}]" if d.ledger else " [not in the ledger]")
        out.append(
            Change(
                f"new {d.case} {d.path}", "new divergence", text, _divergence(d.case, d.path, True, reads), (d.case,)
            )
        )
    for d in comparison.gone_divergences:
        text = f"{d.path} in {d.case}" + (f" [{d.ledger}]" if d.ledger else "")
        out.append(
            Change(
                f"gone {d.case} {d.path}", "gone divergence", text, _divergence(d.case, d.path, False, reads), (d.case,)
            )
        )
    for change in comparison.request_changes:
        case = change["case"]
        if "source" in change:  # a replay miss: the emulator rerun compares the requests themselves
            continue
        for field_change in change["changes"]:
            path = field_change["path"]
            text = f"{path}: {field_change['baseline']} -> {field_change['candidate']} in {case}"
            out.append(
                Change(f"request {case} {path}", "upstream request", text, _request(good, case, path, reads), (case,))
            )
    for name, cases in comparison.headers_added.items():
        out.append(Change(f"header+ {name}", "header added", name, _header(cases[0], name, True, reads), (cases[0],)))
    for name, cases in comparison.headers_removed.items():
        out.append(
            Change(f"header- {name}", "header removed", name, _header(cases[0], name, False, reads), (cases[0],))
        )
    for change in comparison.app_changes:
        case, path = change["case"], change["path"]
        text = f"{path}: {change['baseline']} -> {change['candidate']} in {case}"
        out.append(
            Change(f"value {case} {path}", "what the application sees", text, _value(good, case, path, reads), (case,))
        )
    return out


def _fails(run: RunData, nodeid: str, reads: Reads) -> bool | None:
    outcome = reads.outcome(run, nodeid)
    return None if outcome in (None, "infra", "skipped") else outcome != "passed"


def _passes(run: RunData, nodeid: str, reads: Reads) -> bool | None:
    failing = _fails(run, nodeid, reads)
    return None if failing is None else not failing


def _divergence(case: str, path: str, when_present: bool, reads: Reads) -> Callable[[RunData], bool | None]:
    def present(run: RunData) -> bool | None:
        if reads.comparison(run, case) is None:
            return None
        there = (case, path) in reads.diverged(run)
        return there if when_present else not there

    return present


def _request(good: RunData, case: str, path: str, reads: Reads) -> Callable[[RunData], bool | None]:
    before = _requests(good, case, reads)

    def paths(run: RunData) -> set[str] | None:
        now = _requests(run, case, reads)
        if before is None or now is None:
            return None
        return {m.path for m in request_diff(before, now)}

    def present(run: RunData) -> bool | None:
        found = reads.differing(run, ("request", case), lambda: paths(run))
        return None if found is None else path in found

    return present


def _header(case: str, name: str, when_present: bool, reads: Reads) -> Callable[[RunData], bool | None]:
    def present(run: RunData) -> bool | None:
        comparison = reads.comparison(run, case)
        names = (comparison or {}).get("header_names", {}).get("litellm")
        if not names:
            return None
        return (name in names) == when_present

    return present


def _value(good: RunData, case: str, path: str, reads: Reads) -> Callable[[RunData], bool | None]:
    before = _observed(good, case, reads)

    def paths(run: RunData) -> set[str] | None:
        now = _observed(run, case, reads)
        if before is None or now is None:
            return None
        return {m.path for m in diff(before, now, Level.EXACT)}

    def present(run: RunData) -> bool | None:
        found = reads.differing(run, ("value", case), lambda: paths(run))
        return None if found is None else path in found

    return present
