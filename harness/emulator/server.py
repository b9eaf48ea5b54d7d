"""Serve the emulator on loopback: a public listener and a private-endpoint listener.

Sockets are bound here (port 0 by default) and handed to uvicorn, so the bound port is known
before anyone connects and there is no find-a-free-port race. The private listener stands in for
the resource's private endpoint: with public network access disabled, only it is answered.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from harness.emulator.asgi import EmulatorApp, StreamCut
from harness.emulator.config import EmulatorConfig
from harness.emulator.core import Emulator
from harness.emulator.tokens import TokenKind, mint_token

START_DEADLINE_S = 10.0
STOP_DEADLINE_S = 5.0


class EmulatorStartError(RuntimeError):
    """The emulator could not bind or start; the message names the address."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it Nagle plus delayed ACK adds ~40 ms per response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EmulatorStartError(
            f"harness emulator: cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another --port, or 0 for any free port"
        ) from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningEmulator:
    """A live emulator: where it listens and how to get credentials for it."""

    emulator: Emulator
    url: str
    private_url: str

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


def make_server(app: EmulatorApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_keep_alive=30, http="auto", loop="auto"
    )
    return uvicorn.Server(config)


@contextmanager
def serve_in_thread(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0, private_port: int = 0
) -> Iterator[RunningEmulator]:
    """Run the emulator in a daemon thread for the duration of the block (tests, fixtures)."""
    emulator = Emulator(config)
    public = bind(host, port)
    try:
        private = bind(host, private_port)
    except EmulatorStartError:
        public.close()
        raise
    app = EmulatorApp(emulator, {private.getsockname()[1]})
    server = make_server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [public, private]}, name="azure-emulator", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise EmulatorStartError(
                    f"harness emulator: did not start on {_url(public)} within {START_DEADLINE_S:.0f}s"
                )
            time.sleep(0.005)
        yield RunningEmulator(emulator, _url(public), _url(private))
    finally:
        server.should_exit = True
        thread.join(STOP_DEADLINE_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(STOP_DEADLINE_S)
        public.close()
        private.close()
