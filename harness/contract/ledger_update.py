"""`--ledger-update`: a team's ledger bootstrapped from what its run observed, reviewed before it counts.

The snapshot-testing workflow (syrupy's `--snapshot-update`), with one difference: nothing is accepted
unread. Each unledgered divergence becomes an entry with what was observed, the versions and the
cases, and `reason`, `impact` and `link` marked `REVIEW:`. A marked entry fails every later run until
a person replaces the marks. Stale entries (in scope, no longer observed) are removed only here, and
listed. The file is edited as text, so the entries a team wrote keep their comments and order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

REVIEW = "REVIEW:"
_INDEX = re.compile(r"\[\d+\]")
_BLOCK = re.compile(r"^  - id: (\S+)\s*$", re.M)


@dataclass
class Update:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def review_entries(comparisons: Iterable[Mapping[str, Any]], version: str, taken: set[str]) -> list[dict[str, Any]]:
    """One entry per (path, kind, observation kind), with every case it was seen in and one example."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for comparison in comparisons:
        for m in comparison.get("unledgered_detail") or []:
            path = _INDEX.sub("[*]", m["path"])
            group = groups.setdefault((path, m["kind"], comparison["observation"]), {"cases": [], "example": m})
            if comparison["case"] not in group["cases"]:
                group["cases"].append(comparison["case"])
    entries = []
    for (path, kind, observation), group in sorted(groups.items()):
        ident = base = f"review-{_slug(path)}-{kind}"
        n = 2
        while ident in taken:
            ident, n = f"{base}-{n}", n + 1
        taken.add(ident)
        ex = group["example"]
        entries.append(
            {
                "id": ident,
                "what": f"{path}: {kind} (direct {_short(ex['direct'])}, litellm {_short(ex['litellm'])})",
                "paths": [path],
                "kinds": [kind],
                "cases": sorted(group["cases"]),
                "observations": [observation],
                "litellm": f">={version}",
                "reason": f"{REVIEW} why does the proxy differ here? (observed on {version})",
                "impact": f"{REVIEW} what does it change for the application?",
                "link": f"{REVIEW} an issue, a doc page or the config setting behind it",
            }
        )
    return entries


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _without(text: str, ids: set[str]) -> str:
    """The ledger text with the entries named in `ids` cut out (each from its `- id:` line to the next)."""
    starts = [(m.start(), m.group(1)) for m in _BLOCK.finditer(text)]
    out, cursor = [], 0
    for i, (start, ident) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        if ident in ids:
            out.append(text[cursor:start])
            cursor = end
    out.append(text[cursor:])
    return "".join(out)


_HEADER = "# This proxy config's divergence ledger; `--ledger-update` writes entries marked REVIEW.\ndivergences:\n"


_DISABLE_BLOCK = re.compile(r"^disable:[ \t]*\n((?:[ \t]+\S.*\n)*)", re.M)
_DISABLE_LINE = re.compile(r"^\s+([^\s:]+):\s*\[([^\]]*)\]")


def _disable(text: str, stale: Mapping[str, list[str]]) -> str:
    """Inherited entries (`extends:`) that went stale are switched off here, for the cases where they did
    not occur (the file they come from is not this config's to edit); merged with what is already off."""
    if not stale:
        return text
    current: dict[str, set[str]] = {}
    block = _DISABLE_BLOCK.search(text)
    if block:
        for line in block.group(1).splitlines():
            if m := _DISABLE_LINE.match(line):
                current.setdefault(m.group(1), set()).update(c.strip() for c in m.group(2).split(",") if c.strip())
    for ident, cases in stale.items():
        current.setdefault(ident, set()).update(cases)
    lines = "".join(
        f"  {i}: [{', '.join(sorted(cases))}]  # not observed with this config (--ledger-update)\n"
        for i, cases in sorted(current.items())
    )
    if block:
        return text[: block.start()] + "disable:\n" + lines + text[block.end() :]
    return re.sub(r"^divergences:", "disable:\n" + lines + "divergences:", text, count=1, flags=re.M)


def updated_ledger(
    text: str, comparisons: Iterable[Mapping[str, Any]], stale: Mapping[str, list[str]], version: str
) -> tuple[str, Update]:
    """The ledger text with the run's unledgered divergences added for review and the stale entries
    removed: this file's own ones cut out, inherited ones disabled for the cases where they went stale
    (pure: the caller writes it, atomically). `stale` maps entry ids to those cases."""
    if not text.strip():
        text = _HEADER
    comparisons = list(comparisons)
    update = Update(removed=sorted(stale))
    own = set(_BLOCK.findall(text))
    # An inherited entry whose pin this config breaks (a fallback answers where the router's 429 was
    # pinned) does not hold for that case: it is switched off there, like a stale one.
    off = {i: list(c) for i, c in stale.items() if i not in own}
    for comparison in comparisons:
        for m in comparison.get("unledgered_detail") or []:
            entry = m.get("pinned_by")
            if entry and entry not in own and comparison["case"] not in off.setdefault(entry, []):
                off[entry].append(comparison["case"])
    text = _without(text, set(stale) & own)
    text = _disable(text, {i: c for i, c in off.items() if c})
    taken = set(_BLOCK.findall(text))
    entries = review_entries(comparisons, version, taken)
    if entries:
        dumped = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
        text = text.rstrip("\n") + "\n\n" + "".join(f"  {line}\n" if line else "\n" for line in dumped.splitlines())
        update.added = [e["id"] for e in entries]
    return text, update
