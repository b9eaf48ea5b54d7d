"""The emulator's SSE stream: Azure's framing on the wire, and what the SDK assembles from it."""

from __future__ import annotations

import json

import openai
import pytest

from .conftest import user
from .test_emulator_chat import TIME, WEATHER


def _events(response) -> list[str]:
    text = response.text
    assert text.endswith("\n\n")
    blocks = text.split("\n\n")[:-1]
    for block in blocks:
        assert block.startswith("data: ") and "\n" not in block, block  # no event:/id: lines
    return [block[len("data: ") :] for block in blocks]


def test_sse_framing_matches_azure(raw):
    response = raw(json={"messages": user("stream me"), "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    first = chunks[0]
    assert first["choices"] == [] and first["id"] == "" and first["model"] == "" and first["created"] == 0
    assert first["prompt_filter_results"][0]["content_filter_results"]["hate"]["filtered"] is False
    role = chunks[1]["choices"][0]
    assert role["delta"] == {"content": "", "role": "assistant"}  # no refusal at the GA 2024-10-21 (R11)
    assert role["finish_reason"] is None and role["logprobs"] is None
    content = chunks[2:-1]
    assert content and all(c["choices"][0]["content_filter_results"]["violence"]["severity"] == "safe" for c in content)
    assert all(c["choices"][0]["finish_reason"] is None and "logprobs" in c["choices"][0] for c in content)
    final = chunks[-1]["choices"][0]
    assert final["delta"] == {} and final["finish_reason"] == "stop"
    assert all("usage" not in c for c in chunks)
    assert {c["model"] for c in chunks[1:]} == {"gpt-4o-2024-08-06"}


def test_include_usage_adds_a_last_usage_chunk(raw):
    response = raw(json={"messages": user("count"), "stream": True, "stream_options": {"include_usage": True}})
    chunks = [json.loads(e) for e in _events(response)[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None for c in chunks[1:-1])


def test_stream_options_rejected_before_2024_09_01(raw):
    response = raw(
        json={"messages": user("x"), "stream": True, "stream_options": {"include_usage": True}},
        params={"api-version": "2024-06-01"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unrecognized request argument supplied: stream_options"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n": 2},
        {"max_tokens": 4},
        {"stop": ["."]},
        {"logprobs": True, "top_logprobs": 2},
        {"response_format": {"type": "json_object"}},
    ],
    ids=["plain", "n2", "length", "stop", "logprobs", "json"],
)
def test_assembled_stream_equals_non_stream(client, kwargs):
    messages = user("assemble this json answer")
    whole = client.chat.completions.create(model="chat", messages=messages, **kwargs)
    stream = client.chat.completions.create(
        model="chat", messages=messages, stream=True, stream_options={"include_usage": True}, **kwargs
    )
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    usage = None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert texts == {c.index: c.message.content for c in whole.choices}
    assert finishes == {c.index: c.finish_reason for c in whole.choices}
    assert usage == whole.usage


def test_tool_call_deltas_assemble_to_the_non_stream_calls(client):
    messages = user("get_weather and get_time for Lima")
    whole = client.chat.completions.create(model="chat", messages=messages, tools=[WEATHER, TIME])
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in client.chat.completions.create(model="chat", messages=messages, tools=[WEATHER, TIME], stream=True):
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.id or ""
                call["name"] += (delta.function.name or "") if delta.function else ""
                call["arguments"] += (delta.function.arguments or "") if delta.function else ""
    expected = {
        i: {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
        for i, c in enumerate(whole.choices[0].message.tool_calls)
    }
    assert calls == expected
    assert finish == "tool_calls"


def test_output_filter_mid_stream(raw):
    events = _events(raw(json={"messages": user("tell [[fault:filter-output=violence]]"), "stream": True}))
    chunks = [json.loads(e) for e in events[:-1]]
    flagged = [c for c in chunks[2:-1] if c["choices"][0]["content_filter_results"]["violence"]["filtered"]]
    assert len(flagged) == 1
    assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"


def test_cut_stream_raises_in_the_sdk(client):
    stream = client.chat.completions.create(model="chat", messages=user("x [[fault:cut-stream=3]]"), stream=True)
    seen = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            seen.append(chunk)
    assert len(seen) == 3


def test_malformed_sse_line_surfaces_as_an_error(client):
    # The SDK does not wrap a bad event in an APIError: it lets json's own error escape.
    stream = client.chat.completions.create(model="chat", messages=user("x [[fault:malformed-sse]]"), stream=True)
    with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
        list(stream)


def test_chunk_delay_then_stream_completes(client):
    stream = client.chat.completions.create(model="chat", messages=user("slow [[fault:chunk-delay=0.01]]"), stream=True)
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in stream)
