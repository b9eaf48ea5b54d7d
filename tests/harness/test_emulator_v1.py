"""The v1 chat path (`/openai/v1/chat/completions`): the deployment from `model`, no dated
api-version, the versioned path's shape and stream, and the v1 headers; raw and via `openai.OpenAI`."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

from harness.emulator import RunningEmulator, errors

from .conftest import user

PATH = "/openai/v1/chat/completions"
CHAT_KEYS = ["choices", "created", "id", "model", "object", "prompt_filter_results", "system_fingerprint", "usage"]


@pytest.fixture
def v1(azure_emulator: RunningEmulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=azure_emulator.url + "/openai/v1/", api_key=azure_emulator.api_key, max_retries=0)


def post(raw, params: dict[str, str] | None = None, **body):
    body.setdefault("model", "chat")
    body.setdefault("messages", user("hello v1"))
    return raw(PATH, json=body, params=params or {})


def test_no_api_version_needed_and_same_shape_as_the_versioned_path(raw):
    response = post(raw)
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == CHAT_KEYS
    assert body["model"] == "gpt-4o-2024-08-06" and body["object"] == "chat.completion"
    assert body["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]["detected"] is False
    assert body["choices"][0]["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    versioned = raw(
        "/openai/deployments/chat/chat/completions",
        json={"messages": user("hello v1")},
        params={"api-version": "2025-04-01-preview"},
    )
    message = dict(body["choices"][0]["message"])
    assert message.pop("annotations") == []  # the v1 surface's own addition (recorded, R23)
    assert versioned.json()["choices"][0]["message"] == message
    assert "api-supported-versions" not in versioned.headers


def test_v1_headers(raw):
    headers = post(raw).headers
    assert headers["api-supported-versions"] == "1"
    assert int(headers["x-envoy-upstream-service-time"]) >= 1
    assert headers["x-ms-deployment-name"] == "chat" and headers["apim-request-id"]


@pytest.mark.parametrize("version", ["v1", "preview"])
def test_accepted_api_versions(raw, version):
    assert post(raw, {"api-version": version}).status_code == 200


@pytest.mark.parametrize("version", ["2024-10-21", "2025-04-01-preview", "latest", "v2"])
def test_other_api_versions_are_refused(raw, v1, version):
    response = post(raw, {"api-version": version})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "BadRequest", "message": "API version not supported"}}
    with pytest.raises(openai.BadRequestError):
        v1.chat.completions.create(model="chat", messages=user("x"), extra_query={"api-version": version})


def test_sdk_non_stream(v1):
    response = v1.chat.completions.create(model="gpt-4o-mini", messages=user("hello sdk"))
    assert response.model == "gpt-4o-mini-2024-07-18"
    assert response.choices[0].message.content and response.choices[0].finish_reason == "stop"
    assert response.model_extra and response.model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    raw_response = v1.chat.completions.with_raw_response.create(model="chat", messages=user("hi"))
    assert raw_response.headers["api-supported-versions"] == "1"


def test_raw_stream_is_the_versioned_stream(raw):
    response = post(raw, stream=True, stream_options={"include_usage": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = response.text.split("\n\n")[:-1]
    assert all(b.startswith("data: ") for b in blocks) and blocks[-1] == "data: [DONE]"
    chunks = [json.loads(b[len("data: ") :]) for b in blocks[:-1]]
    assert chunks[0]["choices"] == [] and chunks[0]["prompt_filter_results"]
    assert chunks[1]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    plain = post(raw).json()["choices"][0]["message"]["content"]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[1:-1]) == plain


def test_sdk_stream(v1):
    plain = v1.chat.completions.create(model="chat", messages=user("stream over v1"))
    stream = v1.chat.completions.create(model="chat", messages=user("stream over v1"), stream=True)
    chunks = list(stream)
    assert chunks[0].choices == [] and chunks[0].model_extra and "prompt_filter_results" in chunks[0].model_extra
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_deployment_from_model_errors(raw, v1):
    missing = raw(PATH, json={"messages": user("x")}, params={})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "model"
    unknown = post(raw, model="nope")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": {"code": "DeploymentNotFound", "message": errors.DEPLOYMENT_NOT_FOUND}}
    with pytest.raises(openai.NotFoundError):
        v1.chat.completions.create(model="nope", messages=user("x"))


def test_credentials_on_v1(raw, azure_emulator: RunningEmulator):
    token = openai.OpenAI(
        base_url=azure_emulator.url + "/openai/v1/", api_key=azure_emulator.mint_token(), max_retries=0
    ).chat.completions.create(model="chat", messages=user("token"))
    assert token.choices[0].message.content
    wrong = raw(PATH, json={"model": "chat", "messages": user("x")}, params={}, headers={"api-key": "wrong"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "401"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            base_url=azure_emulator.url + "/openai/v1/", api_key="wrong", max_retries=0
        ).chat.completions.create(model="chat", messages=user("x"))


def test_async_v1_client(azure_emulator: RunningEmulator):
    async def call() -> tuple[str, str]:
        client = openai.AsyncOpenAI(
            base_url=azure_emulator.url + "/openai/v1/", api_key=azure_emulator.api_key, max_retries=0
        )
        async with client:
            made = await client.chat.completions.create(model="chat", messages=user("async v1"))
            stream = await client.chat.completions.create(model="chat", messages=user("async v1"), stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            return made.choices[0].message.content or "", text

    made, streamed = asyncio.run(call())
    assert made and made == streamed
