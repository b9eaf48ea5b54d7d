"""Re-recording from the emulator reproduces the shipped cassettes, up to volatile values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "cassettes"
_VOLATILE = [
    (re.compile(r"chatcmpl-[0-9a-f]+"), "chatcmpl-ID"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "UUID"),
    (re.compile(r'"created":\d+'), '"created":N'),
    (re.compile(r'"created_at":\d+'), '"created_at":N'),
    (re.compile(r"\b(resp|msg|fc)_[0-9a-f]{48}\b"), r"\1_ID"),  # the Responses API's minted ids
    (re.compile(r"d\d{3}-\d{14}"), "MODEL-SESSION"),  # azureml-model-session: the backend's start time
    (re.compile(r"(x-envoy-upstream-service-time: - )'\d+'"), r"\1N"),  # a timing (v1 and Responses)
    (re.compile(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT"), "HTTP-DATE"),
    (re.compile(r"recorded: '\d{4}-\d{2}-\d{2}'"), "recorded: DATE"),
    (re.compile(r"x-ratelimit-remaining-(requests|tokens):\n      - '\d+'"), r"x-ratelimit-remaining-\1: N"),
]


def normalized(text: str) -> str:
    text = re.sub(r"\s*\n\s*", " ", text)  # YAML folds long strings at different places
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("rerecord")
def test_rerecording_changes_only_volatile_values(background_run):
    """`pytest tests/contract --upstream emulator --record --cassette-dir <copy>` (background.py)."""
    fresh = background_run.folder / "cassettes"
    assert background_run.returncode == 0, background_run.stdout[-3000:]
    shipped = sorted(p.relative_to(SHIPPED) for p in SHIPPED.rglob("*.yaml"))
    assert sorted(p.relative_to(fresh) for p in fresh.rglob("*.yaml")) == shipped
    changed = [p for p in shipped if (fresh / p).read_text() != (SHIPPED / p).read_text()]
    assert changed, "re-recording should at least refresh ids and dates"
    for relative in shipped:
        assert normalized((fresh / relative).read_text()) == normalized((SHIPPED / relative).read_text()), relative
