"""Observations: what an application saw from one call, as plain, normalized, comparable data.

Three frozen shapes, one per outcome: a response, a stream, a failure. Each holds a JSON-like
tree (`tree()`), which is what `compare` walks. Volatile values (ids, timestamps, fingerprints,
request ids) are masked to a type marker, so their presence and type still count but their value
does not. Masking is idempotent.

Bodies are taken as the SDK's `to_dict()` gives them (fields the server actually sent): an
application that serializes a response sees exactly that, so a dropped key is a real difference.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.contract.stream import assemble, chunk_kind, collapse, key_paths

#: per-response values: ids (chat completion, response, output item, call), times, fingerprints; the
#: Responses API's late-2025 `obfuscation` padding is random per event
VOLATILE_KEYS = frozenset(
    {"id", "created", "created_at", "system_fingerprint", "item_id", "call_id", "previous_response_id", "obfuscation"}
)
SIGNIFICANT_HEADERS = (
    "apim-request-id",
    "x-request-id",
    "x-ms-region",
    "x-ms-client-request-id",
    "azureml-model-session",
    "x-ms-rai-invoked",
    "x-ms-deployment-name",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "retry-after",
    "retry-after-ms",
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
#: LiteLLM's deployment ids (a sha256 of the model group and its params, the loopback port among
#: them) in router texts: another id every run
_DEPLOYMENT_ID = re.compile(r"\b[0-9a-f]{64}\b")
#: the router's `cooldown_list=[...]` names every deployment cooling in the whole proxy at that
#: moment, other model groups' too: its length depends on unrelated traffic, so it is one marker
_DEPLOYMENT_IDS = re.compile(r"\['<deployment-id>'(?:, '<deployment-id>')*\]")
_MASK = re.compile(r"^<masked:[a-z]+>$")

#: between the setup and the owner in a lane's alias (`harness.paths.lanes`): what follows it is
#: harness plumbing, and `mask` drops it, so an item sees the alias a team would give the setup
LANE_MARK = "@lane-"
LANE_SUFFIX = re.compile(re.escape(LANE_MARK) + r"[A-Za-z0-9_-]+")

Kind = Literal["response", "stream", "error", "sequence", "events", "disclosure"]


def mask_value(value: Any) -> Any:
    """A type marker in place of a volatile value; already-masked values stay as they are."""
    if isinstance(value, str) and _MASK.match(value):
        return value
    kind = "null" if value is None else "bool" if isinstance(value, bool) else type(value).__name__
    return f"<masked:{kind}>"


def mask(tree: Any) -> Any:
    """Mask volatile keys anywhere in the tree (tool-call ids too), and request and deployment ids
    inside strings; a lane's alias reads as its setup's (`harness.paths.lanes`)."""
    if isinstance(tree, Mapping):
        return {key: mask_value(value) if key in VOLATILE_KEYS else mask(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [mask(item) for item in tree]
    if isinstance(tree, str):
        text = _DEPLOYMENT_ID.sub("<deployment-id>", _UUID.sub("<uuid>", tree))
        return LANE_SUFFIX.sub("", _DEPLOYMENT_IDS.sub("[<deployment-ids>]", text))
    return tree


#: ids Azure mints for stored Responses and their items (`resp_`, `msg_`, `fc_` + 48 hex): a request
#: that names one (a retrieve, `previous_response_id`) names a random value
_MINTED_ID = re.compile(r"\b(resp|msg|fc)_[0-9a-f]{48}\b")


def number_ids(tree: Any, seen: dict[str, str] | None = None) -> Any:
    """Each minted id replaced by its kind and the order it first appears in (`<resp#1>`): two paths'
    requests compare equal when they refer to the same responses in the same way, whatever ids
    Azure handed each of them."""
    seen = {} if seen is None else seen
    if isinstance(tree, Mapping):
        return {key: number_ids(value, seen) for key, value in tree.items()}
    if isinstance(tree, list):
        return [number_ids(item, seen) for item in tree]
    if isinstance(tree, str):
        return _MINTED_ID.sub(lambda m: seen.setdefault(m.group(0), f"<{m.group(1)}#{len(seen) + 1}>"), tree)
    return tree


def significant_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Which of Azure's headers reached the client. Values vary per call, so only presence counts."""
    lowered = {k.lower() for k in headers}
    return {name: "<present>" for name in SIGNIFICANT_HEADERS if name in lowered}


@dataclass(frozen=True)
class ResponseObservation:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str]
    kind: Kind = "response"
    #: every response header's name, lower-cased: not part of the contract (values and most names
    #: differ by design), but the upgrade gate reports names one LiteLLM version adds or drops
    header_names: tuple[str, ...] = field(default=(), compare=False)
    #: an embeddings answer's vectors as the SDK gave them (the body holds their digests)
    vectors: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def tree(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status, "body": self.body, "headers": self.headers}


@dataclass(frozen=True)
class StreamObservation:
    """A stream: its grammar; per chunk kind, the keys its chunks carried and their top-level scalar
    values (`model`, `object`, ...); and what it assembles to."""

    status: int
    grammar: tuple[str, ...]
    chunk_keys: Mapping[str, tuple[str, ...]]
    chunk_values: Mapping[str, Mapping[str, list[Any]]]
    assembled: Mapping[str, Any]
    headers: Mapping[str, str]
    chunks: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)
    error: Mapping[str, Any] | None = None
    released: bool = True  # the HTTP response was closed once the client stopped reading
    kind: Kind = "stream"
    #: every response header's name, lower-cased: not part of the contract (values and most names
    #: differ by design), but the upgrade gate reports names one LiteLLM version adds or drops
    header_names: tuple[str, ...] = field(default=(), compare=False)

    def tree(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "grammar": list(self.grammar),
            "chunk_keys": {k: dict.fromkeys(v, "<present>") for k, v in self.chunk_keys.items()},
            "chunk_values": self.chunk_values,
            "assembled": self.assembled,
            "headers": self.headers,
            "error": self.error,
            "released": self.released,
        }


