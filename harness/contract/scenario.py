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


APIS = ("chat", "embeddings", "responses")


@dataclass(frozen=True)
class Scenario:
    """One call: the create arguments (without `model`) of an API, and how to make it.

    `api` is `chat` (`chat.completions.create`), `embeddings` (`embeddings.create`) or `responses`
    (`responses.create`). For the Responses API, `then` names operations on the created response, made
    in order by the same client: `retrieve`, `delete`, or `continue` (a second create with
    `previous_response_id`, its input in `extra["next_input"]`); the observation is then the sequence.
    """

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
    api: str = "chat"
    then: tuple[str, ...] = ()
