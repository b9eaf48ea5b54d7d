"""Venvs built ahead: while the bisect waits on a release's suite run, the venvs of the releases it may
ask for next are built beside it.

A release run is about two minutes of venv build (pip, mostly waiting on the index) and one of suite
(one core busy). Whatever the run in progress shows, each search goes to one of two releases next
(the middle of the lower or of the upper half), so those are known before the run ends
(`Bisector.prepare`). Building them meanwhile turns most builds into time the bisect spends anyway.

Bounded: at most `limit` builds at once, and only the first `depth` releases wanted (the earliest
change's first); a release no longer wanted is dropped before its build starts. Never a denylisted
release (`supply`), checked here before anything is queued and again by `ensure_env` before pip.
Cancellable: `close` stops the builds under way by their process group (`env.cancel_builds`); a venv
counts as built only once its marker is written, so a stopped build is rebuilt when it is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any

from harness.gate.env import GateEnvError, allow_builds, cancel_builds
from harness.gate.supply import denylist


class Ahead:
    """Builds venvs of releases wanted soon, `limit` at a time, in threads (the work is pip's, in subprocesses)."""

    def __init__(self, build: Callable[[str], Any], limit: int = 1, depth: int = 2) -> None:
        self._build = build
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=max(1, limit), thread_name_prefix="venv-ahead")
        self._futures: dict[str, Future[None]] = {}
        self._denied = set(denylist())
        self._lock = threading.Lock()
        self.started: list[str] = []  # releases whose build began, in order
        self.failed: dict[str, str] = {}  # release -> why its venv could not be built
        allow_builds()

    def want(self, versions: Sequence[str]) -> None:
        """The releases wanted next, most wanted first: queue the first `depth`, drop queued ones no longer wanted."""
        wanted = [v for v in dict.fromkeys(versions) if v not in self._denied][: self._depth]
        with self._lock:
            for version, future in list(self._futures.items()):
                if version not in wanted and future.cancel():
                    del self._futures[version]
            for version in wanted:
                if version not in self._futures:
                    self._futures[version] = self._pool.submit(self._one, version)

    def _one(self, version: str) -> None:
        with self._lock:
            self.started.append(version)
        try:
            self._build(version)
        except GateEnvError as exc:
            self.failed[version] = str(exc)

    def wait(self, version: str) -> str | None:
        """Before a release's own run: the build of it under way finishes first; why it failed, if it did."""
        with self._lock:
            future = self._futures.get(version)
        if future is not None:
            try:
                future.result()
            except CancelledError:
                return None
        return self.failed.get(version)

    def close(self) -> None:
        """Drop what is queued, stop the builds under way, and wait for their threads."""
        with self._lock:
            for future in self._futures.values():
                future.cancel()
        if any(not f.done() for f in self._futures.values()):
            cancel_builds()
        self._pool.shutdown(wait=True)
        allow_builds()
