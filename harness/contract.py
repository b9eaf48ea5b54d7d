"""Running one contract case on one path, and judging the litellm path against the direct one.

A case is observed on its path. On the litellm path it is compared with the direct path's
observation of the same case (taken from this process's cache, or observed now when another
worker ran the direct item), and every mismatch is either covered by the ledger or reported.
Case-specific expectations (say, `finish_reason == "length"`) then hold on each path alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.clients import Path, Scenario
from harness.compare import ContractFailure, Level, Mismatch, diff
from harness.expect import Expectation
from harness.ledger import Ledger
from harness.observe import Observation, SequenceObservation
from harness.recording import Capture, CaseRef


@dataclass(frozen=True)
class Case:
    """One contract case: an id, the call, and what must hold on each path on its own."""

    id: str
    scenario: Scenario
    expect: Expectation | None = None
    doc: str = ""
    #: extra expectations for one path only, where the paths must differ by design
    expect_path: Mapping[str, Expectation] = field(default_factory=dict)
    #: False when the two paths cannot be equal on purpose (no direct twin, or a misconfiguration
    #: that only the proxy has): each path then asserts its own expectations, and nothing is compared
    compare: bool = True
    #: False for timing faults (delays, a cut connection) that a vcrpy cassette cannot hold: such
    #: cases run against the in-process emulator even when the suite replays
    replayable: bool = True
    #: why the case cannot run against a real resource (it pins the local setup), or "" when it can;
    #: live runs also rule out other setups and fault markers (`harness.live.not_applicable_live`)
    offline_only: str = ""
    #: which of the runner's paths observes an item, where it is not the item's own (the fallback
    #: client stands in for the litellm item: {"litellm": "fallback"})
    via: Mapping[str, str] = field(default_factory=dict)
    #: False: the litellm item must equal the direct one at the level with no ledger at all (the
    #: fallback client's answer *is* Azure's)
    ledgered: bool = True

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
    requests: Mapping[str, Any] = field(default_factory=dict)
    #: every response header name each path saw (not compared; the upgrade gate diffs them)
    header_names: Mapping[str, list[str]] = field(default_factory=dict)

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
            "requests": self.requests,
            "header_names": {k: list(v) for k, v in self.header_names.items()},
        }


Sent = list[dict[str, Any]] | None  # None: that path's upstream requests could not be seen


def request_mismatches(direct: Sent, litellm: Sent) -> list[Mismatch]:
    """What LiteLLM sent Azure against what the application sent it directly, value by value.

    Compared at `exact` whatever the run's level: requests are inputs, deterministic on both
    paths even live. Paths read `upstream_requests[0].body.stream_options`. Skipped when a side
    could not be seen (an external proxy).
    """
    if direct is None or litellm is None:
        return []
    return diff({"upstream_requests": direct}, {"upstream_requests": litellm}, Level.EXACT)


@dataclass
class ContractRunner:
    """Session-wide: the paths, how calls meet the upstream, the ledger, the level and the version."""

    paths: Mapping[str, Path]
    capture: Capture
    ledger: Ledger
    level: Level
    litellm_version: str
    baselines: dict[str, tuple[Observation, Sent]] = field(default_factory=dict)
    #: seconds spent inside the SDK calls of the last `run`, per path; the rest is harness overhead
    call_seconds: dict[str, float] = field(default_factory=dict)
    #: called before each case, e.g. to clear the emulator's quota window and journal
    before_case: Callable[[], None] = lambda: None

    def observe(self, case: Case, ref: CaseRef, path: str) -> tuple[Observation, Sent]:
        __tracebackhide__ = True

        def call() -> Observation:
            started = time.perf_counter()
            try:
                return self.paths[case.via.get(path, path)].observe(case.scenario, ref.owner)
            finally:
                self.call_seconds[path] = time.perf_counter() - started

        return self.capture.observe(path, ref, call)

    def baseline(self, case: Case, ref: CaseRef) -> tuple[Observation, Sent]:
        __tracebackhide__ = True
        if ref.key not in self.baselines:
            self.baselines[ref.key] = self.observe(case, ref, "direct")
        return self.baselines[ref.key]

    def run(self, case: Case, ref: CaseRef, path: str, record: Callable[[CaseResult], None]) -> Observation:
        """Observe `case` on `path`; on litellm, compare and raise `ContractFailure` if unledgered."""
        __tracebackhide__ = True
        self.call_seconds = {}
        self.before_case()
        observation, sent = self.observe(case, ref, path)
        if path == "direct":
            self.baselines[ref.key] = (observation, sent)
        elif case.compare:
            direct, direct_sent = self.baseline(case, ref)
            mismatches = diff(direct.tree(), observation.tree(), self.level) + request_mismatches(direct_sent, sent)
            ledger = self.ledger if case.ledgered else Ledger(path=self.ledger.path, entries=())
            calls = [c.kind for c in direct.calls] if isinstance(direct, SequenceObservation) else []
            unledgered, covered = ledger.split(mismatches, ref.key, direct.kind, self.litellm_version, calls)
            record(
                CaseResult(
                    case=ref.key,
                    level=str(self.level),
                    observation=direct.kind,
                    scoped=tuple(
                        ledger.scoped_ids(
                            ref.key,
                            direct.kind,
                            self.litellm_version,
                            requests_compared=direct_sent is not None and sent is not None,
                            level=self.level,
                            calls=calls,
                        )
                    ),
                    covered={k: [m.path for m in v] for k, v in covered.items()},
                    unledgered=[m.describe() for m in unledgered],
                    direct=direct.tree(),
                    litellm=observation.tree(),
                    requests={"direct": direct_sent, "litellm": sent},
                    header_names={"direct": list(direct.header_names), "litellm": list(observation.header_names)},
                )
            )
            if unledgered:
                raise ContractFailure(
                    ref.key,
                    self.level,
                    unledgered,
                    note=f"{sum(len(v) for v in covered.values())} more covered by the ledger",
                )
        if case.expect is not None:
            case.expect(observation)
        if path in case.expect_path:
            case.expect_path[path](observation)
        return observation
