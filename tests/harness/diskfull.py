"""A pytest plugin for `test_machine_faults.py`: the disk fills while a cassette is being written.

Every atomic write in the harness (`harness.replay.atomic`) gets a file whose `write` puts half the bytes
down and then fails with ENOSPC, as a full disk does. Nothing else in the process is touched.
"""

from __future__ import annotations

import errno
import os
import types
from typing import Any

import harness.replay.atomic


class _FillsUp:
    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def __enter__(self) -> _FillsUp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


def _fdopen(fd: int, *args: Any, **kwargs: Any) -> _FillsUp:
    return _FillsUp(os.fdopen(fd, *args, **kwargs))


harness.replay.atomic.os = types.SimpleNamespace(**{**vars(os), "fdopen": _fdopen})  # type: ignore[assignment]
