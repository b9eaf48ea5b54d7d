"""Fault injection chosen by data that passes unchanged through any proxy.

A fault is named by a marker in the last user message, `[[fault:NAME]]` or
`[[fault:NAME=VALUE]]`, or by a deployment whose table entry lists faults. Headers are not used:
a proxy may drop them, and the point is to break Azure *behind* LiteLLM.

| marker | effect |
|---|---|
| `500`, `503` | that server error, every attempt |
| `429` | a forced rate-limit answer with retry-after headers |
| `delay=S` | wait S seconds before the first byte |
| `chunk-delay=S` | wait S seconds before each streamed event |
| `cut-stream=N` | drop the connection after N streamed events |
| `cut-delay=S` | with `cut-stream`: drop it once the harness's reader has the events (`drain`), at most S s |
| `malformed-sse` | one stream event carries invalid JSON |
| `filter-prompt=CAT` | the prompt is blocked by the content filter (400) |
| `filter-output=CAT` | the output is cut and `finish_reason` is `content_filter` |
| `min-tokens=N` | the generated text runs to at least N tokens before `max_tokens` or `max_output_tokens` cut it |

`min-tokens` is no fault but a premise: a case that needs a long answer (`length`, `incomplete`) asks
for one, instead of relying on how long the text generated for one model happens to be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = re.compile(r"\[\[fault:([a-z0-9-]+)(?:=([A-Za-z0-9_.-]+))?\]\]")
FILTER_CATEGORIES = ("hate", "self_harm", "sexual", "violence")


class FaultError(ValueError):
    """A marker that names no known fault or has a bad value."""


@dataclass(frozen=True)
class Faults:
    status: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    cut_after: int | None = None
    cut_delay: float = 0.0
    malformed_sse: bool = False
    filter_prompt: str | None = None
    filter_output: str | None = None
    min_tokens: int = 0

    @property
    def any(self) -> bool:
        return self != Faults()


def _seconds(name: str, value: str | None) -> float:
    try:
        seconds = float(value or "")
    except ValueError:
        raise FaultError(f"fault {name!r} needs a number of seconds, e.g. [[fault:{name}=0.5]]") from None
    if not 0 <= seconds <= 600:
        raise FaultError(f"fault {name!r}: seconds must be within 0..600")
    return seconds


def _category(name: str, value: str | None) -> str:
    category = value or "hate"
    if category not in FILTER_CATEGORIES:
        raise FaultError(f"fault {name!r}: category must be one of {', '.join(FILTER_CATEGORIES)}")
    return category


def parse(specs: list[tuple[str, str | None]]) -> Faults:
    """Fold (name, value) pairs into one Faults; later markers win."""
    values: dict[str, object] = {}
    for name, value in specs:
        if name in {"500", "503", "429"}:
            values["status"] = int(name)
        elif name == "delay":
            values["delay"] = _seconds(name, value)
        elif name == "chunk-delay":
            values["chunk_delay"] = _seconds(name, value)
        elif name == "cut-stream":
            if not (value or "").isdigit():
                raise FaultError("fault 'cut-stream' needs a whole number of events, e.g. [[fault:cut-stream=3]]")
            values["cut_after"] = int(value or 0)
        elif name == "cut-delay":
            values["cut_delay"] = _seconds(name, value)
        elif name == "malformed-sse":
            values["malformed_sse"] = True
        elif name == "filter-prompt":
            values["filter_prompt"] = _category(name, value)
        elif name == "filter-output":
            values["filter_output"] = _category(name, value)
        elif name == "min-tokens":
            if not (value or "").isdigit() or not 0 < int(value or 0) <= 100_000:
                raise FaultError("fault 'min-tokens' needs a whole number of tokens, e.g. [[fault:min-tokens=64]]")
            values["min_tokens"] = int(value or 0)
        else:
            raise FaultError(f"unknown fault {name!r}; see harness/emulator/faults.py for the list")
    return Faults(**values)  # type: ignore[arg-type]


def split_spec(spec: str) -> tuple[str, str | None]:
    name, _, value = spec.partition("=")
    return name, value or None


def from_text(text: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in MARKER.finditer(text)]
