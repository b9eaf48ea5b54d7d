"""Per-path expectations for contract cases: what must hold on each path on its own.

The comparison says the two paths agree; these say what they agree *on* is the behaviour the case
is about (a `max_tokens` case really ended with `length`), so two equally broken paths still fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.observe import FailureObservation, Observation, ResponseObservation, StreamObservation

Expectation = Callable[[Observation], None]


def _choices(obs: Observation) -> list[dict[str, Any]]:
    """Per choice: content, tool_calls [{name, arguments}], finish_reason, whatever the outcome kind."""
    if isinstance(obs, ResponseObservation):
        out = []
        for choice in obs.body.get("choices", []):
            message = choice.get("message", {})
            calls = [
                {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                for c in message.get("tool_calls") or []
            ]
            out.append(
                {"content": message.get("content"), "tool_calls": calls, "finish_reason": choice.get("finish_reason")}
            )
        return out
    if isinstance(obs, StreamObservation):
        return [dict(c) for c in obs.assembled["choices"]]
    raise AssertionError(f"expected a completion, got {obs.kind}: {obs.tree()}")


def all_of(*expectations: Expectation) -> Expectation:
    def check(obs: Observation) -> None:
        for expectation in expectations:
            expectation(obs)

    return check


def finish_reason(expected: str) -> Expectation:
    def check(obs: Observation) -> None:
        reasons = [c["finish_reason"] for c in _choices(obs)]
        assert reasons and all(r == expected for r in reasons), f"finish_reason: expected {expected}, got {reasons}"

    return check


def n_choices(expected: int) -> Expectation:
    def check(obs: Observation) -> None:
        got = len(_choices(obs))
        assert got == expected, f"expected {expected} choices, got {got}"

    return check


def has_text() -> Expectation:
    def check(obs: Observation) -> None:
        texts = [c["content"] for c in _choices(obs)]
        assert texts and all(isinstance(t, str) and t for t in texts), f"expected text content, got {texts}"

    return check


def text_lacks(fragment: str) -> Expectation:
    def check(obs: Observation) -> None:
        for choice in _choices(obs):
            assert fragment not in (choice["content"] or ""), f"{fragment!r} should have stopped the output"

    return check


def tool_calls(*names: str) -> Expectation:
    """The first choice calls exactly these functions, with arguments that parse as JSON objects."""

    def check(obs: Observation) -> None:
        calls = _choices(obs)[0]["tool_calls"]
        assert [c["name"] for c in calls] == list(names), f"tool calls: expected {names}, got {calls}"
        for call in calls:
            assert isinstance(json.loads(call["arguments"]), dict), call

    return check


def stream_grammar(*grammar: str) -> Expectation:
    def check(obs: Observation) -> None:
        assert isinstance(obs, StreamObservation), f"expected a stream, got {obs.kind}"
        assert obs.grammar == grammar, f"stream grammar: expected {grammar}, got {obs.grammar}"
        assert obs.error is None, f"stream ended with an error: {obs.error}"

    return check


def failure(exception: str, status: int | None) -> Expectation:
    def check(obs: Observation) -> None:
        assert isinstance(obs, FailureObservation), f"expected {exception}, got a {obs.kind}"
        assert (obs.exception, obs.status) == (exception, status), (
            f"expected {exception} {status}, got {obs.exception} {obs.status}: {obs.error}"
        )

    return check
