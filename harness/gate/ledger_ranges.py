"""`--update-ledger`: the bisect's answers written into the ledger's version ranges, and no more.

A ledger entry's `litellm:` range said ">=1.108.7" (observed on the pin) because nobody had run the
releases before it. A range is where any of the entry's divergences is seen, so it is read from the
entry's presence in every run the bisect made (`harness.gate.entry_presence`): the releases where it
came and where it went, each between two runs that differ. A bound is written only where the runs saw
the entry come or go:

- an entry already present at the bisect's good end came there or before, so its range gets no lower
  bound, and a comment that says how far the measurements reach: `# since before 1.74.0, the oldest
  release that runs` when a probe (`gate --probe-oldest`) found no older release that runs, else
  `# present in 1.80.17, where the bisect started; older releases not bisected`;
- an entry still present at the bad end gets no upper bound up to it (one after a bad end older than
  the pin stays: the bisect says nothing there);
- where releases between the two runs could not tell (their suite cannot run offline, the denylist
  forbids them, or the entry's case did not run there), the bound covers them and the comment names
  them; where a release between them has no run yet, the entry is held as it is, said so, with the
  releases still to run (the bisect searches such a flip itself);
- an entry that came and went gets a union, `"<1.81.6 || >=1.94.0"` (`harness.contract.releases`).

The file is edited line by line, so its comments, order and wording stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from harness.contract.entry_course import Course, courses, left_out
from harness.contract.releases import OR
from harness.gate.found import Found
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
    """What the bisect's runs showed: each ledger entry's presence release by release, the releases it
    listed (left-out ones removed), those it made a run of, those left out, and whether the good end is
    the oldest release the suite runs."""

    good: str
    bad: str
    presence: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    releases: Sequence[str] = ()
    ran: frozenset[str] = frozenset()
    left_out: Sequence[str] = ()
    good_is_oldest: bool = False

    @classmethod
    def from_report(cls, data: Mapping[str, Any]) -> Ends:
        oldest = (data.get("oldest_runnable") or {}).get("version")
        return cls(
            data["good"],
            data["bad"],
            presence={entry: dict(told) for entry, told in data["entry_presence"].items()},
            releases=list(data["releases"]),
            ran=frozenset(data["runs_made"]),
            left_out=left_out(s["version"] for s in data.get("skipped") or []),
            good_is_oldest=oldest == data["good"],
        )

    def since(self) -> str:
        if self.good_is_oldest:
            return f"since before {self.good}, the oldest release that runs"
        return f"present in {self.good}, where the bisect started; older releases not bisected"

    def courses(self) -> list[Course]:
        return courses(self.presence, self.releases, self.ran, self.left_out)


@dataclass
class Plan:
    """Per entry: the ranges to write, each (">=" bound or None, "<" bound or None), the comment, why;
    or why it is held."""

    blocks: dict[str, list[tuple[str | None, str | None]]] = field(default_factory=dict)
    comment: dict[str, str] = field(default_factory=dict)
    why: dict[str, list[str]] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)


def _held(c: Course, ends: Ends) -> str | None:
    """Why an entry's range cannot be written yet, or None."""
    flip = next((f for f in c.flips if not f.placed), None)
    if flip is not None:
        word = "came" if flip.came else "went"
        more = f" and {len(flip.unrun) - 3} more" if len(flip.unrun) > 3 else ""
        return (
            f"{word} between {flip.before} and {flip.after}, without a run yet of {', '.join(flip.unrun[:3])}{more}: "
            "run the bisect further (or `--release-run` them) to place it"
        )
    if c.first_told != ends.good:
        return f"the good end's run ({ends.good}) could not tell; the first that could is {c.first_told}"
    if c.present_last and c.last_told != ends.bad:
        return f"the bad end's run ({ends.bad}) could not tell; the last that could is {c.last_told}"
    return None


