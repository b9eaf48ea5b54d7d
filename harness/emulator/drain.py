"""A cut stream waits for its reader to take what came before the cut, not for a fixed time.

Azure drops a connection when it drops it. What the application sees of the events sent before
depends on whether its reader had taken them off the buffer by then: aiohttp (LiteLLM's transport)
raises before returning data still buffered (aio-libs/aiohttp#3026), so the proxy loses events it
has not read yet, and how many depends on timing. The contract's cut cases want the deterministic
side (every event sent before the cut reaches the application, then the stream breaks), and a fixed
`cut-delay` bought it with a second of waiting on every path and every run, and under load still
only probably.

Here the harness's stream readers (`harness.paths`) note the text of each event they hand the
application, in this process, and the emulator cuts as soon as one reader has taken all the text it
streamed before the cut. On the litellm path that reader is the application behind the proxy, so the
proxy has read and forwarded every event by then. `cut-delay` stays the deadline: a reader this
process does not watch (a user's own client against a served emulator) waits it out, as before. The
wait needs the last event before the cut to carry text (else taking the text proves nothing about
that event): `Drain.awaitable` says when it does not, and the caller waits the whole delay.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

#: how often a cut polls its readers; an event reaches the application within a few of these
POLL_S = 0.005


def event_text(event: Mapping[str, Any]) -> str:
    """The text an event hands the application: a chat chunk's content deltas, a Responses
    `response.output_text.delta`'s delta. The same function reads the emulator's events and the
    SDK's, so both sides count the same thing."""
    if event.get("type") == "response.output_text.delta":
        return str(event.get("delta") or "")
    choices = event.get("choices")
    if not isinstance(choices, list):
        return ""
    return "".join(str((c.get("delta") or {}).get("content") or "") for c in choices if isinstance(c, Mapping))


def frame_text(data: bytes) -> str:
    """`event_text` of one SSE frame as the emulator sends it (`data: <json>`, after an `event:` line
    for Responses); "" for `[DONE]` or anything that is not JSON (a malformed-SSE fault)."""
    text = []
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.startswith("data: "):
            continue
        try:
            event = json.loads(line[len("data: ") :])
        except ValueError:
            continue
        if isinstance(event, Mapping):
            text.append(event_text(event))
    return "".join(text)


class Reader:
    """One stream as the application reads it: the text of its events so far."""

    def __init__(self, readers: Readers) -> None:
        self._readers = readers
        self.text = ""

    def saw(self, event: Mapping[str, Any]) -> None:
        with self._readers.lock:
            self.text += event_text(event)

    def close(self) -> None:
        with self._readers.lock:
            self._readers.open.discard(self)


class Readers:
    """The stream readers of this process. Thread-safe: the emulator serves in its own thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: set[Reader] = set()

    def reader(self) -> Reader:
        reader = Reader(self)
        with self.lock:
            self.open.add(reader)
        return reader

    def taken(self, text: str) -> bool:
        """Whether one open reader has taken `text`, the text streamed before a cut."""
        with self.lock:
            return any(text in reader.text for reader in self.open)


READERS = Readers()


def awaitable(frames: Iterable[bytes]) -> str:
    """The text a reader must have taken before the cut, or "" when the last frame carries none and
    only the deadline can tell (see the module's docstring)."""
    data = list(frames)
    if not data or not frame_text(data[-1]):
        return ""
    return "".join(frame_text(d) for d in data)


async def drained(frames: Iterable[bytes], deadline_s: float, readers: Readers = READERS) -> bool:
    """Wait until a reader has taken the text of `frames`, at most `deadline_s`; whether it had."""
    text = awaitable(frames)
    end = time.monotonic() + deadline_s
    while text and time.monotonic() < end:
        if readers.taken(text):
            return True
        await asyncio.sleep(POLL_S)
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    return False
