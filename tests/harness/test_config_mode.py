"""Config mode: `pytest --litellm-config FILE` runs the offline contract with the team's own proxy config.

Unit tests of how a config is read and rendered for the offline proxy, the one-line errors, and the
three example configs run for real (background.py), each asserting what its settings change. A real
`AZURE_OPENAI_API_KEY` planted in the environment never reaches the proxy, the cassettes or the report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from harness.paths.team_config import TeamConfigError, load_team_config, team_upstream
from harness.paths.team_groups import plan_groups
from harness.paths.team_render import KEY_VAR, render_team_config, team_notes

from .background import PLANTED_HOST, PLANTED_KEY
from .support import ROOT, clean_env, run

EXAMPLES = ROOT / "examples"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "litellm.config.yaml"
    path.write_text(text)
    return path


TEAM = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: os.environ/AZURE_OPENAI_API_BASE
      api_key: os.environ/AZURE_OPENAI_API_KEY
      api_version: os.environ/TEAM_API_VERSION
      timeout: 30
  - model_name: gpt-4o-mini
    litellm_params: {model: azure/gpt-4o-mini, api_key: os.environ/AZURE_OPENAI_API_KEY}
  - model_name: claude
    litellm_params: {model: anthropic/claude-3-5-sonnet, api_key: os.environ/ANTHROPIC_API_KEY}
router_settings:
  num_retries: 1
  fallbacks: [{gpt-4o: [gpt-4o-mini]}]
  redis_host: cache.internal
litellm_settings:
  drop_params: true
  callbacks: [langfuse, my_hooks.proxy_handler_instance]
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
"""


@pytest.mark.parametrize(
    ("text", "alias", "error"),
    [
        ("model_list: [", None, "not valid YAML"),
        ("general_settings: {}", None, "expected a mapping with a 'model_list' list"),
        (TEAM, None, "2 Azure chat aliases (gpt-4o, gpt-4o-mini); choose the one under test with --litellm-model"),
        (TEAM, "gpt-5", "no model_name 'gpt-5'"),
        (TEAM, "claude", "entry 'claude' is 'anthropic/claude-3-5-sonnet', not an Azure deployment"),
        (TEAM.replace("gpt-4o-mini\n", "harness-wrong-key\n", 1), "gpt-4o", "uses the prefix 'harness-'"),
    ],
)
def test_a_config_the_suite_cannot_use_is_one_line(tmp_path: Path, text: str, alias: str | None, error: str) -> None:
    with pytest.raises(TeamConfigError, match=error.replace("(", r"\(").replace(")", r"\)")):
        load_team_config(write(tmp_path, text), alias, {})


def test_the_direct_path_is_derived_the_way_litellm_resolves_the_alias(tmp_path: Path) -> None:
    team = load_team_config(write(tmp_path, TEAM), "gpt-4o", {"TEAM_API_VERSION": "2024-10-21"})
    assert (team.deployment, team.api_version, team.auth) == ("gpt-4o-prod", "2024-10-21", "key")
    seed = load_team_config(EXAMPLES / "seed-broken" / "litellm.config.yaml", None, {})
    assert (seed.alias, seed.deployment, seed.api_version) == (
        "gpt-4",
        "gpt-4o-prod",
        "2024-10-21",
    )  # deployment_id wins
    sp = load_team_config(EXAMPLES / "service-principal" / "litellm.config.yaml", None, {})
    assert sp.auth == "token"
    bare = load_team_config(
        write(tmp_path, TEAM.replace("      api_version: os.environ/TEAM_API_VERSION\n", "")), "gpt-4o", {}
    )
    assert bare.api_version == "2025-02-01-preview"  # LiteLLM 1.108.7's default
    shipped = load_team_config(ROOT / "litellm.config.yaml", None, {})
    assert (shipped.alias, shipped.deployment) == ("gpt-4o", "gpt-4o-prod")  # its embeddings entry is not chat


