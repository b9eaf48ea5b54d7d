"""An entry's course across LiteLLM releases: where it came and went, read from its presence in runs.

Each run that could tell says, per ledger entry, present or absent; between two consecutive such runs
that differ, the entry came or went (a `Flip`). A flip is placed when every listed release between
the two runs has a run that could not tell, or was left out (its suite cannot run, or the denylist
forbids it): its bound then covers them. One with a release between that was not run is not placed
yet. The blocks where the entry is present are its ledger range (`harness.contract.releases`: a
union when it came and went); the gate reads the presence from a bisect's runs
(`harness.gate.entry_presence`), writes the ranges (`harness.gate.ledger_ranges`), and the atlas
draws the blocks (`harness.report.atlas`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from packaging.version import Version

#: {entry: {release: present}}, for the releases whose run could tell
Presence = dict[str, dict[str, bool]]


def left_out(skipped: Iterable[str]) -> list[str]:
    """The skipped releases a course is told to cover: all but pre-releases, which are not releases a
    team pins (a skipped pre-release between two runs leaves a change placed; a skipped release makes
    it a range). One definition for the bisect, its report readers and the atlas."""
    return [v for v in skipped if not Version(v).is_prerelease]


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
        return [(low, high) for low, high, _, _ in self.spans()]

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


__all__ = ["Course", "Flip", "Presence", "course", "courses", "unplaced"]