@dataclass(frozen=True)
class FailureObservation:
    exception: str
    status: int | None
    error: Mapping[str, Any]
    headers: Mapping[str, str]
    kind: Kind = "error"
    #: every response header's name, lower-cased: not part of the contract (values and most names
    #: differ by design), but the upgrade gate reports names one LiteLLM version adds or drops
    header_names: tuple[str, ...] = field(default=(), compare=False)

    def tree(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "exception": self.exception,
            "status": self.status,
            "error": self.error,
            "headers": self.headers,
        }


@dataclass(frozen=True)
class SequenceObservation:
    """Several calls in a row from one client, each observed on its own.

    What a call sees can depend on the calls before it (LiteLLM's router cools a deployment down
    after some failures and answers the next requests itself), so a case about that state makes
    its calls in sequence and the contract compares them call by call (`calls[1].status`).
    """

    calls: tuple[ResponseObservation | StreamObservation | FailureObservation, ...]
    kind: Kind = "sequence"

    @property
    def header_names(self) -> tuple[str, ...]:
        return tuple(sorted({name for call in self.calls for name in call.header_names}))

    def tree(self) -> dict[str, Any]:
        return {"kind": self.kind, "calls": [call.tree() for call in self.calls]}


Observation = ResponseObservation | StreamObservation | FailureObservation | SequenceObservation
# (and `harness.contract.events.EventStreamObservation`, a Responses stream, which builds on this module)


def observe_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str]) -> ResponseObservation:
    vectors = tuple(item.get("embedding") for item in body.get("data") or [] if isinstance(item, Mapping))
    return ResponseObservation(
        status=status,
        body=mask(summarize_embeddings(dict(body))),
        headers=significant_headers(headers),
        header_names=header_names(headers),
        vectors=vectors,
    )


def summarize_embeddings(body: dict[str, Any]) -> dict[str, Any]:
    """An embeddings body with each vector as its length and digest: thousands of floats say nothing a
    digest does not, and a list (floats) and a string (base64) stay apart by shape. Digests are of the
    little-endian float32 bytes, so the same vector digests alike however it was encoded."""
    data = body.get("data")
    if body.get("object") != "list" or not isinstance(data, list):
        return body
    out = []
    for item in data:
        if isinstance(item, Mapping) and "embedding" in item:
            item = {**item, "embedding": _digest(item["embedding"])}
        out.append(item)
    return {**body, "data": out}


def _digest(vector: Any) -> Any:
    if isinstance(vector, str):
        raw = base64.b64decode(vector)
        return {"base64_floats": len(raw) // 4, "sha256": hashlib.sha256(raw).hexdigest()[:16]}
    if isinstance(vector, list) and all(isinstance(v, int | float) for v in vector):
        raw = struct.pack(f"<{len(vector)}f", *vector)
        return {"floats": len(vector), "sha256": hashlib.sha256(raw).hexdigest()[:16]}
    return vector


def header_names(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The names of the headers that carry a value: a header a proxy callback blanked tells the client
    nothing (`harness.contract.disclosure`)."""
    return tuple(sorted({k.lower() for k, v in headers.items() if str(v).strip()}))


def observe_failure(exc: BaseException) -> FailureObservation:
    """The SDK exception as the application catches it: class, status, and error fields."""
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    headers = significant_headers(response.headers) if response is not None else {}
    error = {
        "code": getattr(exc, "code", None),
        "type": getattr(exc, "type", None),
        "param": getattr(exc, "param", None),
        "message": mask(_message(exc)),
    }
    return FailureObservation(
        exception=type(exc).__name__,
        status=status,
        error=error,
        headers=headers,
        header_names=header_names(response.headers) if response is not None else (),
    )


def _message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error") if isinstance(body.get("error"), Mapping) else body
        message = inner.get("message")
        if isinstance(message, str):
            return message
    return str(getattr(exc, "message", exc))


def observe_stream(
    status: int,
    chunks: list[Mapping[str, Any]],
    headers: Mapping[str, str],
    error: BaseException | None = None,
    released: bool = True,
) -> StreamObservation:
    kinds = [chunk_kind(c) for c in chunks]
    masked = [mask(c) for c in chunks]
    chunk_keys: dict[str, set[str]] = {}
    chunk_values: dict[str, dict[str, list[Any]]] = {}
    for kind, chunk in zip(kinds, masked, strict=True):
        chunk_keys.setdefault(kind, set()).update(key_paths(chunk))
        values = chunk_values.setdefault(kind, {})
        for key, value in chunk.items():
            if not isinstance(value, (Mapping, list)) and value not in values.setdefault(key, []):
                values[key].append(value)
    return StreamObservation(
        status=status,
        grammar=collapse(kinds),
        chunk_keys={k: tuple(sorted(v)) for k, v in sorted(chunk_keys.items())},
        chunk_values={k: dict(sorted(v.items())) for k, v in sorted(chunk_values.items())},
        assembled=mask(assemble(chunks)),
        headers=significant_headers(headers),
        chunks=tuple(masked),
        error=observe_failure(error).tree() if error is not None else None,
        released=released,
        header_names=header_names(headers),
    )
