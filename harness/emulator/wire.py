"""Transport-neutral request and response values for the emulator's pure handler.

The handler never touches a socket: it maps an `EmuRequest` to an `EmuResponse`. The ASGI app and
the httpx transports are thin adapters around it (the httpx MockTransport idea), so the same
behaviour is available in-process and behind a real listener.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EmuRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    private_listener: bool = False


@dataclass(frozen=True)
class Frame:
    """One piece of a streamed body, sent after `delay` seconds."""

    data: bytes
    delay: float = 0.0


#: Which layer of Azure answered: it decides the request-id headers the answer carries (core.handle).
BACKEND = "backend"  # the model service, behind the gateway: every Azure header
KEY_CHECK = "key-check"  # the gateway's api-key check: apim-request-id only (recorded 401s)
DEPLOYMENT_LOOKUP = "deployment-lookup"  # the gateway's routing: no x-request-id (recorded 404s)


@dataclass
class EmuResponse:
    """A complete body, or frames to stream. `cut` drops the connection after the frames, `cut_delay`
    seconds after the last one. `layer` is who answered (`BACKEND`, `KEY_CHECK`, `DEPLOYMENT_LOOKUP`)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    frames: list[Frame] | None = None
    first_byte_delay: float = 0.0
    cut: bool = False
    cut_delay: float = 0.0
    layer: str = BACKEND

    @property
    def streaming(self) -> bool:
        return self.frames is not None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)


def dumps(payload: Any) -> bytes:
    """Compact JSON, as Azure sends it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> EmuResponse:
    return EmuResponse(
        status=status,
        headers=[("content-type", "application/json"), *(headers or [])],
        body=dumps(payload),
    )


RETRY_HEADERS = frozenset({"retry-after", "retry-after-ms"})


def retry_hints_now(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Response headers with every retry hint saying "now" (`harness.replay.waits`: offline, the proxy's
    back-off against a known answer teaches nothing). Only the proxy's listener rewrites them: the
    application's own view of Azure's answer keeps the real values."""
    return [(k, "0" if k.lower() in RETRY_HEADERS else v) for k, v in headers]
