"""`UpstreamTarget.settle`: a case whose proxy may go on retrying after the application gave up waits until
Azure has been quiet, so the late requests count for that case and never land in the next one's window."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from harness.replay.upstream import UpstreamTarget


def target(journal: list[object]) -> UpstreamTarget:
    emulator = SimpleNamespace(emulator=SimpleNamespace(journal=journal))
    return UpstreamTarget("emulator", {}, None, emulators=(emulator,))  # type: ignore[arg-type]


def test_settle_returns_only_after_quiet_since_the_last_request() -> None:
    """Its contract, whatever the machine's load: it returns once `quiet_s` passed since the last request it
    saw, never while a request just came (a retry the proxy sends after its client gave up)."""
    journal: list[float] = [time.monotonic()]  # the proxy's first attempt, already there

    def proxy() -> None:  # two more attempts, 0.2 s apart (later on a loaded machine: still correct below)
        for _ in range(2):
            time.sleep(0.2)
            journal.append(time.monotonic())

    sender = threading.Thread(target=proxy)
    sender.start()
    started = time.monotonic()
    target(journal).settle(0.5, deadline_s=60)
    returned, seen = time.monotonic(), len(journal)
    sender.join()
    # quiet for 0.5 s since the last request it could see (less its 50 ms polling)
    assert returned - max(journal[:seen]) >= 0.45
    assert returned - started >= 0.5


def test_settle_gives_up_at_its_deadline() -> None:
    journal: list[object] = []
    stop = threading.Event()

    def chatty() -> None:
        while not stop.is_set():
            journal.append(object())
            time.sleep(0.02)

    sender = threading.Thread(target=chatty)
    sender.start()
    try:
        started = time.monotonic()
        target(journal).settle(0.5, deadline_s=0.3)
        assert time.monotonic() - started < 30  # returned at its deadline, never hung on a busy upstream
    finally:
        stop.set()
        sender.join()


def test_received_returns_once_the_late_request_has_come() -> None:
    """`received` (`Case.client_gives_up`): the proxy forwards its request after its client gave up; the
    wait ends with it in the journal, however late it came within the deadline."""
    journal: list[object] = []
    sender = threading.Timer(0.3, journal.append, args=(object(),))
    sender.start()
    try:
        target(journal).received(1, deadline_s=60)
        assert len(journal) == 1
    finally:
        sender.cancel()


def test_received_gives_up_at_its_deadline() -> None:
    """A proxy that never sends (it cancelled the call its client left) costs the deadline, not a hang; the
    comparison then shows the missing request."""
    journal: list[object] = []
    started = time.monotonic()
    target(journal).received(1, deadline_s=0.2)
    assert journal == [] and time.monotonic() - started < 30
