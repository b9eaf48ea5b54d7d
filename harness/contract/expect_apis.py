"""Expectations for the APIs beyond chat: embeddings, Responses bodies and Responses event streams.

What must hold on each path on its own, so that two paths broken the same way still fail: a batch
gives one vector per input with its index, vectors of similar texts are closer than unrelated ones, a
response that ran out of tokens is `incomplete`, a stream ends with `response.completed`, numbered 0, 1,
2, ... (exposed through `harness.contract.expect`).
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from harness.contract.observe import Observation, ResponseObservation

Expectation = Any  # Callable[[Observation], None]; see harness.contract.expect


def _floats(vector: Any) -> list[float]:
    if isinstance(vector, str):
        raw = base64.b64decode(vector)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return [float(v) for v in vector]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def embeddings(count: int, dims: int) -> Expectation:
    """`count` vectors of `dims` values, indexed 0..count-1, and usage without completion tokens counted."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, ResponseObservation), f"expected an embeddings answer, got a {obs.kind}"
        data = obs.body.get("data") or []
        assert [d.get("index") for d in data] == list(range(count)), f"indices: {[d.get('index') for d in data]}"
        assert all(len(_floats(v)) == dims for v in obs.vectors), f"expected {dims} dimensions"
        usage = obs.body.get("usage") or {}
        assert usage.get("prompt_tokens") and usage.get("total_tokens") == usage.get("prompt_tokens"), usage

    return check


def closer(first: int, second: int, than: int) -> Expectation:
    """Vector `first` is closer (cosine) to vector `second` than to vector `than`."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, ResponseObservation) and obs.vectors, f"expected vectors, got {obs.kind}"
        v = [_floats(x) for x in obs.vectors]
        near, far = _cosine(v[first], v[second]), _cosine(v[first], v[than])
        assert near > far, f"cosine({first},{second})={near:.3f} is not above cosine({first},{than})={far:.3f}"

    return check


def response_status(status: str, *, text: bool = True) -> Expectation:
    """A Responses body with this `status`, and (`text`) a message item with output text."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, ResponseObservation), f"expected a response, got {obs.kind}: {obs.tree()}"
        assert obs.body.get("status") == status, f"status: expected {status}, got {obs.body.get('status')}"
        if text:
            parts = [c for item in obs.body.get("output") or [] for c in item.get("content") or []]
            assert any(p.get("type") == "output_text" and p.get("text") for p in parts), "no output text"

    return check


def function_call(name: str) -> Expectation:
    def check(obs: Observation) -> None:
        assert isinstance(obs, ResponseObservation), f"expected a response, got {obs.kind}"
        calls = [i for i in obs.body.get("output") or [] if i.get("type") == "function_call"]
        assert [c.get("name") for c in calls] == [name], f"function calls: {calls}"

    return check


def event_stream(last: str = "response.completed") -> Expectation:
    """A Responses stream that ends with `last`, numbered from 0 by one, with no error."""

    def check(obs: Observation) -> None:
        assert obs.kind == "events", f"expected an event stream, got {obs.kind}: {obs.tree()}"
        tree = obs.tree()
        assert tree["error"] is None, f"the stream failed: {tree['error']}"
        assert tree["grammar"] and tree["grammar"][-1] == last, f"last event: {tree['grammar'][-1:]}"
        seq = tree["sequence"]
        assert seq["all_numbered"] and seq["starts_at"] == 0 and seq["rises_by_one"], f"sequence numbers: {seq}"

    return check


def event_stream_broken() -> Expectation:
    def check(obs: Observation) -> None:
        assert obs.kind == "events", f"expected an event stream, got {obs.kind}"
        tree = obs.tree()
        assert tree["error"] is not None, "the stream was expected to break"
        assert "response.completed" not in tree["grammar"], "a cut stream must not complete"

    return check
