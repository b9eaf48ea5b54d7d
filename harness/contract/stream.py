"""A stream's grammar and what it adds up to: each chunk named by its role in Azure's stream
(`prompt_filter`, `role`, `content`, `tool_call`, `finish`, `usage`, ...), runs collapsed, and the
chunks assembled per choice into text, tool calls and finish reason, plus usage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def chunk_kind(chunk: Mapping[str, Any]) -> str:
    """Name a chunk by its role in Azure's stream grammar."""
    choices = chunk.get("choices") or []
    if not choices:
        if chunk.get("prompt_filter_results") is not None:
            return "prompt_filter"
        if chunk.get("usage"):
            return "usage"
        return "empty"
    choice = choices[0]
    delta = choice.get("delta") or {}
    if choice.get("finish_reason"):
        return "finish"
    if chunk.get("usage") and not delta:
        return "usage+choice"  # usage delivered on a chunk that also carries an (empty) choice
    if delta.get("role"):
        return "role"
    if delta.get("tool_calls"):
        return "tool_call"
    if delta.get("content") is not None:
        return "content"
    return "empty_delta"


def collapse(kinds: Iterable[str]) -> tuple[str, ...]:
    """Runs of the same kind become `kind+`: chunking is the proxy's business, order is not."""
    out: list[str] = []
    for kind in kinds:
        if out and out[-1].rstrip("+") == kind:
            out[-1] = kind + "+"
        else:
            out.append(kind)
    return tuple(out)


def key_paths(tree: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(value, path)
    elif isinstance(tree, list):
        for item in tree:
            paths |= key_paths(item, prefix + "[]")
    return paths


def assemble(chunks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What the stream adds up to: per choice text, tool calls and finish reason; and usage. Unmasked:
    the observation masks it."""
    choices: dict[int, dict[str, Any]] = {}
    usage = None
    for chunk in chunks:
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            slot = choices.setdefault(
                choice.get("index", 0), {"content": None, "tool_calls": [], "finish_reason": None}
            )
            delta = choice.get("delta") or {}
            if delta.get("content") is not None:
                slot["content"] = (slot["content"] or "") + delta["content"]
            for call in delta.get("tool_calls") or []:
                calls = slot["tool_calls"]
                while len(calls) <= call.get("index", 0):
                    calls.append({"id": None, "name": "", "arguments": ""})
                target = calls[call.get("index", 0)]
                target["id"] = call.get("id") or target["id"]
                function = call.get("function") or {}
                target["name"] += function.get("name") or ""
                target["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                slot["finish_reason"] = choice["finish_reason"]
    return {"choices": [choices[i] for i in sorted(choices)], "usage": usage}
