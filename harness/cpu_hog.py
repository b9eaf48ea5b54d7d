"""A CPU hog on every core, for measuring under load: one busy process per core, stopped by its pid.

    with cpu_hog() as pids: ...     # or: python -m harness.cpu_hog SECONDS

The processes are this interpreter running a busy loop, started in their own session, and stopped in
`finally` by their own pids (SIGTERM, then SIGKILL after a deadline), never by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

BUSY = "while True: pass"


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def cpu_hog(enabled: bool = True, cores: int | None = None) -> Iterator[list[int]]:
    """Busy processes, one per core (or `cores`), for the block's duration; yields their pids.

    While they run, SIGTERM ends the block as Ctrl-C does, so `finally` stops them: Python's default
    for SIGTERM exits at once, and a flake hunt stopped that way left both hogs spinning (seen)."""
    procs: list[subprocess.Popen[bytes]] = []
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if enabled and main else None
    try:
        if enabled:
            for _ in range(cores or os.cpu_count() or 1):
                procs.append(subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=True))
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    with cpu_hog() as pids:
        print(f"cpu_hog: {len(pids)} busy processes: {' '.join(map(str, pids))}", flush=True)
        time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
