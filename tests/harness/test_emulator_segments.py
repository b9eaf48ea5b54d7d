"""Segmentation and latency in the emulator: the write boundaries and timings change, the bytes never.

The property is the issue's own: for any segmentation, the concatenated pieces are the unsplit
stream. Then each kind of cut lands where it says (inside a UTF-8 sequence, between `\\r` and `\\n`,
inside `data:`), and on a real socket every boundary the emulator wrote reaches an HTTP client as
a boundary of its own (h11 never merges two chunks).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.emulator import Emulator, EmulatorTransport, RunningEmulator
from harness.emulator.latency import PROFILES, Latency, pace, profile_for
from harness.emulator.network import NetworkMarkerError, parse, take
from harness.emulator.segments import Segmentation, segment
from harness.emulator.wire import EmuRequest, Frame

from .conftest import API_VERSION, user

SETTINGS = settings(max_examples=60)  # the rest from the profile (root conftest.py)
CHAT = "/openai/deployments/chat/chat/completions"
RESPONSES = "/openai/responses"
GREETING = {
    "type": "object",
    "properties": {"greeting": {"const": "こんにちは世界 👋🏽 日本語"}},
    "required": ["greeting"],
}
UNICODE_FORMAT = {"type": "json_schema", "json_schema": {"name": "greeting", "strict": True, "schema": GREETING}}

frames_st = st.lists(
    st.builds(Frame, st.binary(min_size=0, max_size=40), st.sampled_from([0.0, 0.25, 1.0])), min_size=0, max_size=12
)
segmentations = st.builds(
    Segmentation,
    every=st.none() | st.integers(1, 50),
    at=st.lists(st.integers(0, 500), max_size=5).map(tuple),
    seed=st.none() | st.integers(0, 2**32),
    count=st.integers(0, 10),
    utf8=st.booleans(),
    crlf=st.booleans(),
    prefix=st.booleans(),
    middle=st.booleans(),
    coalesce=st.integers(0, 4),
    gap=st.sampled_from([0.0, 0.5]),
)


@SETTINGS
@given(frames=frames_st, seg=segmentations)
def test_segmentation_keeps_every_byte_and_the_stream_duration(frames: list[Frame], seg: Segmentation) -> None:
    pieces = segment(frames, seg)
    assert b"".join(p.data for p in pieces) == b"".join(f.data for f in frames)
    assert all(p.data for p in pieces) or not seg.any or not any(f.data for f in frames)
    extra = sum(p.delay for p in pieces) - sum(f.delay for f in frames)  # only the gaps between pieces
    if seg.gap:
        assert extra >= -1e-9 and extra / seg.gap == pytest.approx(round(extra / seg.gap))
    else:
        assert extra == pytest.approx(0.0)


@SETTINGS
@given(frames=frames_st, seg=segmentations)
def test_event_boundaries_stay_unless_coalesced(frames: list[Frame], seg: Segmentation) -> None:
    pieces = segment(frames, seg)
    ends = {sum(len(p.data) for p in pieces[: i + 1]) for i in range(len(pieces))}
    offset = 0
    for i, frame in enumerate(frames):
        offset += len(frame.data)
        if seg.coalesce == 1 and frame.data:
            assert offset in ends, f"event {i} no longer ends a write"


def _frames(*events: bytes) -> list[Frame]:
    return [Frame(e) for e in events]


def test_each_kind_of_cut_lands_where_it_says() -> None:
    emoji = 'data: {"c":"👋"}\n\n'.encode()
    lead = emoji.index(b"\xf0")  # a 4-byte character: cut before each of its 3 continuation bytes
    assert [p.data for p in segment(_frames(emoji), Segmentation(utf8=True))] == [
        emoji[: lead + 1],
        emoji[lead + 1 : lead + 2],
        emoji[lead + 2 : lead + 3],
        emoji[lead + 3 :],
    ]
    crlf = b"data: {}\r\n\r\n"
    assert [p.data for p in segment(_frames(crlf), Segmentation(crlf=True))] == [b"data: {}\r", b"\n\r", b"\n"]
    both = b"event: a\ndata: {}\n\n"
    assert [p.data for p in segment(_frames(both), Segmentation(prefix=True))] == [b"ev", b"ent: a\nda", b"ta: {}\n\n"]
    assert [p.data for p in segment(_frames(b"abcd"), Segmentation(middle=True))] == [b"ab", b"cd"]
    assert [p.data for p in segment(_frames(b"ab", b"cd", b"ef"), Segmentation(coalesce=2))] == [b"abcd", b"ef"]
    assert [p.data for p in segment(_frames(b"ab", b"cd", b"ef"), Segmentation(coalesce=0))] == [b"abcdef"]
    assert [p.data for p in segment(_frames(b"abcdef"), Segmentation(every=4))] == [b"abcd", b"ef"]
    assert [p.data for p in segment(_frames(b"abcdef"), Segmentation(at=(1, 3, 99)))] == [b"a", b"bc", b"def"]


def test_delays_move_with_their_events_and_gaps_separate_pieces() -> None:
    frames = [Frame(b"ab", 0.0), Frame(b"cd", 1.0), Frame(b"ef", 2.0)]
    assert [(p.data, p.delay) for p in segment(frames, Segmentation(coalesce=0))] == [(b"abcdef", 3.0)]
    assert [(p.data, p.delay) for p in segment(frames, Segmentation(every=3, gap=0.5))] == [
        (b"ab", 0.0),
        (b"c", 1.0),
        (b"d", 0.5),
        (b"ef", 2.0),
    ]


def test_latency_drips_and_stalls_between_events() -> None:
    frames = _frames(b"a", b"b", b"c", b"d")
    assert [f.delay for f in pace(frames, Latency(drip=0.1))] == [0.0, 0.1, 0.1, 0.1]
    assert [f.delay for f in pace(frames, Latency(stall=2.0))] == [0.0, 0.0, 2.0, 0.0]
    assert [f.delay for f in pace(frames, Latency(stall=2.0, stall_after=1))] == [0.0, 2.0, 0.0, 0.0]


def test_profiles_carry_their_sources_and_scale() -> None:
    for profile in PROFILES.values():
        assert " @ " in profile.source and profile.first_byte > 0 and profile.per_token > 0
    network = parse([("profile", "o1"), ("scale", "0.01")])
    assert network.latency.first_byte == pytest.approx(0.26768)
    assert network.latency.drip == pytest.approx(0.00019)
    assert profile_for("azure/o1-2024-12-17") is PROFILES["o1"] and profile_for("gpt-4o-mini") is PROFILES["gpt-4o"]
    assert profile_for("o3-mini") is None  # no measured figure for its family: none is guessed


def test_markers_are_taken_out_of_the_request() -> None:
    network, body = take({"messages": user("Hello [[net:split=7]] [[net:drip=0.5]]"), "n": 1})
    assert body == {"messages": user("Hello"), "n": 1}
    assert network.segmentation.every == 7 and network.latency.drip == 0.5
    assert take({"messages": user("Hello")})[0].any is False
    for bad in ([("split", "0")], [("drip", "x")], [("warp", None)], [("profile", "gpt-9")], [("split-at", "1,2")]):
        with pytest.raises(NetworkMarkerError):
            parse(bad)


@pytest.fixture
def in_process() -> Callable[[str, dict], list[bytes]]:
    """POST to an in-process emulator; the pieces of the body as the transport yields them."""
    emulator = Emulator()

    def stream(path: str, body: dict) -> list[bytes]:
        with (
            httpx.Client(transport=EmulatorTransport(emulator), base_url="http://emulator", timeout=10) as http,
            http.stream(
                "POST",
                path,
                json=body,
                params={"api-version": "2025-04-01-preview"},
                headers={"api-key": emulator.config.api_key},
            ) as response,
        ):
            assert response.status_code == 200, response.read()
            return list(response.iter_raw())

    return stream


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CHAT, {"messages": user("Greet the world."), "response_format": UNICODE_FORMAT}),
        (
            RESPONSES,
            {
                "model": "chat",
                "input": "Greet the world.",
                "text": {"format": {"type": "json_schema", **UNICODE_FORMAT["json_schema"]}},
            },
        ),
    ],
    ids=["chat", "responses"],
)
@pytest.mark.parametrize(
    "markers",
    ["[[net:split=5]]", "[[net:split-utf8]]", "[[net:split-prefix]] [[net:split-middle]]", "[[net:coalesce=0]]"],
)
def test_a_split_stream_is_the_unsplit_stream_in_other_pieces(in_process, path: str, body: dict, markers: str) -> None:
    def with_text(extra: str) -> dict:
        if "messages" in body:
            return {**body, "messages": user(f"Greet the world. {extra}".rstrip()), "stream": True}
        return {**body, "input": f"Greet the world. {extra}".rstrip(), "stream": True}

    whole, split = in_process(path, with_text("")), in_process(path, with_text(markers))
    assert _masked(b"".join(split)) == _masked(b"".join(whole))  # the same answer: only boundaries moved
    assert len(split) != len(whole)


def _masked(stream: bytes) -> bytes:
    """Ids and timestamps differ per response; everything else must be byte for byte the same."""
    out = []
    for line in stream.split(b"\n"):
        if line.startswith(b"data: {"):
            payload = json.loads(line[6:])
            out.append(json.dumps(_mask(payload), sort_keys=True).encode())
        else:
            out.append(line)
    return b"\n".join(out)


def _mask(value):
    if isinstance(value, dict):
        return {k: "<v>" if k in {"id", "created", "created_at", "item_id"} else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str) and value.startswith(("msg_", "resp_", "fc_")):
        return "<id>"
    return value


def test_unicode_content_is_cut_inside_its_characters(in_process) -> None:
    body = {"messages": user("Greet. [[net:split-utf8]]"), "response_format": UNICODE_FORMAT, "stream": True}
    pieces = in_process(CHAT, body)
    torn = 0
    for piece in pieces:
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            torn += 1
    assert torn >= 6  # both ends of each torn character: the reader has to join them
    assert "こんにちは世界 👋🏽 日本語" in _content(b"".join(pieces))


def _content(stream: bytes) -> str:
    events = [json.loads(line[6:]) for line in stream.split(b"\n") if line.startswith(b"data: {")]
    return "".join(c["delta"].get("content") or "" for e in events for c in e["choices"])


def test_crlf_lines_are_cut_between_cr_and_lf(in_process) -> None:
    pieces = in_process(CHAT, {"messages": user("Hi. [[net:crlf]] [[net:split-crlf]]"), "stream": True})
    assert all(p.endswith(b"\r") or p == b"\n" for p in pieces[:-1])
    assert b"".join(pieces).endswith(b"data: [DONE]\r\n\r\n")


def test_a_bad_marker_is_azures_400_naming_it(raw) -> None:
    response = raw(json={"messages": user("Hi [[net:split=x]]"), "stream": True})
    assert response.status_code == 400
    assert "network marker 'split'" in response.json()["error"]["message"]


def test_every_written_boundary_reaches_a_client_over_the_socket(azure_emulator: RunningEmulator) -> None:
    body = {"messages": user("Split me. [[net:split=9]] [[net:gap=0.001]]"), "stream": True}
    with (
        httpx.Client(base_url=azure_emulator.url, timeout=10) as http,
        http.stream(
            "POST", CHAT, json=body, params={"api-version": API_VERSION}, headers={"api-key": azure_emulator.api_key}
        ) as response,
    ):
        seen = list(response.iter_raw())
    data = b"".join(seen)
    boundaries = {sum(map(len, seen[: i + 1])) for i in range(len(seen))}
    assert set(range(9, len(data), 9)) <= boundaries


def test_first_byte_waits_with_no_byte_sent() -> None:
    emulator = Emulator()
    travel, _ = take({"messages": user("Slow. [[net:first-byte=0.2]] [[net:drip=0.01]]")})
    assert travel.latency.first_byte == 0.2
    request = EmuRequest(
        "POST",
        CHAT,
        {"api-version": API_VERSION},
        {"api-key": emulator.config.api_key, "content-type": "application/json"},
        json.dumps({"messages": user("Slow. [[net:first-byte=0.2]] [[net:drip=0.01]]"), "stream": True}).encode(),
    )
    response = emulator.handle(request)
    assert response.first_byte_delay == pytest.approx(0.2)
    assert response.frames is not None and [f.delay for f in response.frames][1:3] == [0.01, 0.01]
