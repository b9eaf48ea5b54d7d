"""Contract: non-streaming chat completions.

What "the same behaviour" means here, at level `exact` (offline) or `shape` (live):
- outcome: a `ChatCompletion` on both paths (status 200), never an exception;
- the same fields present in the body, with the same types (`to_dict()`, i.e. what the server sent);
- the same number of choices, the same `finish_reason` per choice, the same message role;
- at `exact`: identical content, tool-call names and arguments, and usage;
- the Azure response headers an application reads (`x-ratelimit-*`, request ids) present on both.
Ids, timestamps and fingerprints are masked: present with the same type, any value.
Known, accepted differences are in `divergences.yaml`.
"""

from __future__ import annotations

import pytest

from harness import expect
from harness.clients import Scenario
from harness.contract import Case

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


CASES = [
    Case(
        "basic",
        Scenario({"messages": user("Say hello to the contract suite.")}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "system-prompt",
        Scenario(
            {
                "messages": [
                    {"role": "system", "content": "You are a terse assistant for platform engineers."},
                    *user("What does a proxy do?"),
                ]
            }
        ),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "multi-turn",
        Scenario(
            {
                "messages": [
                    *user("Name a river."),
                    {"role": "assistant", "content": "The Danube."},
                    *user("Which countries does it cross?"),
                ]
            }
        ),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "max-tokens-length",
        Scenario({"messages": user("Write a long story about quotas."), "max_tokens": 5}),
        expect.finish_reason("length"),
    ),
    Case(
        "stop-sequence",
        Scenario({"messages": user("Two sentences about gateways, please."), "stop": ["."]}),
        expect.all_of(expect.finish_reason("stop"), expect.text_lacks(".")),
    ),
    Case(
        "n-2",
        Scenario({"messages": user("Suggest a name for a region."), "n": 2}),
        expect.all_of(expect.n_choices(2), expect.finish_reason("stop")),
    ),
    Case(
        "tool-call",
        Scenario({"messages": user("What's the weather in Paris?"), "tools": [WEATHER]}),
        expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("get_weather")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_chat(case: Case, contract) -> None:
    contract.run(case)
