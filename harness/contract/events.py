"""Event streams: the Responses API's streamed events, as the application's SDK hands them over.

A chat stream is chunks of one shape; a Responses stream is typed events (`response.created`,
`response.output_text.delta`, ... `response.completed`), each with a `sequence_number`. Its grammar is
the event types in order (runs collapsed: `response.output_text.delta+`), so a dropped or renamed event
is a named step of the diff, like the chat stream's. The observation also keeps which keys each event
type carried, whether the sequence numbers start at 0 and rise by one, the text the deltas add up to,
and the final response the stream ended with (masked like any body).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.contract.observe import header_names, mask, observe_failure, significant_headers
from harness.contract.stream import collapse, key_paths

_FINAL = ("response.completed", "response.incomplete", "response.failed")


@dataclass(frozen=True)
class EventStreamObservation:
    status: int
    grammar: tuple[str, ...]
    event_keys: Mapping[str, tuple[str, ...]]
    sequence: Mapping[str, Any]
    text: str
    final: Mapping[str, Any] | None
    headers: Mapping[str, str]
    error: Mapping[str, Any] | None = None
    events: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)
    kind: Literal["events"] = "events"
    header_names: tuple[str, ...] = field(default=(), compare=False)

    def tree(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "grammar": list(self.grammar),
            "event_keys": {k: dict.fromkeys(v, "<present>") for k, v in self.event_keys.items()},
            "sequence": dict(self.sequence),
            "text": self.text,
            "final": self.final,
            "headers": self.headers,
            "error": self.error,
        }


def _sequence(events: list[Mapping[str, Any]]) -> dict[str, Any]:
    numbers = [e.get("sequence_number") for e in events]
    ints = [n for n in numbers if isinstance(n, int)]
    return {
        "all_numbered": len(ints) == len(numbers),
        "starts_at": ints[0] if ints else None,
        "rises_by_one": all(b == a + 1 for a, b in itertools.pairwise(ints)),
    }


def observe_events(
    status: int, events: list[Mapping[str, Any]], headers: Mapping[str, str], error: BaseException | None = None
) -> EventStreamObservation:
    types = [str(e.get("type")) for e in events]
    keys: dict[str, set[str]] = {}
    for kind, event in zip(types, events, strict=True):
        keys.setdefault(kind, set()).update(key_paths({k: v for k, v in event.items() if k != "response"}))
    text = "".join(str(e.get("delta", "")) for e in events if e.get("type") == "response.output_text.delta")
    final = next((e.get("response") for e in reversed(events) if e.get("type") in _FINAL), None)
    return EventStreamObservation(
        status=status,
        grammar=collapse(types),
        event_keys={k: tuple(sorted(v)) for k, v in sorted(keys.items())},
        sequence=_sequence(list(events)),
        text=text,
        final=mask(dict(final)) if isinstance(final, Mapping) else None,
        headers=significant_headers(headers),
        error=observe_failure(error).tree() if error is not None else None,
        events=tuple(mask(dict(e)) for e in events),
        header_names=header_names(headers),
    )
