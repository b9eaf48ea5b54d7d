"""The team's timeouts: LiteLLM's precedence, one scale factor, the lanes that get it, the doctor's
check against measured first-byte figures."""

from __future__ import annotations

from pathlib import Path

from harness.doctor.timeouts import check_timeouts
from harness.paths.team_config import TeamConfig
from harness.paths.team_timeouts import CEILING_S, FLOOR_S, effective, plan, scale_timeout_lanes
from tests.contract.test_timeouts import CASES, catalogue_cases, not_applicable


def entry(name: str, model: str = "azure/gpt-4o-prod", **params: object) -> dict:
    return {"model_name": name, "litellm_params": {"model": model, **params}}


def test_precedence_is_litellms() -> None:
    config = {"router_settings": {"timeout": 30, "stream_timeout": 20}, "litellm_settings": {"request_timeout": 50}}
    assert effective(config, {"timeout": 5, "stream_timeout": 2}) == (
        ("litellm_params.timeout", 5.0),
        ("litellm_params.stream_timeout", 2.0),
    )
    # litellm_settings.request_timeout comes before router_settings.timeout (router.py _get_non_stream_timeout)
    assert effective(config, {}) == (
        ("litellm_settings.request_timeout", 50.0),
        ("router_settings.stream_timeout", 20.0),
    )
    assert effective({"router_settings": {"timeout": 30}}, {}) == (("router_settings.timeout", 30.0), None)
    assert effective({}, {"timeout": "os.environ/T"}) == (None, None)


def test_one_factor_brings_the_longest_to_the_ceiling_and_keeps_the_shortest_above_the_floor() -> None:
    production = {"model_list": [entry("gpt-4o")], "router_settings": {"timeout": 30}}
    scaling = plan(production, "gpt-4o")
    assert scaling.scaled.timeout == CEILING_S and scaling.factor == 1 / 30
    assert scaling.client_timeout == 600 / 30
    assert "router_settings.timeout 30 s -> 1 s" in scaling.notes[0]
    team = {"model_list": [entry("blue", timeout=8, stream_timeout=0.75)]}
    scaled = plan(team, "blue").scaled
    assert scaled.stream_timeout == FLOOR_S and scaled.timeout is not None and scaled.timeout > CEILING_S
    assert plan({"model_list": [entry("x", timeout=0.2)]}, "x").factor == 1.0  # never scaled up
    assert plan({"model_list": [entry("x")]}, "x").configured.timeout is None


def test_a_timeout_no_shorter_than_the_applications_gives_the_cases_nothing_to_show() -> None:
    """`request_timeout: 600` is the SDK's own 600 s: Azure past it is past the application's timeout on both
    paths, so the cases that wait past it are not applicable (pytest skips them, saying why; the catalogue
    leaves them out); the drip under it still shows whether the proxy cuts a slow stream."""

    def team(config: dict) -> TeamConfig:
        return TeamConfig(Path("litellm.config.yaml"), config, "gpt-4o", "gpt-4o-prod", "2024-10-21", "key")

    same = {"model_list": [entry("gpt-4o")], "litellm_settings": {"request_timeout": 600}}
    assert [c.id for c in catalogue_cases(team(same))] == ["drip-under-timeout"]
    reason = not_applicable(CASES[0], plan(same, "gpt-4o"))
    assert reason and "non-stream timeout (600 s) is not clearly shorter" in reason
    near = {"model_list": [entry("gpt-4o")], "litellm_settings": {"request_timeout": 500}}  # 1.2 x 1.2 x 500 > 600
    assert [c.id for c in catalogue_cases(team(near))] == ["drip-under-timeout"]
    only_streams = {"model_list": [entry("gpt-4o", stream_timeout=20)]}
    reason = not_applicable(CASES[0], plan(only_streams, "gpt-4o"))
    assert reason and "sets no non-stream timeout" in reason
    assert len(catalogue_cases(team(only_streams))) == 3
    production = {"model_list": [entry("gpt-4o")], "router_settings": {"timeout": 30}}
    assert len(catalogue_cases(team(production))) == len(CASES)


def test_only_the_timeout_cases_lanes_are_scaled_and_the_header_says_so() -> None:
    config = {
        "model_list": [
            entry("gpt-4o"),
            entry("good-key@lane-timeouts-first-byte-past-timeout"),
            entry("gpt-4o-mini@lane-timeouts-first-byte-past-timeout", model="azure/gpt-4o-mini", timeout=60),
            entry("good-key@lane-chat-basic"),
        ],
        "router_settings": {"timeout": 30},
    }
    notes: list[str] = []
    scale_timeout_lanes(config, "gpt-4o", notes)
    params = [e["litellm_params"] for e in config["model_list"]]
    assert "timeout" not in params[0] and "timeout" not in params[3]
    assert params[1]["timeout"] == 1.0 and params[2]["timeout"] == 2.0  # each its own, by one factor
    assert notes == ["timeouts: router_settings.timeout 30 s -> 1 s (x0.03333) in the timeout cases' lanes"]
    untouched = {"model_list": [entry("a"), entry("good-key@lane-timeouts-x")]}
    scale_timeout_lanes(untouched, "a", notes)
    assert "timeout" not in untouched["model_list"][1]["litellm_params"]


def test_the_doctor_warns_when_a_timeout_is_shorter_than_the_models_first_byte() -> None:
    config = {
        "model_list": [
            {
                **entry("reasoning", model="azure/o1-prod", timeout=10),
                "model_info": {"base_model": "azure/o1-2024-12-17"},
            },
            entry("chat", model="azure/gpt-4o-prod", stream_timeout=0.05),
            entry("fine", model="azure/gpt-4o-prod", stream_timeout=5),
            entry("unknown", model="azure/o3-mini", timeout=1),
        ]
    }
    findings = check_timeouts(config)
    assert [(f.where, f.status) for f in findings] == [("reasoning.timeout", "warn"), ("chat.stream_timeout", "warn")]
    assert "26.768 s" in findings[0].cause and "TestClient_GetChatCompletions_ReasoningEffort" in findings[0].cause
    assert "0.068 s" in findings[1].cause


def test_a_trial_keeps_the_teams_scale() -> None:
    """explain removes settings one set at a time; without the 8 s `timeout`, the 0.75 s `stream_timeout`
    alone would scale by 1 (0.75 s), past the cases' delays set against the team's 0.4 s: the trial keeps the
    team's factor, so what it shows is the removal, not a rescale."""
    team = {"model_list": [entry("blue", timeout=8, stream_timeout=0.75)]}
    factor = plan(team, "blue").factor

    def trial() -> dict:
        return {
            "model_list": [entry("blue", stream_timeout=0.75), entry("good-key@lane-timeouts-x", stream_timeout=0.75)]
        }

    kept, notes = trial(), []
    scale_timeout_lanes(kept, "blue", notes, factor)
    assert kept["model_list"][1]["litellm_params"]["stream_timeout"] == FLOOR_S
    assert notes == ["timeouts: litellm_params.stream_timeout 0.75 s -> 0.4 s (x0.5333) in the timeout cases' lanes"]
    own = trial()
    scale_timeout_lanes(own, "blue", [])  # its own scale: the delays would no longer be past it
    assert own["model_list"][1]["litellm_params"]["stream_timeout"] == 0.75