def test_the_offline_config_keeps_settings_and_never_carries_the_users_secrets(tmp_path: Path) -> None:
    environ = {"AZURE_OPENAI_API_KEY": PLANTED_KEY, "TEAM_API_VERSION": "2024-10-21", "DATABASE_URL": "postgres://x"}
    (tmp_path / "my_hooks.py").write_text("proxy_handler_instance = None\n")  # the team's hook, next to its config
    team = load_team_config(write(tmp_path, TEAM), "gpt-4o", environ)
    out = render_team_config(
        team, {}, {"good-key@lane-chat-basic": "good-key"}, "http://127.0.0.1:1", "k", "t", environ
    )
    text = yaml.safe_dump(out.config)
    assert PLANTED_KEY not in text and PLANTED_KEY not in out.env.values()
    entry = next(e for e in out.config["model_list"] if e["model_name"] == "gpt-4o")["litellm_params"]
    assert entry == {"model": "azure/gpt-4o-prod", "api_base": "http://127.0.0.1:1", "api_version": "2024-10-21",
                     "timeout": 30, "api_key": f"os.environ/{KEY_VAR}"}  # fmt: skip
    assert [e["model_name"] for e in out.config["model_list"]].count("claude") == 0
    notes = "\n".join(out.set_aside)
    for gone in ("claude", "redis_host", "database_url", "'langfuse'", "master_key"):
        assert gone in notes
    assert any(
        h.startswith("litellm_settings.callbacks 'my_hooks.proxy_handler_instance' (loaded from") for h in out.honoured
    )
    assert out.config["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY"}
    # the lane falls back to its own copy of the fallback group
    rules = out.config["router_settings"]["fallbacks"]
    assert {"good-key@lane-chat-basic": ["gpt-4o-mini@lane-chat-basic"]} in rules
    assert any(e["model_name"] == "gpt-4o-mini@lane-chat-basic" for e in out.config["model_list"])


def test_a_literal_var_stays_literal_offline_because_it_is_the_bug(tmp_path: Path) -> None:
    team = load_team_config(EXAMPLES / "seed-broken" / "litellm.config.yaml", None, {})
    out = render_team_config(team, {}, {}, "http://127.0.0.1:1", "k", "t", {})
    params = out.config["model_list"][0]["litellm_params"]
    assert params["api_key"] == "${AZURE_OPENAI_API_KEY}" and params["deployment_id"] == "gpt-4o-prod"


def test_where_azure_sits_in_config_mode() -> None:
    default = "tests/cassettes"
    assert team_upstream("replay", "none", default, default) == "emulator"
    assert team_upstream("replay", "none", "my/cassettes", default) == "replay"
    assert team_upstream("replay", "rewrite", "my/cassettes", default) == "emulator"
    with pytest.raises(TeamConfigError, match="pass --cassette-dir DIR"):
        team_upstream("replay", "rewrite", default, default)


def test_a_bad_config_stops_the_run_before_any_proxy(tmp_path: Path) -> None:
    for args, text in (
        ([str(tmp_path / "missing.yaml")], "cannot read the LiteLLM config"),
        ([str(EXAMPLES / "production-like" / "litellm.config.yaml")], "--litellm-model ALIAS"),
    ):
        done = run(
            [sys.executable, "-m", "pytest", "tests/contract/test_chat.py", "--litellm-config", *args], clean_env()
        )
        assert done.returncode == 4, done.stdout + done.stderr
        assert text in done.stderr and "Traceback" not in done.stderr and "proxy cold start" not in done.stdout


def _report(run) -> dict:
    return json.loads((run.folder / "parity-report.json").read_text())


def _comparison(report: dict, case: str) -> dict:
    return next(c for c in report["comparisons"] if c["case"] == case)


@pytest.mark.background_run("config-seed")
def test_the_seeds_config_fails_naming_the_setting_and_the_doctor_check(background_run) -> None:
    out = background_run.stdout
    assert background_run.returncode == 1, out[-3000:]
    assert "config mode: litellm.config.yaml, alias 'gpt-4' -> azure deployment 'gpt-4o-prod'" in out
    assert "litellm: 401" in out  # Azure's own answer to the literal key
    assert "config setting gpt-4.api_key: '${AZURE_OPENAI_API_KEY}' is sent literally" in out
    assert "check 'env expansion'" in out and "check 'deployment'" in out


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("config-production")
def test_the_production_like_config_shows_its_fallback_and_retry_policy(background_run) -> None:
    assert background_run.returncode == 0, background_run.stdout[-3000:]
    report = _report(background_run)
    assert {"fallback-answers-failed-calls", "fallback-calls-reach-azure"} <= set(report["divergences"])
    rate_limited = _comparison(report, "errors/rate-limited-429")
    assert rate_limited["direct"]["status"] == 429 and rate_limited["litellm"]["status"] == 200  # the fallback
    sent = [r["path"] for r in rate_limited["requests"]["litellm"]]
    # RateLimitErrorRetries: 0 -> one attempt on gpt-4o, then the fallback deployment
    assert sent == [
        "/openai/deployments/fault-429/chat/completions",
        "/openai/deployments/gpt-4o-mini/chat/completions",
    ]


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("config-service-principal")
def test_num_retries_0_means_one_upstream_attempt_where_the_default_makes_three(background_run) -> None:
    assert background_run.returncode == 0, background_run.stdout[-3000:]
    report = _report(background_run)
    rate_limited = _comparison(report, "errors/rate-limited-429")
    assert rate_limited["litellm"]["exception"] == "RateLimitError"
    assert len(rate_limited["requests"]["litellm"]) == 1  # the shipped config's case sees 3
    alias = _comparison(report, "errors/invalid-parameter")["requests"]["litellm"]
    assert alias and all(r["auth"] == "bearer" for r in alias)  # the alias's token, not a key


