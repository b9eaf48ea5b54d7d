"""The Responses API: create (JSON or SSE), retrieve and delete, with stored conversations.

The answer comes from the same deterministic model as chat (`completion.complete` on the request
read as chat, see `response_input`), rendered as Azure's response object (shared/AZURE_WIRE.md,
"Responses API"): `model` is the deployment name, ids are `resp_`/`msg_`/`fc_` + 48 hex, and a
response cut by `max_output_tokens` is `incomplete`. The object's keys, its ids and the headers
of create, retrieve and delete follow the 2025-08 recordings (tests/fidelity, R13, R14, R32).
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from harness.emulator import completion, errors, filtering, response_input, response_stream, text
from harness.emulator.call import Call, admit, delayed, injected
from harness.emulator.completion import Choice
from harness.emulator.response_store import ResponseStore, Stored
from harness.emulator.validate import Rejected
from harness.emulator.wire import EmuResponse, json_response

_REASONING_MODELS = ("o1", "o3", "o4", "gpt-5")
_ARGUMENT_PIECE = 24  # streamed function-call arguments come in pieces of at most this size
CONTEXT_EXCEEDED = "Your input exceeds the context window of this model. Please adjust your input and try again."


@dataclass(frozen=True)
class Output:
    """The output items, what each streams as deltas, and the turn as chat messages for history."""

    items: list[dict[str, Any]]
    pieces: list[list[str]]
    messages: list[dict[str, Any]]


def _reasoning(body: dict[str, Any], model: str) -> dict[str, Any]:
    asked = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    if model.startswith(_REASONING_MODELS):
        return {"effort": asked.get("effort") or "medium", "summary": asked.get("summary")}
    if asked.get("effort") is not None:
        raise Rejected(
            errors.invalid_param(
                "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                "reasoning.effort",
                "unsupported_parameter",
            )
        )
    return {"effort": None, "summary": None}


def _text_echo(body: dict[str, Any]) -> dict[str, Any]:
    fmt = (body.get("text") or {}).get("format") or {"type": "text"}
    if fmt.get("type") != "json_schema":
        return {"format": {"type": fmt.get("type")}}
    return {
        "format": {
            "type": "json_schema",
            "description": fmt.get("description"),
            "name": fmt.get("name"),
            "schema": fmt.get("schema"),
            "strict": fmt.get("strict", False),
        }
    }


def _tools_echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "description": t.get("description"),
            "name": t["name"],
            "parameters": t.get("parameters"),
            "strict": t.get("strict", True),
        }
        for t in body.get("tools") or []
    ]


def _id(prefix: str, created: int, suffix: str) -> str:
    """Azure's 48-hex ids: the creation time (8 hex), 24 random hex, then 16 hex that a response
    and its output items share (recorded: resp_6892a825…0e6cd7081d237a21 and msg_6892a826…0e6cd7081d237a21)."""
    return f"{prefix}_{created:08x}{secrets.token_hex(12)}{suffix}"


def _output(choice: Choice, status: str, created: int, suffix: str) -> Output:
    if choice.tool_calls:
        items = [
            {
                "id": _id("fc", created, suffix),
                "type": "function_call",
                "status": "completed",
                "arguments": c.arguments,
                "call_id": c.id,
                "name": c.name,
            }
            for c in choice.tool_calls
        ]
        pieces = [
            [c.arguments[i : i + _ARGUMENT_PIECE] for i in range(0, len(c.arguments), _ARGUMENT_PIECE)] or [""]
            for c in choice.tool_calls
        ]
        calls = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in choice.tool_calls
        ]
        return Output(items, pieces, [{"role": "assistant", "content": None, "tool_calls": calls}])
    said = "".join(choice.tokens)
    item = {
        "id": _id("msg", created, suffix),
        "type": "message",
        "status": status,
        "content": [{"type": "output_text", "annotations": [], "text": said}],
        "role": "assistant",
    }
    return Output([item], [list(choice.tokens)], [{"role": "assistant", "content": said}])


def _chat_body(body: dict[str, Any], history: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The request read as chat, and this turn's input as chat messages."""
    known_calls = {c["id"] for m in history for c in m.get("tool_calls") or []}
    new = response_input.input_messages(body.get("input"), known_calls)
    tools, choice = response_input.chat_tools(body)
    instructions = body.get("instructions")
    system = [{"role": "system", "content": instructions}] if isinstance(instructions, str) and instructions else []
    chat = {
        "messages": system + history + new,
        "tools": tools,
        "tool_choice": choice,
        "response_format": response_input.response_format(body, history + new),
        "temperature": body.get("temperature"),
        "parallel_tool_calls": body.get("parallel_tool_calls"),
        "max_completion_tokens": body.get("max_output_tokens"),
    }
    return chat, new


