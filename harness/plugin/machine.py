"""What the run needs from the machine, checked up front: a writable temporary folder, and a report
path of its own when another run shares the checkout.

Both fail late and badly otherwise. With `TMPDIR` on a read-only path, Python quietly falls back
to `/tmp` (or, with no fallback left, pytest dies in `tempfile` with a traceback), so a team that
pointed TMPDIR at a quota'd or noexec folder on purpose never learns its setting was ignored. And
two runs in one checkout (a developer's run beside a watch loop, say) would both write
`parity-report.json`, the last one silently replacing the other's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class TempFolderError(RuntimeError):
    """The temporary folder the user chose cannot be written; the message names it and the fix."""


def _unwritable(folder: Path) -> str | None:
    """Why files cannot be created in `folder`, or None when they can."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def check_temp_folder(environ: Mapping[str, str], basetemp: str | None) -> None:
    """`--basetemp`, else `TMPDIR`, must be a folder this process can create files in."""
    if basetemp:
        parent = Path(basetemp).resolve().parent
        if (why := _unwritable(parent)) is not None:
            raise TempFolderError(
                f"harness: --basetemp {basetemp}: its folder {parent} is not writable ({why}); pass a "
                "--basetemp in a writable folder"
            )
        return
    chosen = environ.get("TMPDIR")
    if chosen and (why := _unwritable(Path(chosen))) is not None:
        raise TempFolderError(
            f"harness: TMPDIR={chosen} is not a writable folder ({why}). The run keeps the local proxy's "
            "config and log and pytest's temporary folders there, and Python would silently use another "
            "folder instead. Fix: point TMPDIR at a writable folder (or unset it), or pass --basetemp DIR"
        )


@dataclass
class ReportClaim:
    """The report path this run writes, held with a lock for the whole run."""

    path: Path
    note: str = ""
    _fd: int | None = field(default=None, repr=False)

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _lock(path: Path) -> int | None:
    """An exclusive, non-blocking lock on `.<name>.lock` beside `path`; None if another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def claim_report(path: Path) -> ReportClaim:
    """`path`, or `<stem>.<pid><suffix>` beside it while another run in this checkout holds `path`."""
    fd = _lock(path)
    if fd is not None:
        return ReportClaim(path, _fd=fd)
    own = path.with_name(f"{path.stem}.{os.getpid()}{path.suffix}")
    return ReportClaim(
        own,
        note=f"another run in this checkout writes {path.name}; this run writes {own.name}",
        _fd=_lock(own),
    )
