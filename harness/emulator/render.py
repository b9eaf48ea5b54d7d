"""Render a `Completion` the way Azure puts it on the wire: a JSON body or SSE events.

Key order and the null-valued keys follow Azure's responses (AZURE_WIRE.md): clients and proxies
that drop or move keys are exactly what the contract suite measures.
"""

from __future__ import annotations

import time
from typing import Any

from harness.emulator import filtering, versions
from harness.emulator.completion import Choice, Completion
from harness.emulator.faults import Faults
from harness.emulator.wire import Frame, dumps

_MAX_CHUNK_CHARS = 24  # tool-call arguments are streamed in pieces of at most this size


def usage(completion: Completion, api_version: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "completion_tokens": completion.completion_tokens,
        "prompt_tokens": completion.prompt_tokens,
        "total_tokens": completion.completion_tokens + completion.prompt_tokens,
    }
    if versions.has_feature(api_version, "usage_details"):
        body["completion_tokens_details"] = {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": 0,
            "rejected_prediction_tokens": 0,
        }
        body["prompt_tokens_details"] = {"audio_tokens": 0, "cached_tokens": 0}
    return body


def _message(choice: Choice, annotations: bool, refusal: bool) -> dict[str, Any]:
    message: dict[str, Any] = {}
    if annotations:
        # Recorded on /openai/v1 only (R23, 2025-11); the deployments route has none up to
        # 2025-04-01-preview (R8, R17, R18).
        message["annotations"] = []
    message["content"] = choice.content
    if refusal:
        message["refusal"] = None
    message["role"] = "assistant"
    if choice.tool_calls:
        message["tool_calls"] = [
            {"function": {"arguments": c.arguments, "name": c.name}, "id": c.id, "type": "function"}
            for c in choice.tool_calls
        ]
    return message


def body(
    completion: Completion, api_version: str, response_id: str, created: int, *, v1: bool = False
) -> dict[str, Any]:
    """The non-streaming response body (`v1`: answered on `/openai/v1/`)."""
    protected = versions.has_feature(api_version, "protected_material")
    choices = []
    for choice in completion.choices:
        logprobs = {"content": list(choice.logprobs), "refusal": None} if choice.logprobs is not None else None
        # A choice that only calls tools has no text to filter: its results are empty (R18, R35).
        filtered = filtering.choice_results(choice.filtered, protected) if not choice.tool_calls else {}
        choices.append(
            {
                "content_filter_results": filtered,
                "finish_reason": choice.finish_reason,
                "index": choice.index,
                "logprobs": logprobs,
                "message": _message(choice, v1, v1 or versions.has_feature(api_version, "refusal")),
            }
        )
    return {
        "choices": choices,
        "created": created,
        "id": response_id,
        "model": completion.model,
        "object": "chat.completion",
        "prompt_filter_results": filtering.prompt_filter_results(),
        "system_fingerprint": completion.fingerprint,
        "usage": usage(completion, api_version),
    }


def _deltas(choice: Choice) -> list[dict[str, Any]]:
    """The deltas after the role chunk: content tokens, or tool-call opening and argument pieces."""
    if not choice.tool_calls:
        return [{"content": tok} for tok in choice.tokens]
    deltas: list[dict[str, Any]] = []
    for i, call in enumerate(choice.tool_calls):
        deltas.append(
            {
                "tool_calls": [
                    {"function": {"arguments": "", "name": call.name}, "id": call.id, "index": i, "type": "function"}
                ]
            }
        )
        for start in range(0, len(call.arguments), _MAX_CHUNK_CHARS):
            piece = call.arguments[start : start + _MAX_CHUNK_CHARS]
            deltas.append({"tool_calls": [{"function": {"arguments": piece}, "index": i}]})
    return deltas


def stream_events(
    completion: Completion,
    api_version: str,
    response_id: str,
    created: int,
    include_usage: bool,
) -> list[dict[str, Any]]:
    """Every SSE event payload in Azure's order; `[DONE]` is added by `frames`. Content chunks carry
    the four harm categories only, no protected_material_* (recorded at 2024-10-21, R11)."""
    refusal = versions.has_feature(api_version, "refusal")  # the role delta's `refusal: null`
    events: list[dict[str, Any]] = [
        {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": filtering.prompt_filter_results(),
        }
    ]

    def chunk(
        choice: Choice, delta: dict[str, Any], cfr: dict[str, Any], finish: str | None, logprobs: Any = None
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "choices": [
                {
                    "content_filter_results": cfr,
                    "delta": delta,
                    "finish_reason": finish,
                    "index": choice.index,
                    "logprobs": logprobs,
                }
            ],
            "created": created,
            "id": response_id,
            "model": completion.model,
            "object": "chat.completion.chunk",
            "system_fingerprint": completion.fingerprint,
        }
        if include_usage:
            event["usage"] = None
        return event

    # With n > 1 the choices are interleaved, one choice per chunk, as the service streams them:
    # every role chunk, then the deltas round-robin, then every finish chunk.
    for choice in completion.choices:
        role: dict[str, Any] = {"content": "" if not choice.tool_calls else None, "refusal": None, "role": "assistant"}
        if not refusal:
            del role["refusal"]
        # with logprobs the role chunk has an empty list, not null (R11)
        opening = {"content": [], "refusal": None} if choice.logprobs is not None else None
        events.append(chunk(choice, role, {}, None, opening))
    per_choice = [_deltas(choice) for choice in completion.choices]
    for position in range(max((len(d) for d in per_choice), default=0)):
        for choice, deltas in zip(completion.choices, per_choice, strict=True):
            if position >= len(deltas):
                continue
            delta = deltas[position]
            last = position == len(deltas) - 1
            flagged = choice.filtered if last else None
            cfr = filtering.category_results(flagged, severity="medium") if not choice.tool_calls else {}
            logprobs = None
            if choice.logprobs is not None and "content" in delta:
                logprobs = {"content": [choice.logprobs[position]], "refusal": None}
            events.append(chunk(choice, delta, cfr, None, logprobs))
    for choice in completion.choices:
        events.append(chunk(choice, {}, {}, choice.finish_reason))
    if include_usage:
        events.append(
            {
                "choices": [],
                "created": created,
                "id": response_id,
                "model": completion.model,
                "object": "chat.completion.chunk",
                "system_fingerprint": completion.fingerprint,
                "usage": usage(completion, api_version),
            }
        )
    return events


def frames(events: list[dict[str, Any]], faults: Faults) -> tuple[list[Frame], bool]:
    """SSE framing: `data: <json>` and a blank line per event, then `data: [DONE]`."""
    out = [Frame(b"data: " + dumps(e) + b"\n\n", faults.chunk_delay if i else 0.0) for i, e in enumerate(events)]
    if faults.malformed_sse and len(out) > 2:
        out[2] = Frame(b'data: {"choices": [{"delta": {"content": "unterminated\n\n', out[2].delay)
    out.append(Frame(b"data: [DONE]\n\n", faults.chunk_delay))
    if faults.cut_after is not None:
        return out[: faults.cut_after], True
    return out, False


def now() -> int:
    return int(time.time())
