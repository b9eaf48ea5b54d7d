"""Skipping the proxy's back-off offline changes nothing the contract compares (`harness.replay.waits`).

The cases that wait (a 429 with `retry-after`, a 503 retried with exponential back-off, and the
cooldown case, whose 5 s window must *not* shrink) are observed here, in this session, with the
back-off skipped (the default), and in a fresh process with `--real-waits`. Both paths'
observations, at `exact`, and every upstream request each path made are the same. The same holds
against the emulator, config mode's upstream (two runs in the slow tier).
"""

from __future__ import annotations

import json

import pytest

from harness import Case
from harness.replay.recording import CaseRef

from ..contract import test_cooldown, test_errors

WAITING: dict[str, list[Case]] = {
    "errors/rate-limited-429": test_errors.CASES,
    "errors/server-error-503": test_errors.CASES,
    "cooldown/wrong-key": test_cooldown.CASES,
}


def _case(key: str) -> Case:
    return next(c for c in WAITING[key] if c.id == key.split("/", 1)[1])


@pytest.mark.offline_only("compares offline runs with and without the proxy's back-off")
@pytest.mark.proxy_lane("errors/rate-limited-429#waits", "fault-429")
@pytest.mark.proxy_lane("errors/server-error-503#waits", "fault-503")
@pytest.mark.proxy_lane("cooldown/wrong-key#waits", "wrong-key")
@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("waits-real")
def test_skipped_back_off_leaves_observations_and_attempts_unchanged(
    background_run, contract_runner, harness_scrubber, harness_settings
):
    assert harness_settings.compress_waits, "this session must skip the back-off (run it without --real-waits)"
    assert background_run.returncode == 0, background_run.stdout[-3000:]
    assert "--real-waits" in background_run.argv
    report = json.loads((background_run.folder / "parity-report.json").read_text())
    real = {c["case"]: c for c in report["comparisons"]}
    assert sorted(real) == sorted(WAITING)

    def as_reported(value: object) -> object:  # what the report holds: scrubbed JSON
        return json.loads(harness_scrubber.text(json.dumps(value, default=str)))

    for key in WAITING:
        area, case_id = key.split("/", 1)
        ref = CaseRef(area, case_id, f"tests/contract/test_{area}.py", lane_owner=f"{key}#waits")
        for path in ("direct", "litellm"):
            observation, sent = contract_runner.observe(_case(key), ref, path)
            assert as_reported(observation.tree()) == real[key][path], (key, path)
            assert as_reported(sent) == real[key]["requests"][path], (key, path)


@pytest.mark.slow_tier  # two suite runs in subprocesses, one with the proxy's real back-off
@pytest.mark.background_run("waits-emulator-skipped")
@pytest.mark.background_run("waits-emulator-real")
def test_against_the_emulator_too_the_skipped_back_off_changes_nothing_compared(background_runs) -> None:
    """Config mode's upstream is the emulator: the same waiting cases against it, back-off skipped and kept,
    give the same observations on both paths and the same requests to Azure, attempt by attempt."""
    reports = {}
    for name in ("waits-emulator-skipped", "waits-emulator-real"):
        run = background_runs.result(name)
        assert run.returncode == 0, run.stdout[-3000:]
        assert ("--real-waits" in run.argv) == name.endswith("real")
        data = json.loads((run.folder / "parity-report.json").read_text())
        reports[name] = {c["case"]: c for c in data["comparisons"]}
    skipped, real = reports["waits-emulator-skipped"], reports["waits-emulator-real"]
    assert sorted(skipped) == sorted(real) == sorted(WAITING)
    for key in WAITING:
        for field in ("direct", "litellm", "requests"):
            assert skipped[key][field] == real[key][field], (key, field)
