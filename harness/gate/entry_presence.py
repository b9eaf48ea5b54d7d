"""Where each ledger entry applies, release by release, read from the runs a bisect made.

A ledger entry's `litellm:` range is the releases where any of its divergences is seen. The bisect
searches field-level changes between its two ends; an entry's range follows from them only while the
entry comes once and stays. Seen on the real bisect (1.63.8 -> 1.108.7): `stream-cut-becomes-error`
is present at both ends, gone from 1.81.6 (the proxy ended a cut stream normally instead,
`stream-cut-ends-normally`), back in 1.81.14, gone in 1.82.0 and back in 1.94.0. The two ends agree,
so no change pointed the search there; only the entry's presence in every run made shows it, and its
range is a union, `<1.81.6 || >=1.81.14,<1.82.0 || >=1.94.0`.

So the ranges are read from the entries' presence in every run: each run says, per entry, present or
absent (or nothing, when it did not compare any case the entry was seen in). Between two consecutive
runs that differ, the entry came or went (a `Flip`). A flip is placed when every listed release
between the two runs has a run that could not tell, or was left out (its suite cannot run offline, or
the denylist forbids it): the bound then covers them. A flip with a release between that was not run
is unplaced; the bisect searches it (`flip_change`), and until then the entry's range is held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from packaging.version import Version

from harness.contract.ledger import Ledger
from harness.gate.reach import at_end

#: {entry: {release: present}}, for the releases whose run could tell
Presence = dict[str, dict[str, bool]]


class Seen:
    """Which entries each run shows, read once per run: reading a run is `reach.at_end` over every
    comparison (a divergence the run's ledger did not reach is read by the entry that would cover it, so
    a range that did not reach a release does not hide it), and a bisect asks again after each round."""

    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger
        self._read: dict[str, tuple[frozenset[str], frozenset[tuple[str, str, str]]]] = {}

    def read(self, version: str, run: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[tuple[str, str, str]]]:
        """(the cases the run compared, its (case, path, entry) rows with an entry)."""
        if version not in self._read:
            compared = frozenset(c["case"] for c in run.get("comparisons", []))
            rows = frozenset((case, path, entry) for case, path, entry in at_end(run, self.ledger) if entry)
            self._read[version] = (compared, rows)
        return self._read[version]

    def presence(self, runs: Mapping[str, Mapping[str, Any]]) -> tuple[Presence, dict[str, set[str]]]:
        """Each entry's presence in each run, and the cases each entry was seen in. A run tells for an
        entry when it compared one of those cases."""
        seen = self.seen_in(runs)
        cases_of = {entry: {case for case, _ in where} for entry, where in seen.items()}
        read = {version: self.read(version, run) for version, run in runs.items()}
        out: Presence = {}
        for entry, cases in sorted(cases_of.items()):
            out[entry] = {
                version: any(e == entry for _, _, e in read[version][1])
                for version in sorted(runs, key=Version)
                if cases & read[version][0]
            }
        return out, cases_of

    def seen_in(self, runs: Mapping[str, Mapping[str, Any]]) -> dict[str, set[tuple[str, str]]]:
        """{entry: every (case, path) it covered in any run}: the atlas's row for an entry that no change
        between the ends points at (it came and went between them)."""
        out: dict[str, set[tuple[str, str]]] = {}
        for version, run in runs.items():
            for case, path, entry in self.read(version, run)[1]:
                out.setdefault(entry, set()).add((case, path))
        return out

    def shows(self, run: Mapping[str, Any], entry: str, cases: Iterable[str]) -> bool | None:
        """Whether one run shows `entry` (None: it compared none of `cases`)."""
        compared, rows = self.read(str(run.get("meta", {}).get("litellm_version", "")), run)
        if not set(cases) & compared:
            return None
        return any(e == entry for _, _, e in rows)


@dataclass(frozen=True)
class Flip:
    """The entry came (`came`) or went between two consecutive runs that could tell."""

    entry: str
    before: str  # the last run in the old state
    after: str  # the first run in the new state
    came: bool
    #: listed releases between the two whose run could not tell, and releases left out between them
    untold: tuple[str, ...] = ()
    #: listed releases between the two without a run: the flip is not placed until they are run
    unrun: tuple[str, ...] = ()

    @property
    def placed(self) -> bool:
        return not self.unrun

    @property
    def bound(self) -> str:
        """The release the range's bound names: for a coming, the earliest it may have come (the
        first release after `before`, whether or not it could tell); for a going, `after` (the range
        ends before it, so releases that could not tell are covered)."""
        return (self.untold[0] if self.untold else self.after) if self.came else self.after

    def text(self) -> str:
        word = "came" if self.came else "went"
        where = f"in {self.after}" if not self.untold else f"between {self.before} and {self.after}"
        text = f"{word} {where} (last run without: {self.before})" if self.came else f"{word} {where}"
        if self.untold:
            text += f"; {', '.join(self.untold)} could not tell, so the range covers them"
        return text


@dataclass
class Course:
    """One entry's presence across the releases, as blocks of releases where it is present."""

    entry: str
    first_told: str
    last_told: str
    flips: list[Flip] = field(default_factory=list)
    present_first: bool = False
    present_last: bool = False

    @property
    def placed(self) -> bool:
        return all(f.placed for f in self.flips)

    def blocks(self) -> list[tuple[str | None, str | None]]:
        """The ranges where the entry is present, as (">=" bound or None, "<" bound or None): None at an
        end the entry was present at (the runs say nothing beyond it)."""
        out: list[tuple[str | None, str | None]] = []
        low: str | None = None
        open_ = self.present_first
        for flip in self.flips:
            if flip.came:
                low, open_ = flip.bound, True
            else:
                out.append((low, flip.bound))
                open_ = False
        if open_:
            out.append((low, None))
        return out

    def spans(self) -> list[tuple[str | None, str | None, str | None, str | None]]:
        """The blocks with where they are sure: (from, until, sure from, sure until). Between `from` and
        `sure from` (and between `sure until` and `until`) lie releases that could not tell: the range
        covers them, a reader is told it cannot say."""
        out: list[tuple[str | None, str | None, str | None, str | None]] = []
        low = sure = None
        open_ = self.present_first
        for flip in self.flips:
            if flip.came:
                low, sure, open_ = flip.bound, flip.after, True
            else:
                out.append((low, flip.bound, sure, flip.untold[0] if flip.untold else flip.after))
                open_ = False
        if open_:
            out.append((low, None, sure, None))
        return out


