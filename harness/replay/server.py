"""The loopback server the LiteLLM proxy calls instead of Azure: it replays or records.

The proxy's config points every deployment at `http://127.0.0.1:<port>/ep/<endpoint>`; LiteLLM
appends Azure's `/openai/deployments/...` path. Per test, the harness activates the case's
`litellm.yaml`:
- replay: the proxy's request must match a recorded one (method, path, api-version, normalized
  JSON body, auth scheme); a miss is kept, answered with a 400 the proxy will not retry, and
  raised in the test with the closest recording and a field diff;
- record: the request goes to the real upstream (emulator or Azure) and the exchange is kept,
  unless the direct path already recorded an equivalent request: then its answer is served again,
  so Azure is asked once and both paths see the same completion.
Errors inside the server thread never escape there; they are stored and re-raised in the test
(the pytest-httpserver pattern).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from vcr.request import Request

from harness.emulator.asgi import Receive, Scope, Send, StreamCut
from harness.emulator.serving import Serving, bind, serve_in_thread, url_of
from harness.replay.cassettes import Miss, closest, load_for_matching, matches, request_filter
from harness.replay.scrub import Scrubber
from harness.replay.waits import compress_headers

_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "date", "server", "keep-alive"}
FORWARD_TIMEOUT_S = 120.0


@dataclass
class Activation:
    """One test's cassette on the proxy side."""

    path: Any  # pathlib.Path
    record: bool
    keep_old: bool  # new_episodes/all: recorded interactions are added to the loaded ones
    replay_first: bool  # new_episodes: play what matches, record the rest
    shared: list[tuple[Request, dict[str, Any]]] = field(default_factory=list)  # the direct path's recordings
    cassette: Any = None  # vcr Cassette used for matching
    recorded: list[tuple[Request, dict[str, Any]]] = field(default_factory=list)
    played: list[Request] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shared_count: int = 0
    #: forward everything, byte for byte and as it arrives, to these endpoints; record nothing
    #: (cases whose timing faults a cassette cannot hold)
    forward_to: Mapping[str, str] | None = None


