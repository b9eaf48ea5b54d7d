"""Differential fuzzing's verdicts, gathered over all of a run's generated requests.

A generated request belongs to no case of the catalogue, so a ledger entry covers a difference
wherever its observation kind and LiteLLM version apply (`Ledger.split_anywhere`). In a plain run the
first request outside the ledger fails the test, and hypothesis shrinks it. With `--ledger-update`
every request is judged, nothing fails, and what was found becomes one comparison of the case
`fuzz/generated`: the bootstrap writes its entries like any case's, so the next run's fuzz is covered
too. Entries scoped to that case by name go stale like any other when the fuzz stops finding them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.contract.case import CaseResult
from harness.contract.compare import Mismatch, plain
from harness.contract.judgement import record_of
from harness.contract.ledger import Ledger

CASE = "fuzz/generated"


@dataclass
class FuzzFindings:
    ledger: Ledger
    version: str
    level: str = "exact"
    covered: dict[str, list[str]] = field(default_factory=dict)
    unledgered: list[tuple[str, Mismatch]] = field(default_factory=list)
    observations: set[str] = field(default_factory=set)
    #: every mismatch found, as a record with its observation kind (`harness.contract.judgement`)
    records: list[dict[str, Any]] = field(default_factory=list)

    def judge(self, mismatches: list[Mismatch], observation: str) -> list[Mismatch]:
        """The mismatches of one generated request that no entry covers; all of them are kept."""
        self.observations.add(observation)
        unledgered, covered = self.ledger.split_anywhere(mismatches, observation, self.version)
        entry_of = {id(m): ident for ident, found in covered.items() for m in found}
        self.records += [{**record_of(m, entry_of.get(id(m), "")), "observation": observation} for m in mismatches]
        for ident, found in covered.items():
            paths = self.covered.setdefault(ident, [])
            paths += [m.path for m in found if m.path not in paths]
        self.unledgered += [(observation, m) for m in unledgered]
        return unledgered

    def result(self) -> CaseResult:
        """The run's fuzz as one comparison: covered entries, what nothing covered (each with its own
        observation kind), and the entries named for this case (for stale detection)."""
        scoped = tuple(e.id for e in self.ledger.entries if CASE in e.cases and e.observations & self.observations)
        seen: set[tuple[str, str, str]] = set()
        detail = []
        for observation, m in self.unledgered:
            if (observation, m.path, m.kind) in seen:
                continue
            seen.add((observation, m.path, m.kind))
            detail.append({"path": m.path, "kind": m.kind, "direct": plain(m.direct), "litellm": plain(m.litellm),
                           "pinned_by": getattr(m, "entry", ""), "observation": observation})  # fmt: skip
        result = CaseResult(
            case=CASE,
            level=self.level,
            observation=sorted(self.observations)[0] if self.observations else "response",
            scoped=scoped,
            covered=self.covered,
            unledgered=[m.describe() for _, m in self.unledgered[:20]],
            unledgered_detail=detail,
            mismatches=self.records,
            calls=sorted(self.observations),  # the observation kinds it saw, for judging it again
            anywhere=True,
        )
        return result
