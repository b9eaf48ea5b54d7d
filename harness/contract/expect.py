"""Per-path expectations for contract cases: what must hold on each path on its own.

The comparison says the two paths agree; these say what they agree *on* is the behaviour the case
is about (a `max_tokens` case really ended with `length`), so two equally broken paths still fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.contract.observe import (
    FailureObservation,
    Observation,
    ResponseObservation,
    SequenceObservation,
    StreamObservation,
)

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


def json_content(schema: dict[str, Any] | None = None) -> Expectation:
    """Every choice's content parses as a JSON object (and validates against `schema` if given)."""

    def check(obs: Observation) -> None:
        for choice in _choices(obs):
            value = json.loads(choice["content"] or "")
            assert isinstance(value, dict), f"expected a JSON object, got {choice['content']!r}"
            if schema is not None:
                import jsonschema

                jsonschema.validate(value, schema)

    return check


def logprobs(top: int) -> Expectation:
    """Each content token has a logprob entry with `top` alternatives, and they spell the content."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, ResponseObservation), f"expected a response, got {obs.kind}"
        for choice in obs.body["choices"]:
            entries = (choice.get("logprobs") or {}).get("content") or []
            assert entries, "no logprobs returned"
            assert "".join(e["token"] for e in entries) == choice["message"]["content"]
            assert all(len(e["top_logprobs"]) == top for e in entries)

    return check


def stream_usage() -> Expectation:
    """The stream's last chunk carried usage that adds up."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, StreamObservation), f"expected a stream, got {obs.kind}"
        usage = obs.assembled.get("usage")
        assert usage, "no usage chunk in the stream"
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"], usage

    return check


def stream_ends_cleanly() -> Expectation:
    def check(obs: Observation) -> None:
        assert isinstance(obs, StreamObservation), f"expected a stream, got {obs.kind}"
        assert obs.error is None, f"the stream ended with an error: {obs.error}"
        assert obs.grammar and obs.grammar[-1] in ("finish", "usage"), f"no final chunk: {obs.grammar}"

    return check


def stream_released() -> Expectation:
    """A client that stopped early got its chunks, no error, and its connection back."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, StreamObservation), f"expected a stream, got {obs.kind}"
        assert obs.error is None, f"stopping early raised: {obs.error}"
        assert obs.released, "the response was not closed after the client stopped reading"
        assert "finish" not in obs.grammar, "the client was meant to stop before the end"

    return check


def stream_broken() -> Expectation:
    """The stream started, then failed while being read (a cut connection)."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, StreamObservation), f"expected a stream, got {obs.kind}"
        assert obs.error is not None, "the stream was expected to break"
        assert "finish" not in obs.grammar, f"a broken stream must not finish: {obs.grammar}"

    return check


def message_contains(text: str, *alternatives: str) -> Expectation:
    """The error message holds `text` (or one of `alternatives`: Azure's text for the same failure on
    another surface, e.g. a wrong key sent as a bearer on `/openai/v1/`, where a team's alias may be)."""
    texts = (text, *alternatives)

    def check(obs: Observation) -> None:
        assert isinstance(obs, FailureObservation), f"expected a failure, got {obs.kind}"
        message = str(obs.error.get("message"))
        assert any(t in message for t in texts), f"{' or '.join(map(repr, texts))} not in {message!r}"

    return check


def succeeds() -> Expectation:
    def check(obs: Observation) -> None:
        assert isinstance(obs, (ResponseObservation, StreamObservation)), f"expected success, got {obs.tree()}"

    return check


def finish_reasons(*expected: str | None) -> Expectation:
    """Each choice's finish_reason, in order (None where a choice never finished)."""

    def check(obs: Observation) -> None:
        got = tuple(c["finish_reason"] for c in _choices(obs))
        assert got == expected, f"finish_reasons: expected {expected}, got {got}"

    return check


def error_fields(**expected: str | None) -> Expectation:
    """The failure's error `code` / `type` / `param` (only those named)."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, FailureObservation), f"expected a failure, got {obs.kind}"
        got = {k: obs.error.get(k) for k in expected}
        assert got == expected, f"error fields: expected {expected}, got {got}"

    return check


def calls(*expected: Expectation) -> Expectation:
    """A sequence of calls, each meeting its own expectation in order (as many as there were calls)."""

    def check(obs: Observation) -> None:
        assert isinstance(obs, SequenceObservation), f"expected calls in a row, got a {obs.kind}"
        assert len(obs.calls) == len(expected), f"expected {len(expected)} calls, got {len(obs.calls)}"
        for i, (call, expectation) in enumerate(zip(obs.calls, expected, strict=True), 1):
            try:
                expectation(call)
            except AssertionError as exc:
                raise AssertionError(f"call {i} of {len(expected)}: {exc}") from None

    return check


# The expectations of the APIs beyond chat, part of this module's public surface.
from harness.contract.disclosure import discloses as discloses  # noqa: E402
from harness.contract.disclosure import discloses_nothing as discloses_nothing  # noqa: E402
from harness.contract.expect_apis import closer as closer  # noqa: E402
from harness.contract.expect_apis import embeddings as embeddings  # noqa: E402
from harness.contract.expect_apis import event_stream as event_stream  # noqa: E402
from harness.contract.expect_apis import event_stream_broken as event_stream_broken  # noqa: E402
from harness.contract.expect_apis import function_call as function_call  # noqa: E402
from harness.contract.expect_apis import response_status as response_status  # noqa: E402
