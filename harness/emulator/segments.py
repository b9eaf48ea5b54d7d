"""Write boundaries of a streamed body, as the network delivers it: never its bytes.

Azure's stream reaches a client in whatever pieces TCP, API Management and Front Door produce:
several events in one read, one event across reads, a multi-byte UTF-8 character or a `\\r\\n` torn
in two. An SSE parser that assumes whole events garbles or drops content there (a relative the
project met: aio-libs/aiohttp#3026). `segment` cuts the emulator's frames at such points, or
coalesces several events into one write, and keeps the bytes: `b"".join` of the pieces is the
unsegmented stream, which `tests/harness/test_emulator_segments.py` proves for any segmentation.

The ASGI adapter sends each piece as one `http.response.body` message, so each becomes one HTTP
chunk on the wire: a chunk boundary reaches the reader's HTTP parser whatever TCP does, and `gap`
pauses between pieces so that a reader's socket reads see them apart too.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass

from harness.emulator.wire import Frame

#: the field names an SSE event of Azure's starts its lines with (`data:`; `event:` on Responses)
_FIELD_PREFIXES = (b"data:", b"event:")


@dataclass(frozen=True)
class Segmentation:
    """Where to cut the stream's bytes, and how many events share one write.

    `every`: a cut every N bytes; `at`: cuts at these byte offsets of the whole stream; `seed` with
    `count`: that many cuts at seeded offsets; `utf8`: a cut before every continuation byte of a
    multi-byte character; `crlf`: a cut between every `\\r` and its `\\n`; `prefix`: a cut inside
    every `data:` / `event:` field name; `middle`: a cut in the middle of every event; `coalesce`:
    events per write (1: as the emulator writes them, 0: the whole stream in one write); `gap`:
    seconds between the pieces of one write's worth of events."""

    every: int | None = None
    at: tuple[int, ...] = ()
    seed: int | None = None
    count: int = 8
    utf8: bool = False
    crlf: bool = False
    prefix: bool = False
    middle: bool = False
    coalesce: int = 1
    gap: float = 0.0

    @property
    def any(self) -> bool:
        return self != Segmentation()


def cut_points(data: bytes, frame_starts: list[int], seg: Segmentation) -> set[int]:
    """Offsets inside `data` (0 < offset < len) where a write ends, besides event boundaries."""
    size = len(data)
    points: set[int] = set(seg.at)
    if seg.every:
        points.update(range(seg.every, size, seg.every))
    if seg.seed is not None and size > 1:
        rng = random.Random(seg.seed)
        points.update(rng.randrange(1, size) for _ in range(seg.count))
    if seg.utf8:
        points.update(i for i in range(1, size) if data[i] & 0xC0 == 0x80)
    if seg.crlf:
        points.update(i + 1 for i in range(size - 1) if data[i : i + 2] == b"\r\n")
    if seg.prefix:
        for prefix in _FIELD_PREFIXES:
            start = data.find(prefix)
            while start != -1:
                points.add(start + 2)  # `da|ta:`, `ev|ent:`
                start = data.find(prefix, start + 1)
    if seg.middle:
        ends = [*frame_starts[1:], size]
        points.update((start + end) // 2 for start, end in zip(frame_starts, ends, strict=True) if end - start > 1)
    return {p for p in points if 0 < p < size}


def segment(frames: list[Frame], seg: Segmentation) -> list[Frame]:
    """The same bytes in other writes. A frame's delay is kept before the piece its first byte is in
    (the delays of frames coalesced into one piece add up, so the stream takes as long); every piece
    that does not start an event waits `gap`."""
    if not frames or not seg.any:
        return frames
    data = b"".join(f.data for f in frames)
    if not data:
        return frames
    starts: list[int] = []
    offset = 0
    for frame in frames:
        starts.append(offset)
        offset += len(frame.data)
    group = seg.coalesce if seg.coalesce > 0 else len(frames)
    kept_starts = {s for i, s in enumerate(starts) if i % group == 0}
    bounds = sorted({0, *kept_starts, *cut_points(data, starts, seg)} - {len(data)})
    delays = dict.fromkeys(bounds, 0.0)
    for start, frame in zip(starts, frames, strict=True):
        delays[bounds[bisect.bisect_right(bounds, start) - 1]] += frame.delay
    pieces: list[Frame] = []
    for begin, end in zip(bounds, [*bounds[1:], len(data)], strict=True):
        if begin == end:
            continue
        wait = delays[begin] + (seg.gap if begin not in kept_starts else 0.0)
        pieces.append(Frame(data[begin:end], wait))
    return pieces
