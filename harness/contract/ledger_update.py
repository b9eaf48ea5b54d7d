"""`--ledger-update`: a team's ledger bootstrapped from what its run observed, reviewed before it counts.

The snapshot-testing workflow (syrupy's `--snapshot-update`), with one difference: nothing is accepted
unread. Each unledgered divergence becomes an entry with what was observed, the versions and the
cases, and `reason`, `impact` and `link` marked `REVIEW:`. A marked entry fails every later run until
a person replaces the marks. Stale entries (in scope, no longer observed) are removed only here, and
listed: the file's own are cut out, inherited ones (`extends:`) are switched off for the cases where
they did not occur (`disable:`).

The file is edited as a YAML document (ruamel.yaml's round trip), never by appending text: the
entries, comments and order a team wrote stay as they were, and an empty, comments-only or
`extends`-only file gets the keys it lacks. A new file extends the shipped ledger, so a bootstrap
writes only what the team's config changes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

REVIEW = "REVIEW:"
_INDEX = re.compile(r"\[\d+\]")
_CALL = re.compile(r"^calls\[(\d+)\]\.(.+)$")
HEADER = (
    "# This proxy config's divergence ledger: LiteLLM's own divergences (the shipped ledger, `extends`),\n"
    "# switched off where this config's settings make them not occur (`disable`), and what the settings\n"
    "# change (`divergences`). `--ledger-update` writes entries marked REVIEW; a person writes the rest.\n"
)


@dataclass
class Update:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: inherited entries switched off, with the cases
    disabled: dict[str, list[str]] = field(default_factory=dict)


class LedgerWriteError(ValueError):
    """The ledger file cannot be edited as a document (not a mapping); nothing was written."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def entry_path(path: str) -> str:
    """The path an entry names for a mismatch: every index as `[*]` (the second choice's content is the
    first's divergence), but a sequence's call keeps its position. `calls[1]` and `calls[2]` after a
    failing `calls[0]` are the router's state speaking; `calls[*]` would also claim the first call, which
    the shipped ledger describes, and make that entry look stale to the next run."""
    call = _CALL.match(path)
    if call:
        return f"calls[{call.group(1)}]." + _INDEX.sub("[*]", call.group(2))
    return _INDEX.sub("[*]", path)


def review_entries(comparisons: Iterable[Mapping[str, Any]], version: str, taken: set[str]) -> list[dict[str, Any]]:
    """One entry per (path, kind, observation kind), with every case it was seen in and one example; a
    sequence's calls at the same path are one entry naming each call seen (`entry_path`)."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for comparison in comparisons:
        for m in comparison.get("unledgered_detail") or []:
            path = _INDEX.sub("[*]", m["path"])
            observation = m.get("observation") or comparison["observation"]  # the fuzz's carry their own
            group = groups.setdefault((path, m["kind"], observation), {"cases": [], "example": m, "paths": []})
            if comparison["case"] not in group["cases"]:
                group["cases"].append(comparison["case"])
            if entry_path(m["path"]) not in group["paths"]:
                group["paths"].append(entry_path(m["path"]))
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
                "paths": sorted(group["paths"]),
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


def _round_trip(text: str) -> YAML:
    """ruamel.yaml in round-trip mode with the file's own indentation, so an edit changes only what it
    must (the shipped style, `  - id:`, for a new file)."""
    _, indent, offset = load_yaml_guess_indent(text) if text.strip() else (None, 4, 2)
    if offset is None:  # no block sequence to learn from (`divergences:` empty): the shipped style
        indent, offset = 4, 2
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # a list of cases stays on one line, as a person writes it
    # an entry's keys sit past its dash: `sequence` below `offset + 2` writes YAML that does not load
    yaml.indent(mapping=2, sequence=max(indent or 4, offset + 2), offset=offset)
    return yaml


def _flow(items: Iterable[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _document(yaml: YAML, text: str, base: str | None) -> tuple[CommentedMap, str]:
    """The ledger as an editable mapping, and the comment lines to put before it when ruamel could not
    hold them (a comments-only file loads as nothing). A new file extends `base`."""
    data = yaml.load(text) if text.strip() else None
    if data is None:
        lead = text if text.strip() else HEADER
        doc = CommentedMap()
        if base is not None:
            doc["extends"] = base
        return doc, lead.rstrip("\n") + "\n"
    if not isinstance(data, CommentedMap):
        raise LedgerWriteError(f"expected a mapping with 'divergences', got a {type(data).__name__}")
    return data, ""


def _place(doc: CommentedMap, key: str, value: Any, before: str | None) -> None:
    """Put a missing key where it belongs: `disable` before `divergences`, the rest at the end."""
    if key in doc:
        return
    keys = list(doc)
    doc.insert(keys.index(before) if before in keys else len(keys), key, value)


def _disable(doc: CommentedMap, off: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Inherited entries (`extends:`) that went stale are switched off here, for the cases where they did
    not occur (the file they come from is not this config's to edit); merged with what is already off.
    Returns what changed."""
    if not off:
        return {}
    current = doc.get("disable")
    if current is None or isinstance(current, list):
        listed = {str(i): ["*"] for i in current or []}
        current = CommentedMap((i, _flow(c)) for i, c in listed.items())
        if "disable" in doc:
            doc["disable"] = current
        else:
            _place(doc, "disable", current, "divergences")
    changed: dict[str, list[str]] = {}
    for ident, cases in sorted(off.items()):
        have = [str(c) for c in current.get(ident) or []]
        new = [c for c in cases if c not in have and "*" not in have]
        if not new:
            continue
        changed[ident] = new
        if ident in current:
            current[ident].extend(new)
            current[ident].sort()
        else:
            current[ident] = _flow(sorted(new))
            current.yaml_add_eol_comment("not observed with this config (--ledger-update)", ident)
    return changed


