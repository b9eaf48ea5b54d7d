"""Collecting per-test contract results into the run summary, and finding stale ledger entries.

Results arrive as plain dicts (pytest `user_properties`, which also cross xdist workers), so the
controller process sees every worker's comparisons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.contract.ledger import Ledger

PROPERTY = "contract_result"
TIMING = "contract_timing"
NOT_APPLICABLE_LIVE = "not applicable live"  # the skip-reason prefixes the summary counts as n/a
NOT_APPLICABLE_CONFIG = "not applicable to this config"
NOT_APPLICABLE = (NOT_APPLICABLE_LIVE, NOT_APPLICABLE_CONFIG)


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    diverged: int = 0  # litellm items that passed only thanks to ledger entries
    not_applicable: int = 0  # live: items that need what only the emulator stages (skipped, with the reason)
    skipped: int = 0  # any other skip (e.g. --gate-examples 0): neither a pass nor a failure
    infra: int = 0  # a part of the run (proxy, upstream server, emulator) was down: not a contract verdict


@dataclass
class RunResults:
    """Per-area outcome counts, ledger hits, and which entries were in scope."""

    areas: dict[str, dict[str, Tally]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    proxy_startups: dict[str, float] = field(default_factory=dict)
    #: live or config mode: why each not-applicable item could not run, by reason
    not_applicable: Counter[str] = field(default_factory=Counter)
    na_label: str = NOT_APPLICABLE_LIVE

    def add(
        self,
        nodeid: str,
        area: str,
        path: str,
        outcome: str,
        result: dict[str, Any] | None,
        timing: dict[str, Any] | None = None,
        duration_s: float = 0.0,
        reason: str = "",
        message: str = "",
        replay_miss: dict[str, Any] | None = None,
    ) -> None:
        tally = self.areas.setdefault(area, {}).setdefault(path, Tally())
        diverged = bool(result and result["covered"])
        if outcome == "passed":
            tally.passed += 1
            tally.diverged += diverged
        elif outcome == "skipped" and reason.startswith(NOT_APPLICABLE):
            prefix = next(p for p in NOT_APPLICABLE if reason.startswith(p))
            tally.not_applicable += 1
            self.na_label = prefix
            self.not_applicable[reason.removeprefix(prefix).lstrip(": ")] += 1
        elif outcome == "skipped":
            tally.skipped += 1
        elif outcome == "infra":
            tally.infra += 1
        else:
            tally.failed += 1
        if result is not None:
            self.hits.update(result["covered"].keys())
            self.comparisons.append(result)
        self.outcomes.append(
            {
                "nodeid": nodeid,
                "area": area,
                "path": path,
                "outcome": outcome,
                "case": result["case"] if result else (timing or {}).get("case"),
                "duration_s": duration_s,
                "timing": timing,
                **({"reason": reason} if reason else {}),
                **({"message": message} if message else {}),
                **({"replay_miss": replay_miss} if replay_miss else {}),
            }
        )

    def routed(self) -> Counter[str]:
        """Requests per deployment where the router chose among a model group's deployments (config mode)."""
        counts: Counter[str] = Counter()
        for comparison in self.comparisons:
            for request in (comparison.get("requests") or {}).get("litellm") or []:
                if request.get("routed_to"):
                    counts[request["routed_to"]] += 1
        return counts

    def stale_cases(self) -> dict[str, list[str]]:
        """Per entry, the cases it was scoped to where it did not occur."""
        missing: dict[str, list[str]] = {}
        for comparison in self.comparisons:
            occurred = set(comparison.get("occurred", ())) | set(comparison["covered"])
            for entry_id in comparison["scoped"]:
                if entry_id not in occurred:
                    missing.setdefault(entry_id, []).append(comparison["case"])
        return missing

    def stale(self, ledger: Ledger) -> list[str]:
        """Entries that did not occur in a case they are scoped to."""
        missing = self.stale_cases()
        return [e.id for e in ledger.entries if e.id in missing]

    def summary_lines(self, ledger: Ledger, stale_advice: Callable[[str], str] | None = None) -> list[str]:
        """The summary table and notes. `stale_advice(entry_id)` says what to do about a stale entry
        (config mode: never edit the shipped ledger); by default, edit the ledger the run read."""
        na = bool(self.not_applicable)
        skips = any(t.skipped for paths in self.areas.values() for t in paths.values())
        infra = any(t.infra for paths in self.areas.values() for t in paths.values())
        head = f"{'area':<12}{'path':<10}{'passed':>8}{'ledgered':>10}{'failed':>8}"
        column = "n/a live" if self.na_label == NOT_APPLICABLE_LIVE else "n/a config"
        head += (f"{column:>11}" if na else "") + (f"{'skipped':>9}" if skips else "")
        lines = [head + (f"{'infra':>7}" if infra else "")]
        for area in sorted(self.areas):
            for path in sorted(self.areas[area]):
                t = self.areas[area][path]
                line = f"{area:<12}{path:<10}{t.passed:>8}{t.diverged:>10}{t.failed:>8}"
                line += (f"{t.not_applicable:>11}" if na else "") + (f"{t.skipped:>9}" if skips else "")
                lines.append(line + (f"{t.infra:>7}" if infra else ""))
        if infra:
            lines.append("")
            lines.append(
                "infra: items that could not run because a part of the run was down; they are not contract "
                "verdicts (the first one's failure names the part and shows its log)"
            )
        if na:
            lines.append("")
            lines.append(f"{self.na_label} ({sum(self.not_applicable.values())} items; they ran nowhere):")
            lines += [f"  {n} x {reason}" for reason, n in self.not_applicable.most_common()]
        if self.hits:
            lines.append("")
            lines.append("divergences (from the ledger):")
            for entry in ledger.entries:
                if self.hits[entry.id]:
                    lines.append(f"  {entry.id} (x{self.hits[entry.id]}): {entry.what}")
        missing = self.stale_cases()
        for entry_id in self.stale(ledger):
            cases = ", ".join(sorted(missing[entry_id])[:5]) + (" ..." if len(missing[entry_id]) > 5 else "")
            advice = (
                stale_advice(entry_id)
                if stale_advice is not None
                else f"LiteLLM no longer diverges there. Remove it from {ledger.path}, or narrow its 'cases' / "
                "'except_cases' / 'litellm' range."
            )
            lines.append(f"STALE ledger entry {entry_id!r}: in scope but not observed in {cases}; {advice}")
        routed = self.routed()
        if routed:
            lines.append(
                f"routed among {len(routed)} deployments of model groups: "
                + ", ".join(f"{d} x{n}" for d, n in sorted(routed.items()))
                + " (the router's choice; requests are compared as sent to the group)"
            )
        if self.proxy_startups:
            starts = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(self.proxy_startups.items()))
            lines.append(f"litellm proxy cold start: {starts}")
        return lines

    def to_json(self, ledger: Ledger, meta: dict[str, Any]) -> dict[str, Any]:
        """Everything the parity report and the benchmarks read: outcomes, comparisons, timings."""
        return {
            "meta": {**meta, "proxy_startups_s": self.proxy_startups},
            "areas": {a: {p: vars(t) for p, t in paths.items()} for a, paths in self.areas.items()},
            "divergences": {e.id: {**e.as_dict(), "hits": self.hits[e.id]} for e in ledger.entries if self.hits[e.id]},
            "stale": self.stale(ledger),
            "not_applicable": dict(self.not_applicable),
            "outcomes": self.outcomes,
            "comparisons": self.comparisons,
        }
