"""In-process httpx transports over the pure handler: no socket, same answers.

Pass one to `openai.AzureOpenAI(http_client=httpx.Client(transport=EmulatorTransport(emu)))`.
Faults behave as on the wire: delays sleep, and a cut stream raises httpx's
`RemoteProtocolError` after the last frame, as an incomplete chunked body does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx

from harness.emulator.core import Emulator
from harness.emulator.wire import EmuRequest, EmuResponse


def _to_emu(request: httpx.Request, body: bytes, private: bool) -> EmuRequest:
    return EmuRequest(
        method=request.method,
        path=request.url.path,
        query=dict(request.url.params),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        private_listener=private,
    )


class _SyncFrames(httpx.SyncByteStream):
    def __init__(self, response: EmuResponse) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        for frame in self._response.frames or []:
            if frame.delay:
                time.sleep(frame.delay)
            yield frame.data
        if self._response.cut:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class _AsyncFrames(httpx.AsyncByteStream):
    def __init__(self, response: EmuResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for frame in self._response.frames or []:
            if frame.delay:
                await asyncio.sleep(frame.delay)
            yield frame.data
        if self._response.cut:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class EmulatorTransport(httpx.BaseTransport):
    def __init__(self, emulator: Emulator, *, private: bool = False) -> None:
        self.emulator = emulator
        self.private = private

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.emulator.handle(_to_emu(request, request.read(), self.private))
        if response.first_byte_delay:
            time.sleep(response.first_byte_delay)
        if response.streaming:
            return httpx.Response(response.status, headers=response.headers, stream=_SyncFrames(response))
        return httpx.Response(response.status, headers=response.headers, content=response.body)


class AsyncEmulatorTransport(httpx.AsyncBaseTransport):
    def __init__(self, emulator: Emulator, *, private: bool = False) -> None:
        self.emulator = emulator
        self.private = private

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = self.emulator.handle(_to_emu(request, await request.aread(), self.private))
        if response.first_byte_delay:
            await asyncio.sleep(response.first_byte_delay)
        if response.streaming:
            return httpx.Response(response.status, headers=response.headers, stream=_AsyncFrames(response))
        return httpx.Response(response.status, headers=response.headers, content=response.body)
