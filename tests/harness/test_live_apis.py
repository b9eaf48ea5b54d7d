"""Live mode beyond chat: which setups exist live, and when embeddings, Responses and `/openai/v1/`
cases are n/a with a reason (the resource does not offer the API, a setting is missing, or the
user's proxy alias cannot serve it) instead of passing or failing for the wrong cause.

The emulator stands in for the resource over loopback; the team's proxy is a real LiteLLM proxy.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from harness import Case, Scenario
from harness.emulator import RunningEmulator
from harness.live.capabilities import not_offered, probe_capabilities, probe_proxy
from harness.live.run import live_proxy_models, live_setups, not_applicable_live, proxy_config
from harness.live.settings import LiveSettings, load_live_settings
from harness.paths.matrix import Credentials
from harness.paths.proxy import RunningProxy

from .support import DEPLOYMENT, EMBEDDINGS_DEPLOYMENT, azure_env

#: one worker runs every test of the team's proxy (and the doctor's broken one): under `-n 2` each worker
#: would otherwise start its own, for half the tests
pytestmark = pytest.mark.xdist_group("team-proxy")


def settings(env: Mapping[str, str], **more: str) -> LiveSettings:
    return load_live_settings({**env, **more})


def embed_case(setup: str = "embeddings") -> Case:
    return Case("e", Scenario({"input": "x"}, setup=setup, api="embeddings"))


def responses_case(setup: str = "responses") -> Case:
    return Case("r", Scenario({"input": "x"}, setup=setup, api="responses"))


V1_CHAT = Case("v", Scenario({"messages": [{"role": "user", "content": "x"}]}, setup="v1"))


def test_live_setups_follow_the_settings(fake_azure: RunningEmulator) -> None:
    without = settings(azure_env(fake_azure), AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT="")
    assert [s.name for s in live_setups(without)] == ["good-key", "responses", "v1"]
    with_embeddings = settings(azure_env(fake_azure))
    by_name = {s.name: s for s in live_setups(with_embeddings)}
    assert set(by_name) == {"good-key", "responses", "v1", "embeddings", "v1-embeddings"}
    assert by_name["embeddings"].deployment == EMBEDDINGS_DEPLOYMENT and by_name["v1"].deployment == DEPLOYMENT
    assert by_name["responses"].api_version == "2025-04-01-preview" and by_name["v1-embeddings"].v1


def test_the_generated_config_has_one_alias_per_setup_and_the_users_aliases_are_the_settings(
    fake_azure: RunningEmulator,
) -> None:
    live = settings(azure_env(fake_azure), LITELLM_MODEL="gpt-4o")
    models = live_proxy_models(live)
    assert models["good-key"] == "gpt-4o" and models["embeddings"] == "live-embeddings"
    assert len(set(models.values())) == len(models)
    key = "azure-key-" + "7" * 22
    config, env = proxy_config(
        live, Credentials(api_key=key, mint_token=str), "http://127.0.0.1:1", {}, recording=False
    )
    entries = {e["model_name"]: e["litellm_params"] for e in config["model_list"]}
    assert entries["gpt-4o-responses"]["api_version"] == "2025-04-01-preview"
    assert entries["gpt-4o-v1"]["api_version"] == "v1"
    assert entries["live-embeddings"]["model"] == f"azure/{EMBEDDINGS_DEPLOYMENT}"
    assert key not in str(config) and set(env.values()) == {key}  # secrets only in the environment
    staging = settings(
        azure_env(fake_azure),
        LITELLM_API_BASE="http://127.0.0.1:4000",
        LITELLM_API_KEY="sk-x",
        LITELLM_MODEL="gpt-4o",
    )
    assert live_proxy_models(staging) == {"good-key": "gpt-4o", "responses": "gpt-4o", "v1": "gpt-4o"}
    named = settings(
        azure_env(fake_azure),
        LITELLM_API_BASE="http://127.0.0.1:4000",
        LITELLM_API_KEY="sk-x",
        LITELLM_MODEL="gpt-4o",
        LITELLM_EMBEDDINGS_MODEL="text-embedding-3-small",
    )
    assert live_proxy_models(named)["v1-embeddings"] == "text-embedding-3-small"


def test_a_resource_that_offers_everything_rules_nothing_out(fake_azure: RunningEmulator) -> None:
    assert probe_capabilities(settings(azure_env(fake_azure))) == {}


def test_a_chat_deployment_named_as_the_embeddings_one_makes_embeddings_na_with_azures_answer(
    fake_azure: RunningEmulator,
) -> None:
    unavailable = probe_capabilities(settings(azure_env(fake_azure), AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT=DEPLOYMENT))
    assert set(unavailable) == {"embeddings"}
    reason = unavailable["embeddings"]
    assert f"AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT '{DEPLOYMENT}'" in reason and "400 OperationNotSupported" in reason
    assert not_applicable_live(embed_case(), unavailable) == reason
    assert not_applicable_live(embed_case("v1-embeddings"), unavailable) == reason
    assert not_applicable_live(V1_CHAT, unavailable) is None


def test_a_deployment_without_the_responses_api_makes_responses_na(fake_azure: RunningEmulator) -> None:
    """An embeddings model as the chat deployment: Azure refuses /responses (and chat) for it."""
    unavailable = probe_capabilities(settings(azure_env(fake_azure), AZURE_OPENAI_DEPLOYMENT=EMBEDDINGS_DEPLOYMENT))
    assert "the Responses API" in unavailable["responses"] and "OperationNotSupported" in unavailable["responses"]
    assert not_applicable_live(responses_case(), unavailable) == unavailable["responses"]
    assert not_applicable_live(responses_case("v1"), unavailable) is not None  # Responses over v1 needs both


def test_no_embeddings_deployment_is_a_settings_reason_and_costs_no_call(fake_azure: RunningEmulator) -> None:
    unavailable = probe_capabilities(settings(azure_env(fake_azure), AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT=""))
    assert "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT is not set" in unavailable["embeddings"]
    staging = settings(
        azure_env(fake_azure), LITELLM_API_BASE="http://127.0.0.1:1", LITELLM_API_KEY="sk-x", LITELLM_MODEL="m"
    )
    assert "LITELLM_EMBEDDINGS_MODEL is not set" in probe_capabilities(staging)["embeddings"]


def test_other_failures_rule_nothing_out(fake_azure: RunningEmulator) -> None:
    """A wrong key or a missing deployment is a settings error the preflight names, not an n/a."""
    assert probe_capabilities(settings(azure_env(fake_azure), AZURE_OPENAI_API_KEY="0" * 32)) == {}
    assert probe_capabilities(settings(azure_env(fake_azure), AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT="nope")) == {}
    assert not not_offered(404, '{"error":{"code":"DeploymentNotFound","message":"..."}}')
    assert not not_offered(400, '{"error":{"message":"Unsupported parameter: \'max_tokens\'"}}')
    assert not_offered(404, '{"error":{"code":"404","message":"Resource not found"}}')


@pytest.mark.parametrize("alias", ["gpt-4o"])
def test_a_proxy_alias_pinned_before_the_responses_api_is_named(
    fake_azure: RunningEmulator, team_proxy: RunningProxy, alias: str
) -> None:
    """The shipped config's gpt-4o entry is at 2024-10-21, which predates the Responses API: through it
    Azure answers 404. Read from `/model/info`, not asked: the 404 would cool the alias down."""
    models = {"responses": alias, "embeddings": "text-embedding-3-small"}
    unavailable = probe_proxy(team_proxy.url, team_proxy.master_key, models, {})
    assert set(unavailable) == {"responses"}
    reason = unavailable["responses"]
    assert f"alias '{alias}' is at api_version 2024-10-21, which predates the Responses API" in reason
    assert "api_version 2025-04-01-preview" in reason
    chat_as_embeddings = probe_proxy(team_proxy.url, team_proxy.master_key, {"embeddings": alias}, {})
    assert "LITELLM_EMBEDDINGS_MODEL" in chat_as_embeddings["embeddings"]
    assert "does not work with the specified model" in chat_as_embeddings["embeddings"]
