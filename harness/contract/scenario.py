"""A scenario: one call an application makes, as both paths make it.

The `chat.completions.create` arguments without `model` (each path names the model its own way),
whether it streams, sync or async, which setup of the deployment matrix it uses, and client
settings (timeout, retries, reading a stream only partly, calling several times in a row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Scenario:
    """One call: the `chat.completions.create` arguments (without `model`) and how to make it."""

    params: Mapping[str, Any]
    stream: bool = False
    use_async: bool = False
    setup: str = "good-key"
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = 0
    stop_after_content: int | None = None  # a client that stops reading after this many content chunks
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the same call made this many times in a row by one client (router state: cooldowns)
    repeat: int = 1