@pytest.mark.background_run("config-planted-secret")
def test_a_real_key_in_the_environment_never_reaches_proxy_cassettes_or_report(background_run) -> None:
    assert background_run.returncode == 0, background_run.stdout[-3000:]
    texts = [background_run.stdout]
    for path in background_run.folder.rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".json", ".html", ".log", ".txt"):
            texts.append(path.read_text(errors="replace"))
    assert len(texts) > 5  # the proxy's config and log, the cassettes, the report
    for text in texts:
        assert PLANTED_KEY not in text and PLANTED_HOST not in text


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("config-disclosure")
def test_the_disclosure_settings_turn_off_what_they_say(background_run) -> None:
    """`examples/disclosure/`: the header callback and `expose_router_debug_in_errors: false`, run by the
    real proxy in config mode. Its ledger switches the disclosures they remove off, so one still there
    would fail as unledgered; the run passes, and the report shows what is left."""
    out = background_run.stdout
    assert background_run.returncode == 0, out[-4000:]
    assert "custom_callbacks.proxy_handler_instance' (loaded from examples/disclosure)" in out
    report = json.loads((background_run.folder / "parity-report.json").read_text())
    hit = {entry for c in report["comparisons"] for entry in c["covered"]}
    assert hit == {"disclosure-left-with-the-settings", "disclosure-cooldown-deployment-ids"}, hit


GROUPED = """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o-eastus, api_base: os.environ/AZURE_API_BASE_EASTUS, api_key: os.environ/K1}
    model_info: {base_model: azure/gpt-4o}
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o-westeu, api_base: os.environ/AZURE_API_BASE_WESTEU, api_key: os.environ/K2}
  - model_name: mini
    litellm_params: {model: azure/mini-a, api_key: os.environ/K1}
    model_info: {base_model: azure/gpt-4o-mini}
  - model_name: mini
    litellm_params: {model: azure/mini-b, api_key: os.environ/K2}
    model_info: {base_model: azure/gpt-4.1-mini}
  - model_name: embed
    litellm_params: {model: azure/embed-prod, api_key: os.environ/K1}
    model_info: {mode: embedding}
"""


def test_every_deployment_of_a_group_serves_one_model(tmp_path: Path) -> None:
    """Which deployment the router picks must not change what the application sees: the entry without
    `model_info` serves the model its group declares, not a default of its own."""
    team = load_team_config(write(tmp_path, GROUPED), "gpt-4o", {})
    plan = plan_groups(team)
    assert plan.deployments["gpt-4o-eastus"] == plan.deployments["gpt-4o-westeu"] == ("gpt-4o", "chat")
    assert plan.deployments["embed-prod"] == ("text-embedding-3-small", "embeddings")
    assert plan.canonical == {"gpt-4o-eastus": "gpt-4o-eastus", "gpt-4o-westeu": "gpt-4o-eastus",
                              "mini-a": "mini-a", "mini-b": "mini-a"}  # fmt: skip
    assert plan.routed == {"gpt-4o": ["gpt-4o-eastus", "gpt-4o-westeu"], "mini": ["mini-a", "mini-b"]}
    # a group whose entries name different models is a config question: said, and served as the first
    assert plan.deployments["mini-b"] == ("gpt-4o-mini", "chat")
    (note,) = plan.notes
    assert "model group 'mini'" in note and "gpt-4o-mini, gpt-4.1-mini" in note
    assert note in "\n".join(team_notes(team))


@pytest.mark.background_run("config-num-retries-0")
def test_a_stale_inherited_entry_names_the_teams_setting_and_never_the_shipped_ledger(background_run) -> None:
    """Config mode without --ledger: the entry LiteLLM's default retries explain goes stale with
    `num_retries: 0`; the message names that setting and the command that starts the team's own ledger."""
    out = background_run.stdout
    assert background_run.returncode == 1, out[-3000:]
    line = next(x for x in out.splitlines() if x.startswith("STALE ledger entry 'proxy-retries-upstream'"))
    assert "your config sets router_settings.num_retries: 0, which changes it" in line
    assert "Do not edit the shipped ledger" in line and "Remove it from" not in line
    command = line.split("switches this entry off for these cases: ", 1)[1]
    assert command.startswith("pytest tests/contract --litellm-config ") and command.endswith(" --ledger-update")
    assert "/divergences.yaml" in command
