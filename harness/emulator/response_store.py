"""Stored Responses (`store: true`): what GET returns and what `previous_response_id` continues.

Bounded, oldest first out, like a service that expires old responses: a long test session cannot
grow the emulator without limit, and an evicted id answers exactly as an unknown one does.
`Emulator.reset()` clears it with the quota window and the journal.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stored:
    """One stored response: its body, and the conversation a follow-up continues.

    `history` is chat-shaped messages (earlier turns, this input, this output) without the
    instructions, which Azure does not carry over to a follow-up.
    """

    response: dict[str, Any]
    history: tuple[dict[str, Any], ...]


class ResponseStore:
    """Thread-safe: the in-process transports may be called from several threads."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Stored] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, response_id: str, stored: Stored) -> None:
        with self._lock:
            self._items[response_id] = stored
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def get(self, response_id: str) -> Stored | None:
        with self._lock:
            return self._items.get(response_id)

    def delete(self, response_id: str) -> bool:
        with self._lock:
            return self._items.pop(response_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
