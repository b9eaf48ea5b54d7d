"""The explainer's findings written into a team's ledger: the reason of each bootstrapped entry, its
`caused_by`, and one entry per cause.

A person still writes `impact` (what it means for the application) and may reword the reason; the
cause itself was found by running (`harness.runner.explain`), so the reason says how: "caused by
`router_settings.fallbacks` (removing it removes this divergence; verified on LiteLLM 1.108.7)", with
the setting's documentation as the link. A divergence no setting explains is said to be that; one
whose search ran out of budget says what it was narrowed to.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from harness.contract.ledger_update import REVIEW, _flow, _round_trip


@dataclass(frozen=True)
class Cause:
    """What the explainer found for one entry (or one inherited entry switched off)."""

    settings: tuple[str, ...]
    links: tuple[str, ...]
    version: str
    minimal: bool = True
    unexplained: bool = False
    #: removing the settings from the full config made it go away (False: it did not, see the reason)
    verified: bool = True
    #: a trial of the whole config showed it (False: the explainer could not reproduce it, so no search)
    reproduced: bool = True

    def reason(self, stale: bool = False) -> str:
        what = "LiteLLM's default divergence no longer occurs" if stale else "this divergence occurs"
        if not self.reproduced:
            return (f"{REVIEW} not explained: a trial run of the whole config did not show it (on LiteLLM "
                    f"{self.version}), so no setting could be tried; explain it by hand")  # fmt: skip
        if self.unexplained:
            return (f"{REVIEW} no setting explains it: {what} with every setting of the config removed, so it is "
                    f"LiteLLM's own behaviour with this model list (searched on LiteLLM {self.version})")  # fmt: skip
        names = ", ".join(f"`{s}`" for s in self.settings)
        together = " together" if len(self.settings) > 1 else ""
        if not self.minimal:
            return (f"{REVIEW} narrowed to {names} (the search's budget ran out before it could tell which of "
                    f"them; {what} with only these kept, on LiteLLM {self.version})")  # fmt: skip
        if not self.verified:
            return (f"{REVIEW} {names} bring{'' if together else 's'} it{together}, but removing "
                    f"{'them' if together else 'it'} from the whole config did not remove it: another setting "
                    f"brings it too (LiteLLM {self.version})")  # fmt: skip
        it = "them" if together else "it"
        if stale:
            return (f"switched off by {names}{together} (with {it} removed, LiteLLM's default divergence occurs "
                    f"again; verified on LiteLLM {self.version})")  # fmt: skip
        return (f"caused by {names}{together} (removing {it} removes this divergence; verified on LiteLLM "
                f"{self.version})")  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _merge(into: CommentedMap, other: Mapping[str, Any]) -> None:
    for key in ("paths", "kinds", "cases", "observations"):
        have = list(into.get(key) or [])
        into[key] = _flow(sorted(set(have) | set(other.get(key) or [])))


def _eol_comment(mapping: CommentedMap, key: str) -> str:
    token = (mapping.ca.items.get(key) or [None, None, None])[2]
    return str(getattr(token, "value", "") or "").strip().lstrip("#").strip()


def _explains(comment: str) -> bool:
    """Whether a `disable:` line's comment is explain's to write: none yet, a REVIEW, or explain's own
    (a person's words are kept: a second explain overwrote a reviewed reason with its own finding)."""
    return not comment or REVIEW in comment or comment.startswith("switched off by `")


def _unique(ident: str, taken: set[str]) -> str:
    """`ident`, or with the first free number appended (two causes may end in the same setting name)."""
    n, out = 2, ident
    while out in taken:
        out, n = f"{ident}-{n}", n + 1
    return out


def explained_ledger(text: str, causes: Mapping[str, Cause], stale: Mapping[str, Cause]) -> str:
    """The ledger text with each REVIEW entry in `causes` given its reason, link and `caused_by`, entries
    with the same cause merged into one (one cause, one entry, with all the paths and cases it changes),
    and each inherited entry in `stale` commented with the setting that switched it off."""
    yaml = _round_trip(text)
    doc = yaml.load(text)
    entries = doc.get("divergences") or CommentedSeq()
    # an entry a person already reviewed, with its cause: a new divergence of the same cause joins it (a
    # second explain after a bootstrap of more cases wrote a duplicate id and was refused)
    by_cause: dict[tuple[str, ...], CommentedMap] = {
        tuple(e["caused_by"]): e
        for e in entries
        if e.get("caused_by") and str(e.get("id")) not in causes and REVIEW not in str(e.get("reason", ""))
    }
    made: set[tuple[str, ...]] = set()
    ids = {str(e.get("id")) for e in entries}
    kept = CommentedSeq()
    for entry in entries:
        cause = causes.get(str(entry.get("id")))
        if cause is None or not cause.reproduced or cause.unexplained or not cause.minimal or not cause.verified:
            if cause is not None:
                entry["reason"] = cause.reason()
            kept.append(entry)
            continue
        if cause.settings in by_cause:
            _merge(by_cause[cause.settings], entry)
            ids.discard(str(entry.get("id")))
            continue
        ids.discard(str(entry.get("id")))
        entry["id"] = _unique("caused-by-" + _slug("-".join(s.rsplit(".", 1)[-1] for s in cause.settings)), ids)
        ids.add(entry["id"])
        entry["reason"] = cause.reason()
        entry["link"] = cause.links[0]
        entry["caused_by"] = _flow(cause.settings)
        by_cause[cause.settings] = entry
        made.add(cause.settings)
        kept.append(entry)
    for settings in made:  # a reviewed entry keeps the `what` its person wrote
        entry = by_cause[settings]
        paths = ", ".join(str(p) for p in entry["paths"])
        entry["what"] = (
            f"What {', '.join(f'`{s}`' for s in settings)} change{'s' if len(settings) == 1 else ''}: {paths}"
        )
    doc["divergences"] = kept
    off = doc.get("disable")
    if isinstance(off, CommentedMap):
        for ident, cause in stale.items():
            if ident in off and _explains(_eol_comment(off, ident)):
                off.yaml_add_eol_comment(cause.reason(stale=True), ident)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
