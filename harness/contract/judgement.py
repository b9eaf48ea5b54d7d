"""A comparison's verdict as data: every mismatch, typed, and what a ledger makes of each.

The runner judges a comparison once, against the run's ledger. The verdict keeps every mismatch as a
record (path, kind, both values), covered or not, with the entry that covered it. So a comparison can
be judged again against another ledger without running anything: the ledger a bootstrap would have
written (`--ledger-update` into a new file), another version's ranges. Reports, the gate and the
bootstrap read these records, never the rendered failure text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.contract.compare import _ABSENT, Level, Mismatch, plain
from harness.contract.ledger import Ledger


def record_of(m: Mismatch, covered_by: str = "") -> dict[str, Any]:
    """A mismatch as a JSON record; `pinned_by` names an entry whose pin the value broke."""
    return {
        "path": m.path,
        "kind": m.kind,
        "direct": plain(m.direct),
        "litellm": plain(m.litellm),
        "level": str(m.level),
        "covered_by": covered_by,
        "pinned_by": getattr(m, "entry", ""),
    }


def mismatch_of(record: Mapping[str, Any]) -> Mismatch:
    """The mismatch a record holds ("(absent)" is the absent side again)."""

    def side(value: Any) -> Any:
        return _ABSENT if value == "(absent)" else value

    return Mismatch(record["path"], record["kind"], side(record["direct"]), side(record["litellm"]),
                    Level(record.get("level", "exact")))  # fmt: skip


def judge(
    mismatches: Iterable[Mismatch],
    ledger: Ledger,
    *,
    case: str,
    observation: str,
    version: str,
    level: Level,
    calls: Sequence[str] = (),
    requests_compared: bool = True,
) -> tuple[dict[str, Any], list[Mismatch]]:
    """The verdict fields of a comparison (`CaseResult`'s): what is in scope, covered, and not; and the
    unledgered mismatches themselves (a broken pin's carries the entry and why)."""
    mismatches = list(mismatches)
    unledgered, covered = ledger.split(mismatches, case, observation, version, calls)
    entry_of = {id(m): entry for entry, found in covered.items() for m in found}
    # a broken pin's mismatch comes back as a new object (PinnedMismatch) naming the entry
    pinned = {(m.path, m.kind): str(getattr(m, "entry", "")) for m in unledgered if getattr(m, "entry", "")}
    scoped = ledger.scoped_ids(
        case, observation, version, requests_compared=requests_compared, level=level, calls=calls
    )
    return {
        "scoped": list(scoped),
        "covered": {k: [m.path for m in v] for k, v in covered.items()},
        # every entry whose divergence occurred (staleness), also where an earlier entry claimed it
        "occurred": ledger.occurring(mismatches, case, observation, version, calls),
        "unledgered": [m.describe() for m in unledgered],
        "unledgered_detail": [record_of(m) for m in unledgered],
        "mismatches": [
            {**record_of(m, entry_of.get(id(m), "")), "pinned_by": pinned.get((m.path, m.kind), "")} for m in mismatches
        ],
        "calls": list(calls),
        "requests_compared": requests_compared,
    }, unledgered


def rejudge(result: Mapping[str, Any], ledger: Ledger, version: str) -> dict[str, Any]:
    """A recorded comparison judged again against `ledger`: what that ledger would have made of it."""
    if result.get("anywhere"):
        return _rejudge_anywhere(result, ledger, version)
    verdict, _ = judge(
        [mismatch_of(r) for r in result["mismatches"]],
        ledger,
        case=result["case"],
        observation=result["observation"],
        version=version,
        level=Level(result["level"]),
        calls=result.get("calls") or (),
        requests_compared=result.get("requests_compared", True),
    )
    return {**result, **verdict}


def _rejudge_anywhere(result: Mapping[str, Any], ledger: Ledger, version: str) -> dict[str, Any]:
    """The differential fuzz's comparison (requests of no case: an entry covers wherever its observation
    kind and version apply, `Ledger.split_anywhere`), each record with its own observation kind."""
    records, unledgered, covered = [], [], {}
    for record in result["mismatches"]:
        mismatch = mismatch_of(record)
        missed, found = ledger.split_anywhere([mismatch], record["observation"], version)
        entry = next(iter(found), "")
        records.append({**record, "covered_by": entry})
        if entry:
            paths = covered.setdefault(entry, [])
            paths += [] if mismatch.path in paths else [mismatch.path]
        unledgered += [{**record_of(m), "observation": record["observation"]} for m in missed]
    seen: set[tuple[str, str, str]] = set()
    detail = []
    for r in unledgered:
        if (r["observation"], r["path"], r["kind"]) not in seen:
            seen.add((r["observation"], r["path"], r["kind"]))
            detail.append(r)
    case = result["case"]
    scoped = [e.id for e in ledger.entries if case in e.cases and e.observations & set(result.get("calls") or [])]
    return {**result, "mismatches": records, "covered": covered, "unledgered_detail": detail,
            "unledgered": [mismatch_of(r).describe() for r in detail], "scoped": scoped}  # fmt: skip
