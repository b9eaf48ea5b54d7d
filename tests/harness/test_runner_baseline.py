"""Each path of a case is observed once per session, whichever item runs first (runner.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.contract.case import Case
from harness.contract.compare import ContractFailure, Level
from harness.contract.ledger import Ledger
from harness.contract.observe import Observation, observe_response
from harness.contract.scenario import Scenario
from harness.replay.recording import CaseRef
from harness.runner.runner import ContractRunner


@dataclass
class CountingPath:
    """A path whose answer is fixed, counting its calls."""

    name: str
    content: str
    calls: int = 0

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        self.calls += 1
        body = {"choices": [{"message": {"role": "assistant", "content": self.content}}]}
        return observe_response(200, body, {})


class PassThrough:
    """A capture that only makes the call (what the upstream saw is not this test's business)."""

    def observe(self, path, ref, call):
        return call(), None


def runner(direct: CountingPath, litellm: CountingPath) -> ContractRunner:
    return ContractRunner(
        paths={"direct": direct, "litellm": litellm},
        capture=PassThrough(),
        ledger=Ledger(path=Path("divergences.yaml"), entries=()),
        level=Level.EXACT,
        litellm_version="1.108.7",
    )


CASE = Case("same", Scenario({"messages": []}))
REF = CaseRef("chat", "same", "tests/contract/test_chat.py")


@pytest.mark.parametrize("order", [("direct", "litellm"), ("litellm", "direct")])
def test_the_direct_path_is_observed_once_in_either_order(order):
    direct, litellm = CountingPath("direct", "hi"), CountingPath("litellm", "hi")
    contract = runner(direct, litellm)
    for path in order:
        contract.run(CASE, REF, path, lambda result: None)
    assert (direct.calls, litellm.calls) == (1, 1)


def test_the_direct_item_judges_the_baseline_the_litellm_item_took():
    """The reused observation is checked by the direct item's own expectations, as a fresh one was."""
    seen: list[Observation] = []
    case = Case("same", Scenario({"messages": []}), expect_path={"direct": seen.append})
    direct, litellm = CountingPath("direct", "hi"), CountingPath("litellm", "hi")
    contract = runner(direct, litellm)
    contract.run(case, REF, "litellm", lambda result: None)
    contract.run(case, REF, "direct", lambda result: None)
    assert len(seen) == 1 and seen[0] is contract.baselines[REF.key][0]


def test_a_difference_still_fails_the_litellm_item_whichever_ran_first():
    direct, litellm = CountingPath("direct", "hi"), CountingPath("litellm", "bye")
    with pytest.raises(ContractFailure):
        runner(direct, litellm).run(CASE, REF, "litellm", lambda result: None)
