"""The ASGI adapter: the pure handler behind a real socket.

Raw ASGI rather than a framework: the emulator must never be the bottleneck behind a proxy, and the
handler already does all the routing. A cut stream raises after the last frame, which makes the
server drop the connection without the final chunk of the chunked encoding, as a broken upstream does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from harness.emulator import drain, errors
from harness.emulator.core import Emulator
from harness.emulator.wire import EmuRequest, retry_hints_now

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class StreamCut(ConnectionAbortedError):
    """Raised on purpose to drop a connection mid-stream (fault `cut-stream`)."""


class EmulatorApp:
    """ASGI app. `private_ports` are the listener ports that count as the private endpoint;
    `hints_now_ports` the proxy's listener, whose answers' retry hints say "now" (`wire.retry_hints_now`)."""

    def __init__(
        self, emulator: Emulator, private_ports: set[int] | None = None, hints_now_ports: set[int] | None = None
    ) -> None:
        self.emulator = emulator
        self.private_ports = private_ports if private_ports is not None else set()
        self.hints_now_ports = hints_now_ports if hints_now_ports is not None else set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        limit = self.emulator.config.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        too_large = False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            piece = message.get("body", b"")
            size += len(piece)
            if size > limit:
                too_large = True  # keep draining, but stop storing
            elif piece:
                chunks.append(piece)
            if not message.get("more_body"):
                break
        server = scope.get("server") or ("", 0)
        request = EmuRequest(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=b"".join(chunks),
            private_listener=server[1] in self.private_ports,
        )
        response = errors.body_too_large(limit) if too_large else self.emulator.handle(request)
        if response.first_byte_delay:
            await asyncio.sleep(response.first_byte_delay)
        plain = retry_hints_now(response.headers) if server[1] in self.hints_now_ports else response.headers
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in plain]
        if not response.streaming:
            headers.append((b"content-length", str(len(response.body)).encode()))
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            await send({"type": "http.response.body", "body": response.body})
            return
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        for frame in response.frames or []:
            if frame.delay:
                await asyncio.sleep(frame.delay)
            await send({"type": "http.response.body", "body": frame.data, "more_body": True})
        if response.cut:
            # A reader that has not taken the last events off the socket when the connection drops loses
            # them if it is aiohttp (LiteLLM's transport): its StreamReader raises before returning
            # buffered data (aio-libs/aiohttp#3026). The cut waits until the application has them,
            # at most `cut-delay` (`harness.emulator.drain`).
            await drain.drained([frame.data for frame in response.frames or []], response.cut_delay)
            raise StreamCut("emulator: connection cut mid-stream by fault marker")
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
