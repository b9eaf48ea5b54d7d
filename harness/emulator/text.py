"""Deterministic text: a seeded word generator and a tokenizer that needs no download.

Answers are a pure function of the request (messages, tools, format, seed, temperature and the
choice index), so the same request always gets the same answer and a changed message gets a
different one. Tokens are words and punctuation marks, a stand-in for BPE that keeps counts
stable and plausible (about one token per English word) without fetching a tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)

_WORDS = [
    "azure",
    "proxy",
    "request",
    "answer",
    "model",
    "deployment",
    "token",
    "stream",
    "chunk",
    "region",
    "quota",
    "contract",
    "gateway",
    "latency",
    "retry",
    "header",
    "policy",
    "filter",
    "content",
    "system",
    "message",
    "assistant",
    "user",
    "tool",
    "function",
    "schema",
    "version",
    "endpoint",
    "private",
    "network",
    "cloud",
    "secret",
    "config",
    "router",
    "cache",
    "client",
    "server",
    "socket",
    "buffer",
    "event",
    "signal",
    "review",
    "result",
    "value",
    "field",
    "record",
    "report",
    "metric",
    "budget",
    "status",
    "health",
    "window",
    "context",
    "prompt",
    "output",
    "input",
    "reason",
    "choice",
    "index",
    "usage",
    "count",
    "limit",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "by",
    "from",
    "at",
    "as",
    "is",
    "are",
    "was",
    "be",
    "can",
    "will",
    "should",
    "may",
    "each",
    "every",
    "calm",
    "bright",
    "quick",
    "steady",
    "clear",
    "simple",
    "careful",
    "robust",
    "gentle",
    "exact",
    "open",
    "quiet",
    "early",
    "late",
    "north",
    "south",
    "east",
    "west",
    "river",
    "mountain",
    "forest",
    "harbor",
    "garden",
    "bridge",
    "tower",
    "village",
    "meadow",
    "blue",
    "green",
    "amber",
    "silver",
    "golden",
    "crimson",
    "violet",
    "orange",
    "white",
    "black",
    "builds",
    "checks",
    "sends",
    "reads",
    "writes",
    "keeps",
    "moves",
    "holds",
    "shows",
    "finds",
    "makes",
    "takes",
    "gives",
    "runs",
]


def count_tokens(text: str) -> int:
    return len(_TOKEN_RE.findall(text))


def message_text(message: dict[str, Any]) -> str:
    """The text a message contributes to the prompt, whatever shape its content has."""
    content = message.get("content")
    parts: list[str] = []
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
    return " ".join(parts)


def prompt_tokens(body: dict[str, Any]) -> int:
    """Tokens billed for the prompt: message text plus per-message and tool-definition overhead."""
    total = 3
    for message in body.get("messages") or []:
        total += 4 + count_tokens(message_text(message)) + count_tokens(str(message.get("name", "")))
    if body.get("tools"):
        total += count_tokens(json.dumps(body["tools"], sort_keys=True)) + 8
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        total += count_tokens(json.dumps(fmt, sort_keys=True))
    return total


def seed_for(*parts: Any) -> int:
    """A stable 64-bit seed from any JSON-able parts."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def sentence_tokens(rng: random.Random, n_sentences: int) -> list[str]:
    """Tokens of a few sentences: words carry their leading space, like BPE tokens do."""
    tokens: list[str] = []
    for _ in range(n_sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 9))]
        words[0] = words[0].capitalize()
        for word in words:
            tokens.append(word if not tokens else " " + word)
        tokens.append(".")
    return tokens


def tokens_of(text: str) -> list[str]:
    """Split arbitrary text (e.g. JSON) into tokens that concatenate back to it exactly."""
    pieces = re.findall(r"\s*(?:\w+|[^\w\s])|\s+$", text, re.UNICODE)
    assert "".join(pieces) == text
    return pieces


def logprob_entry(token: str, rng: random.Random, top: int) -> dict[str, Any]:
    """One `logprobs.content` item with `top` alternatives, the chosen token first."""
    chosen = -round(rng.random() * 0.5, 6)
    alternatives = [{"token": token, "logprob": chosen, "bytes": list(token.encode())}]
    for i in range(max(0, top - 1)):
        alt = " " + rng.choice(_WORDS)
        logprob = round(chosen - 1.0 - i - rng.random(), 6)
        alternatives.append({"token": alt, "logprob": logprob, "bytes": list(alt.encode())})
    return {"token": token, "logprob": chosen, "bytes": list(token.encode()), "top_logprobs": alternatives[:top]}
