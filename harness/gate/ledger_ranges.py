"""`--update-ledger`: the bisect's answers written into the ledger's version ranges, and no more.

A ledger entry's `litellm:` range said ">=1.108.7" (observed on the pin) because nobody had run the
releases before it. After a bisect, an entry whose divergences all appeared in the releases it ran
gets ">=" the earliest of them, one whose divergences all went away gets "<" the latest of them. A
bound is written only where the bisect saw the divergence start or end:

- a divergence already present at the bisect's good end started there or before, so its entry gets
  no lower bound, and a comment that says how far the measurements reach: `# since before 1.74.0,
  the oldest release that runs` when a probe (`gate --probe-oldest`) found no older release that runs,
  else `# present in 1.80.17, where the bisect started; older releases not bisected`;
- an entry still present at the bad end gets no upper bound up to it (one after a bad end older than
  the pin stays: the bisect says nothing there);
- an entry with any change the bisect left as a range (or that came and went) is held as it is, and
  said so: its bound could lie anywhere in that range.

The file is edited line by line, so its comments, order and wording stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from harness.gate.bisect import Found
from harness.replay.atomic import write_text_atomic

_ENTRY = re.compile(r"^  - id: (?P<id>\S+)\s*$")
_RANGE = re.compile(r'^(?P<indent>\s+)litellm: (?P<quote>["\']?)(?P<spec>[^"\'#\n]*)(?P=quote)(?P<rest>.*)$')
#: the ledger needs a range; this one is every release, no bound at all
ANY = ">=0"


@dataclass(frozen=True)
class RangeChange:
    entry: str
    before: str
    after: str
    why: str


@dataclass(frozen=True)
class Ends:
    """What the bisect's two ends showed: the ledger entries of the divergences present there (whether
    or not the entry's range reached the end's release), and whether the good end is the oldest release
    the suite runs."""

    good: str
    bad: str
    at_good: frozenset[str] = frozenset()
    at_bad: frozenset[str] = frozenset()
    good_is_oldest: bool = False
    #: entries present at both ends yet absent from a run between them: came and went, held
    absent: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def from_report(cls, data: Mapping[str, Any]) -> Ends:
        ends = data["at_ends"]
        oldest = (data.get("oldest_runnable") or {}).get("version")
        return cls(
            data["good"],
            data["bad"],
            frozenset(row[2] for row in ends["good"] if row[2]),
            frozenset(row[2] for row in ends["bad"] if row[2]),
            good_is_oldest=oldest == data["good"],
            absent=dict(data.get("absent_between") or {}),
        )

    def since(self) -> str:
        if self.good_is_oldest:
            return f"since before {self.good}, the oldest release that runs"
        return f"present in {self.good}, where the bisect started; older releases not bisected"


@dataclass
class Plan:
    """Per entry: the bounds to write (None: no such bound), the comment, why; or why it is held."""

    low: dict[str, str | None] = field(default_factory=dict)
    high: dict[str, str | None] = field(default_factory=dict)
    comment: dict[str, str] = field(default_factory=dict)
    why: dict[str, list[str]] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)


def _entry_of(f: Found) -> str:
    entry = f.change.text.rsplit("[", 1)[-1].rstrip("]") if f.change.text.endswith("]") else ""
    return "" if entry == "not in the ledger" else entry


def plan(found: Iterable[Found], ends: Ends) -> Plan:
    out = Plan()
    by_entry: dict[str, list[Found]] = {}
    for f in found:
        if f.change.kind in ("new divergence", "gone divergence") and _entry_of(f):
            by_entry.setdefault(_entry_of(f), []).append(f)
    for entry in sorted(set(by_entry) | ends.at_good | ends.at_bad):
        changes = by_entry.get(entry, [])
        unsure = next((f for f in changes if not f.exact or f.came_and_went), None)
        if entry in ends.absent:
            gone = ", ".join(ends.absent[entry][:3])
            out.held[entry] = f"present at {ends.good} and {ends.bad}, absent in the run of {gone}: came and went"
            continue
        if unsure is not None:
            out.held[entry] = (
                f"{unsure.change.text}: not placed in one release ({unsure.last_without} .. {unsure.first})"
            )
            continue
        new = [f.first for f in changes if f.change.kind == "new divergence" and f.first]
        gone = [f.first for f in changes if f.change.kind == "gone divergence" and f.first]
        if entry in ends.at_good:
            out.low[entry] = None
            out.comment[entry] = ends.since()
        elif new:
            out.low[entry] = min(new, key=Version)
        out.high[entry] = None if entry in ends.at_bad or not gone else max(gone, key=Version)
        out.why[entry] = [f"{f.change.kind} {f.change.text}: first seen in {f.first}" for f in changes[:3]]
    return out


def _new_spec(spec: str, entry: str, p: Plan, ends: Ends) -> str:
    """The entry's range with the bisect's bounds. Present at an end, a bound the bisect contradicts
    goes (a lower one from the good end on, or any when the good end is the oldest release that runs;
    an upper one up to the bad end); one beyond the releases it ran stays, for it says nothing there
    (an upper bound after a bad end older than the pin, a lower one before a good end a probe did not
    show to be the oldest)."""

    def contradicted(s: Any) -> bool:
        if s.operator in (">=", ">") and entry in p.low:
            return p.low[entry] is not None or ends.good_is_oldest or Version(s.version) >= Version(ends.good)
        if s.operator in ("<", "<=") and entry in p.high:
            return p.high[entry] is not None or Version(s.version) <= Version(ends.bad)
        return False

    kept = [s for s in SpecifierSet(spec) if not contradicted(s)]
    low, high = p.low.get(entry), p.high.get(entry)
    parts = ([f">={low}"] if low else []) + [str(s) for s in sorted(kept, key=str)] + ([f"<{high}"] if high else [])
    return ",".join(parts) or ANY


def update_ranges(ledger: Path, found: Iterable[Found], ends: Ends) -> tuple[list[RangeChange], dict[str, str]]:
    """Rewrite the `litellm:` line of each entry the bisect placed; returns what changed, and the
    entries held as they were with the reason."""
    p = plan(found, ends)
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    current = None
    changes: list[RangeChange] = []
    for i, line in enumerate(lines):
        if m := _ENTRY.match(line):
            current = m["id"]
            continue
        m = _RANGE.match(line.rstrip("\n"))
        if current is not None and (current in p.low or current in p.high) and m:
            spec = _new_spec(m["spec"].strip(), current, p, ends)
            note = p.comment.get(current, "placed by the bisect")
            after = f'{m["indent"]}litellm: "{spec}"  # {note} ({ends.good} -> {ends.bad})\n'
            if after != line:
                lines[i] = after
                why = "; ".join(p.why.get(current) or []) or note
                changes.append(RangeChange(current, m["spec"].strip(), spec, why))
            current = None
    if changes:
        write_text_atomic(ledger, "".join(lines))
    return changes, p.held


class ReportError(ValueError):
    """A bisect report that cannot be read back; the message names the file and what is wrong."""


def found_from_report(path: Path) -> tuple[list[Found], Ends]:
    """The changes of a `bisect-report.json` and what its ends showed, to write their ranges into a
    ledger without running anything: a bisect made in one checkout (a CI machine, a worktree whose
    ledger must stay as it was for its kept runs) applied to the ledger of another."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = [Found.from_dict(c) for c in data["changes"]]
    except OSError as exc:
        raise ReportError(f"harness gate: cannot read the bisect report {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportError(
            f"harness gate: {path} is not a bisect report (bisect-report.json from `gate --bisect`): {exc!r}"
        ) from None
    if "at_ends" not in data:
        raise ReportError(
            f"harness gate: {path} does not say which divergences its ends showed (a report from before "
            "`at_ends`), so its lower bounds could be only where it started; run the bisect again"
        )
    try:
        return found, Ends.from_report(data)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ReportError(f"harness gate: {path}: its 'at_ends' is not what `gate --bisect` writes: {exc!r}") from None
