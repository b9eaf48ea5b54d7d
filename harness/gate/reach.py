"""How far back the ledger reaches: which entry would cover a divergence if its range reached that version.

A run under an older release than the ledger's ranges were measured on fails where the ledger has the
very entry for what it saw, only with a range that starts later (`>=1.80.17`, the good end of the
last bisect). Such an item is not a contract LiteLLM broke and a newer release "fixed": the gate
cannot judge it until the ledger reaches back (`unjudged`). A bisect needs the same knowledge at its
two ends: a divergence already present at its good end started there or before, never at a release
it placed (`at_end`), so `--update-ledger` writes no lower bound that is only where it started.

Read from each comparison's typed mismatch records (`unledgered_detail`), checked against the ledger
with every entry's version range widened to all releases; everything else about an entry (cases,
observations, kinds, pins) still applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.contract.compare import Level, Mismatch
from harness.contract.ledger import Ledger, LedgerError
from harness.contract.ledger_file import load_ledger
from harness.contract.releases import Releases

_INDEX = re.compile(r"\[\d+\]")
_ALL = Releases("")


def widened(ledger: Ledger) -> Ledger:
    """The same entries, each applying to every LiteLLM release."""
    return Ledger(ledger.path, tuple(replace(e, litellm=_ALL) for e in ledger.entries))


def run_ledger(run: Mapping[str, Any], repo: Path) -> Ledger | None:
    """The ledger a run was judged by (its meta names it), or None when it cannot be read."""
    named = Path(str(run.get("meta", {}).get("ledger") or "tests/contract/divergences.yaml"))
    try:
        return load_ledger(named if named.is_absolute() else repo / named)
    except LedgerError:
        return None


def _calls(comparison: Mapping[str, Any]) -> list[str]:
    direct = comparison.get("direct") or {}
    calls = direct.get("calls") if isinstance(direct, Mapping) else None
    return [str(c.get("kind")) for c in calls or [] if isinstance(c, Mapping)]


def out_of_range(comparison: Mapping[str, Any], wide: Ledger, version: str) -> tuple[dict[str, list[str]], list[str]]:
    """({entry: paths it would cover}, paths no entry covers, whatever its range) for one comparison's
    unledgered mismatches. A mismatch that broke an entry's pin is never covered."""
    covered: dict[str, list[str]] = {}
    uncovered: list[str] = []
    for record in comparison.get("unledgered_detail") or []:
        mismatch = Mismatch(record["path"], record["kind"], record.get("direct"), record.get("litellm"), Level.EXACT)
        if record.get("pinned_by"):
            uncovered.append(mismatch.path)
            continue
        calls = _calls(comparison) if comparison.get("observation") == "sequence" else []
        rest, by_entry = wide.split([mismatch], comparison["case"], comparison.get("observation", ""), version, calls)
        if rest:
            uncovered.append(mismatch.path)
        for entry in by_entry:
            covered.setdefault(entry, []).append(_INDEX.sub("[*]", mismatch.path))
    return covered, uncovered


def unjudged(run: Mapping[str, Any], ledger: Ledger, nodeids: Iterable[str]) -> dict[str, list[str]]:
    """Of `nodeids` (items that failed in `run`), those whose only failures are divergences the ledger
    has an entry for, out of range at the run's version: {node id: those entries}."""
    version = str(run.get("meta", {}).get("litellm_version", ""))
    wide = widened(ledger)
    comparisons = {c["case"]: c for c in run.get("comparisons", [])}
    outcomes = {o["nodeid"]: o for o in run.get("outcomes", [])}
    out: dict[str, list[str]] = {}
    for nodeid in nodeids:
        comparison = comparisons.get(str(outcomes.get(nodeid, {}).get("case")))
        if comparison is None or not comparison.get("unledgered_detail") or not version:
            continue
        covered, uncovered = out_of_range(comparison, wide, version)
        if covered and not uncovered:
            out[nodeid] = sorted(covered)
    return out


def at_end(run: Mapping[str, Any], ledger: Ledger | None) -> list[list[str]]:
    """Every divergence a bisect's end shows, as [case, path, entry] (entry "" when the ledger has none
    for it at any version): covered ones by their entry, the others by the entry that would cover them
    if its range reached this release."""
    version = str(run.get("meta", {}).get("litellm_version", ""))
    wide = widened(ledger) if ledger is not None else None
    rows: set[tuple[str, str, str]] = set()
    for comparison in run.get("comparisons", []):
        case = comparison["case"]
        for entry, paths in (comparison.get("covered") or {}).items():
            rows |= {(case, _INDEX.sub("[*]", p), entry) for p in paths}
        if wide is None or not version:
            rows |= {(case, _INDEX.sub("[*]", r["path"]), "") for r in comparison.get("unledgered_detail") or []}
            continue
        covered, uncovered = out_of_range(comparison, wide, version)
        rows |= {(case, p, entry) for entry, paths in covered.items() for p in paths}
        rows |= {(case, _INDEX.sub("[*]", p), "") for p in uncovered}
    return [list(row) for row in sorted(rows)]
