"""Serve the emulator on loopback: a public listener and a private-endpoint listener.

The private listener stands in for the resource's private endpoint: with public network access
disabled, only it is answered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from harness.emulator.asgi import EmulatorApp, StreamCut
from harness.emulator.config import EmulatorConfig
from harness.emulator.core import Emulator
from harness.emulator.serving import ServeError, Serving, bind, serve_in_thread, url_of
from harness.emulator.tokens import TokenKind, mint_token

EmulatorStartError = ServeError


@dataclass
class RunningEmulator:
    """A live emulator: where it listens and how to get credentials for it."""

    emulator: Emulator
    url: str
    private_url: str
    #: the server thread (whether it is alive; a test stops it to play a crash)
    serving: Serving | None = None
    #: the proxy's own listener, whose retry hints say "now" ("" unless asked for: `run_emulator`)
    proxy_url: str = ""

    @property
    def config(self) -> EmulatorConfig:
        return self.emulator.config

    @property
    def api_key(self) -> str:
        return self.emulator.config.api_key

    def mint_token(self, kind: TokenKind | str = TokenKind.VALID) -> str:
        return mint_token(self.config.signing_secret, kind, tenant_id=self.config.tenant_id)


class _HideDeliberateCuts(logging.Filter):
    """A cut stream is a requested fault, not a server error: keep it out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamCut))


logging.getLogger("uvicorn.error").addFilter(_HideDeliberateCuts())


@contextmanager
def run_emulator(
    config: EmulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    private_port: int = 0,
    proxy_listener: bool = False,
) -> Iterator[RunningEmulator]:
    """Run the emulator in a daemon thread for the duration of the block (tests, fixtures).
    `proxy_listener`: a third listener on the same resource for the proxy, whose answers' retry hints
    say "now", so the proxy's back-off is skipped offline (`harness.replay.waits`)."""
    emulator = Emulator(config)
    sockets = [bind(host, port, tool="harness emulator")]
    try:
        sockets.append(bind(host, private_port, tool="harness emulator"))
        if proxy_listener:
            sockets.append(bind(host, 0, tool="harness emulator"))
    except ServeError:
        for sock in sockets:
            sock.close()
        raise
    ports = [sock.getsockname()[1] for sock in sockets]
    app = EmulatorApp(emulator, {ports[1]}, set(ports[2:]))
    with serve_in_thread(app, sockets, "azure-emulator") as serving:
        proxy_url = url_of(sockets[2]) if proxy_listener else ""
        yield RunningEmulator(emulator, url_of(sockets[0]), url_of(sockets[1]), serving, proxy_url)
