"""A litellm item whose client gave up before Azure answered waits for the proxy's request to reach Azure
(`Case.client_gives_up`, runner.py), so what is compared does not depend on how soon the client left."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.contract.case import Case
from harness.contract.compare import ContractFailure, Level
from harness.contract.ledger import Ledger
from harness.contract.observe import Observation, observe_failure
from harness.contract.scenario import Scenario
from harness.replay.recording import CaseRef
from harness.replay.upstream import UpstreamTarget
from harness.runner.runner import ContractRunner

REQUEST = {"method": "POST", "path": "/openai/deployments/d/chat/completions"}


@dataclass
class GivingUpPath:
    """The application's timeout fired; Azure gets the request `late_s` after the client returned (0: before)."""

    journal: list[dict]
    late_s: float
    senders: list[threading.Timer] = field(default_factory=list)

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        if self.late_s:
            sender = threading.Timer(self.late_s, self.journal.append, args=(dict(REQUEST),))
            self.senders.append(sender)
            sender.start()
        else:
            self.journal.append(dict(REQUEST))
        return observe_failure(TimeoutError("Request timed out."))


@dataclass
class JournalCapture:
    """What Azure received during the call, as the emulator's journal says (`LiveCapture`)."""

    journal: list[dict]

    def observe(self, path, ref, call):
        observation = call()
        return observation, list(self.journal)


def contract(journal: list[dict], late_s: float) -> tuple[ContractRunner, GivingUpPath]:
    emulator = SimpleNamespace(emulator=SimpleNamespace(journal=journal))
    upstream = UpstreamTarget("emulator", {}, None, emulators=(emulator,))  # type: ignore[arg-type]
    proxy = GivingUpPath(journal, late_s)
    runner = ContractRunner(
        paths={"direct": GivingUpPath(journal, 0.0), "litellm": proxy},
        capture=JournalCapture(journal),
        ledger=Ledger(path=Path("divergences.yaml"), entries=()),
        level=Level.EXACT,
        litellm_version="1.108.7",
        before_case=journal.clear,
        received=upstream.received,
    )
    return runner, proxy


REF = CaseRef("errors", "slow", "tests/contract/test_errors.py")


def test_the_proxys_late_request_is_the_cases() -> None:
    journal: list[dict] = []
    runner, proxy = contract(journal, late_s=0.3)
    case = Case("slow", Scenario({"messages": []}), client_gives_up=True)
    try:
        runner.run(case, REF, "litellm", lambda result: None)  # no ContractFailure: one request on each path
    finally:
        for sender in proxy.senders:
            sender.cancel()


def test_without_the_wait_the_late_request_is_missed() -> None:
    """What the wait is for: the same proxy, judged as soon as its client returned, sent Azure nothing."""
    journal: list[dict] = []
    runner, proxy = contract(journal, late_s=0.3)
    try:
        with pytest.raises(ContractFailure, match="upstream"):
            runner.run(Case("slow", Scenario({"messages": []})), REF, "litellm", lambda result: None)
    finally:
        for sender in proxy.senders:
            sender.cancel()
