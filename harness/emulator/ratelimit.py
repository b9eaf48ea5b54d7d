"""Per-deployment requests-per-minute and tokens-per-minute quota, as Azure enforces it.

A sliding 60-second window. The answer to an exhausted quota carries `retry-after` (seconds),
`retry-after-ms` and `x-ratelimit-*` headers, which the contract suite follows through the proxy.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from harness.emulator.config import Deployment

WINDOW_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining_requests: int
    remaining_tokens: int
    retry_after_s: float = 0.0

    def headers(self, deployment: Deployment) -> list[tuple[str, str]]:
        headers = [
            ("x-ratelimit-limit-requests", str(deployment.rpm)),
            ("x-ratelimit-limit-tokens", str(deployment.tpm)),
            ("x-ratelimit-remaining-requests", str(self.remaining_requests)),
            ("x-ratelimit-remaining-tokens", str(self.remaining_tokens)),
        ]
        if not self.allowed:
            headers = [
                ("retry-after", str(max(1, math.ceil(self.retry_after_s)))),
                ("retry-after-ms", str(max(1, math.ceil(self.retry_after_s * 1000)))),
                *headers,
            ]
        return headers


class RateLimiter:
    """Thread-safe: the in-process transports may be called from several threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[tuple[float, int]]] = {}
        self._tokens: dict[str, int] = {}  # running sum of the window, to keep checks O(1)

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
            self._tokens.clear()

    def check(self, deployment: Deployment, tokens: int) -> Decision:
        """Admit and count the request, or refuse it with the wait until the window allows it."""
        now = self._clock()
        with self._lock:
            window = self._seen.setdefault(deployment.name, deque())
            used_tokens = self._tokens.get(deployment.name, 0)
            while window and window[0][0] <= now - WINDOW_S:
                used_tokens -= window.popleft()[1]
            used_requests = len(window)
            if used_requests + 1 > deployment.rpm or used_tokens + tokens > deployment.tpm:
                wait = (window[0][0] + WINDOW_S - now) if window else WINDOW_S
                self._tokens[deployment.name] = used_tokens
                return Decision(
                    False, max(0, deployment.rpm - used_requests), max(0, deployment.tpm - used_tokens), wait
                )
            window.append((now, tokens))
            self._tokens[deployment.name] = used_tokens + tokens
            return Decision(True, deployment.rpm - used_requests - 1, deployment.tpm - used_tokens - tokens)

    def forced(self, deployment: Deployment) -> Decision:
        """The answer of the `429` fault: as if the quota were exhausted for a few seconds."""
        return Decision(False, 0, 0, 2.0)
