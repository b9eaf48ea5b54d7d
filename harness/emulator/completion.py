"""What the emulated model answers: choices as token lists, before any wire rendering.

Both the JSON body and the SSE stream are rendered from one `Completion`, so a stream, once
assembled, is the non-streaming answer by construction.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from harness.emulator import schema, text
from harness.emulator.config import Deployment
from harness.emulator.faults import Faults


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Choice:
    index: int
    tokens: tuple[str, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str = "stop"
    filtered: str | None = None
    logprobs: tuple[dict[str, Any], ...] | None = None

    @property
    def content(self) -> str | None:
        return "".join(self.tokens) if not self.tool_calls else None

    @property
    def completion_tokens(self) -> int:
        if self.tool_calls:
            return sum(text.count_tokens(c.name + " " + c.arguments) + 3 for c in self.tool_calls)
        return len(self.tokens)


@dataclass(frozen=True)
class Completion:
    choices: tuple[Choice, ...]
    prompt_tokens: int
    model: str
    fingerprint: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.choices)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return text.message_text(message)
    return ""


def _chosen_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Which functions the model calls: named, else those the user mentions, else the first."""
    tools = [t["function"] for t in body.get("tools") or []]
    choice = body.get("tool_choice", "auto")
    messages = body["messages"]
    if not tools or choice == "none" or (messages[-1].get("role") == "tool" and choice != "required"):
        return []
    if isinstance(choice, dict):
        return [t for t in tools if t["name"] == choice["function"]["name"]][:1]
    said = _last_user_text(messages)
    mentioned = [t for t in tools if t["name"] in said] or tools[:1]
    if body.get("parallel_tool_calls") is False:
        return mentioned[:1]
    return mentioned


def _apply_stop(tokens: list[str], stops: list[str]) -> tuple[list[str], bool]:
    joined = "".join(tokens)
    cut = min((joined.find(s) for s in stops if s and s in joined), default=-1)
    if cut < 0:
        return tokens, False
    kept: list[str] = []
    length = 0
    for token in tokens:
        if length + len(token) > cut:
            if cut > length:
                kept.append(token[: cut - length])
            break
        kept.append(token)
        length += len(token)
    return kept, True


def _text_tokens(body: dict[str, Any], rng: random.Random) -> list[str]:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        spec = fmt["json_schema"].get("schema") or {"type": "object"}
        return text.tokens_of(json.dumps(schema.instance(spec, rng), ensure_ascii=False))
    if fmt.get("type") == "json_object":
        payload = {"answer": "".join(text.sentence_tokens(rng, 1)), "confidence": round(rng.random(), 2)}
        return text.tokens_of(json.dumps(payload))
    return text.sentence_tokens(rng, rng.randint(2, 4))


def _choice(body: dict[str, Any], index: int, seed: int, faults: Faults, limit: int | None) -> Choice:
    rng = random.Random(seed + index)
    tools = _chosen_tools(body)
    finish = "stop"
    if tools:
        calls = tuple(
            ToolCall(
                id="call_"
                + "".join(
                    rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24)
                ),
                name=fn["name"],
                arguments=json.dumps(
                    schema.instance(fn.get("parameters") or {"type": "object"}, rng),
                    separators=(",", ":"),
                    ensure_ascii=False,
                ),
            )
            for fn in tools
        )
        return Choice(index=index, tool_calls=calls, finish_reason="tool_calls")
    tokens = _text_tokens(body, rng)
    while len(tokens) < faults.min_tokens:  # a long answer asked for (`[[fault:min-tokens=N]]`)
        more = text.sentence_tokens(rng, 1)
        tokens += [" " + more[0], *more[1:]]
    stops = body.get("stop")
    if stops:
        tokens, _ = _apply_stop(tokens, [stops] if isinstance(stops, str) else list(stops))
    filtered = faults.filter_output
    if filtered:
        tokens, finish = tokens[: max(1, len(tokens) // 2)], "content_filter"
    if limit is not None and len(tokens) > limit:
        tokens, finish = tokens[:limit], "length"
    logprobs = None
    if body.get("logprobs"):
        lp_rng = random.Random(seed ^ (0x5EED + index))
        top = int(body.get("top_logprobs") or 0)
        logprobs = tuple(text.logprob_entry(tok, lp_rng, top) for tok in tokens)
    return Choice(index=index, tokens=tuple(tokens), finish_reason=finish, filtered=filtered, logprobs=logprobs)


def complete(body: dict[str, Any], deployment: Deployment, faults: Faults) -> Completion:
    """The deterministic answer to a validated request."""
    # The model sees the prompt, not the JSON spelling: a null field and an absent one are the same
    # message, so they must get the same answer.
    messages = [{k: v for k, v in m.items() if v is not None} for m in body["messages"]]
    seed = text.seed_for(
        deployment.model,
        messages,
        body.get("tools"),
        body.get("tool_choice"),
        body.get("response_format"),
        body.get("seed"),
        body.get("temperature"),
    )
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    choices = tuple(_choice(body, i, seed, faults, limit) for i in range(int(body.get("n") or 1)))
    return Completion(
        choices=choices,
        prompt_tokens=text.prompt_tokens(body),
        model=deployment.model,
        fingerprint="fp_" + format(text.seed_for(deployment.model) % 16**10, "010x"),
    )
