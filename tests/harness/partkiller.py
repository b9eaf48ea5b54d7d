"""A pytest plugin for `test_part_death.py`: crashes one part of the run before the N-th item.

`HARNESS_CRASH_PART` names the part (the start of its name in `harness.runner.parts`), `HARNESS_CRASH_AT`
the item (1-based): the part is crashed before that item, or before the first one after it at which the
part runs (a serial run's direct items come first and start no proxy: `harness.plugin.warming.proxy_last`).
The proxy gets SIGKILL by its own pid, as an OOM kill would; a server thread is stopped.
"""

from __future__ import annotations

import os
import time

import pytest

from harness.plugin.state import STATE

_seen: list[str] = []
_crashed: list[str] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _seen.append(item.nodeid)
    if len(_seen) < int(os.environ["HARNESS_CRASH_AT"]) or _crashed:
        return
    watch = item.config.stash[STATE].watch
    wanted = os.environ["HARNESS_CRASH_PART"]
    part = next((p for p in watch.parts if p.name.startswith(wanted)), None)
    if part is None:
        return  # not started yet: crashed before the first item that finds it running
    _crashed.append(item.nodeid)
    part.crash()
    deadline = time.monotonic() + 10
    while part.exit_status() is None and time.monotonic() < deadline:
        time.sleep(0.05)
