"""A contract case, and what one litellm-path comparison of it found.

A case is the unit of the contract: an id, the scenario both paths perform, and what must hold on
each path on its own. `CaseResult` is plain data, so it crosses xdist workers and lands in the
parity report and the upgrade gate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.expect import Expectation
from harness.contract.scenario import Scenario


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
    #: what of each path's observation the case compares, where it is not what the application reads
    #: (`harness.contract.disclosure.disclosure_of`: what the path tells its client about the setup)
    lens: Callable[[Any], Any] | None = None
    #: seconds of quiet the litellm item waits for after its call: a proxy may go on retrying Azure after
    #: the application gave up (its own timeout came first), and those requests are this case's, both in
    #: what Azure received and so that none lands in the next case's window (0: none awaited)
    settle_s: float = 0.0
    #: the application gives up before Azure answers (its own timeout comes first): the litellm item waits,
    #: at most `runner.CLIENT_GONE_DEADLINE_S`, until Azure has received as many requests as the direct path
    #: sent it. The proxy may still be forwarding when its client leaves, and LiteLLM goes on with the call
    #: (1.108.7: a non-streaming call is cancelled on disconnect only under
    #: `general_settings.cancel_on_disconnect`, `litellm/proxy/common_request_processing.py`), so what
    #: reaches Azure does not depend on how soon the client gave up
    client_gives_up: bool = False

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
    #: the unledgered mismatches as data (path, kind, both values): `--ledger-update` writes entries from them
    unledgered_detail: list[dict[str, Any]] = field(default_factory=list)
    #: why the case's own expectations did not apply (config mode: the team's api-version), or ""
    note: str = ""
    #: every mismatch as a record, covered or not, with the entry that covered it
    #: (`harness.contract.judgement`): the comparison can be judged again against another ledger
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    #: a sequence's calls' kinds, and whether the upstream requests were compared (for judging again)
    calls: list[str] = field(default_factory=list)
    requests_compared: bool = True
    #: the comparison belongs to no case (the differential fuzz): entries cover it wherever they apply
    anywhere: bool = False
    #: every entry whose divergence occurred, also where an earlier entry claimed it (staleness)
    occurred: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "level": self.level,
            "observation": self.observation,
            "scoped": list(self.scoped),
            "covered": {k: list(v) for k, v in self.covered.items()},
            "occurred": list(self.occurred),
            "unledgered": list(self.unledgered),
            "direct": self.direct,
            "litellm": self.litellm,
            "requests": self.requests,
            "header_names": {k: list(v) for k, v in self.header_names.items()},
            "unledgered_detail": list(self.unledgered_detail),
            **({"note": self.note} if self.note else {}),
            "mismatches": list(self.mismatches),
            "calls": list(self.calls),
            "requests_compared": self.requests_compared,
            **({"anywhere": True} if self.anywhere else {}),
        }
