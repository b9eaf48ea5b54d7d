"""Running one contract case on one path, and judging the litellm path against the direct one.

A case is observed on its path. On the litellm path it is compared with the direct path's
observation of the same case (taken from this process's cache, or observed now when another
worker ran the direct item), and every mismatch is either covered by the ledger or reported.
Case-specific expectations (say, `finish_reason == "length"`) then hold on each path alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.clients import Path, Scenario
from harness.compare import ContractFailure, Level, diff
from harness.ledger import Ledger
from harness.observe import Observation

Expectation = Callable[[Observation], None]


@dataclass(frozen=True)
class Case:
    """One contract case: an id, the call, and what must hold on each path on its own."""

    id: str
    scenario: Scenario
    expect: Expectation | None = None
    doc: str = ""

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:  # pytest prints test arguments in failures: keep it to the id
        return f"Case({self.id!r})"


@dataclass(frozen=True)
class CaseResult:
    """What one litellm-path comparison found; plain data, so it crosses xdist workers."""

    case: str
    level: str
    observation: str
    scoped: tuple[str, ...]
    covered: Mapping[str, list[str]]
    unledgered: list[str]
    direct: Mapping[str, Any] = field(default_factory=dict)
    litellm: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "level": self.level,
            "observation": self.observation,
            "scoped": list(self.scoped),
            "covered": {k: list(v) for k, v in self.covered.items()},
            "unledgered": list(self.unledgered),
            "direct": self.direct,
            "litellm": self.litellm,
        }


@dataclass
class ContractRunner:
    """Session-wide: the paths, the ledger, the level and the LiteLLM version under test."""

    paths: Mapping[str, Path]
    ledger: Ledger
    level: Level
    litellm_version: str
    baselines: dict[str, Observation] = field(default_factory=dict)

    def baseline(self, case_id: str, scenario: Scenario) -> Observation:
        if case_id not in self.baselines:
            self.baselines[case_id] = self.paths["direct"].observe(scenario)
        return self.baselines[case_id]

    def run(self, case: Case, case_id: str, path: str, record: Callable[[CaseResult], None]) -> Observation:
        """Observe `case` on `path`; on litellm, compare and raise `ContractFailure` if unledgered."""
        __tracebackhide__ = True
        observation = self.paths[path].observe(case.scenario)
        if path == "direct":
            self.baselines[case_id] = observation
        else:
            direct = self.baseline(case_id, case.scenario)
            mismatches = diff(direct.tree(), observation.tree(), self.level)
            unledgered, covered = self.ledger.split(mismatches, case_id, direct.kind, self.litellm_version)
            record(
                CaseResult(
                    case=case_id,
                    level=str(self.level),
                    observation=direct.kind,
                    scoped=tuple(self.ledger.scoped_ids(case_id, direct.kind, self.litellm_version)),
                    covered={k: [m.path for m in v] for k, v in covered.items()},
                    unledgered=[m.describe() for m in unledgered],
                    direct=direct.tree(),
                    litellm=observation.tree(),
                )
            )
            if unledgered:
                raise ContractFailure(
                    case_id,
                    self.level,
                    unledgered,
                    note=f"{sum(len(v) for v in covered.values())} more covered by the ledger",
                )
        if case.expect is not None:
            case.expect(observation)
        return observation
