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


def _outcome(run: RunData, nodeid: str) -> str | None:
    return next((o["outcome"] for o in run.get("outcomes", []) if o["nodeid"] == nodeid), None)


def _comparison(run: RunData, case: str) -> Mapping[str, Any] | None:
    return next((c for c in run.get("comparisons", []) if c["case"] == case), None)


def _requests(run: RunData, case: str) -> Any:
    comparison = _comparison(run, case)
    return None if comparison is None else (comparison.get("requests") or {}).get("litellm")


def _observed(run: RunData, case: str) -> Any:
    comparison = _comparison(run, case)
    return None if comparison is None else without_frames(comparison.get("litellm"))


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


__all__ = ["Change", "RunData", "changes_between"]
