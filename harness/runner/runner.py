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

from harness.contract.case import Case, CaseResult
from harness.contract.compare import ContractFailure, Level, Mismatch, diff
from harness.contract.judgement import judge
from harness.contract.ledger import Ledger
from harness.contract.observe import Observation, SequenceObservation, number_ids
from harness.paths.clients import Path
from harness.replay.recording import ROUTED_TO, Capture, CaseRef

Sent = list[dict[str, Any]] | None  # None: that path's upstream requests could not be seen
#: how long a litellm item whose client gave up waits for the proxy's requests to reach Azure
#: (`Case.client_gives_up`): reached only when the proxy sends fewer than the direct path did
CLIENT_GONE_DEADLINE_S = 10.0


def no_premise(case: Case) -> str:
    """Every premise holds: the cases are written for the harness's own setups."""
    return ""


def request_mismatches(direct: Sent, litellm: Sent) -> list[Mismatch]:
    """What LiteLLM sent Azure against what the application sent it directly, value by value.

    Compared at `exact` whatever the run's level: requests are inputs, deterministic on both
    paths even live, but for the ids Azure minted (a stored response's), numbered by first use
    (`harness.contract.observe.number_ids`). Paths read `upstream_requests[0].body.stream_options`.
    Skipped when a side could not be seen (an external proxy).
    """
    if direct is None or litellm is None:
        return []
    return diff(
        {"upstream_requests": number_ids(_compared(direct))},
        {"upstream_requests": number_ids(_compared(litellm))},
        Level.EXACT,
    )


def _compared(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A request as compared: sent to its model group (the deployment the router chose is a fact of its
    own, `routed`, and never a mismatch: LiteLLM defines a group's deployments as interchangeable)."""
    return [{k: v for k, v in request.items() if k != ROUTED_TO} for request in sent]


def routed(sent: Sent) -> list[str]:
    """The deployments a path's requests reached where a group had several, in order."""
    return [str(r[ROUTED_TO]) for r in sent or [] if ROUTED_TO in r]


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
    #: waits until the upstream has been quiet for the given seconds (`Case.settle_s`; the emulator's)
    settle: Callable[[float], None] = lambda quiet_s: None
    #: waits until the upstream has received the given number of requests, or the deadline passed
    #: (`Case.client_gives_up`; the emulator's)
    received: Callable[[int, float], None] = lambda count, deadline_s: None
    #: config mode: the team's settings decide what its proxy answers, so on the litellm path of a
    #: compared case only the comparison and the team's ledger judge (a fallback may turn Azure's 429
    #: into a success on purpose); the case's own expectations still hold on the direct path
    judge_litellm_by_ledger: bool = False
    #: `--ledger-update`: unledgered differences are recorded for the ledger, not raised
    collect_unledgered: bool = False
    #: config mode: why the case's own expectations do not apply to the team's Azure surface, or ""
    #: (`harness.paths.premises`); the comparison still judges the litellm path
    unmet_premise: Callable[[Case], str] = field(default=no_premise)

    def observe(self, case: Case, ref: CaseRef, path: str) -> tuple[Observation, Sent]:
        __tracebackhide__ = True

        def call() -> Observation:
            started = time.perf_counter()
            try:
                observation = self.paths[case.via.get(path, path)].observe(case.scenario, ref.owner)
            finally:
                self.call_seconds[path] = time.perf_counter() - started
            if path == "litellm" and case.client_gives_up and (sent := self._baseline_sent(ref)) is not None:
                self.received(len(sent), CLIENT_GONE_DEADLINE_S)  # within the capture, as the settle below
            if case.settle_s and path == "litellm":
                self.settle(case.settle_s)  # within the capture: what the proxy still sends is the case's
            return observation

        observation, sent = self.capture.observe(path, ref, call)
        return (case.lens(observation) if case.lens is not None else observation), sent

    def _baseline_sent(self, ref: CaseRef) -> Sent:
        """What the direct path sent Azure in this case, if observed and known."""
        return self.baselines[ref.key][1] if ref.key in self.baselines else None

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
        if path == "litellm" and case.compare:
            # the direct path first: when recording, the proxy's upstream shares its answers, and those
            # must be this run's (`CassetteSession.recorded_direct`), whatever order the items ran in
            self.baseline(case, ref)
            self.before_case()
        if path == "direct" and ref.key in self.baselines:
            # the litellm item ran first and observed this path as its baseline: the same call on the
            # same upstream in this session, so the direct item judges that observation (a second call
            # proved only that the path repeats itself, and doubled the case's waits: a slow upstream,
            # a cut stream)
            observation, sent = self.baselines[ref.key]
        else:
            observation, sent = self.observe(case, ref, path)
        if path == "direct":
            self.baselines[ref.key] = (observation, sent)
        elif case.compare:
            direct, direct_sent = self.baseline(case, ref)
            mismatches = diff(direct.tree(), observation.tree(), self.level)
            if case.lens is None:  # a lens compares one aspect; the requests are the plain cases' business
                mismatches += request_mismatches(direct_sent, sent)
            ledger = self.ledger if case.ledgered else Ledger(path=self.ledger.path, entries=())
            calls = [c.kind for c in direct.calls] if isinstance(direct, SequenceObservation) else []
            verdict, unledgered = judge(
                mismatches,
                ledger,
                case=ref.key,
                observation=direct.kind,
                version=self.litellm_version,
                level=self.level,
                calls=calls,
                requests_compared=case.lens is None and direct_sent is not None and sent is not None,
            )
            record(
                CaseResult(
                    case=ref.key,
                    level=str(self.level),
                    observation=direct.kind,
                    scoped=tuple(verdict["scoped"]),
                    covered=verdict["covered"],
                    occurred=verdict["occurred"],
                    unledgered=verdict["unledgered"],
                    unledgered_detail=verdict["unledgered_detail"],
                    mismatches=verdict["mismatches"],
                    calls=verdict["calls"],
                    requests_compared=verdict["requests_compared"],
                    direct=direct.tree(),
                    litellm=observation.tree(),
                    requests={"direct": direct_sent, "litellm": sent},
                    header_names={"direct": list(direct.header_names), "litellm": list(observation.header_names)},
                    note=self.unmet_premise(case),
                )
            )
            if unledgered and not self.collect_unledgered:
                raise ContractFailure(
                    ref.key,
                    self.level,
                    unledgered,
                    note=f"{sum(len(v) for v in verdict['covered'].values())} more covered by the ledger",
                )
        if self.judge_litellm_by_ledger and path == "litellm" and case.compare:
            return observation
        if self.unmet_premise(case):
            return observation
        if case.expect is not None:
            case.expect(observation)
        if path in case.expect_path:
            case.expect_path[path](observation)
        return observation
