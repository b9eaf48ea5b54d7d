"""The data-plane paths the emulated resource answers, and the operation each one names.

Azure serves two families of paths: the deployment-scoped ones
(`/openai/deployments/{d}/chat/completions`, `/embeddings`) with a dated `api-version`, and the
resource-scoped ones (`/openai/responses`, and everything under `/openai/v1/`) where the deployment,
if any, is the body's `model`. Matching a path says which operation runs and where the deployment
comes from; the gateway checks in `core` then run the same way for every operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.emulator import errors
from harness.emulator.validate import Rejected

CHAT = "chat"
EMBEDDINGS = "embeddings"
RESPONSES = "responses"  # POST: create a response
RESPONSE = "response"  # GET / DELETE one stored response by id

#: The operations that run a model, and the deployment kind each one needs.
KIND_OF = {CHAT: "chat", RESPONSES: "chat", EMBEDDINGS: "embeddings"}

#: How Azure names an operation in its `OperationNotSupported` answer. `chatCompletion` and
#: `embeddings` are recorded (public bug reports quote both); `responses` is inferred by analogy.
OPERATION_NAME = {CHAT: "chatCompletion", EMBEDDINGS: "embeddings", RESPONSES: "responses"}

_METHODS = {CHAT: ("POST",), EMBEDDINGS: ("POST",), RESPONSES: ("POST",), RESPONSE: ("GET", "DELETE")}

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions/?$"), CHAT),
    (re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/embeddings/?$"), EMBEDDINGS),
    (re.compile(r"^/openai(?P<v1>/v1)/chat/completions/?$"), CHAT),
    (re.compile(r"^/openai(?P<v1>/v1)/embeddings/?$"), EMBEDDINGS),
    (re.compile(r"^/openai(?P<v1>/v1)?/responses/?$"), RESPONSES),
    (re.compile(r"^/openai(?P<v1>/v1)?/responses/(?P<response_id>[^/]+)/?$"), RESPONSE),
)


@dataclass(frozen=True)
class Route:
    """What a path names: the operation, whether it is a v1 path, and ids taken from the path."""

    operation: str
    v1: bool
    deployment: str | None = None
    response_id: str | None = None

    @property
    def methods(self) -> tuple[str, ...]:
        return _METHODS[self.operation]

    @property
    def dated(self) -> bool:
        """True where Azure requires a dated `api-version` (every non-v1 path)."""
        return not self.v1


def match(path: str) -> Route:
    """The route for `path`, or Azure's 404 "Resource not found" for a path it does not serve."""
    for pattern, operation in _PATTERNS:
        found = pattern.match(path)
        if found:
            groups = found.groupdict()
            return Route(
                operation=operation,
                v1=bool(groups.get("v1")),
                deployment=groups.get("deployment"),
                response_id=groups.get("response_id"),
            )
    raise Rejected(errors.resource_not_found())
