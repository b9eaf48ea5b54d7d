"""The emulator's non-streaming chat answers, driven with the real openai SDK."""

from __future__ import annotations

import asyncio
import json

import httpx
import jsonschema
import openai
import pytest

from harness.emulator import AsyncEmulatorTransport, Emulator, EmulatorTransport, RunningEmulator
from harness.emulator.text import count_tokens

from .conftest import API_VERSION, user

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    },
}


def test_body_has_azures_keys_and_model_version(raw):
    response = raw(json={"messages": user("hello")})
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == [
        "choices",
        "created",
        "id",
        "model",
        "object",
        "prompt_filter_results",
        "system_fingerprint",
        "usage",
    ]
    assert body["model"] == "gpt-4o-2024-08-06"
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert sorted(choice["content_filter_results"]) == [
        "hate",
        "protected_material_code",
        "protected_material_text",
        "self_harm",
        "sexual",
        "violence",
    ]
    assert choice["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    # at the GA 2024-10-21 the message is content and role only (R1, R9, R12, R25, R28)
    assert "refusal" not in choice["message"] and choice["message"]["role"] == "assistant"
    assert "annotations" not in choice["message"]  # 2024-10-21 predates annotations
    prompt_filter = body["prompt_filter_results"][0]
    assert prompt_filter["prompt_index"] == 0
    assert prompt_filter["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert sorted(usage) == ["completion_tokens", "prompt_tokens", "total_tokens"]  # no details at the GA (R1, R9)


def test_newer_api_version_has_refusal_not_annotations_older_lacks_usage_details(raw):
    newer = raw(json={"messages": user("hi")}, params={"api-version": "2025-04-01-preview"}).json()
    assert sorted(newer["choices"][0]["message"]) == ["content", "refusal", "role"]  # annotations: v1 only
    assert newer["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0
    older = raw(json={"messages": user("hi")}, params={"api-version": "2024-02-01"}).json()
    assert "completion_tokens_details" not in older["usage"]
    assert "protected_material_text" not in older["choices"][0]["content_filter_results"]


def test_azure_headers_and_unique_request_ids(raw):
    first, second = raw(json={"messages": user("hi")}), raw(json={"messages": user("hi")})
    for name in (
        "apim-request-id",
        "x-request-id",
        "x-ms-region",
        "x-ms-client-request-id",
        "azureml-model-session",
        "x-ms-rai-invoked",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-limit-requests",
        "x-ms-deployment-name",
    ):
        assert first.headers.get(name), name
    assert first.headers["apim-request-id"] != second.headers["apim-request-id"]
    assert first.json()["id"] != second.json()["id"]
    echoed = raw(json={"messages": user("hi")}, headers={"x-ms-client-request-id": "abc-123"})
    assert echoed.headers["x-ms-client-request-id"] == "abc-123"


def test_same_request_same_answer_different_messages_differ(client):
    one = client.chat.completions.create(model="chat", messages=user("tell me about rivers"))
    two = client.chat.completions.create(model="chat", messages=user("tell me about rivers"))
    other = client.chat.completions.create(model="chat", messages=user("tell me about bridges"))
    assert one.choices[0].message.content == two.choices[0].message.content
    assert one.usage == two.usage
    assert other.choices[0].message.content != one.choices[0].message.content


def test_seed_and_temperature_change_the_answer_deterministically(client):
    def ask(**kw):
        return client.chat.completions.create(model="chat", messages=user("seeded"), **kw).choices[0].message.content

    assert ask(seed=1, temperature=0) == ask(seed=1, temperature=0)
    assert ask(seed=1, temperature=0) != ask(seed=2, temperature=0)
    assert ask(seed=1, temperature=0) != ask(seed=1, temperature=1)


def test_max_tokens_and_max_completion_tokens_give_length(client):
    short = client.chat.completions.create(model="chat", messages=user("long story"), max_tokens=3)
    assert short.choices[0].finish_reason == "length"
    assert short.usage.completion_tokens == 3
    full = client.chat.completions.create(model="chat", messages=user("long story"))
    assert full.choices[0].message.content.startswith(short.choices[0].message.content)
    newer = client.chat.completions.create(model="chat", messages=user("long story"), max_completion_tokens=2)
    assert newer.choices[0].finish_reason == "length" and newer.usage.completion_tokens == 2


def test_max_completion_tokens_is_unknown_to_old_api_versions(make_client):
    old = make_client(api_version="2024-06-01")
    with pytest.raises(openai.BadRequestError) as caught:
        old.chat.completions.create(model="chat", messages=user("x"), max_completion_tokens=2)
    assert "Unrecognized request argument supplied: max_completion_tokens" in caught.value.message


def test_stop_sequence_cuts_before_it(client):
    full = client.chat.completions.create(model="chat", messages=user("two sentences please"))
    content = full.choices[0].message.content
    assert "." in content
    cut = client.chat.completions.create(model="chat", messages=user("two sentences please"), stop=["."])
    assert cut.choices[0].message.content == content.split(".")[0]
    assert cut.choices[0].finish_reason == "stop"


def test_n_gives_distinct_indexed_choices(client):
    response = client.chat.completions.create(model="chat", messages=user("pick"), n=3)
    assert [c.index for c in response.choices] == [0, 1, 2]
    assert len({c.message.content for c in response.choices}) == 3
    assert response.usage.completion_tokens == sum(count_tokens(c.message.content) for c in response.choices)


def test_auto_tool_call_has_arguments_that_fit_the_schema(client):
    response = client.chat.completions.create(model="chat", messages=user("weather in Paris?"), tools=[WEATHER])
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather" and call.id.startswith("call_")
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("none", None),
        ("required", ["get_weather"]),
        ({"type": "function", "function": {"name": "get_time"}}, ["get_time"]),
    ],
    ids=["none", "required", "named"],
)
def test_tool_choice(client, tool_choice, expected):
    response = client.chat.completions.create(
        model="chat", messages=user("what now?"), tools=[WEATHER, TIME], tool_choice=tool_choice
    )
    calls = response.choices[0].message.tool_calls
    assert (None if calls is None else [c.function.name for c in calls]) == expected
    assert response.choices[0].finish_reason == ("stop" if expected is None else "tool_calls")


def test_parallel_tool_calls_for_each_mentioned_function(client):
    ask = "use get_weather and get_time for Oslo"
    response = client.chat.completions.create(model="chat", messages=user(ask), tools=[WEATHER, TIME])
    names = [c.function.name for c in response.choices[0].message.tool_calls]
    assert names == ["get_weather", "get_time"]
    assert len({c.id for c in response.choices[0].message.tool_calls}) == 2
    single = client.chat.completions.create(
        model="chat", messages=user(ask), tools=[WEATHER, TIME], parallel_tool_calls=False
    )
    assert len(single.choices[0].message.tool_calls) == 1


def test_tool_result_gets_a_final_text_answer(client):
    first = client.chat.completions.create(model="chat", messages=user("weather in Rome"), tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    messages = [
        *user("weather in Rome"),
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'},
    ]
    final = client.chat.completions.create(model="chat", messages=messages, tools=[WEATHER])
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content


def test_json_object_output_parses(client):
    response = client.chat.completions.create(
        model="chat", messages=user("answer in json"), response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(response.choices[0].message.content), dict)


def test_json_object_requires_the_word_json(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="chat", messages=user("answer"), response_format={"type": "json_object"})
    assert caught.value.param == "messages"


def test_json_schema_output_validates(client):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "kind": {"enum": ["a", "b"]},
            "when": {"type": "string", "format": "date"},
            "nested": {"$ref": "#/$defs/inner"},
        },
        "required": ["name", "tags", "score", "kind", "when", "nested"],
        "additionalProperties": False,
        "$defs": {
            "inner": {
                "type": "object",
                "properties": {"ok": {"type": "boolean"}},
                "required": ["ok"],
                "additionalProperties": False,
            }
        },
    }
    response = client.chat.completions.create(
        model="chat",
        messages=user("describe"),
        response_format={"type": "json_schema", "json_schema": {"name": "thing", "strict": True, "schema": schema}},
    )
    jsonschema.validate(json.loads(response.choices[0].message.content), schema)