def create(call: Call, store: ResponseStore) -> EmuResponse:
    """Answer one `POST /responses` (the body is a dict; nothing else is validated yet)."""
    body, deployment = call.body, call.deployment
    response_input.check_params(body)
    previous_id = body.get("previous_response_id")
    history: list[dict[str, Any]] = []
    if previous_id is not None:
        stored = store.get(previous_id) if isinstance(previous_id, str) else None
        if stored is None:
            return errors.previous_response_not_found(str(previous_id))
        history = list(stored.history)
    chat, new = _chat_body(body, history)
    reasoning = _reasoning(body, deployment.model)
    users = [m for m in new if m["role"] == "user"]
    fault = injected(deployment, str(users[-1]["content"]) if users else "", "input")
    prompt_tokens = text.prompt_tokens(chat)
    if prompt_tokens > deployment.context_window:
        return errors.invalid_param(CONTEXT_EXCEEDED, "input", "context_length_exceeded")
    max_out = body.get("max_output_tokens")
    decision = admit(call, prompt_tokens + (max_out or 16), fault, "Responses_Create")
    if fault.filter_prompt:
        return errors.prompt_filtered(filtering.category_results(fault.filter_prompt))
    choice = completion.complete(chat, deployment, fault).choices[0]
    reason = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(choice.finish_reason)
    created, suffix = int(time.time()), secrets.token_hex(8)
    output = _output(choice, "incomplete" if reason else "completed", created, suffix)
    output_tokens = choice.completion_tokens
    response = {
        "id": _id("resp", created, suffix),
        "object": "response",
        "created_at": created,
        "status": "incomplete" if reason else "completed",
        "background": False,
        "content_filters": None,  # null on *.openai.azure.com (2025); Foundry project endpoints fill it
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": max_out,
        "max_tool_calls": body.get("max_tool_calls"),
        "model": deployment.name,
        "output": output.items,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": previous_id,
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": reasoning,
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": _text_echo(body),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": _tools_echo(body),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation") or "disabled",
        "usage": {
            "input_tokens": prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt_tokens + output_tokens,
        },
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }
    if response["store"]:
        store.put(response["id"], Stored(response, (*history, *new, *output.messages)))
    # The middleware's request id is the gateway's on create (R13, R14, R32).
    headers = [("x-ms-deployment-name", deployment.name), ("x-ms-middleware-request-id", call.request_id)]
    if body.get("stream"):
        # A stream's answer carries only the request quota, and no Cache-Control (R13).
        quota = [(k, v) for k, v in decision.headers(deployment) if not k.endswith("-tokens")]
        frames, cut = response_stream.frames(response_stream.events(response, output.pieces), fault)
        return EmuResponse(
            status=200,
            headers=[("content-type", "text/event-stream; charset=utf-8"), *headers, *quota],
            frames=frames,
            cut=cut,
            cut_delay=fault.cut_delay,
            first_byte_delay=fault.delay,
        )
    return delayed(json_response(200, response, [*headers, *decision.headers(deployment)]), fault)


def _stored_headers(response: EmuResponse, organization: str, started: float) -> EmuResponse:
    """GET and DELETE (and their 404) come from the OpenAI service behind the middleware (R32): its
    openai-* headers, the middleware's own request id, no deployment name and no quota headers."""
    elapsed_ms = max(1, int((time.perf_counter() - started) * 1000))
    response.headers += [
        ("openai-organization", organization),
        ("openai-processing-ms", str(elapsed_ms)),
        ("openai-version", "2020-10-01"),
        ("x-ms-middleware-request-id", str(uuid.uuid4())),
    ]
    return response


def retrieve(store: ResponseStore, response_id: str, organization: str) -> EmuResponse:
    started = time.perf_counter()
    stored = store.get(response_id)
    if stored is None:
        return _stored_headers(errors.response_not_found(response_id), organization, started)
    return _stored_headers(json_response(200, stored.response), organization, started)


def delete(store: ResponseStore, response_id: str, organization: str) -> EmuResponse:
    started = time.perf_counter()
    stored = store.get(response_id)
    if stored is None or not store.delete(response_id):
        return _stored_headers(errors.response_not_found(response_id), organization, started)
    body = {"id": response_id, "object": "response.deleted", "deleted": True}
    return _stored_headers(json_response(200, body), organization, started)
