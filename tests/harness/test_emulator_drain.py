"""A cut stream waits for the harness's reader to have the events, not for a fixed delay (drain.py)."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest

from harness.contract.scenario import Scenario
from harness.emulator import drain, run_emulator
from harness.paths.sdk import observe_sync
from harness.paths.sdk_http import sync_http_client


def chat_frame(content: str | None) -> bytes:
    delta = {} if content is None else {"content": content}
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode() + b"\n\n"


def responses_frame(kind: str, **fields: object) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()


def test_the_text_of_an_event_is_what_it_hands_the_application():
    assert drain.event_text({"choices": [{"delta": {"content": "a"}}, {"delta": {"content": "b"}}]}) == "ab"
    assert drain.event_text({"choices": [{"delta": {"role": "assistant", "content": None}}]}) == ""
    assert drain.event_text({"choices": []}) == ""
    assert drain.event_text({"type": "response.output_text.delta", "delta": "Cache"}) == "Cache"
    assert drain.event_text({"type": "response.created", "response": {"output": []}}) == ""


def test_the_text_of_a_frame_is_read_from_its_data_lines():
    assert drain.frame_text(chat_frame("Forest")) == "Forest"
    assert drain.frame_text(responses_frame("response.output_text.delta", delta="x")) == "x"
    assert drain.frame_text(b"data: [DONE]\n\n") == ""
    assert drain.frame_text(b'data: {"choices": [{"delta": {"content": "unterminated\n\n') == ""


def test_only_a_last_frame_with_text_can_be_waited_for():
    assert drain.awaitable([chat_frame(None), chat_frame("a"), chat_frame("b")]) == "ab"
    assert drain.awaitable([chat_frame("a"), chat_frame(None)]) == ""
    assert drain.awaitable([]) == ""


def test_the_cut_waits_until_an_open_reader_has_the_text():
    readers = drain.Readers()
    frames = [chat_frame(None), chat_frame("North"), chat_frame(" wind")]

    async def read_then_cut() -> bool:
        reader = readers.reader()
        cut = asyncio.ensure_future(drain.drained(frames, 30.0, readers))
        await asyncio.sleep(0.05)
        assert not cut.done()  # the reader has nothing yet: the cut waits
        reader.saw({"choices": [{"delta": {"content": "North"}}]})
        await asyncio.sleep(0.05)
        assert not cut.done()  # half the text is not the text
        reader.saw({"choices": [{"delta": {"content": " wind"}}]})
        return await asyncio.wait_for(cut, 30.0)

    assert asyncio.run(read_then_cut()) is True


def test_a_closed_reader_does_not_count_and_the_deadline_still_cuts():
    readers = drain.Readers()
    reader = readers.reader()
    reader.saw({"choices": [{"delta": {"content": "North"}}]})
    reader.close()
    assert asyncio.run(drain.drained([chat_frame("North")], 0.05, readers)) is False
    # with no text to wait for, the deadline alone decides
    assert asyncio.run(drain.drained([chat_frame(None)], 0.01, readers)) is False


MARKED = "Stream then break [[fault:chunk-delay=0.01]] [[fault:cut-stream=5]] [[fault:cut-delay=30]]"


@pytest.fixture(scope="module")
def served():
    with run_emulator() as emulator:
        yield emulator


def test_the_harness_reader_gets_every_event_before_the_cut(served, monkeypatch):
    """Through the SDK and a real socket: the cut comes once the harness has the events (the drain says it
    was taken, not the deadline), and the application saw all of them, then the break."""
    outcomes: list[tuple[str, bool]] = []
    original = drain.drained

    async def spy(frames, deadline_s, readers=drain.READERS):
        frames = list(frames)
        outcomes.append((drain.awaitable(frames), await original(frames, deadline_s, readers)))
        return outcomes[-1][1]

    monkeypatch.setattr(drain, "drained", spy)
    client = openai.AzureOpenAI(
        azure_endpoint=served.url,
        api_key=served.api_key,
        api_version="2025-04-01-preview",
        max_retries=0,
        http_client=sync_http_client(),
    )
    scenario = Scenario({"messages": [{"role": "user", "content": MARKED}]}, stream=True)
    observation = observe_sync(
        lambda **kw: client.chat.completions.with_raw_response.create(model="chat", **kw), scenario
    )
    [(streamed, taken)] = outcomes
    assert taken and streamed
    tree = observation.tree()
    assert tree["grammar"] == ["prompt_filter", "role", "content+"]
    assert tree["assembled"]["choices"][0]["content"] == streamed
    assert tree["error"]["exception"] == "APIConnectionError"
    assert not drain.READERS.open  # the reader closed with its stream


def test_a_reader_the_harness_does_not_watch_still_gets_the_events_then_the_cut(served):
    body = {"messages": [{"role": "user", "content": MARKED.replace("cut-delay=30", "cut-delay=0.2")}], "stream": True}
    received = b""
    url = served.url + "/openai/deployments/chat/chat/completions?api-version=2025-04-01-preview"
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", url, json=body, headers={"api-key": served.api_key}, timeout=30) as response,
    ):
        for data in response.iter_raw():
            received += data
    assert received.count(b"data: ") == 5