def course(
    entry: str,
    told: Mapping[str, bool],
    releases: Sequence[str],
    ran: Iterable[str],
    left_out: Iterable[str] = (),
) -> Course | None:
    """The entry's flips from its presence in the runs that could tell. `releases` are the listed ones
    (left-out releases removed), `ran` every release with a run, `left_out` releases whose suite
    cannot run (or that must never be installed). None when no run could tell."""
    order = sorted(told, key=Version)
    if not order:
        return None
    made, out = set(ran), set(left_out)
    listed = sorted({*releases, *out}, key=Version)
    result = Course(entry, order[0], order[-1], present_first=told[order[0]], present_last=told[order[-1]])
    for a, b in pairwise(order):
        if told[a] == told[b]:
            continue
        between = [r for r in listed if Version(a) < Version(r) < Version(b)]
        untold = tuple(r for r in between if r in made or r in out)
        unrun = tuple(r for r in between if r not in made and r not in out)
        result.flips.append(Flip(entry, a, b, came=told[b], untold=untold, unrun=unrun))
    return result


def unplaced(courses: Iterable[Course]) -> list[Flip]:
    """Every flip with a release between its two runs that was not run."""
    return [f for c in courses for f in c.flips if not f.placed]


def courses(presence: Presence, releases: Sequence[str], ran: Iterable[str], left_out: Iterable[str]) -> list[Course]:
    made, out = set(ran), list(left_out)
    found = (course(entry, told, releases, made, out) for entry, told in sorted(presence.items()))
    return [c for c in found if c is not None]


__all__ = ["Course", "Flip", "Presence", "Seen", "course", "courses", "unplaced"]
