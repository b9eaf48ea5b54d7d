"""The emulator's pure handler: one Azure OpenAI resource, request in, response out.

Checks run in the order Azure's gateway applies them (route, network access, api-version,
credential, body, deployment, parameters, quota, content filter), so that a request with two
problems gets the same answer it would get from Azure.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from harness.emulator import auth, chat, embeddings, errors, network, responses, routes, versions, wire
from harness.emulator.call import Call
from harness.emulator.config import EmulatorConfig
from harness.emulator.ratelimit import RateLimiter
from harness.emulator.response_store import ResponseStore
from harness.emulator.validate import Rejected
from harness.emulator.wire import EmuRequest, EmuResponse

#: Azure's front door adds these to what it answers (recorded on every 200 and on the 404
#: DeploymentNotFound, not on the key 401). The emulator sends them on the 404 only so far: on every
#: answer they would change every recorded cassette (tests/fidelity, chat.headers.*).
SECURITY_HEADERS = (
    ("strict-transport-security", "max-age=31536000; includeSubDomains; preload"),
    ("x-content-type-options", "nosniff"),
)
V1_JSON = "application/json; charset=utf-8"
_MODEL_VERSION = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4})$")


def base_model(model: str) -> str:
    """The model name without its version (`gpt-4o-2024-08-06` -> `gpt-4o`), as Azure's messages name it."""
    return _MODEL_VERSION.sub("", model)


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


def _received(request: EmuRequest, record: dict[str, Any]) -> dict[str, Any]:
    """What Azure received, where a gateway answered before the backend read it (a wrong key, a refused
    api-version): the body and the deployment the request named. The journal tells what a client sent,
    whichever layer said no, as a recording of the same exchange does."""
    found: dict[str, Any] = {}
    if record["body"] is None and request.body:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            body = json.loads(request.body)
            found["body"] = body if isinstance(body, dict) else None
    if record["deployment"] is None:
        with contextlib.suppress(Rejected):
            found["deployment"] = routes.match(request.path).deployment
    return found


