"""Loaded by `serial_timeline.py` (`-p serial_timeline_plugin`): times the replay server's handler, the
harness's part of each request the proxy sends Azure, and prints the figures at the end of the run."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.replay import server

_TIMES: list[float] = []
_handle = server.UpstreamServer._handle


def _timed(self: server.UpstreamServer, scope: Any, body: bytes) -> Any:
    started = time.perf_counter()
    try:
        return _handle(self, scope, body)
    finally:
        _TIMES.append(time.perf_counter() - started)


server.UpstreamServer._handle = _timed  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TIMES:
        times = sorted(_TIMES)
        terminalreporter.write_line(
            f"[replay server] {len(times)} requests from the proxy, handled in {sum(times):.2f} s: median "
            f"{times[len(times) // 2] * 1000:.1f} ms, p90 {times[int(len(times) * 0.9)] * 1000:.1f} ms"
        )