def plan(ends: Ends) -> Plan:
    out = Plan()
    for c in ends.courses():
        if (why := _held(c, ends)) is not None:
            out.held[c.entry] = why
            continue
        out.blocks[c.entry] = c.blocks()
        notes = [ends.since()] if c.present_first else []
        if len(out.blocks[c.entry]) > 1:
            notes.append("came and went")
        covered = sorted({r for f in c.flips for r in f.untold}, key=Version)
        if covered:
            notes.append(f"{', '.join(covered)} could not tell, so the range covers them")
        if notes:
            out.comment[c.entry] = "; ".join(notes)
        out.why[c.entry] = [f.text() for f in c.flips[:3]] or [f"present in every run, {ends.good} to {ends.bad}"]
    return out


def _new_spec(spec: str, blocks: Sequence[tuple[str | None, str | None]], ends: Ends) -> str:
    """The entry's range from its blocks. A bound of the old range beyond the releases the bisect ran
    stays, for it says nothing there: a lower one before a good end a probe did not show to be the
    oldest (on the first block, when the entry was present at the good end), an upper one after a bad
    end older than the pin (on the last, when present at the bad end). Everything else of the old range
    goes: the runs measured it."""
    old = [] if OR in spec else list(SpecifierSet(spec))
    below = [
        str(s)
        for s in old
        if s.operator in (">=", ">") and not ends.good_is_oldest and Version(s.version) < Version(ends.good)
    ]
    above = [str(s) for s in old if s.operator in ("<", "<=") and Version(s.version) > Version(ends.bad)]
    parts = []
    for i, (low, high) in enumerate(blocks):
        one = [f">={low}"] if low else (below if i == 0 else [])
        one += [f"<{high}"] if high else (above if i == len(blocks) - 1 else [])
        parts.append(",".join(one) or ANY)
    return f" {OR} ".join(parts)


def update_ranges(ledger: Path, ends: Ends) -> tuple[list[RangeChange], dict[str, str]]:
    """Rewrite the `litellm:` line of each entry the bisect's runs place; returns what changed, and the
    entries left as they were with the reason: held (where they came or went is not placed yet), or
    seen in no run (their cases are not compared, like `auth/no-key`, or never diverged), so that no
    range is left unexplained."""
    p = plan(ends)
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    current = None
    changes: list[RangeChange] = []
    held = dict(p.held)
    for i, line in enumerate(lines):
        if m := _ENTRY.match(line):
            current = m["id"]
            if current not in p.blocks and current not in held:
                held[current] = "no run the bisect made saw it (its cases are not compared, or never diverged there)"
            continue
        m = _RANGE.match(line.rstrip("\n"))
        if current is not None and current in p.blocks and m:
            spec = _new_spec(m["spec"].strip(), p.blocks[current], ends)
            note = p.comment.get(current, "placed by the bisect")
            after = f'{m["indent"]}litellm: "{spec}"  # {note} ({ends.good} -> {ends.bad})\n'
            if after != line:
                lines[i] = after
                why = "; ".join(p.why.get(current) or []) or note
                changes.append(RangeChange(current, m["spec"].strip(), spec, why))
            current = None
    if changes:
        write_text_atomic(ledger, "".join(lines))
    return changes, held


class ReportError(ValueError):
    """A bisect report that cannot be read back; the message names the file and what is wrong."""


def ends_from_report(path: Path) -> Ends:
    """What a `bisect-report.json` saw of each entry, to write the ranges into a ledger without running
    anything: a bisect made in one checkout (a CI machine, a worktree whose ledger must stay as it was for
    its kept runs) applied to the ledger of another."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"harness gate: cannot read the bisect report {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ReportError(
            f"harness gate: {path} is not JSON (bisect-report.json from `gate --bisect`): {exc}"
        ) from None
    try:
        for change in data["changes"]:  # what `gate --bisect` writes, or not a report at all
            Found.from_dict(change)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReportError(
            f"harness gate: {path} is not a bisect report (bisect-report.json from `gate --bisect`): {exc!r}"
        ) from None
    if "entry_presence" not in data:
        raise ReportError(
            f"harness gate: {path} does not say where each ledger entry was seen (a report from before "
            "`entry_presence`), so its ranges could be only where it started; make it again from the kept "
            "runs: `python -m harness gate --bisect --good X --bad Y --kept-only --report-dir DIR`"
        )
    try:
        return Ends.from_report(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportError(
            f"harness gate: {path}: its 'entry_presence', 'releases' or 'runs_made' is not what `gate --bisect` "
            f"writes: {exc!r}"
        ) from None
