"""Contract: the Responses API, created, continued, retrieved, deleted and streamed.

What "the same behaviour" means here:
- a non-streamed response: the same body at `exact` (its ids, times and item ids masked): `status`,
  `output` items (messages with output text, function calls), `usage`, `incomplete_details`, `model`;
- a stream: the same event types in the same order (`response.created` ... `response.completed`),
  each event type with the same keys, sequence numbers from 0 rising by one, the same text, and the
  same final response;
- a stored response can be retrieved, continued with `previous_response_id`, and deleted, on both
  paths, with the ids the application was given;
- errors with the same SDK exception and status;
- what each path sent Azure.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect

from .test_chat import PERSON_SCHEMA

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def respond(params: dict, setup: str = "responses", **kw) -> Scenario:
    return Scenario(params, setup=setup, api="responses", **kw)


CASES = [
    Case("text-input", respond({"input": "Say hello to the contract suite."}), expect.response_status("completed")),
    Case(
        "messages-and-instructions",
        respond(
            {
                "instructions": "Answer in one short sentence.",
                "input": [{"role": "user", "content": "What does a proxy do?"}],
            }
        ),
        expect.response_status("completed"),
    ),
    Case(
        "function-call",
        respond({"input": "What is the weather in Paris? use get_weather", "tools": [WEATHER_TOOL]}),
        expect.function_call("get_weather"),
    ),
    Case(
        "function-call-output-round-trip",
        respond(
            {
                "input": [
                    {"role": "user", "content": "What's the weather in Paris?"},
                    {
                        "type": "function_call",
                        "call_id": "call_weather1",
                        "name": "get_weather",
                        "arguments": '{"city": "Paris"}',
                    },
                    {"type": "function_call_output", "call_id": "call_weather1", "output": '{"temp_c": 18}'},
                ],
                "tools": [WEATHER_TOOL],
            }
        ),
        expect.response_status("completed"),
    ),
    Case(
        "json-schema",
        respond(
            {
                "input": "Describe a person.",
                "text": {"format": {"type": "json_schema", "name": "person", "schema": PERSON_SCHEMA, "strict": True}},
            }
        ),
        expect.response_status("completed"),
    ),
    Case(
        "max-output-tokens-incomplete",
        respond({"input": "Write a very long story about gateways. [[fault:min-tokens=64]]", "max_output_tokens": 16}),
        expect.response_status("incomplete", text=True),
    ),
    Case(
        "store-and-continue",
        respond(
            {"input": "Remember the number 7.", "store": True},
            then=("continue",),
            extra={"next_input": "Which number did I ask you to remember?"},
        ),
        doc="The second call names the first with `previous_response_id`, the id the application was given.",
    ),
    Case(
        "retrieve-then-delete",
        respond({"input": "Keep this one.", "store": True}, then=("retrieve", "delete", "retrieve")),
        doc="Create, retrieve it by id, delete it, and retrieve it again (404).",
    ),
    Case(
        "async-client", respond({"input": "Hello from asyncio."}, use_async=True), expect.response_status("completed")
    ),
    Case("stream-text", respond({"input": "Stream a greeting."}, stream=True), expect.event_stream()),
    Case(
        "stream-function-call",
        respond({"input": "Weather in Oslo? use get_weather", "tools": [WEATHER_TOOL]}, stream=True),
        expect.event_stream(),
    ),
    Case(
        "stream-incomplete",
        respond({"input": "Stream a very long story. [[fault:min-tokens=64]]", "max_output_tokens": 16}, stream=True),
        expect.event_stream(last="response.incomplete"),
    ),
    Case(
        "stream-instructions",
        respond({"instructions": "Be brief.", "input": "Stream one sentence."}, stream=True),
        expect.event_stream(),
    ),
    Case(
        "stream-async",
        respond({"input": "Stream from asyncio."}, stream=True, use_async=True),
        expect.event_stream(),
    ),
    Case(
        "stream-cut-mid-event",
        respond(
            {"input": "Stream then break [[fault:chunk-delay=0.02]] [[fault:cut-stream=5]] [[fault:cut-delay=5]]"},
            stream=True,
            setup="responses",
        ),
        expect_path={
            "direct": expect.event_stream_broken(),
            # ledger: responses-stream-cut-becomes-response-failed
            "litellm": expect.event_stream(last="response.failed"),
        },
        replayable=False,
        doc="Azure drops the connection after 5 events, once the application has them: what each path's SDK "
        "raises. The wait is what makes it deterministic: the proxy reads through aiohttp, whose reader "
        "raises before returning data still buffered when the connection drops (aio-libs/aiohttp#3026), so "
        "events the proxy had not read yet (on its first Responses call it starts reading late) would be "
        "lost, and how many would depend on timing. The emulator waits for the harness's reader, at most "
        "5 s (harness.emulator.drain).",
    ),
    Case(
        "unknown-deployment",
        respond({"input": "Anyone there?"}, setup="responses-unknown-deployment"),
        expect.failure("NotFoundError", 404),
    ),
    Case(
        "wrong-key",
        respond({"input": "Wrong key."}, setup="responses-wrong-key"),
        expect.failure("AuthenticationError", 401),
    ),
    Case(
        "v1-path",
        respond({"input": "Hello over /openai/v1/."}, setup="v1"),
        expect.response_status("completed"),
        doc="Azure's GA v1 path: `/openai/v1/responses`, no api-version.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_responses(case: Case, contract) -> None:
    contract.run(case)
