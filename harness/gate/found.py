"""What the bisect found for one change: the first release that shows it, the last without it, and
why, where that is a range rather than one release (`harness.gate.bisect` searches; the report, the
plan and the ledger's ranges read this back, `Found.from_dict`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

from harness.gate.changes import Change


@dataclass(frozen=True)
class Skip:
    version: str
    reason: str


@dataclass
class Found:
    change: Change
    first: str | None  # the first release that shows it (None: not found)
    last_without: str | None
    came_and_went: list[str] = field(default_factory=list)  # releases that contradict a single transition
    undecided: list[str] = field(default_factory=list)  # releases whose run could not tell
    #: the budget ran out before the search ended: the change is somewhere after `last_without`, by `first`
    narrowed_only: bool = False
    #: the search stopped at `undecided_limit` releases that could not tell; narrowed from the runs made
    left_open: bool = False
    #: releases between the last without and the first with that were left out: their suite cannot run (or
    #: they must never be installed), so the change may have come in any of them
    unrunnable: list[str] = field(default_factory=list)

    @property
    def between(self) -> list[str]:
        """Releases between the last without and the first with whose run could not tell (say the case
        did not run there, or the release cannot run the suite at all): with them in the way, the change
        is not placed in `first` for certain."""
        if self.first is None or self.last_without is None:
            return []
        low, high = Version(self.last_without), Version(self.first)
        return sorted({u for u in [*self.undecided, *self.unrunnable] if low < Version(u) < high}, key=Version)

    @property
    def open_range(self) -> bool:
        """A range because runs could not tell (not because the budget ran out)."""
        return not self.narrowed_only and (self.left_open or bool(self.between))

    @property
    def exact(self) -> bool:
        """Placed in one release: the search ended, and no release in between left it open."""
        placed = self.first is not None and self.last_without is not None
        return placed and not (self.narrowed_only or self.open_range)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.change.kind,
            "change": self.change.text,
            "first_seen_in": self.first,
            "last_without": self.last_without,
            "came_and_went": self.came_and_went,
            "undecided": self.undecided,
            "narrowed_only": self.narrowed_only,
            "left_open": self.left_open,
            "unrunnable": self.unrunnable,
            "exact": self.exact,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Found:
        """A change as `as_dict` wrote it, read back from a report: its predicate is gone (nothing can be
        searched again), what was found stays."""
        change = Change(data["change"], data["kind"], data["change"], lambda run: None)
        return cls(
            change,
            data["first_seen_in"],
            data["last_without"],
            came_and_went=list(data.get("came_and_went") or []),
            undecided=list(data.get("undecided") or []),
            narrowed_only=bool(data.get("narrowed_only")),
            left_open=bool(data.get("left_open")),
            unrunnable=list(data.get("unrunnable") or []),
        )
