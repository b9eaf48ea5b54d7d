"""The emulator's Responses API: Azure's response object, stored conversations, tools, structured
output, streaming and errors, over raw HTTP and through the openai SDK."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import jsonschema
import openai
import pytest

from harness.emulator import Emulator, EmulatorConfig, EmulatorTransport, RunningEmulator, errors

VERSION = "2025-04-01-preview"
PATH = "/openai/responses"
KEYS = [
    "id",
    "object",
    "created_at",
    "status",
    "background",
    "content_filters",
    "error",
    "incomplete_details",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "model",
    "output",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt_cache_key",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_p",
    "truncation",
    "usage",
    "user",
    "metadata",
]
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
}
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def create(raw, **body):
    body.setdefault("model", "chat")
    return raw(PATH, json=body, params={"api-version": VERSION})


def get(azure_emulator: RunningEmulator, response_id: str, method: str = "GET") -> httpx.Response:
    return httpx.request(
        method,
        f"{azure_emulator.url}{PATH}/{response_id}",
        params={"api-version": VERSION},
        headers={"api-key": azure_emulator.api_key},
    )


@pytest.fixture
def sdk(make_client) -> openai.AzureOpenAI:
    return make_client(api_version=VERSION)


def sse(response: httpx.Response) -> list[dict]:
    """Parse Azure's Responses SSE framing strictly: `event:` then `data:`, a blank line, no [DONE]."""
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    blocks = response.text.split("\n\n")
    assert blocks[-1] == ""
    events = []
    for block in blocks[:-1]:
        event_line, data_line = block.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        payload = json.loads(data_line[len("data: ") :])
        assert payload["type"] == event_line[len("event: ") :]
        events.append(payload)
    assert "[DONE]" not in response.text
    return events


def test_body_has_azures_keys_and_ids(raw, sdk):
    response = create(raw, input="hello there", instructions="Be brief.")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == KEYS
    assert re.fullmatch(r"resp_[0-9a-f]{48}", body["id"])
    assert body["object"] == "response" and body["status"] == "completed" and body["model"] == "chat"
    assert body["instructions"] == "Be brief." and body["service_tier"] == "default" and body["store"] is True
    assert body["reasoning"] == {"effort": None, "summary": None} and body["text"] == {"format": {"type": "text"}}
    (item,) = body["output"]
    assert list(item) == ["id", "type", "status", "content", "role"]
    assert re.fullmatch(r"msg_[0-9a-f]{48}", item["id"]) and item["status"] == "completed"
    assert item["content"][0]["type"] == "output_text" and item["content"][0]["annotations"] == []
    usage = body["usage"]
    assert list(usage) == [
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    ]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] and usage["output_tokens"] > 0
    headers = response.headers
    assert headers["x-ms-deployment-name"] == "chat" and "azureml-model-session" not in headers
    for name in (
        "apim-request-id",
        "x-request-id",
        "x-ms-region",
        "x-ms-client-request-id",
        "x-ratelimit-limit-tokens",
    ):
        assert headers.get(name), name
    assert headers.get("x-ratelimit-remaining-requests")
    via_sdk = sdk.responses.create(model="chat", input="hello there", instructions="Be brief.")
    assert via_sdk.model == "chat" and via_sdk.output_text == item["content"][0]["text"]  # deterministic
    assert via_sdk.usage is not None and via_sdk.usage.input_tokens == usage["input_tokens"]


def test_message_list_input(raw, sdk):
    messages = [
        {"role": "developer", "content": "Answer plainly."},
        {"role": "user", "content": [{"type": "input_text", "text": "What is a proxy?"}]},
    ]
    first = create(raw, input=messages).json()["output"][0]["content"][0]["text"]
    assert first == create(raw, input=messages).json()["output"][0]["content"][0]["text"]
    assert first != create(raw, input="Something else entirely").json()["output"][0]["content"][0]["text"]
    assert sdk.responses.create(model="chat", input=messages).output_text == first  # type: ignore[arg-type]


def test_retrieve_and_delete(raw, sdk, azure_emulator):
    body = create(raw, input="keep me").json()
    fetched = get(azure_emulator, body["id"])
    assert fetched.status_code == 200 and fetched.json() == body
    deleted = get(azure_emulator, body["id"], "DELETE")
    assert deleted.json() == {"id": body["id"], "object": "response.deleted", "deleted": True}
    gone = get(azure_emulator, body["id"])
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == f"Response with id '{body['id']}' not found."
    made = sdk.responses.create(model="chat", input="keep me too")
    assert sdk.responses.retrieve(made.id).output_text == made.output_text
    sdk.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(made.id)


