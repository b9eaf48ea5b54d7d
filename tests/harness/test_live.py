"""`pytest --live`, tested offline: the emulator stands in for the Azure resource over loopback, and
a separately started real LiteLLM proxy (the shipped `litellm.config.yaml`) is the "staging" proxy.

The live run is a real `pytest --live` subprocess over the real contract modules, configured only
through the environment, as a team's CI would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from harness import Case, Scenario
from harness.emulator import RunningEmulator
from harness.live.run import not_applicable_live, record_problem
from harness.live.settings import LiveSettingsError, entra_token, load_live_settings, merged_env, read_env_file
from harness.paths.proxy import RunningProxy

from .support import DEPLOYMENT, azure_env, clean_env, run

#: one worker runs every test of the team's proxy (and the doctor's broken one): under `-n 2` each worker
#: would otherwise start its own, for half the tests
pytestmark = pytest.mark.xdist_group("team-proxy")

ALL_AZURE = ["AZURE_OPENAI_API_BASE", "AZURE_OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT", "AZURE_OPENAI_API_KEY"]


# ---------------------------------------------------------------- settings


def test_env_file_is_read_like_dotenv(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nexport A=1\nB='two words'\nC=\"x#y\"\nD=plain # trailing\n\n")
    assert read_env_file(env) == {"A": "1", "B": "two words", "C": "x#y", "D": "plain"}
    assert read_env_file(tmp_path / "missing.env") == {}


def test_a_malformed_env_file_names_the_line(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("A=1\nnot a setting\n")
    with pytest.raises(LiveSettingsError, match=r"\.env:2: expected NAME=VALUE"):
        read_env_file(env)


def test_the_environment_wins_over_the_file_and_options_win_over_both(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AZURE_OPENAI_DEPLOYMENT=from-file\nAZURE_OPENAI_API_VERSION=2024-10-21\n")
    env = merged_env({"AZURE_OPENAI_DEPLOYMENT": "from-env", "AZURE_OPENAI_API_BASE": "https://r.example"}, env_file)
    assert env["AZURE_OPENAI_DEPLOYMENT"] == "from-env" and env["AZURE_OPENAI_API_VERSION"] == "2024-10-21"
    live = load_live_settings(
        {**env, "AZURE_OPENAI_API_KEY": "k" * 32}, overrides={"AZURE_OPENAI_DEPLOYMENT": "from-option"}
    )
    assert live.deployment == "from-option" and not live.staging and live.proxy_model == "live"


def test_every_missing_setting_is_listed_at_once() -> None:
    with pytest.raises(LiveSettingsError) as caught:
        load_live_settings({"LITELLM_API_BASE": "http://localhost:4000"})
    message = str(caught.value)
    for name in [*ALL_AZURE, "LITELLM_MODEL", "LITELLM_API_KEY"]:
        assert name in message
    assert ".env.example" in message


def test_malformed_settings_say_what_shape_was_expected() -> None:
    with pytest.raises(LiveSettingsError) as caught:
        load_live_settings(
            {
                "AZURE_OPENAI_API_BASE": "myresource.openai.azure.com",
                "AZURE_OPENAI_API_KEY": "k",
                "AZURE_OPENAI_API_VERSION": "october",
                "AZURE_OPENAI_DEPLOYMENT": "d",
            }
        )
    message = str(caught.value)
    assert "AZURE_OPENAI_API_BASE: expected an http(s) URL" in message
    assert "AZURE_OPENAI_API_VERSION: expected YYYY-MM-DD" in message
    assert "myresource" not in message  # the resource's name is not echoed


def test_entra_without_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as if azure-identity were not installed
    with pytest.raises(LiveSettingsError, match=r"pip install -e '\.\[live\]'"):
        entra_token()


def test_settings_never_print_their_secrets() -> None:
    live = load_live_settings(
        {
            "AZURE_OPENAI_API_BASE": "https://secret-resource.openai.azure.com",
            "AZURE_OPENAI_API_KEY": "azure-key-value-123",
            "AZURE_OPENAI_API_VERSION": "2024-10-21",
            "AZURE_OPENAI_DEPLOYMENT": "d",
            "LITELLM_API_BASE": "http://proxy.internal:4000",
            "LITELLM_API_KEY": "sk-proxy-key-456",
            "LITELLM_MODEL": "gpt-4o",
        }
    )
    for shown in (repr(live), str(live), live.describe()):
        assert "azure-key-value-123" not in shown and "sk-proxy-key-456" not in shown
        assert "secret-resource" not in shown and "proxy.internal" not in shown


def test_cases_needing_the_emulator_are_not_applicable_live_with_a_reason() -> None:
    ok = Case("basic", Scenario({"messages": [{"role": "user", "content": "hi"}]}))
    fault = Case("f", Scenario({"messages": [{"role": "user", "content": "x [[fault:500]]"}]}))
    expired = Case("e", Scenario({"messages": []}, setup="expired-token"))
    pinned = Case("p", Scenario({"messages": []}), offline_only="pins the local proxy")
    assert not_applicable_live(ok) is None
    assert "[[fault:500]]" in (not_applicable_live(fault) or "")
    assert "expired" in (not_applicable_live(expired) or "")
    assert not_applicable_live(pinned) == "pins the local proxy"


def test_live_recording_refuses_what_replay_could_not_use() -> None:
    base = {
        "AZURE_OPENAI_API_BASE": "https://r.openai.azure.com",
        "AZURE_OPENAI_API_KEY": "k" * 32,
        "AZURE_OPENAI_DEPLOYMENT": "d",
    }
    assert record_problem(load_live_settings({**base, "AZURE_OPENAI_API_VERSION": "2024-10-21"})) is None
    other = record_problem(load_live_settings({**base, "AZURE_OPENAI_API_VERSION": "2025-01-01-preview"}))
    assert other is not None and "AZURE_OPENAI_API_VERSION=2024-10-21" in other
    staging = load_live_settings(
        {
            **base,
            "AZURE_OPENAI_API_VERSION": "2024-10-21",
            "LITELLM_API_BASE": "http://localhost:4000",
            "LITELLM_API_KEY": "sk-x",
            "LITELLM_MODEL": "m",
        }
    )
    assert "Unset LITELLM_API_BASE" in (record_problem(staging) or "")


# ---------------------------------------------------------------- end to end: `pytest --live`


@pytest.fixture(scope="module")
def staging_proxy(team_proxy: RunningProxy) -> RunningProxy:
    """The team's proxy, started on its own as a staging proxy would be (conftest.team_proxy)."""
    return team_proxy


