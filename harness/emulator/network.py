"""Network markers: how the stream travels, chosen by data that passes unchanged through a proxy.

`[[net:NAME]]` or `[[net:NAME=VALUE]]` anywhere in the request's text picks write boundaries
(`harness.emulator.segments`) and timings (`harness.emulator.latency`). Unlike `[[fault:...]]`
markers they are taken out of the request before the model sees it: a network cannot change an
answer, so a request with markers gets the same completion, usage included, as the one without.
That is what lets a contract case compare a split stream with the unsplit one.

| marker | effect |
|---|---|
| `split=N` | a write every N bytes |
| `split-at=A.B.C` | writes end at these byte offsets of the whole stream |
| `split-seed=S`, `split-count=K` | K writes end at offsets drawn from seed S (K: 8) |
| `split-utf8` | a cut before every continuation byte of a multi-byte character |
| `split-crlf` | a cut between every `\\r` and its `\\n` (with `crlf`) |
| `split-prefix` | a cut inside every `data:` / `event:` field name |
| `split-middle` | a cut in the middle of every event |
| `coalesce=K` | K events per write; 0: the whole stream in one write |
| `gap=S` | seconds between the pieces of a split event (so a reader's socket reads see them apart) |
| `crlf` | lines end with `\\r\\n`, which the SSE format allows (Azure's own end with `\\n`) |
| `first-byte=S` | S seconds with the connection open and no byte sent, headers included |
| `drip=S` | S seconds before each event after the first |
| `stall=S`, `stall-after=N` | one pause of S seconds before event N (N: half-way) |
| `profile=NAME` | first byte and drip of a measured profile (`latency.PROFILES`) |
| `scale=F` | every latency multiplied by F |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from harness.emulator.latency import PROFILES, Latency, pace
from harness.emulator.segments import Segmentation, segment
from harness.emulator.wire import EmuResponse, Frame

MARKER = re.compile(r"\s*\[\[net:([a-z0-9-]+)(?:=([A-Za-z0-9_.-]+))?\]\]")
_MAX_SECONDS = 600.0


class NetworkMarkerError(ValueError):
    """A `[[net:...]]` marker the emulator does not know, or with a bad value."""


@dataclass(frozen=True)
class Network:
    """How one answer travels: its write boundaries, its timings, its line ends."""

    segmentation: Segmentation = field(default_factory=Segmentation)
    latency: Latency = field(default_factory=Latency)
    crlf: bool = False

    @property
    def any(self) -> bool:
        return self != Network()

    def apply(self, response: EmuResponse) -> EmuResponse:
        """Frames re-timed and re-cut, the bytes kept (but for `crlf`, which rewrites line ends)."""
        response.first_byte_delay += self.latency.first_byte
        if response.frames is None:
            return response
        frames = response.frames
        if self.crlf:
            frames = [Frame(f.data.replace(b"\n", b"\r\n"), f.delay) for f in frames]
        response.frames = segment(pace(frames, self.latency), self.segmentation)
        return response


def _number(name: str, value: str | None, kind: type[float] | type[int], upper: float) -> Any:
    try:
        number = kind(value or "")
    except ValueError:
        raise NetworkMarkerError(f"network marker {name!r} needs a number, e.g. [[net:{name}=2]]") from None
    if not 0 <= number <= upper:
        raise NetworkMarkerError(f"network marker {name!r}: the value must be within 0..{upper:g}")
    return number


def _offsets(value: str | None) -> tuple[int, ...]:
    parts = (value or "").split(".")
    if not all(p.isdigit() for p in parts):
        raise NetworkMarkerError(
            "network marker 'split-at' needs byte offsets joined by dots, e.g. [[net:split-at=5.40]]"
        )
    return tuple(int(p) for p in parts)


_FLAGS = {"split-utf8": "utf8", "split-crlf": "crlf", "split-prefix": "prefix", "split-middle": "middle"}
_SEGMENT_INTS = {"split": ("every", 1_000_000), "split-seed": ("seed", 2**32), "split-count": ("count", 1000)}
_SECONDS = {"first-byte": "first_byte", "drip": "drip", "stall": "stall"}


def parse(specs: list[tuple[str, str | None]]) -> Network:
    """Fold (name, value) pairs into one Network; later markers win, a profile is scaled last."""
    seg: dict[str, Any] = {}
    lat: dict[str, Any] = {}
    crlf, profile, scale = False, None, 1.0
    for name, value in specs:
        if name in _FLAGS:
            seg[_FLAGS[name]] = True
        elif name in _SEGMENT_INTS:
            attr, upper = _SEGMENT_INTS[name]
            seg[attr] = _number(name, value, int, upper)
            if attr == "every" and not seg[attr]:
                raise NetworkMarkerError("network marker 'split' needs a whole number of bytes above 0")
        elif name == "split-at":
            seg["at"] = _offsets(value)
        elif name == "coalesce":
            seg["coalesce"] = _number(name, value, int, 1_000_000)
        elif name == "gap":
            seg["gap"] = _number(name, value, float, _MAX_SECONDS)
        elif name == "crlf":
            crlf = True
        elif name in _SECONDS:
            lat[_SECONDS[name]] = _number(name, value, float, _MAX_SECONDS)
        elif name == "stall-after":
            lat["stall_after"] = _number(name, value, int, 1_000_000)
        elif name == "profile":
            if value not in PROFILES:
                raise NetworkMarkerError(f"network marker 'profile': one of {', '.join(sorted(PROFILES))}")
            profile = PROFILES[value]
        elif name == "scale":
            scale = _number(name, value, float, 1.0)
        else:
            raise NetworkMarkerError(f"unknown network marker {name!r}; see harness/emulator/network.py for the list")
    latency = Latency(**lat)
    if profile is not None:
        measured = Latency.of(profile)
        latency = replace(
            latency, first_byte=latency.first_byte or measured.first_byte, drip=latency.drip or measured.drip
        )
    return Network(Segmentation(**seg), latency.scaled(scale), crlf)


def take(body: Any) -> tuple[Network, Any]:
    """The markers anywhere in the body's strings, and the body without them."""
    found: list[tuple[str, str | None]] = []

    def strip(value: Any) -> Any:
        if isinstance(value, str):
            if "[[net:" not in value:
                return value
            found.extend((m.group(1), m.group(2)) for m in MARKER.finditer(value))
            return MARKER.sub("", value)
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return value

    stripped = strip(body)
    return (parse(found), stripped) if found else (Network(), body)
