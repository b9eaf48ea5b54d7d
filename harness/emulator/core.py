"""The emulator's pure handler: one Azure OpenAI resource, request in, response out.

Checks run in the order Azure's gateway applies them (route, network access, api-version,
credential, body, deployment, parameters, quota, content filter), so that a request with two
problems gets the same answer it would get from Azure.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from harness.emulator import auth, completion, errors, faults, filtering, render, text, versions
from harness.emulator.config import Deployment, EmulatorConfig
from harness.emulator.ratelimit import RateLimiter
from harness.emulator.validate import Rejected, validate
from harness.emulator.wire import EmuRequest, EmuResponse, json_response

_DEPLOYMENT_ROUTE = re.compile(r"^/openai/deployments/([^/]+)/chat/completions/?$")
_V1_ROUTE = re.compile(r"^/openai/v1/chat/completions/?$")


@dataclass(frozen=True)
class JournalEntry:
    """What one request looked like to Azure, for tests that count attempts or inspect auth."""

    method: str
    route: str
    deployment: str | None
    api_version: str | None
    auth_scheme: str
    status: int
    stream: bool
    body: dict[str, Any] | None


class Emulator:
    """One emulated resource. Thread-safe; state is the quota window and the journal."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.limiter = RateLimiter()
        self.journal: deque[JournalEntry] = deque(maxlen=10_000)
        self._lock = threading.Lock()
        self._session = str(uuid.uuid4())[:8]

    def reset(self) -> None:
        """Forget quota use and the journal; the session-scoped server is reset per test."""
        self.limiter.reset()
        self.journal.clear()

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Answer one request; every answer carries Azure's request-id headers."""
        request_id = str(uuid.uuid4())
        record: dict[str, Any] = {
            "method": request.method,
            "route": request.path,
            "deployment": None,
            "api_version": None,
            "auth_scheme": auth.scheme(request.headers),
            "stream": False,
            "body": None,
        }
        try:
            response = self._handle(request, request_id, record)
        except Rejected as rejected:
            response = rejected.response
        response.headers.extend(
            [
                ("apim-request-id", request_id),
                ("x-request-id", request_id),
                ("x-ms-region", self.config.region),
                ("x-ms-client-request-id", request.headers.get("x-ms-client-request-id", request_id)),
            ]
        )
        self.journal.append(JournalEntry(status=response.status, **record))
        return response

    def _route(self, request: EmuRequest) -> tuple[str | None, bool]:
        match = _DEPLOYMENT_ROUTE.match(request.path)
        if match:
            return match.group(1), False
        if _V1_ROUTE.match(request.path):
            return None, True
        raise Rejected(errors.resource_not_found())

    def _handle(self, request: EmuRequest, request_id: str, record: dict[str, Any]) -> EmuResponse:
        deployment_name, v1 = self._route(request)
        if request.method != "POST":
            return errors.method_not_allowed()
        if not self.config.public_network_access and not request.private_listener:
            return errors.public_access_disabled()
        api_version = request.query.get("api-version")
        if v1:
            api_version = api_version if api_version in versions.SUPPORTED_API_VERSIONS else versions.V1_EQUIVALENT
        elif not api_version:
            return errors.resource_not_found()
        elif not versions.is_supported(api_version):
            return errors.api_version_not_supported()
        record["api_version"] = api_version
        denied = auth.authenticate(request.headers, self.config)
        if denied is not None:
            return denied
        body = self._parse_body(request)
        record["body"] = body if isinstance(body, dict) else None
        if v1:
            deployment_name = body.get("model") if isinstance(body, dict) else None
            if not isinstance(deployment_name, str):
                return errors.invalid_param(
                    "Missing required parameter: 'model'.", "model", "missing_required_parameter"
                )
        record["deployment"] = deployment_name
        deployment = self.config.deployments.get(str(deployment_name))
        if deployment is None:
            return errors.deployment_not_found()
        validate(body, deployment, api_version)
        record["stream"] = bool(body.get("stream"))
        return self._chat(body, deployment, api_version, request_id)

    def _parse_body(self, request: EmuRequest) -> Any:
        if len(request.body) > self.config.max_body_bytes:
            raise Rejected(errors.body_too_large(self.config.max_body_bytes))
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise Rejected(errors.unsupported_media_type(content_type))
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise Rejected(errors.unparsable_json()) from None

    def _faults(self, body: dict[str, Any], deployment: Deployment) -> faults.Faults:
        specs = [faults.split_spec(s) for s in deployment.faults]
        user = [m for m in body["messages"] if m.get("role") == "user"]
        if user:
            specs += faults.from_text(text.message_text(user[-1]))
        try:
            return faults.parse(specs)
        except faults.FaultError as exc:
            raise Rejected(errors.invalid_param(f"emulator: {exc}", "messages")) from None

    def _chat(self, body: dict[str, Any], deployment: Deployment, api_version: str, request_id: str) -> EmuResponse:
        injected = self._faults(body, deployment)
        prompt_tokens = text.prompt_tokens(body)
        max_out = body.get("max_completion_tokens") or body.get("max_tokens") or 0
        if prompt_tokens + max_out > deployment.context_window:
            return errors.context_length_exceeded(
                deployment.context_window, prompt_tokens + max_out, prompt_tokens, max_out
            )
        if injected.status in (500, 503):
            return self._delayed(errors.server_error(injected.status, request_id), injected)
        decision = (
            self.limiter.forced(deployment)
            if injected.status == 429
            else self.limiter.check(deployment, prompt_tokens + (max_out or 16))
        )
        if not decision.allowed:
            return errors.rate_limited(api_version, int(decision.retry_after_s + 0.999), decision.headers(deployment))
        if injected.filter_prompt:
            return errors.prompt_filtered(filtering.category_results(injected.filter_prompt))
        answer = completion.complete(body, deployment, injected)
        response_id = "chatcmpl-" + uuid.uuid4().hex[:29]
        created = render.now()
        headers = [
            ("azureml-model-session", f"d{text.seed_for(deployment.name) % 1000:03d}-{self._session}"),
            ("x-ms-rai-invoked", "true"),
            ("x-ms-deployment-name", deployment.name),
            *decision.headers(deployment),
        ]
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = render.stream_events(answer, api_version, response_id, created, include_usage)
            frames, cut = render.frames(events, injected)
            return EmuResponse(
                status=200,
                headers=[("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"), *headers],
                frames=frames,
                cut=cut,
                first_byte_delay=injected.delay,
            )
        response = json_response(200, render.body(answer, api_version, response_id, created), headers)
        return self._delayed(response, injected)

    @staticmethod
    def _delayed(response: EmuResponse, injected: faults.Faults) -> EmuResponse:
        response.first_byte_delay = injected.delay
        return response