def test_store_false_is_not_kept_and_reset_forgets(raw, azure_emulator):
    unstored = create(raw, input="ephemeral", store=False).json()
    assert unstored["store"] is False and get(azure_emulator, unstored["id"]).status_code == 404
    stored = create(raw, input="kept").json()
    azure_emulator.emulator.reset()
    assert get(azure_emulator, stored["id"]).status_code == 404


def test_store_is_bounded():
    emulator = Emulator(EmulatorConfig(api_keys=("k",), max_stored_responses=2))
    client = openai.AzureOpenAI(
        azure_endpoint="http://emulator.invalid",
        api_key="k",
        api_version=VERSION,
        http_client=httpx.Client(transport=EmulatorTransport(emulator)),
    )
    ids = [client.responses.create(model="chat", input=f"turn {i}").id for i in range(3)]
    assert len(emulator.responses) == 2
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(ids[0])
    assert client.responses.retrieve(ids[2]).id == ids[2]


def test_previous_response_id_prepends_the_conversation(raw, sdk):
    first = create(raw, input="My name is Ada.").json()
    follow = create(raw, input="What is my name?", previous_response_id=first["id"]).json()
    again = create(raw, input="What is my name?", previous_response_id=first["id"]).json()
    fresh = create(raw, input="What is my name?").json()
    assert follow["previous_response_id"] == first["id"]
    assert follow["output"][0]["content"][0]["text"] == again["output"][0]["content"][0]["text"]
    assert follow["output"][0]["content"][0]["text"] != fresh["output"][0]["content"][0]["text"]
    assert follow["usage"]["input_tokens"] > fresh["usage"]["input_tokens"]
    via_sdk = sdk.responses.create(model="chat", input="What is my name?", previous_response_id=first["id"])
    assert via_sdk.output_text == follow["output"][0]["content"][0]["text"]


def test_unknown_previous_response_is_azures_400(raw, sdk):
    response = create(raw, input="x", previous_response_id="resp_missing")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Previous response with id 'resp_missing' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.responses.create(model="chat", input="x", previous_response_id="resp_missing")
    assert caught.value.code == "previous_response_not_found"


def _check_call(item: dict) -> dict:
    assert list(item) == ["id", "type", "status", "arguments", "call_id", "name"]
    assert re.fullmatch(r"fc_[0-9a-f]{48}", item["id"]) and item["call_id"].startswith("call_")
    assert item["name"] == "get_weather" and item["status"] == "completed"
    arguments = json.loads(item["arguments"])
    jsonschema.validate(arguments, WEATHER["parameters"])
    return arguments


def test_function_call_round_trip(raw, sdk):
    asked = create(raw, input="What is the weather in Oslo? use get_weather", tools=[WEATHER]).json()
    (call,) = asked["output"]
    _check_call(call)
    assert asked["tools"][0]["name"] == "get_weather" and asked["tools"][0]["strict"] is True
    answer = create(
        raw,
        tools=[WEATHER],
        previous_response_id=asked["id"],
        input=[{"type": "function_call_output", "call_id": call["call_id"], "output": '{"temp": 12}'}],
    ).json()
    assert answer["output"][0]["type"] == "message" and answer["output"][0]["content"][0]["text"]
    stateless = create(
        raw,
        tools=[WEATHER],
        input=[
            {"role": "user", "content": "Weather in Oslo?"},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'},
            {"type": "function_call_output", "call_id": "call_1", "output": "12C"},
        ],
    ).json()
    assert stateless["output"][0]["type"] == "message"
    orphan = create(raw, input=[{"type": "function_call_output", "call_id": "call_x", "output": "1"}])
    assert orphan.status_code == 400 and orphan.json()["error"]["param"] == "input"
    first = sdk.responses.create(model="chat", input="weather in Rome", tools=[WEATHER])  # type: ignore[list-item]
    fn = first.output[0]
    assert fn.type == "function_call"
    then = sdk.responses.create(
        model="chat",
        previous_response_id=first.id,
        tools=[WEATHER],  # type: ignore[list-item]
        input=[{"type": "function_call_output", "call_id": fn.call_id, "output": "sunny"}],
    )
    assert then.output_text


def test_json_schema_output_validates(raw, sdk):
    fmt = {"type": "json_schema", "name": "person", "schema": PERSON, "strict": True}
    body = create(raw, input="Invent a person.", text={"format": fmt}).json()
    jsonschema.validate(json.loads(body["output"][0]["content"][0]["text"]), PERSON)
    assert body["text"]["format"]["type"] == "json_schema" and body["text"]["format"]["name"] == "person"
    via_sdk = sdk.responses.create(model="chat", input="Invent another person.", text={"format": fmt})  # type: ignore[arg-type]
    jsonschema.validate(json.loads(via_sdk.output_text), PERSON)


