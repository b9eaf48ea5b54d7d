"""Reading a stream as the application does, in one place for the four SDK stream loops (chat and
Responses, sync and async): every event as a dict, the error that ended the stream (or None), the
stream closed whatever happened, and the harness's drain reader fed event by event
(`harness.emulator.drain`: the emulator cuts a stream once a reader has what it sent before the cut).
What differs between the loops (the call, what is observed from the events) stays with them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

import httpx
import openai

from harness.emulator.drain import READERS

#: what ends a stream early as the application sees it: the SDK's errors, the transport's, a torn event
STREAM_ERRORS = (openai.OpenAIError, httpx.HTTPError, ValueError)

Events = list[dict[str, Any]]


class _Event(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class _Stream(Protocol):
    def __iter__(self) -> Iterator[_Event]: ...
    def close(self) -> None: ...


class _AsyncStream(Protocol):
    def __aiter__(self) -> AsyncIterator[_Event]: ...
    async def close(self) -> None: ...


def _never(events: Events) -> bool:
    return False


class _Read:
    """What one stream's reading has seen so far; its drain reader is open until `done`."""

    def __init__(self, stop: Callable[[Events], bool]) -> None:
        self.events: Events = []
        self.error: BaseException | None = None
        self._stop, self._reader = stop, READERS.reader()

    def take(self, event: _Event) -> bool:
        """Keep one event; whether the application stops reading after it."""
        self.events.append(event.to_dict())
        self._reader.saw(self.events[-1])
        return self._stop(self.events)

    def done(self) -> None:
        self._reader.close()


def read(stream: _Stream, stop: Callable[[Events], bool] = _never) -> tuple[Events, BaseException | None]:
    """The events of `stream` until it ends, breaks, or `stop(events so far)` says the application stops."""
    seen = _Read(stop)
    try:
        for event in stream:
            if seen.take(event):
                break
    except STREAM_ERRORS as exc:
        seen.error = exc
    finally:
        seen.done()
        stream.close()
    return seen.events, seen.error


async def read_async(
    stream: _AsyncStream, stop: Callable[[Events], bool] = _never
) -> tuple[Events, BaseException | None]:
    """`read` for an async stream."""
    seen = _Read(stop)
    try:
        async for event in stream:
            if seen.take(event):
                break
    except STREAM_ERRORS as exc:
        seen.error = exc
    finally:
        seen.done()
        await stream.close()
    return seen.events, seen.error
