"""Offline, waiting that only serves back-off against a recorded answer is skipped.

Against a cassette, the proxy's retry back-off teaches nothing: the answer to the next attempt is
already written down. Against the emulator it is the same: the emulator's answer to the next
attempt does not depend on how long the proxy waited (its forced 429 and 5xx answer every attempt
alike; a quota window is reset per case). What the contract compares is what the application sees
and how many attempts reached Azure, and neither depends on how long the proxy slept in between.
So, unless `--real-waits` is given, an offline run (replay, recording through the loopback upstream
server, or the emulator, which config mode uses) makes the proxy's back-off zero:

- LiteLLM's back-off constants, which it reads from its environment (`litellm/constants.py`:
  `INITIAL_RETRY_DELAY`, `MAX_RETRY_DELAY`, `JITTER`), are 0 in the proxy's environment;
- a `retry-after` the proxy honours (`litellm.utils.calculate_retry_after`: any value in (0, 60] s)
  is served to it as 0, so it falls back to that zero back-off: by the upstream server, or by the
  emulator's listener for the proxy (`run_emulator(proxy_listener=True)`). Cassettes, and what the
  application reads from Azure directly, keep the real value.

The direct path needs nothing: every case's client has `max_retries=0`, so it never waits. Header
values are not part of the contract (observations keep a header's presence, `observe.significant_headers`),
and the router's cooldown window is not touched: it is behaviour (the cooldown cases), not waiting.
`tests/harness/test_waits.py` runs the waiting cases both ways and finds the same observations and
attempt counts.
"""

from __future__ import annotations

from collections.abc import Iterable

#: the proxy's environment under compression
PROXY_ENV = {"INITIAL_RETRY_DELAY": "0", "MAX_RETRY_DELAY": "0", "JITTER": "0"}


def compress_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Response headers as served to the proxy: a retry hint says 'now' (the emulator's proxy listener
    does the same, `harness.emulator.wire.retry_hints_now`)."""
    # imported here: `harness.startup` reads PROXY_ENV before the other plugins load, and the emulator
    # package (0.3 s) would hold the warm LiteLLM's start back
    from harness.emulator.wire import retry_hints_now

    return retry_hints_now(list(headers))
