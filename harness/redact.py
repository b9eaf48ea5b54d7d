"""Keep secrets out of anything written: replace every known secret value with a marker."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.atomic import write_text_atomic

MARKER = "<redacted>"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Longest first, so a secret that contains another is replaced whole."""
    for secret in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(secret, MARKER)
    return text


def redact_file(path: Path, secrets: Iterable[str]) -> None:
    """Rewrite `path` atomically with every secret replaced; a missing file is left missing."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    cleaned = redact(text, secrets)
    if cleaned != text:
        write_text_atomic(path, cleaned)
