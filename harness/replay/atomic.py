"""Atomic file writes: a temporary file in the same folder, fsync, then rename over the target.

An interrupted run (Ctrl-C, a killed worker) leaves either the old file or the new one, never half
of one. Used for generated proxy configs, cassettes and reports.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes, verify: Callable[[Path], None] | None = None) -> None:
    """`verify(tmp)` runs on the complete new file, in the target's folder, before it replaces the
    target: if it raises, the target is left as it was (a file the writer cannot read back never lands)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; keep the target's mode, or give a new file the usual 0644.
        os.fchmod(fd, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if verify is not None:
            verify(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str, verify: Callable[[Path], None] | None = None) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), verify)
