"""One admitted request as the operations see it, and the gates every operation shares.

After the gateway checks (route, network, api-version, credential, deployment) each operation
validates its own body, then passes the same late gates in Azure's order: an injected server error,
the deployment's quota, the prompt filter. Keeping them here gives chat, embeddings and responses the
same fault markers and the same 429s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.emulator import errors, faults, text
from harness.emulator.config import Deployment
from harness.emulator.ratelimit import Decision, RateLimiter
from harness.emulator.validate import Rejected
from harness.emulator.wire import EmuResponse


@dataclass(frozen=True)
class Call:
    """A request past the gateway: its body, deployment and version, and the resource's state."""

    body: dict[str, Any]
    deployment: Deployment
    api_version: str
    request_id: str
    limiter: RateLimiter
    session: str
    #: on `/openai/v1/`: the v1 surface's own additions (message `annotations`) apply
    v1: bool = False

    def model_session(self) -> str:
        """The `azureml-model-session` header value: stable per deployment and emulator run."""
        return f"d{text.seed_for(self.deployment.name) % 1000:03d}-{self.session}"


def injected(deployment: Deployment, marker_text: str, param: str) -> faults.Faults:
    """The faults for this request: the deployment's own, then markers in the user's text."""
    specs = [faults.split_spec(s) for s in deployment.faults]
    if "[[fault:" in marker_text:
        specs += faults.from_text(marker_text)
    if not specs:
        return faults.Faults()
    try:
        return faults.parse(specs)
    except faults.FaultError as exc:
        raise Rejected(errors.invalid_param(f"emulator: {exc}", param)) from None


def delayed(response: EmuResponse, fault: faults.Faults) -> EmuResponse:
    response.first_byte_delay = fault.delay
    return response


def admit(call: Call, tokens: int, fault: faults.Faults, operation: str = "ChatCompletions_Create") -> Decision:
    """Pass the server-error and quota gates, or raise `Rejected` with Azure's answer."""
    if fault.status in (500, 503):
        raise Rejected(delayed(errors.server_error(fault.status, call.request_id), fault))
    deployment = call.deployment
    decision = call.limiter.forced(deployment) if fault.status == 429 else call.limiter.check(deployment, tokens)
    if not decision.allowed:
        retry = int(decision.retry_after_s + 0.999)
        raise Rejected(errors.rate_limited(call.api_version, retry, decision.headers(deployment), operation))
    return decision
