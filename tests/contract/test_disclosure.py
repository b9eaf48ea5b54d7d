"""Contract: what each path tells its client about the setup behind it.

Not what the application reads, but what any holder of a key can learn from an answer
(`harness.contract.disclosure`): the upstream URL (behind a private endpoint, the resource's internal
address), the deployment name, internal model ids, the key's spend and limits, the proxy's version,
routing and timing figures, and router text in error messages. Direct Azure discloses none of these,
so every item the proxy adds is a divergence of kind `disclosure` in the ledger, with its impact and
the setting that turns it off where there is one (`examples/disclosure/` runs the proxy with them).
An item a new LiteLLM release adds fails here until it is reviewed.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect
from harness.contract.disclosure import disclosure_of

from .test_chat import user

#: what the proxy tells every client on a successful answer
ON_SUCCESS = ("resource-host", "deployment-name", "internal-ids", "versions", "spend", "routing", "timings")


def disclosure(name: str, scenario: Scenario, *litellm: str, doc: str) -> Case:
    return Case(
        name,
        scenario,
        expect_path={"direct": expect.discloses_nothing(), "litellm": expect.discloses(*litellm)},
        lens=disclosure_of,
        doc=doc,
    )


CASES = [
    disclosure(
        "chat",
        Scenario({"messages": user("What does the proxy tell me about itself?")}),
        *ON_SUCCESS,
        doc="A plain completion: the x-litellm-* headers on every successful answer.",
    ),
    disclosure(
        "stream",
        Scenario({"messages": user("Stream, and count."), "stream_options": {"include_usage": True}}, stream=True),
        *ON_SUCCESS,
        doc="A stream with usage: the same headers, and the spend estimate in the usage chunk.",
    ),
    disclosure(
        "error",
        Scenario({"messages": user("Too hot."), "temperature": 5}),
        "internal-ids",
        "spend",
        "router-text",
        doc="Azure's 400, relayed: the router's model group and fallback text in the message.",
    ),
    disclosure(
        "after-a-401",
        Scenario({"messages": user("Wrong key, twice.")}, setup="wrong-key", repeat=2),
        "internal-ids",
        "router-text",
        doc="A wrong key, then the same call again: the proxy's cooldown answer names its deployment ids.",
    ),
    disclosure(
        "private-endpoint",
        Scenario({"messages": user("Through the private endpoint.")}, setup="private-endpoint"),
        *ON_SUCCESS,
        doc="Behind a private endpoint, x-litellm-model-api-base is the resource's internal address.",
    ),
    disclosure(
        "embeddings",
        Scenario({"input": "what the proxy discloses"}, setup="embeddings", api="embeddings"),
        "resource-host",
        "versions",
        "spend",
        doc="Embeddings: the same headers.",
    ),
    disclosure(
        "responses",
        Scenario({"input": "What does the proxy tell me?"}, setup="responses", api="responses"),
        "resource-host",
        "versions",
        doc="The Responses API: the headers, and the spend estimate in `usage.cost`.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_disclosure(case: Case, contract) -> None:
    contract.run(case)