class UpstreamServer:
    """Runs in a daemon thread of the test process, one per xdist worker."""

    def __init__(
        self,
        scrubber: Scrubber,
        endpoints: Mapping[str, str],
        placeholders: Mapping[str, str],
        *,
        compress_waits: bool = False,
    ) -> None:
        self.scrubber = scrubber
        #: serve retry hints as 0 (`harness.replay.waits`); what gets recorded keeps the real value
        self.compress_waits = compress_waits
        self.endpoints = dict(endpoints)  # endpoint name -> real base URL (record only)
        self.placeholders = dict(placeholders)
        self._filter = request_filter(scrubber)
        self._active: Activation | None = None
        self._lock = threading.Lock()
        self.url = ""
        self.serving: Serving | None = None  # while `running_upstream` serves it

    # ---------------------------------------------------------------- test-side API

    def activate(self, activation: Activation) -> None:
        if (
            activation.forward_to is None
            and (not activation.record or activation.replay_first or activation.keep_old)
            and activation.path.exists()
        ):
            activation.cassette = load_for_matching(activation.path, self.scrubber)
        with self._lock:
            self._active = activation

    def deactivate(self) -> Activation | None:
        with self._lock:
            active, self._active = self._active, None
        return active

    def api_base(self, endpoint: str) -> str:
        return f"{self.url}/ep/{endpoint}"

    # ---------------------------------------------------------------- ASGI side

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        active = self._active
        if active is not None and active.forward_to is not None:
            await self._stream_through(active, scope, body, send)
            return
        status, headers, content = await asyncio.to_thread(self._handle, scope, body)
        if self.compress_waits:
            headers = compress_headers(headers)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        if headers and any(k == "content-type" and v.startswith("text/event-stream") for k, v in headers):
            events = content.split(b"\n\n")
            for i, event in enumerate(events[:-1]):
                await send({"type": "http.response.body", "body": event + b"\n\n", "more_body": True})
                if i % 8 == 7:
                    await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": events[-1]})
        else:
            await send({"type": "http.response.body", "body": content})

    async def _stream_through(self, active: Activation, scope: Scope, body: bytes, send: Send) -> None:
        """Pass the upstream's answer on as it comes: delays stay delays, a cut stays a cut."""
        url = _route(scope, active.forward_to or {})
        if url is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": _UNKNOWN_PREFIX})
            return
        headers = _forwardable({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]})
        async with (
            httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S) as client,
            client.stream(scope["method"], url, content=body, headers=headers) as response,
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in _response_headers(response.headers.multi_items())
                    ],
                }
            )
            try:
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError as exc:
                raise StreamCut("harness upstream: the upstream cut the stream; cutting it here too") from exc
            await send({"type": "http.response.body", "body": b""})

    def _handle(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        uri = _route(scope, self.placeholders)
        if uri is None:
            return 404, [("content-type", "text/plain")], _UNKNOWN_PREFIX
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = Request(scope["method"], uri, body, headers)
        active = self._active
        if active is None:
            return 503, [("content-type", "text/plain")], b"harness upstream: no cassette is active for this request"
        try:
            return self._serve(active, _route(scope, self.endpoints), request)
        except Exception as exc:  # stored and re-raised in the test; never lost in this thread
            active.errors.append(f"{type(exc).__name__}: {exc}")
            return 400, [("content-type", "application/json")], b'{"error":{"message":"harness upstream error"}}'

    def _serve(
        self, active: Activation, real_url: str | None, request: Request
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        filtered = self._filter(request)
        if (
            active.cassette is not None
            and (not active.record or active.replay_first)
            and active.cassette.can_play_response_for(filtered)
        ):
            active.played.append(filtered)
            return _to_http(active.cassette.play_response(filtered))
        if not active.record:
            recorded = list(active.cassette.requests) if active.cassette is not None else []
            active.misses.append(Miss(active.path, filtered, closest(recorded, filtered)))
            body = b'{"error":{"message":"harness upstream: request not in cassette","code":"cassette_miss"}}'
            return 400, [("content-type", "application/json")], body
        for shared_request, shared_response in active.shared:
            if matches(shared_request, filtered):
                active.recorded.append((filtered, shared_response))
                active.shared_count += 1
                return _to_http(shared_response)
        if real_url is None:
            raise LookupError(f"no real endpoint to record {request.uri} from")
        response = self._forward(real_url, request)
        recorded_response = {
            "status": {"code": response.status_code, "message": response.reason_phrase},
            "headers": self.scrubber.headers({k: response.headers.get_list(k) for k in response.headers}),
            "body": {"string": self.scrubber.body(response.content)},
        }
        active.recorded.append((filtered, recorded_response))
        return response.status_code, _response_headers(response.headers.multi_items()), response.content

    @staticmethod
    def _forward(url: str, request: Request) -> httpx.Response:
        with httpx.Client(timeout=FORWARD_TIMEOUT_S) as client:
            return client.request(request.method, url, content=request.body, headers=_forwardable(request.headers))


_UNKNOWN_PREFIX = b"harness upstream: unknown endpoint prefix"


def _route(scope: Scope, bases: Mapping[str, str]) -> str | None:
    """`/ep/<endpoint>/<rest>?<query>` -> `<bases[endpoint]>/<rest>?<query>`, or None for an unknown prefix."""
    parts = scope["path"].split("/", 3)
    if len(parts) < 4 or parts[1] != "ep" or parts[2] not in bases:
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return bases[parts[2]] + "/" + parts[3] + (f"?{query}" if query else "")


def _forwardable(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers to pass on: not the hop-by-hop ones, nor Host (the target has its own)."""
    return {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}


def _response_headers(items: Any) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in items if k.lower() not in _HOP_BY_HOP]


def _to_http(response: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    body = response["body"]["string"]
    content = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    headers = [(k, v) for k, values in response["headers"].items() for v in values]
    return response["status"]["code"], _response_headers(headers), content


@contextmanager
def running_upstream(server: UpstreamServer) -> Iterator[UpstreamServer]:
    """Serve `server` on a loopback port in a daemon thread for the duration of the block."""
    sock = bind("127.0.0.1", 0)
    server.url = url_of(sock)
    with serve_in_thread(server, [sock], "harness-upstream") as serving:
        server.serving = serving
        try:
            yield server
        finally:
            server.serving = None