def run_live(settings: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pytest --live …` in a fresh process whose only settings are `settings` (no .env is read)."""
    command = [sys.executable, "-m", "pytest", "--live", "--env-file", os.devnull, "-p", "no:cacheprovider", *args]
    return run(command, clean_env(settings))


def staging_env(azure: RunningEmulator, proxy: RunningProxy) -> dict[str, str]:
    return {
        **azure_env(azure),
        "LITELLM_API_BASE": proxy.url,
        "LITELLM_API_KEY": proxy.master_key,
        "LITELLM_MODEL": "gpt-4o",
        "LITELLM_EMBEDDINGS_MODEL": "text-embedding-3-small",
    }


def assert_no_secrets(text: str, azure: RunningEmulator | Mapping[str, str], *secrets: str) -> None:
    """Neither the resource's key nor its host (an emulator, or the settings a run was given)."""
    settings = azure_env(azure) if isinstance(azure, RunningEmulator) else azure
    host = settings["AZURE_OPENAI_API_BASE"].split("//", 1)[1]
    for secret in (settings["AZURE_OPENAI_API_KEY"], host, *secrets):
        assert secret not in text


@pytest.mark.slow_tier  # the live suite against a staging proxy, in a subprocess: .ci/run's second command
def test_live_against_a_staging_proxy_is_green_and_reports_what_it_could_not_run(
    fake_azure: RunningEmulator, staging_proxy: RunningProxy, tmp_path: Path
) -> None:
    report = tmp_path / "live.json"
    done = run_live(staging_env(fake_azure, staging_proxy), "tests/contract", "--parity-report", str(report))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    out = done.stdout
    assert "contract live: Azure deployment 'gpt-4o-prod'" in out and "staging proxy" in out
    assert "not applicable live (" in out and "n/a live" in out
    assert "SKIPPED" in out and "needs an expired Entra token, which the emulator mints" in out
    data = json.loads(report.read_text())
    assert data["meta"]["upstream"] == "azure" and data["meta"]["level"] == "shape"
    passed = [o for o in data["outcomes"] if o["outcome"] == "passed"]
    assert {o["path"] for o in passed} == {"direct", "litellm"} and len(passed) >= 50
    assert data["not_applicable"] and not data["stale"]
    # beyond chat: embeddings run live (AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT, LITELLM_EMBEDDINGS_MODEL); the
    # shipped config's gpt-4o entry predates the Responses API and is not on v1, which the n/a reasons say
    embedded = [o for o in passed if str(o["case"]).startswith("embeddings/")]
    assert len(embedded) >= 12 and {o["path"] for o in embedded} == {"direct", "litellm"}
    assert "alias 'gpt-4o' is at api_version 2024-10-21, which predates the Responses API" in out
    assert "not Azure's v1 API" in out
    assert not [o for o in passed if str(o["case"]).startswith("responses/")]
    assert_no_secrets(
        out + report.read_text() + report.with_suffix(".html").read_text(), fake_azure, staging_proxy.master_key
    )


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("live-local-proxy")
def test_live_with_a_local_proxy_runs_the_users_config(background_run) -> None:
    """`pytest --live tests/contract/test_chat.py --litellm-config litellm.config.yaml` (background.py)."""
    out = background_run.stdout
    assert background_run.returncode == 0, out[-4000:]
    assert "40 passed" in out and "local proxy model 'gpt-4o', config litellm.config.yaml" in out
    resource = json.loads((background_run.folder / "resource.json").read_text())
    assert_no_secrets(out, resource)


def test_live_with_settings_missing_stops_at_once_with_exit_4() -> None:
    done = run_live({}, "tests/contract")
    assert done.returncode == 4
    for name in ALL_AZURE:
        assert name in done.stderr
    assert "passed" not in done.stdout and "skipped" not in done.stdout


def test_a_wrong_azure_key_is_one_clear_message(fake_azure: RunningEmulator) -> None:
    settings = azure_env(fake_azure) | {"AZURE_OPENAI_API_KEY": "0" * 32}
    done = run_live(settings, "tests/contract/test_chat.py")
    assert done.returncode == 3, done.stdout[-3000:]
    text = done.stdout + done.stderr
    assert "AZURE_OPENAI_API_KEY" in text and "invalid subscription key" in text and "harness doctor" in text
    assert " passed" not in done.stdout
    assert_no_secrets(text, fake_azure)


def test_an_unreachable_azure_host_is_one_clear_message() -> None:
    settings = {
        "AZURE_OPENAI_API_BASE": "http://127.0.0.1:9",
        "AZURE_OPENAI_API_KEY": "k" * 32,
        "AZURE_OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": DEPLOYMENT,
    }
    done = run_live(settings, "tests/contract/test_chat.py")
    assert done.returncode == 3
    assert "could not connect to Azure" in done.stdout + done.stderr
    assert "AZURE_OPENAI_API_BASE" in done.stdout + done.stderr


def test_an_unreachable_staging_proxy_is_one_clear_message(fake_azure: RunningEmulator) -> None:
    settings = azure_env(fake_azure) | {
        "LITELLM_API_BASE": "http://127.0.0.1:9",
        "LITELLM_API_KEY": "sk-x",
        "LITELLM_MODEL": "gpt-4o",
    }
    done = run_live(settings, "tests/contract/test_chat.py")
    assert done.returncode == 3
    assert "Could not connect to LiteLLM server" in done.stdout + done.stderr


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("live-record")
def test_live_record_makes_cassettes_the_offline_suite_replays(background_run) -> None:
    """`pytest --live --record` into a folder, then the offline suite replaying it (background.py)."""
    recorded, replayed = background_run.steps
    assert recorded.returncode == 0, recorded.stdout[-4000:]
    cassettes = background_run.folder / "cassettes"
    text = "".join(p.read_text() for p in cassettes.rglob("*.yaml"))
    assert "source: azure" in text and "/deployments/chat/" in text and DEPLOYMENT not in text
    assert_no_secrets(text, json.loads((background_run.folder / "resource.json").read_text()))
    assert replayed.returncode == 0, replayed.stdout[-4000:]
    assert "6 passed" in replayed.stdout
