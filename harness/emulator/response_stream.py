"""The Responses API's SSE stream, in Azure's event order and framing (shared/AZURE_WIRE.md).

Each event is `event: <type>` and `data: <json>` and a blank line; every payload carries `type`
and a 0-based `sequence_number`; there is no `[DONE]`. The early snapshots say `usage: null` and
`service_tier: "auto"`, the last one carries the full response. The events are derived from the
finished response, so an assembled stream is the non-streaming answer by construction. The stream
snapshots carry the response's `content_filters: null`, as recorded on `*.openai.azure.com` (2025).
"""

from __future__ import annotations

from typing import Any

from harness.emulator.faults import Faults
from harness.emulator.wire import Frame, dumps


def _snapshot(response: dict[str, Any], final: bool) -> dict[str, Any]:
    if final:
        return response
    return {
        **response,
        "status": "in_progress",
        "incomplete_details": None,
        "output": [],
        "service_tier": "auto",
        "usage": None,
    }


def _item_events(index: int, item: dict[str, Any], pieces: list[str]) -> list[dict[str, Any]]:
    if item["type"] == "function_call":
        opened = {**item, "status": "in_progress", "arguments": ""}
        return [
            {"type": "response.output_item.added", "output_index": index, "item": opened},
            *(
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": item["id"],
                    "output_index": index,
                    "delta": p,
                }
                for p in pieces
            ),
            {
                "type": "response.function_call_arguments.done",
                "item_id": item["id"],
                "output_index": index,
                "arguments": item["arguments"],
            },
            {"type": "response.output_item.done", "output_index": index, "item": item},
        ]
    part = item["content"][0]
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    opened = {"id": item["id"], "type": "message", "status": "in_progress", "content": [], "role": "assistant"}
    return [
        {"type": "response.output_item.added", "output_index": index, "item": opened},
        {"type": "response.content_part.added", **where, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **where, "delta": p} for p in pieces),
        {"type": "response.output_text.done", **where, "text": part["text"]},
        {"type": "response.content_part.done", **where, "part": part},
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]


def events(response: dict[str, Any], pieces: list[list[str]]) -> list[dict[str, Any]]:
    """Every event payload in order, numbered from 0."""
    done = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    out: list[dict[str, Any]] = [
        {"type": "response.created", "response": _snapshot(response, False)},
        {"type": "response.in_progress", "response": _snapshot(response, False)},
    ]
    for index, (item, item_pieces) in enumerate(zip(response["output"], pieces, strict=True)):
        out += _item_events(index, item, item_pieces)
    out.append({"type": done, "response": _snapshot(response, True)})
    return [{"type": e["type"], "sequence_number": n, **e} for n, e in enumerate(out)]


def frames(payloads: list[dict[str, Any]], faults: Faults) -> tuple[list[Frame], bool]:
    """SSE framing with the stream faults: delay per event, one malformed event, a cut."""
    out = [
        Frame(b"event: " + p["type"].encode() + b"\ndata: " + dumps(p) + b"\n\n", faults.chunk_delay if i else 0.0)
        for i, p in enumerate(payloads)
    ]
    if faults.malformed_sse and len(out) > 2:
        out[2] = Frame(b'event: response.output_item.added\ndata: {"type": "response.output_item\n\n', out[2].delay)
    if faults.cut_after is not None:
        return out[: faults.cut_after], True
    return out, False
