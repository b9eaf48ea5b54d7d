"""The LiteLLM config lint: it names both causes of the seed's broken config, and nothing on a good one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.doctor.configlint import lint
from harness.paths.litellm_config import ConfigError, load_config

from .support import SEED

GOOD = """
model_list:
  - model_name: gpt-4
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: os.environ/AZURE_OPENAI_API_BASE
      api_key: os.environ/AZURE_OPENAI_API_KEY
      api_version: "2024-10-21"
"""
ENV = {
    "AZURE_OPENAI_API_BASE": "https://r.openai.azure.com",
    "AZURE_OPENAI_API_KEY": "k" * 32,
    "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-prod",
    "AZURE_OPENAI_API_VERSION": "2024-10-21",
}


def findings(text: str, env=ENV):
    return lint(yaml.safe_load(text), env)


def test_the_seed_config_gets_both_causes_named():
    failed = [f for f in findings(SEED) if f.status == "fail"]
    where = {(f.check, f.where) for f in failed}
    assert ("env expansion", "gpt-4.api_key") in where and ("env expansion", "gpt-4.api_base") in where
    assert ("deployment", "gpt-4.deployment_id") in where
    api_key = next(f for f in failed if f.where == "gpt-4.api_key")
    assert "never expands ${VAR}" in api_key.cause and api_key.fix == "write api_key: os.environ/AZURE_OPENAI_API_KEY"
    deployment = next(f for f in failed if f.check == "deployment")
    assert "requests go to /deployments/gpt-4o-prod/" in deployment.cause


def test_the_fixed_config_is_all_ok():
    assert [(f.status, f.check) for f in findings(GOOD)] == [("ok", "config")]


@pytest.mark.parametrize(
    ("extra", "status", "check", "text"),
    [
        ("      azure_ad_token: os.environ/AZURE_OPENAI_AD_TOKEN\n", "fail", "auth scheme", "Authorization: Bearer"),
        ("      tenant_id: t\n      client_id: c\n      client_secret: s\n", "fail", "auth scheme", "Bearer"),
    ],
)
def test_a_key_and_a_token_source_means_bearer(extra, status, check, text):
    env = {**ENV, "AZURE_OPENAI_AD_TOKEN": "eyJ"}
    found = [f for f in findings(GOOD + extra, env) if f.status == status and f.check == check]
    assert found and text in found[0].cause


def test_unset_reference_old_api_version_and_no_credential():
    env = {k: v for k, v in ENV.items() if k != "AZURE_OPENAI_API_KEY"}
    found = {(f.status, f.check) for f in findings(GOOD.replace("2024-10-21", "2024-06-01"), env)}
    assert ("fail", "env reference") in found and ("fail", "credential") in found
    assert ("warn", "api_version") in found


def test_unreadable_or_broken_config_is_one_line(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read the LiteLLM config"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "litellm.config.yaml"
    broken.write_text("model_list:\n  - model_name: [\n")
    with pytest.raises(ConfigError) as caught:
        load_config(broken)
    assert str(caught.value).startswith(f"{broken}: not valid YAML at line") and "\n" not in str(caught.value)
    broken.write_text("general_settings: {}\n")
    with pytest.raises(ConfigError, match="expected a mapping with a 'model_list' list"):
        load_config(broken)


def test_the_shipped_example_config_lints_clean_with_the_example_env():
    root = Path(__file__).resolve().parents[2]
    env = dict(
        line.split("=", 1)
        for line in (root / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    config = load_config(root / "litellm.config.yaml")
    assert [(f.status, f.check) for f in lint(config, env)] == [("ok", "config")] * 2  # chat, embeddings
    assert not [
        line
        for line in (root / "litellm.config.yaml").read_text().splitlines()
        if "${" in line and not line.lstrip().startswith("#")
    ]


def test_explain_names_the_api_version_checks_for_the_alias():
    from harness.doctor.configlint import explain

    lines = explain(yaml.safe_load(GOOD.replace('"2024-10-21"', "2024-10-21")), "gpt-4", ENV)
    assert any("config setting gpt-4.api_version" in line and "'api_version type'" in line for line in lines)
    assert explain(yaml.safe_load(GOOD), "gpt-4", ENV) == []
