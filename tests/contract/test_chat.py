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

from harness import Case, Scenario, expect

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
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Local time in a time zone",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    },
}
PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age", "tags"],
    "additionalProperties": False,
}
LONG_PROMPT = "Summarize this incident report. " + " ".join(
    f"At step {i} the gateway retried the request against the regional endpoint and logged the latency."
    for i in range(120)
)


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _tool_round_trip() -> list[dict]:
    call = {
        "id": "call_weather_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris","unit":"celsius"}'},
    }
    return [
        *user("What's the weather in Paris?"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_weather_1", "content": '{"temperature": 21, "sky": "clear"}'},
    ]


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
        "seed-temperature-0",
        Scenario({"messages": user("Pick a colour."), "seed": 42, "temperature": 0}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "tool-call",
        Scenario({"messages": user("What's the weather in Paris?"), "tools": [WEATHER]}),
        expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("get_weather")),
    ),
    Case(
        "tool-choice-none",
        Scenario({"messages": user("What's the weather in Paris?"), "tools": [WEATHER], "tool_choice": "none"}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "tool-choice-required",
        Scenario({"messages": user("Tell me something."), "tools": [WEATHER, TIME], "tool_choice": "required"}),
        expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("get_weather")),
    ),
    Case(
        "tool-choice-named",
        Scenario(
            {
                "messages": user("What's the weather in Oslo?"),
                "tools": [WEATHER, TIME],
                "tool_choice": {"type": "function", "function": {"name": "get_time"}},
            }
        ),
        expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("get_time")),
    ),
    Case(
        "parallel-tool-calls",
        Scenario({"messages": user("Use get_weather and get_time for Lima."), "tools": [WEATHER, TIME]}),
        expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("get_weather", "get_time")),
    ),
    Case(
        "tool-result-final-answer",
        Scenario({"messages": _tool_round_trip(), "tools": [WEATHER]}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "json-object",
        Scenario(
            {"messages": user("Describe a deployment as a json object."), "response_format": {"type": "json_object"}}
        ),
        expect.all_of(expect.finish_reason("stop"), expect.json_content()),
    ),
    Case(
        "json-schema-strict",
        Scenario(
            {
                "messages": user("Invent a person."),
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "person", "strict": True, "schema": PERSON_SCHEMA},
                },
            }
        ),
        expect.all_of(expect.finish_reason("stop"), expect.json_content(PERSON_SCHEMA)),
    ),
    Case(
        "logprobs",
        Scenario({"messages": user("One word about tokens."), "logprobs": True, "top_logprobs": 2, "max_tokens": 6}),
        expect.all_of(expect.finish_reason("length"), expect.logprobs(top=2)),
    ),
    Case(
        "user",
        Scenario({"messages": user("Who is calling?"), "user": "contract-suite-user-42"}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "unicode-emoji",
        Scenario({"messages": user("Grüße aus Zürich 👋 — что нового? 日本語もOK 🚀")}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "long-prompt",
        Scenario({"messages": user(LONG_PROMPT)}),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "async-client",
        Scenario({"messages": user("Say hello asynchronously.")}, use_async=True),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_chat(case: Case, contract) -> None:
    contract.run(case)
