"""The explainer's settings (`harness.runner.explain`): what a trial may remove, and the config without it."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.paths.team_config import load_team_config
from harness.runner.explain import doc_link, reduced, settings_of

CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: azure/east, api_base: os.environ/B1, api_key: os.environ/K1, timeout: 30, rpm: 60}
    model_info: {base_model: azure/gpt-4o}
  - model_name: gpt-4o
    litellm_params: {model: azure/west, api_base: os.environ/B2, api_key: os.environ/K2, timeout: 30}
  - model_name: gpt-4o-mini
    litellm_params: {model: azure/mini, api_base: os.environ/B1, api_key: os.environ/K1, api_version: "2024-10-21"}
router_settings:
  num_retries: 1
  fallbacks: [{gpt-4o: [gpt-4o-mini]}]
litellm_settings: {drop_params: true}
"""


def test_the_settings_a_trial_may_remove(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONFIG)
    team = load_team_config(tmp_path / "c.yaml", "gpt-4o", {})
    assert settings_of(team) == [
        "router_settings.num_retries",
        "router_settings.fallbacks",
        "litellm_settings.drop_params",
        "model_list[gpt-4o].litellm_params.api_version",  # unset: LiteLLM's default is a choice too
        "model_list[gpt-4o].litellm_params.rpm",
        "model_list[gpt-4o].litellm_params.timeout",
        "model_list[gpt-4o].model_info",
        "model_list[gpt-4o].deployment[west@os.environ/B2]",
        "model_list[gpt-4o-mini].litellm_params.api_version",
        "model_list[gpt-4o-mini]",
    ]


def test_a_trial_config_keeps_what_makes_the_alias_and_drops_the_rest(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONFIG)
    team = load_team_config(tmp_path / "c.yaml", "gpt-4o", {})
    everything = reduced(team.raw, settings_of(team))
    assert everything["router_settings"] == {} and everything["litellm_settings"] == {}
    assert everything["model_list"] == [
        {"model_name": "gpt-4o", "litellm_params": {"model": "azure/east", "api_base": "os.environ/B1",
                                                    "api_key": "os.environ/K1", "api_version": "2024-10-21"}},
    ]  # fmt: skip
    timeout_only = reduced(team.raw, ["model_list[gpt-4o].litellm_params.timeout"])
    assert all("timeout" not in e["litellm_params"] for e in timeout_only["model_list"])  # from every deployment
    assert len(timeout_only["model_list"]) == 3 and timeout_only["router_settings"]["num_retries"] == 1
    assert yaml.safe_load(CONFIG) == team.raw  # the team's config itself is never changed


def test_each_setting_links_its_documentation() -> None:
    assert doc_link("router_settings.fallbacks").endswith("/proxy/reliability")
    assert doc_link("router_settings.num_retries").endswith("config_settings#router_settings---reference")
    assert doc_link("litellm_settings.drop_params").endswith("config_settings#litellm_settings---reference")
    assert doc_link("model_list[gpt-4o].litellm_params.timeout").endswith("/proxy/configs")


LEDGER = """extends: ../../contract/divergences.yaml
divergences:
  - id: caused-by-api-version
    what: "Streams fail through the proxy at this api-version"  # a person's words
    paths: [status]
    kinds: [value]
    cases: [streaming/text]
    observations: [stream]
    litellm: '>=1.108.7'
    reason: caused by the api-version
    impact: 'High: written by a person'
    link: https://docs.litellm.ai/docs/proxy/configs
    caused_by: ['model_list[gpt-4o].litellm_params.api_version']
"""
LEDGER += "".join(
    f"""  - id: review-{path}-value
    what: "{path}: value"
    paths: [{path}]
    kinds: [value]
    cases: [timeouts/drip-under-timeout]
    observations: [stream]
    litellm: '>=1.108.7'
    reason: 'REVIEW: why does the proxy differ here?'
    impact: 'REVIEW: what does it change for the application?'
    link: 'REVIEW: an issue'
"""
    for path in ("kind", "status")
)


def test_a_new_divergence_of_a_reviewed_cause_joins_its_entry(tmp_path: Path) -> None:
    """A second bootstrap (more cases) then explain: what the api-version also changes in the new cases joins
    the entry a person reviewed for that cause (its words kept), never a second entry with the same id."""
    from harness.contract.ledger_causes import Cause, explained_ledger
    from harness.contract.ledger_file import load_ledger

    setting = ("model_list[gpt-4o].litellm_params.api_version",)
    cause = Cause(setting, ("https://docs.litellm.ai/docs/proxy/configs",), "1.108.7")
    text = explained_ledger(LEDGER, {"review-kind-value": cause, "review-status-value": cause}, {})
    entries = yaml.safe_load(text)["divergences"]
    assert [e["id"] for e in entries] == ["caused-by-api-version"]
    (entry,) = entries
    assert entry["cases"] == ["streaming/text", "timeouts/drip-under-timeout"] and entry["paths"] == ["kind", "status"]
    assert entry["what"] == "Streams fail through the proxy at this api-version" and entry["impact"].startswith("High")
    shipped = Path(__file__).resolve().parents[1] / "contract" / "divergences.yaml"
    (tmp_path / "d.yaml").write_text(text.replace("../../contract/divergences.yaml", str(shipped)))
    load_ledger(tmp_path / "d.yaml")  # a valid ledger
    other = Cause(("router_settings.api_version",), ("https://docs.litellm.ai/docs/proxy/configs",), "1.108.7")
    text = explained_ledger(LEDGER, {"review-kind-value": other}, {})
    ids = [e["id"] for e in yaml.safe_load(text)["divergences"]]
    assert ids == [
        "caused-by-api-version",
        "caused-by-api-version-2",
        "review-status-value",
    ]  # another cause, its own id


def test_a_persons_reason_on_a_disable_line_is_kept() -> None:
    """explain comments each `disable:` line with the setting that switched the entry off; a line a person
    already explained keeps its words, one explain wrote before gets the new finding."""
    from harness.contract.ledger_causes import Cause, explained_ledger

    text = "extends: ../x.yaml\ndisable:\n  a: [c/1]   # a person's reason\n  b: [c/2]  # switched off by `x` (old)\n"
    text += "  c: [c/3]\ndivergences: []\n"
    cause = Cause(("y",), ("l",), "1.108.7")
    lines = explained_ledger(text, {}, {"a": cause, "b": cause, "c": cause}).splitlines()
    assert lines[2].endswith("# a person's reason")
    assert "switched off by `y`" in lines[3] and "switched off by `y`" in lines[4]