class Emulator:
    """One emulated resource. Thread-safe; state is the quota window, the journal and stored responses."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.limiter = RateLimiter()
        self.journal: deque[JournalEntry] = deque(maxlen=10_000)
        self.responses = ResponseStore(self.config.max_stored_responses)
        self._lock = threading.Lock()
        # `azureml-model-session` is dNNN-<the backend's start, YYYYMMDDhhmmss> (R1, R8, R9, R17, ...)
        self._session = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        #: the OpenAI organization behind the resource's Responses API (`openai-organization`)
        self._organization = uuid.uuid4().hex

    def reset(self) -> None:
        """Forget quota use, the journal and stored responses; the session-scoped server is reset per test."""
        self.limiter.reset()
        self.journal.clear()
        self.responses.clear()

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
        response.headers.extend(self._id_headers(response.layer, request, request_id))
        self.journal.append(JournalEntry(status=response.status, **{**record, **_received(request, record)}))
        return response

    def _id_headers(self, layer: str, request: EmuRequest, request_id: str) -> list[tuple[str, str]]:
        """The request-id headers of the layer that answered (recorded: the key check's 401 carries
        apim-request-id alone, the deployment lookup's 404 adds the region and security headers but
        no x-request-id or client request id; the model service's answers carry all four)."""
        if layer == wire.KEY_CHECK:
            return [("apim-request-id", request_id)]
        if layer == wire.DEPLOYMENT_LOOKUP:
            return [("apim-request-id", request_id), ("x-ms-region", self.config.region), *SECURITY_HEADERS]
        # x-request-id is the model service's own id, never the gateway's (R1, R9, R17, R23, R13)
        return [
            ("apim-request-id", request_id),
            ("x-request-id", str(uuid.uuid4())),
            ("x-ms-region", self.config.region),
            ("x-ms-client-request-id", request.headers.get("x-ms-client-request-id", request_id)),
        ]

    def _handle(self, request: EmuRequest, request_id: str, record: dict[str, Any]) -> EmuResponse:
        route = routes.match(request.path)
        if request.method not in route.methods:
            return errors.method_not_allowed()
        if not self.config.public_network_access and not request.private_listener:
            return errors.public_access_disabled()
        api_version = self._api_version(route, request)
        record["api_version"] = api_version
        denied = auth.authenticate(request.headers, self.config, v1=route.v1)
        if denied is not None:
            return denied
        started = time.perf_counter()
        try:
            response = self._operate(route, request, api_version, request_id, record)
        except Rejected as rejected:
            response = rejected.response
        elapsed_ms = max(1, int((time.perf_counter() - started) * 1000))
        if response.status == 200:
            response.headers.extend(SECURITY_HEADERS)  # on every successful answer (R1, R4, R9, R13, R17, R25)
            if not route.v1 and route.operation == routes.CHAT:
                # the deployments route's chat completions carry the model service's time (R1, R9, R17, R18)
                response.headers.append(("x-envoy-upstream-service-time", str(elapsed_ms)))
        if route.v1:
            # The v1 surface stamps these on what it answers (recorded on v1 chat, R23, and on a
            # v1-style 400, E1): request-id is the apim-request-id again.
            response.headers.extend(
                [
                    ("api-supported-versions", "1"),
                    ("x-envoy-upstream-service-time", str(elapsed_ms)),
                    ("request-id", request_id),
                ]
            )
            if route.operation == routes.CHAT and response.status == 200 and not response.streaming:
                # and its chat JSON names the charset, unlike the deployments route (R23)
                response.headers = [(k, V1_JSON if k == "content-type" else v) for k, v in response.headers]
        return response

    @staticmethod
    def _api_version(route: routes.Route, request: EmuRequest) -> str:
        """The api-version that gates features, or Azure's answer to a missing or unknown one."""
        api_version = request.query.get("api-version")
        if route.v1:
            if not versions.v1_accepts(api_version):
                # The v1 paths take `v1` or `preview` (or none); a dated version is refused like an unknown one.
                raise Rejected(errors.api_version_not_supported())
            return versions.V1_EQUIVALENT
        if not api_version:
            raise Rejected(errors.resource_not_found())
        if not versions.is_supported(api_version):
            raise Rejected(errors.api_version_not_supported())
        if route.operation in (routes.RESPONSES, routes.RESPONSE) and not versions.serves_responses(api_version):
            backend_path = "/v1" + request.path.removeprefix("/openai")
            raise Rejected(errors.invalid_url(request.method, backend_path))
        return api_version

    def _operate(
        self, route: routes.Route, request: EmuRequest, api_version: str, request_id: str, record: dict[str, Any]
    ) -> EmuResponse:
        """The backend's part: the body, the deployment, then the operation itself."""
        if route.operation == routes.RESPONSE:
            assert route.response_id is not None
            if request.method == "DELETE":
                return responses.delete(self.responses, route.response_id, self._organization)
            return responses.retrieve(self.responses, route.response_id, self._organization)
        body = self._parse_body(request)
        record["body"] = body if isinstance(body, dict) else None
        try:
            # how the answer travels (`[[net:...]]`), taken out before the model sees the request
            travel, body = network.take(body)
        except network.NetworkMarkerError as exc:
            return errors.invalid_param(f"emulator: {exc}", None)
        deployment_name = route.deployment
        if deployment_name is None:
            deployment_name = body.get("model") if isinstance(body, dict) else None
            if not isinstance(deployment_name, str):
                if route.operation == routes.RESPONSES:
                    return errors.missed_model_deployment()
                return errors.invalid_param(
                    "Missing required parameter: 'model'.", "model", "missing_required_parameter"
                )
        record["deployment"] = deployment_name
        deployment = self.config.deployments.get(deployment_name)
        if deployment is None:
            return errors.deployment_not_found()
        if deployment.kind != routes.KIND_OF[route.operation]:
            return errors.operation_not_supported(routes.OPERATION_NAME[route.operation], base_model(deployment.model))
        if not isinstance(body, dict):
            return errors.invalid_param(f"{body!r} is not of type 'object'", None, "invalid_type")
        record["stream"] = bool(body.get("stream"))
        call = Call(body, deployment, api_version, request_id, self.limiter, self._session, v1=route.v1)
        if route.operation == routes.EMBEDDINGS:
            answer = embeddings.create(call)
        elif route.operation == routes.RESPONSES:
            answer = responses.create(call, self.responses)
        else:
            answer = chat.create(call)
        return travel.apply(answer) if travel.any and answer.status == 200 else answer

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
