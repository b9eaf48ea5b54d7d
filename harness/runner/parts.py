"""The run's moving parts, watched: a part that dies is named once, and the rest of the run fails fast.

A contract run leans on three long-lived parts: the LiteLLM proxy (a process of its own), the
loopback upstream server and the Azure emulator (server threads in the test process). When one of
them exits or stops answering, every later call through it fails too, and without this module
each item would report its own symptom ("expected InternalServerError 500, got
APIConnectionError"), which reads as a contract failure and names no cause.

So each part is registered while it runs, and checked before every item and after any item that
failed: is the process still running, is the thread alive, and (after a failure) does it answer
a probe within `PROBE_DEADLINE_S`. The first item to notice raises `PartDown` with one message: which part, its
pid, its exit code or signal, the tail of its log (scrubbed), and the command to rerun. Every later
item on that worker raises a one-line reference to that message. `PartDown` is not an
`AssertionError`: the plugin reports these items as infrastructure failures, apart from contract
failures, in the summary and the parity report.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from harness.paths.proxy import log_tail

if TYPE_CHECKING:
    from harness.emulator import RunningEmulator
    from harness.emulator.serving import Serving
    from harness.paths.proxy import RunningProxy
    from harness.replay.server import UpstreamServer

PROBE_DEADLINE_S = 2.0


class PartDown(Exception):
    """An infrastructure failure: a part of the run died or stopped answering."""


@dataclass
class Part:
    """One long-lived part. `exit_status` gives the process's return code, or None while it runs
    (a server thread: 0 once it has ended); `probe_url` must answer any HTTP response."""

    name: str
    pid: int
    probe_url: str
    exit_status: Callable[[], int | None]
    log_tail: Callable[[], str] = lambda: ""
    #: plays this part's crash, as an OOM kill or a fatal error would (the self-tests of this module)
    crash: Callable[[], None] = field(default=lambda: None, repr=False)

    def problem(self, probe: bool) -> str | None:
        """Why this part is down, or None when it runs (and, with `probe`, answers)."""
        status = self.exit_status()
        if status is not None:
            return _how_it_ended(status)
        if not probe:
            return None
        try:
            httpx.get(self.probe_url, timeout=PROBE_DEADLINE_S)
        except httpx.HTTPError as exc:
            why = type(exc).__name__
            return f"stopped answering: {self.probe_url} gave no answer within {PROBE_DEADLINE_S:g} s ({why})"
        return None


def _how_it_ended(status: int) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}" + (" (as the kernel's OOM killer does)" if name == "SIGKILL" else "")
    return f"exited with code {status}"


@dataclass
class Watch:
    """The parts of one worker's run, and the first death noticed."""

    parts: list[Part] = field(default_factory=list)
    #: scrubs log tails: a part's log may echo keys
    scrub: Callable[[str], str] = lambda text: text
    rerun: str = "pytest"
    down: str | None = None  # the first message, once a part is down
    noticed_by: str = ""

    def register(self, part: Part) -> None:
        self.parts.append(part)

    def unregister(self, part: Part) -> None:
        if part in self.parts:
            self.parts.remove(part)

    @contextmanager
    def watching(self, *parts: Part) -> Iterator[None]:
        """Watch `parts` for the duration of the block (while they are meant to run)."""
        for part in parts:
            self.register(part)
        try:
            yield
        finally:
            for part in parts:
                self.unregister(part)

    def check(self, nodeid: str, *, probe: bool = False) -> None:
        """Raise `PartDown` if a part is down: the whole story the first time, a reference after.

        Before each item only exits are checked (free); after a failed item each part is also
        probed, so a hung part costs one item's timeout, not one per item."""
        if self.down is not None:
            raise PartDown(
                f"harness: not run, {self.down.splitlines()[0].removeprefix('harness: ')} "
                f"(noticed by {self.noticed_by}, which shows its log)"
            )
        for part in self.parts:
            problem = part.problem(probe)
            if problem is None:
                continue
            tail = self.scrub(part.log_tail()).rstrip()
            self.down = f"harness: the {part.name} (pid {part.pid}) {problem}"
            self.noticed_by = nodeid
            message = (
                f"{self.down}. The items after this one on this worker are not run against it.\n"
                + (f"  last lines of its log:\n{tail}\n" if tail else "")
                + f"  rerun: {self.rerun} {nodeid}"
            )
            raise PartDown(message)


# ---------------------------------------------------------------- the three parts


def proxy_part(proxy: RunningProxy) -> Part:
    return Part(
        "LiteLLM proxy",
        proxy.pid,
        proxy.url + "/health/liveliness",
        proxy.exit_status,
        lambda: log_tail(proxy.log_path),
        crash=lambda: os.kill(proxy.pid, signal.SIGKILL),
    )


def _thread_status(serving: Serving | None) -> int | None:
    return None if serving is not None and serving.alive else 0


def upstream_part(server: UpstreamServer) -> Part:
    """The loopback server the proxy calls instead of Azure: a thread of this process."""
    return Part(
        "loopback upstream server (a thread of the test process)",
        os.getpid(),
        server.url + "/harness/ping",
        lambda: _thread_status(server.serving),
        crash=lambda: server.serving.stop() if server.serving is not None else None,
    )


def emulator_part(running: RunningEmulator) -> Part:
    return Part(
        "Azure emulator (a thread of the test process)",
        os.getpid(),
        running.url + "/",
        lambda: _thread_status(running.serving),
        crash=lambda: running.serving.stop() if running.serving is not None else None,
    )
