"""Skipping the proxy's back-off offline changes nothing the contract compares (`harness.waits`).

The cases that wait (a 429 with `retry-after`, a 503 retried with exponential back-off, and the
cooldown case, whose 5 s window must *not* shrink) run twice in fresh processes, with the back-off
skipped (the default) and with `--real-waits`. Both paths' observations, at `exact`, and every
upstream request each path made are the same, and so is the verdict.
"""

from __future__ import annotations

import json

import pytest

from .background import Background

WAITING = ["errors/rate-limited-429", "errors/server-error-503", "cooldown/wrong-key"]


def _comparisons(run) -> dict[str, dict]:
    report = json.loads((run.folder / "parity-report.json").read_text())
    return {c["case"]: c for c in report["comparisons"]}


@pytest.mark.background_run("waits-skipped")
@pytest.mark.background_run("waits-real")
def test_skipped_back_off_leaves_observations_and_attempts_unchanged(background_runs: Background):
    skipped, real = background_runs.result("waits-skipped"), background_runs.result("waits-real")
    assert skipped.returncode == 0 and real.returncode == 0, (skipped.stdout[-2000:], real.stdout[-2000:])
    fast, slow = _comparisons(skipped), _comparisons(real)
    assert sorted(fast) == sorted(slow) == sorted(WAITING)
    for case in WAITING:
        for side in ("direct", "litellm"):
            assert fast[case][side] == slow[case][side], (case, side)
            assert fast[case]["requests"][side] == slow[case]["requests"][side], (case, side)
        assert fast[case]["covered"] == slow[case]["covered"] and not fast[case]["unledgered"]
    assert "--real-waits" in " ".join(real.argv) and "--real-waits" not in " ".join(skipped.argv)
