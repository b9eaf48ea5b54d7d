"""Replay and recording: where Azure sits in an offline run. Cassettes (naming, matching, atomic
persistence), the loopback upstream server the proxy calls, the upstream targets (replay, emulator,
Azure) and their credentials, scrubbing of secrets, atomic writes, the offline network guard, and
skipping the proxy's back-off against a recorded answer.

Owns: every byte that crosses between a path and its upstream. May import: `emulator`. Nothing here
knows the contract model (observations pass through it untouched) or pytest.
"""