def updated_ledger(
    text: str,
    comparisons: Iterable[Mapping[str, Any]],
    stale: Mapping[str, list[str]],
    version: str,
    base: str | None = None,
) -> tuple[str, Update]:
    """The ledger text with the run's unledgered divergences added for review and the stale entries
    removed: this file's own ones cut out, inherited ones disabled for the cases where they went stale
    (pure: the caller writes it, atomically, after loading it back). `stale` maps entry ids to those
    cases; `base` is what a new file extends (relative to it)."""
    yaml = _round_trip(text)
    doc, lead = _document(yaml, text, base)
    comparisons = list(comparisons)
    update = Update()
    entries = doc.get("divergences")
    if entries is None:
        entries = CommentedSeq()
        if "divergences" in doc:
            doc["divergences"] = entries
        else:
            _place(doc, "divergences", entries, None)
    if not isinstance(entries, list):
        raise LedgerWriteError("'divergences' must be a list")
    if isinstance(entries, CommentedSeq):
        entries.fa.set_block_style()  # `divergences: []` grows into the block list a person reads
    own = {str(e.get("id")) for e in entries if isinstance(e, Mapping)}
    # An inherited entry whose pin this config breaks (a fallback answers where the router's 429 was
    # pinned) does not hold for that case: it is switched off there, like a stale one.
    off = {i: list(c) for i, c in stale.items() if i not in own}
    for comparison in comparisons:
        for m in comparison.get("unledgered_detail") or []:
            entry = m.get("pinned_by")
            if entry and entry not in own and comparison["case"] not in off.setdefault(entry, []):
                off[entry].append(comparison["case"])
    update.removed = sorted(set(stale) & own)
    for index in reversed(range(len(entries))):
        if isinstance(entries[index], Mapping) and str(entries[index].get("id")) in set(stale) & own:
            del entries[index]
    update.disabled = _disable(doc, {i: c for i, c in off.items() if c})
    new = review_entries(comparisons, version, set(own) | set(off))
    for entry in new:
        item = CommentedMap(entry)
        for key in ("paths", "kinds", "cases", "observations"):
            item[key] = _flow(entry[key])
        entries.append(item)
    update.added = [e["id"] for e in new]
    out = io.StringIO()
    yaml.dump(doc, out)
    body = out.getvalue()
    if isinstance(entries, CommentedSeq) and not entries and "divergences: []" not in body:
        body = body.replace("divergences:\n", "divergences: []\n")
    return lead + body, update