def test_json_schema_needs_a_recent_api_version(make_client):
    with pytest.raises(openai.BadRequestError) as caught:
        make_client(api_version="2024-06-01").chat.completions.create(
            model="chat",
            messages=user("x"),
            response_format={"type": "json_schema", "json_schema": {"name": "t", "schema": {"type": "object"}}},
        )
    assert caught.value.param == "response_format"


def test_logprobs_with_top_logprobs(client):
    response = client.chat.completions.create(
        model="chat", messages=user("probabilities"), logprobs=True, top_logprobs=3, max_tokens=5
    )
    content = response.choices[0].logprobs.content
    assert len(content) == 5
    assert "".join(item.token for item in content) == response.choices[0].message.content
    assert all(len(item.top_logprobs) == 3 and item.logprob <= 0 for item in content)
    assert all(item.top_logprobs[0].token == item.token for item in content)


def test_user_is_accepted_and_does_not_change_the_answer(client):
    plain = client.chat.completions.create(model="chat", messages=user("who am i"))
    tagged = client.chat.completions.create(model="chat", messages=user("who am i"), user="user-42")
    assert plain.choices[0].message.content == tagged.choices[0].message.content


def test_v1_route_takes_the_deployment_from_model(azure_emulator: RunningEmulator):
    client = openai.OpenAI(
        base_url=azure_emulator.url + "/openai/v1/",
        api_key="unused",
        max_retries=0,
        default_headers={"api-key": azure_emulator.api_key},
    )
    response = client.chat.completions.create(model="gpt-4o-mini", messages=user("hi"))
    assert response.model == "gpt-4o-mini-2024-07-18"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="missing", messages=user("hi"))


def test_async_client_with_token(azure_emulator: RunningEmulator):
    async def call() -> str:
        client = openai.AsyncAzureOpenAI(
            azure_endpoint=azure_emulator.url,
            api_version=API_VERSION,
            azure_ad_token=azure_emulator.mint_token(),
            max_retries=0,
        )
        async with client:
            response = await client.chat.completions.create(model="chat", messages=user("async hello"))
            return response.choices[0].message.content or ""

    assert asyncio.run(call())


def test_in_process_transports_match_the_socket(azure_emulator: RunningEmulator, client):
    emulator = Emulator(azure_emulator.config)
    over_socket = client.chat.completions.create(model="chat", messages=user("same"), seed=3)
    sync_client = openai.AzureOpenAI(
        azure_endpoint="http://emulator.invalid",
        api_key=azure_emulator.api_key,
        api_version=API_VERSION,
        http_client=httpx.Client(transport=EmulatorTransport(emulator)),
    )
    in_process = sync_client.chat.completions.create(model="chat", messages=user("same"), seed=3)
    assert in_process.choices[0].message.content == over_socket.choices[0].message.content

    async def call() -> str | None:
        async_client = openai.AsyncAzureOpenAI(
            azure_endpoint="http://emulator.invalid",
            api_key=azure_emulator.api_key,
            api_version=API_VERSION,
            http_client=httpx.AsyncClient(transport=AsyncEmulatorTransport(emulator)),
        )
        response = await async_client.chat.completions.create(model="chat", messages=user("same"), seed=3)
        return response.choices[0].message.content

    assert asyncio.run(call()) == over_socket.choices[0].message.content
