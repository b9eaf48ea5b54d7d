"""`--update-ledger`: the bisect's answers written into the ledger's version ranges.

A ledger entry's `litellm:` range said ">=1.108.7" (observed on the pinned version) or "<1.108.7"
(gone somewhere before it) because nobody had run the releases in between. After a bisect, a
divergence that appeared in 1.N.M gets ">=1.N.M", one that went away in 1.N.M gets "<1.N.M" (the
other bounds kept). The file is edited line by line, so its comments, order and wording stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from harness.gate.bisect import Found
from harness.replay.atomic import write_text_atomic

_ENTRY = re.compile(r"^  - id: (?P<id>\S+)\s*$")
_RANGE = re.compile(r'^(?P<indent>\s+)litellm: (?P<quote>["\']?)(?P<spec>[^"\'#\n]*)(?P=quote)(?P<rest>.*)$')


@dataclass(frozen=True)
class RangeChange:
    entry: str
    before: str
    after: str
    why: str


def bounds(found: Iterable[Found]) -> dict[str, tuple[str | None, str | None, list[str]]]:
    """Per ledger entry: (the earliest release a divergence of it appeared, the latest where one went, why)."""
    out: dict[str, tuple[str | None, str | None, list[str]]] = {}
    for f in found:
        entry = f.change.text.rsplit("[", 1)[-1].rstrip("]") if f.change.text.endswith("]") else ""
        if not entry or entry == "not in the ledger" or not f.exact or f.came_and_went:
            continue
        low, high, why = out.get(entry, (None, None, []))
        if f.change.kind == "new divergence":
            low = f.first if low is None or Version(f.first) < Version(low) else low
        elif f.change.kind == "gone divergence":
            high = f.first if high is None or Version(f.first) > Version(high) else high
        else:
            continue
        out[entry] = (low, high, [*why, f"{f.change.kind} {f.change.text}: first seen in {f.first}"])
    return out


def _new_spec(spec: str, low: str | None, high: str | None) -> str:
    kept = [
        s
        for s in SpecifierSet(spec)
        if not (low and s.operator in (">=", ">")) and not (high and s.operator in ("<", "<="))
    ]
    parts = ([f">={low}"] if low else []) + [str(s) for s in sorted(kept, key=str)] + ([f"<{high}"] if high else [])
    return ",".join(parts)


def update_ranges(ledger: Path, found: Iterable[Found]) -> list[RangeChange]:
    """Rewrite the `litellm:` line of each entry the bisect placed; returns what changed."""
    wanted = bounds(found)
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    current = None
    changes: list[RangeChange] = []
    for i, line in enumerate(lines):
        if m := _ENTRY.match(line):
            current = m["id"]
            continue
        m = _RANGE.match(line.rstrip("\n"))
        if current in wanted and m:
            low, high, why = wanted[current]
            spec = _new_spec(m["spec"].strip(), low, high)
            if spec != m["spec"].strip():
                lines[i] = f'{m["indent"]}litellm: "{spec}"  # placed by the bisect (docs/gate-example)\n'
                changes.append(RangeChange(current, m["spec"].strip(), spec, "; ".join(why[:3])))
            current = None
    if changes:
        write_text_atomic(ledger, "".join(lines))
    return changes


class ReportError(ValueError):
    """A bisect report that cannot be read back; the message names the file and what is wrong."""


def found_from_report(path: Path) -> list[Found]:
    """The changes of a `bisect-report.json`, as the bisect found them, to write their ranges into a
    ledger without running anything: a bisect made in one checkout (a CI machine, a worktree whose
    ledger must stay as it was for its kept runs) applied to the ledger of another."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Found.from_dict(c) for c in data["changes"]]
    except OSError as exc:
        raise ReportError(f"harness gate: cannot read the bisect report {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportError(
            f"harness gate: {path} is not a bisect report (bisect-report.json from `gate --bisect`): {exc!r}"
        ) from None