def test_max_output_tokens_makes_it_incomplete(raw, sdk):
    prompt = "Write a long story about the harbor."
    full = create(raw, input=prompt).json()
    assert full["usage"]["output_tokens"] > 16  # precondition for the cut below
    cut = create(raw, input=prompt, max_output_tokens=16).json()
    assert cut["status"] == "incomplete" and cut["incomplete_details"] == {"reason": "max_output_tokens"}
    assert cut["output"][0]["status"] == "incomplete" and cut["usage"]["output_tokens"] == 16
    assert cut["max_output_tokens"] == 16
    via_sdk = sdk.responses.create(model="chat", input=prompt, max_output_tokens=16)
    assert via_sdk.status == "incomplete" and via_sdk.incomplete_details is not None
    too_small = create(raw, input=prompt, max_output_tokens=5)
    assert too_small.status_code == 400 and too_small.json()["error"]["param"] == "max_output_tokens"


EXPECTED_ORDER_HEAD = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
]
EXPECTED_ORDER_TAIL = [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_stream_order_sequence_and_snapshots(raw):
    plain = create(raw, input="stream me a sentence").json()
    events = sse(create(raw, input="stream me a sentence", stream=True))
    types = [e["type"] for e in events]
    assert types[:4] == EXPECTED_ORDER_HEAD and types[-4:] == EXPECTED_ORDER_TAIL
    assert set(types[4:-4]) == {"response.output_text.delta"} and len(types[4:-4]) > 1
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    for early in events[:2]:
        assert early["response"]["usage"] is None and early["response"]["service_tier"] == "auto"
        assert early["response"]["status"] == "in_progress" and early["response"]["output"] == []
    added = events[2]
    assert added["output_index"] == 0 and added["item"]["status"] == "in_progress" and added["item"]["content"] == []
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == events[-4]["text"] == plain["output"][0]["content"][0]["text"]
    completed = events[-1]["response"]
    assert completed["usage"]["total_tokens"] > 0 and completed["service_tier"] == "default"
    assert completed["status"] == "completed" and completed["output"][0]["content"][0]["text"] == text


def test_function_call_stream(raw):
    events = sse(create(raw, input="use get_weather for Paris", tools=[WEATHER], stream=True))
    types = [e["type"] for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-3:] == ["response.function_call_arguments.done", "response.output_item.done", "response.completed"]
    assert set(types[3:-3]) == {"response.function_call_arguments.delta"}
    arguments = "".join(e["delta"] for e in events if e["type"].endswith("arguments.delta"))
    assert arguments == events[-3]["arguments"] == events[-1]["response"]["output"][0]["arguments"]
    _check_call(events[-1]["response"]["output"][0])


def test_sdk_stream_events(sdk):
    stream = sdk.responses.create(model="chat", input="stream me a sentence", stream=True)
    events = list(stream)
    assert [e.type for e in events][:4] == EXPECTED_ORDER_HEAD
    assert events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == events[-1].response.output_text
    with sdk.responses.stream(model="chat", input="stream me a sentence") as helper:
        final = helper.get_final_response()
    assert final.output_text == text


def test_stream_cut_mid_event_stream(raw, sdk):
    with pytest.raises(httpx.RemoteProtocolError):
        create(raw, input="[[fault:cut-stream=3]] cut me", stream=True)
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        for _ in sdk.responses.create(model="chat", input="[[fault:cut-stream=3]] cut me", stream=True):
            pass
    slow = sse(create(raw, input="[[fault:chunk-delay=0.01]] slow", stream=True))
    assert slow[-1]["type"] == "response.completed"
    malformed = create(raw, input="[[fault:malformed-sse]] break", stream=True).text.split("\n\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed[2].split("\n")[1][len("data: ") :])


def test_async_client_and_stream(azure_emulator: RunningEmulator):
    async def call() -> tuple[str, list[str]]:
        client = openai.AsyncAzureOpenAI(
            azure_endpoint=azure_emulator.url, api_key=azure_emulator.api_key, api_version=VERSION, max_retries=0
        )
        async with client:
            made = await client.responses.create(model="chat", input="async hello")
            stream = await client.responses.create(model="chat", input="async hello", stream=True)
            types = [event.type async for event in stream]
            return made.output_text, types

    text, types = asyncio.run(call())
    assert text and types[0] == "response.created" and types[-1] == "response.completed"


def test_errors_in_azures_envelopes(raw, sdk, make_client, azure_emulator):
    missing = create(raw, model="nope", input="x")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "DeploymentNotFound"
    with pytest.raises(openai.NotFoundError):
        sdk.responses.create(model="nope", input="x")
    bad_key = raw(
        PATH, json={"model": "chat", "input": "x"}, params={"api-version": VERSION}, headers={"api-key": "no"}
    )
    assert bad_key.status_code == 401 and bad_key.json() == {"error": {"code": "401", "message": errors.INVALID_KEY}}
    with pytest.raises(openai.AuthenticationError):
        make_client(api_version=VERSION, api_key="no").responses.create(model="chat", input="x")
    token = azure_emulator.mint_token("expired")
    bad_token = raw(
        PATH,
        json={"model": "chat", "input": "x"},
        params={"api-version": VERSION},
        headers={"api-key": None, "authorization": f"Bearer {token}"},
    )
    assert bad_token.status_code == 401 and bad_token.json() == {"statusCode": 401, "message": errors.BAD_TOKEN}
    with pytest.raises(openai.AuthenticationError):
        make_client(api_version=VERSION, azure_ad_token=token).responses.create(model="chat", input="x")
    on_embeddings = create(raw, model="embeddings", input="x")
    assert on_embeddings.status_code == 400 and on_embeddings.json()["error"]["code"] == "OperationNotSupported"


def test_stream_options_is_rejected_as_on_azure(raw, sdk):
    """LiteLLM #28553: Azure's Responses API rejects the chat-only `stream_options.include_usage`."""
    response = create(raw, input="x", stream=True, stream_options={"include_usage": True})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "Unknown parameter: 'stream_options.include_usage'.",
            "type": "invalid_request_error",
            "param": "stream_options.include_usage",
            "code": "unknown_parameter",
        }
    }
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.responses.create(
            model="chat", input="x", stream=True, extra_body={"stream_options": {"include_usage": True}}
        )
    assert caught.value.param == "stream_options.include_usage"


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"foo": 1}, "foo", "unknown_parameter"),
        ({"messages": []}, None, "unsupported_parameter"),
        ({"temperature": 3}, "temperature", "decimal_above_max_value"),
        ({"tool_choice": "sometimes", "tools": [WEATHER]}, "tool_choice", "invalid_value"),
        ({"text": {"format": {"type": "json_schema"}}}, "text.format.name", "missing_required_parameter"),
    ],
)
def test_unsupported_parameters_name_their_param(raw, sdk, extra, param, code):
    response = create(raw, input="x", **extra)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and error["code"] == code and error["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError):
        sdk.responses.create(model="chat", input="x", extra_body=extra)


def test_missing_model_is_the_recorded_bare_400(raw):
    response = raw(PATH, json={"input": "x"}, params={"api-version": VERSION})
    assert response.status_code == 400 and "content-type" not in response.headers
    assert response.content == b'{\n  "error": {\n    "message": "Missed model deployment"\n  }\n}'
    assert response.json() == {"error": {"message": "Missed model deployment"}}


def test_api_versions(raw, make_client):
    assert raw(PATH, json={"model": "chat", "input": "x"}, params={}).status_code == 404
    unknown = raw(PATH, json={"model": "chat", "input": "x"}, params={"api-version": "2019-01-01"})
    assert unknown.status_code == 400 and unknown.json()["error"]["message"] == "API version not supported"
    old = raw(PATH, json={"model": "chat", "input": "x"}, params={"api-version": "2024-10-21"})
    assert old.status_code == 404
    assert old.json()["error"]["message"] == "Invalid URL (POST /v1/responses)"
    with pytest.raises(openai.NotFoundError):
        make_client(api_version="2024-10-21").responses.create(model="chat", input="x")
    assert raw(PATH, json={"model": "chat", "input": "x"}, params={"api-version": "2025-03-01-preview"}).is_success


def test_v1_responses(azure_emulator: RunningEmulator, raw):
    client = openai.OpenAI(base_url=azure_emulator.url + "/openai/v1/", api_key=azure_emulator.api_key, max_retries=0)
    made = client.responses.create(model="gpt-4o-mini", input="v1 hello")
    assert made.model == "gpt-4o-mini"
    assert client.responses.retrieve(made.id).id == made.id
    client.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)
    response = raw("/openai/v1/responses", json={"model": "chat", "input": "x"}, params={"api-version": "preview"})
    assert response.status_code == 200 and response.headers["api-supported-versions"] == "1"
