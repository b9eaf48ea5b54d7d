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


def test_settle_waits_out_late_requests_then_returns() -> None:
    journal: list[object] = []

    def proxy() -> None:  # two retries the proxy still sends after its client gave up, 0.2 s apart
        for _ in range(2):
            time.sleep(0.2)
            journal.append(object())

    sender = threading.Thread(target=proxy)
    sender.start()
    target(journal).settle(0.3, deadline_s=30)
    sender.join()
    assert len(journal) == 2  # both arrived before settle saw 0.3 s of quiet


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
