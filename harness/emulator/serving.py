"""Serve an ASGI app on pre-bound loopback sockets in a daemon thread, with deadlines both ways.

Shared by the emulator and the upstream replay server. Sockets are bound by the caller (port 0 by
default), so the port is known before anyone connects: no find-a-free-port race.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

START_DEADLINE_S = 10.0
STOP_DEADLINE_S = 5.0


class ServeError(RuntimeError):
    """A listener that could not bind or start; the message names the address and the fix."""


def bind(host: str, port: int, *, tool: str = "harness") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it Nagle plus delayed ACK adds ~40 ms per response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"{tool}: cannot listen on {host}:{port} ({exc.strerror}); choose another --port, or 0 for any free port"
        ) from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: Any) -> uvicorn.Server:
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_keep_alive=30, http="auto", loop="auto"
    )
    return uvicorn.Server(config)


@dataclass
class Serving:
    """A server thread while it runs: whether it is alive, and how to stop it early (tests that
    play a crash)."""

    thread: threading.Thread
    server: uvicorn.Server

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STOP_DEADLINE_S)


@contextmanager
def serve_in_thread(app: Any, sockets: Sequence[socket.socket], name: str) -> Iterator[Serving]:
    """Serve until the block ends; the sockets are closed afterwards whatever happened."""
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": list(sockets)}, name=name, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + START_DEADLINE_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ServeError(
                    f"harness: {name} did not start on {url_of(sockets[0])} within {START_DEADLINE_S:.0f}s"
                )
            time.sleep(0.005)
        yield Serving(thread, server)
    finally:
        server.should_exit = True
        thread.join(STOP_DEADLINE_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(STOP_DEADLINE_S)
        for sock in sockets:
            sock.close()
