"""Reading a stream as the application does (harness/paths/reading.py), sync and async alike."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from harness.emulator.drain import READERS
from harness.paths.reading import read, read_async


class Event:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_dict(self) -> dict[str, Any]:
        return {"choices": [{"index": 0, "delta": {"content": self.text}}]}


class FakeStream:
    """Yields its events, then raises `error` if given; records whether it was closed."""

    def __init__(self, texts: list[str], error: BaseException | None = None) -> None:
        self.texts, self.error, self.closed = texts, error, False
        self.seen_by_drain: list[bool] = []

    def _events(self):
        for text in self.texts:
            yield Event(text)
            self.seen_by_drain.append(READERS.taken(text))  # the previous event was fed before this one came
        if self.error is not None:
            raise self.error

    def __iter__(self):
        return self._events()

    def close(self) -> None:
        self.closed = True


class FakeAsyncStream(FakeStream):
    def __aiter__(self):
        events = self._events()

        async def gen():
            for event in events:
                yield event

        return gen()

    async def close(self) -> None:  # type: ignore[override]
        self.closed = True


def sync_read(texts: list[str], **kw):
    stream = FakeStream(texts, kw.pop("error", None))
    return stream, read(stream, **kw)


def async_read(texts: list[str], **kw):
    stream = FakeAsyncStream(texts, kw.pop("error", None))
    return stream, asyncio.run(read_async(stream, **kw))


@pytest.mark.parametrize("reading", [sync_read, async_read])
def test_every_event_is_read_fed_to_the_drain_and_the_stream_closed(reading) -> None:
    stream, (events, error) = reading(["Hel", "lo"])
    assert [e["choices"][0]["delta"]["content"] for e in events] == ["Hel", "lo"]
    assert error is None and stream.closed and all(stream.seen_by_drain)
    assert not READERS.taken("Hello")  # the reader is closed with the stream


@pytest.mark.parametrize("reading", [sync_read, async_read])
def test_a_broken_stream_ends_with_its_error_and_keeps_what_came(reading) -> None:
    cut = httpx.RemoteProtocolError("peer closed connection")
    _, (events, error) = reading(["a", "b"], error=cut)
    assert len(events) == 2 and error is cut


@pytest.mark.parametrize("reading", [sync_read, async_read])
def test_the_application_stops_reading_when_it_says(reading) -> None:
    stream, (events, error) = reading(["a", "b", "c"], stop=lambda so_far: len(so_far) == 2)
    assert len(events) == 2 and error is None and stream.closed
