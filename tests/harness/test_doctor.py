"""`python -m harness doctor` against the emulator (as Azure), a real LiteLLM proxy, and broken configs,
the seed's exact config among them: each diagnosis names its cause and the setting behind it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from harness.doctor import DoctorInputs, DoctorReport, run_doctor
from harness.doctor.configlint import Finding
from harness.doctor.network import check_private_endpoint
from harness.emulator import RunningEmulator, mint_token
from harness.paths.proxy import RunningProxy, run_proxy

from .support import DEPLOYMENT, KEY_AS_BEARER, ROOT, SEED, SEED_KEY_ONLY, azure_env, clean_env, run

#: one worker runs every test of the team's proxy (and the doctor's broken one): under `-n 2` each worker
#: would otherwise start its own, for half the tests
pytestmark = pytest.mark.xdist_group("team-proxy")

EMBEDDINGS_ALIAS = "text-embedding-3-small"  # the shipped config's embeddings model_name
#: where the proxy's LiteLLM is "installed" for these tests: no `.env` above it (proxyenv's own tests plant one);
#: the doctor only walks up from it, so it need not exist (a folder made at import would outlive every run)
NO_DOTENV = Path(tempfile.gettempdir()) / "harness-doctor-no-dotenv" / "litellm"


def entries(text: str) -> list[dict]:
    return yaml.safe_load(text)["model_list"]


@pytest.fixture(scope="module")
def proxy(team_proxy: RunningProxy) -> RunningProxy:
    """The team's proxy: the shipped config's entry and each broken one, under its own alias."""
    return team_proxy


def doctor(
    azure: RunningEmulator, proxy: RunningProxy | None, config: Path | None, alias: str = "gpt-4o", **env: str
) -> DoctorReport:
    settings = azure_env(azure) | {"LITELLM_MODEL": alias}
    if proxy is not None:
        settings |= {
            "LITELLM_API_BASE": proxy.url,
            "LITELLM_API_KEY": proxy.master_key,
            "LITELLM_EMBEDDINGS_MODEL": EMBEDDINGS_ALIAS,
        }
    settings |= env
    return run_doctor(DoctorInputs(env=settings, config_path=config, timeout_s=10, litellm_dir=NO_DOTENV))


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "litellm.config.yaml"
    path.write_text(text)
    return path


def failed(report: DoctorReport) -> dict[tuple[str, str], Finding]:
    return {(f.check, f.where): f for f in report.findings if f.status == "fail"}


def test_the_fixed_config_is_all_ok(fake_azure: RunningEmulator, proxy: RunningProxy) -> None:
    """Everything works; the only warnings are what the shipped config leaves disclosed to clients."""
    report = doctor(fake_azure, proxy, ROOT / "litellm.config.yaml")
    warned = [(f.check, f.where) for f in report.findings if f.status == "warn"]
    assert warned == [
        ("disclosure", "litellm_settings.callbacks"),
        ("disclosure", "litellm_settings.expose_router_debug_in_errors"),
    ], report.render()
    assert report.counts()["fail"] == 0, report.render()
    checks = {f.check for f in report.findings}
    assert {
        "env",
        "config",
        "direct",
        "proxy",
        "proxy key",
        "model alias",
        "proxy → Azure",
        "private endpoint",
        "embeddings",
        "direct embeddings",
        "proxy embeddings",
    } <= checks


def test_an_embeddings_setting_naming_a_chat_deployment_is_named(
    fake_azure: RunningEmulator, proxy: RunningProxy
) -> None:
    """The classic mix-up: a chat deployment where the embeddings one is meant, on each path."""
    report = doctor(
        fake_azure,
        proxy,
        ROOT / "litellm.config.yaml",
        AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT=DEPLOYMENT,
        LITELLM_EMBEDDINGS_MODEL="gpt-4o",
    )
    fails = failed(report)
    direct = fails[("direct embeddings", "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT")]
    assert f"'{DEPLOYMENT}' is not an embeddings deployment" in direct.cause and "OperationNotSupported" in direct.cause
    assert "text-embedding-*" in direct.fix
    through = fails[("proxy embeddings", "LITELLM_EMBEDDINGS_MODEL")]
    assert "alias 'gpt-4o' reaches a deployment that does not embed" in through.cause
    assert ("direct", "AZURE_OPENAI_DEPLOYMENT") not in fails  # chat itself is fine


def test_an_embeddings_alias_missing_from_the_config_is_named(fake_azure: RunningEmulator, proxy: RunningProxy) -> None:
    report = doctor(fake_azure, proxy, ROOT / "litellm.config.yaml", LITELLM_EMBEDDINGS_MODEL="embed-large")
    fails = failed(report)
    config = fails[("embeddings", "LITELLM_EMBEDDINGS_MODEL")]
    assert "'embed-large' is not a model_name in the config" in config.cause and "Invalid model name" in config.cause
    assert "Invalid model name" in fails[("proxy embeddings", "LITELLM_EMBEDDINGS_MODEL")].cause


def test_without_an_embeddings_deployment_nothing_about_embeddings_is_checked(fake_azure: RunningEmulator) -> None:
    report = doctor(fake_azure, None, None, AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT="")
    assert not [f for f in report.findings if "embeddings" in f.check]


def test_the_seed_config_gets_both_causes_named(
    fake_azure: RunningEmulator, proxy: RunningProxy, tmp_path: Path
) -> None:
    report = doctor(fake_azure, proxy, config_file(tmp_path, SEED), alias="gpt-4")
    fails = failed(report)
    assert ("env expansion", "gpt-4.api_key") in fails and ("env expansion", "gpt-4.api_base") in fails
    assert "never expands ${VAR}" in fails[("env expansion", "gpt-4.api_key")].cause
    assert fails[("env expansion", "gpt-4.api_key")].fix == "write api_key: os.environ/AZURE_OPENAI_API_KEY"
    assert ("deployment", "gpt-4.deployment_id") in fails
    # and the proxy's own call fails, blamed on the literal api_base it really tried
    leg = fails[("proxy → Azure", "gpt-4.api_base")]
    assert "literal text '${AZURE_OPENAI_API_BASE}'" in leg.cause
    assert leg.fix == "write api_base: os.environ/AZURE_OPENAI_API_BASE"
    direct = next(f for f in report.findings if f.check == "direct")
    assert direct.status == "ok"  # the direct path works: the classic "only through the proxy" failure


def test_the_seeds_literal_key_is_named_as_a_bad_key(
    fake_azure: RunningEmulator, proxy: RunningProxy, tmp_path: Path
) -> None:
    report = doctor(fake_azure, proxy, config_file(tmp_path, SEED_KEY_ONLY), alias="seed-key")
    leg = failed(report)[("proxy → Azure", "seed-key.api_key")]
    assert "the proxy sent a bad key" in leg.cause and "'${AZURE_OPENAI_API_KEY}'" in leg.cause
    assert "invalid subscription key" in leg.cause


def test_a_key_sent_as_a_bearer_token_is_named(fake_azure: RunningEmulator, tmp_path: Path) -> None:
    """The key given as `azure_ad_token`, to a proxy whose environment has no key to fall back on: LiteLLM
    sends `Authorization: Bearer <key>` and Azure answers the seed's 'audience is incorrect' 401."""
    settings = azure_env(fake_azure)
    env = {
        "AZURE_OPENAI_API_BASE": settings["AZURE_OPENAI_API_BASE"],
        "DOCTOR_BEARER": settings["AZURE_OPENAI_API_KEY"],
    }
    text = KEY_AS_BEARER.replace("os.environ/AZURE_OPENAI_API_KEY", "os.environ/DOCTOR_BEARER")
    with run_proxy({"model_list": entries(text)}, env, tmp_path / "proxy") as bearer_proxy:
        report = doctor(
            fake_azure, bearer_proxy, config_file(tmp_path, text), alias="bearer", DOCTOR_BEARER=env["DOCTOR_BEARER"]
        )
    fails = failed(report)
    leg = fails[("proxy → Azure", "bearer.azure_ad_token")]
    assert "the proxy sent a bearer token (because of azure_ad_token)" in leg.cause
    assert "audience is incorrect" in leg.cause and "api_key: os.environ/AZURE_OPENAI_API_KEY" in leg.fix
    token = fails[("token", "bearer.azure_ad_token")]
    assert "not a JWT" in token.cause and "api key" in token.cause


def test_a_token_beside_the_environments_key_is_named(
    fake_azure: RunningEmulator, proxy: RunningProxy, tmp_path: Path
) -> None:
    """The same config on a proxy whose environment holds AZURE_OPENAI_API_KEY: LiteLLM falls back to
    that key as well, and the client refuses both credentials at once."""
    report = doctor(fake_azure, proxy, config_file(tmp_path, KEY_AS_BEARER), alias="bearer")
    leg = failed(report)[("proxy → Azure", "bearer.azure_ad_token")]
    assert "mutually exclusive" in leg.cause and "AZURE_OPENAI_API_KEY" in leg.cause
    assert leg.fix == "use api_key: os.environ/AZURE_OPENAI_API_KEY and remove azure_ad_token"


def test_the_proxys_key_and_alias(fake_azure: RunningEmulator, proxy: RunningProxy) -> None:
    wrong_key = doctor(fake_azure, proxy, None, LITELLM_API_KEY="sk-not-the-key")
    assert "the proxy rejected its key" in failed(wrong_key)[("proxy key", "LITELLM_API_KEY")].cause
    wrong_alias = doctor(fake_azure, proxy, None, alias="gpt-5")
    assert "not 'gpt-5'" in failed(wrong_alias)[("model alias", "LITELLM_MODEL")].cause


def test_a_proxy_that_is_down(fake_azure: RunningEmulator) -> None:
    report = doctor(fake_azure, None, None, LITELLM_API_BASE="http://127.0.0.1:9", LITELLM_API_KEY="sk-x")
    finding = failed(report)[("proxy", "LITELLM_API_BASE")]
    assert "Could not connect to LiteLLM server" in finding.cause and "litellm --config" in finding.fix


def test_direct_path_failures_name_the_setting(fake_azure: RunningEmulator) -> None:
    key = failed(doctor(fake_azure, None, None, AZURE_OPENAI_API_KEY="0" * 32))
    assert "invalid subscription key" in key[("direct", "AZURE_OPENAI_API_KEY")].cause
    deployment = failed(doctor(fake_azure, None, None, AZURE_OPENAI_DEPLOYMENT="nope"))
    assert "DeploymentNotFound" in deployment[("direct", "AZURE_OPENAI_DEPLOYMENT")].cause
    down = failed(doctor(fake_azure, None, None, AZURE_OPENAI_API_BASE="http://127.0.0.1:9"))
    assert "could not connect to Azure" in down[("direct", "AZURE_OPENAI_API_BASE")].cause


def test_public_access_disabled_is_diagnosed(private_azure_emulator: RunningEmulator) -> None:
    report = doctor(private_azure_emulator, None, None, AZURE_OPENAI_DEPLOYMENT="chat")
    finding = failed(report)[("direct", "Azure")]
    assert "accepts only its private endpoint" in finding.cause and "virtual network" in finding.fix


def test_tokens_are_decoded_for_audience_expiry_and_tenant(fake_azure: RunningEmulator) -> None:
    secret = fake_azure.emulator.config.signing_secret
    expired = failed(doctor(fake_azure, None, None, AZURE_OPENAI_AD_TOKEN=mint_token(secret, "expired")))
    assert "expired" in expired[("token", "AZURE_OPENAI_AD_TOKEN")].cause
    audience = failed(doctor(fake_azure, None, None, AZURE_OPENAI_AD_TOKEN=mint_token(secret, "wrong-audience")))
    assert "is not https://cognitiveservices.azure.com" in audience[("token", "AZURE_OPENAI_AD_TOKEN")].cause
    good = doctor(fake_azure, None, None, AZURE_OPENAI_AD_TOKEN=mint_token(secret, "valid"))
    token = next(f for f in good.findings if f.check == "token")
    assert token.status == "ok" and "audience https://cognitiveservices.azure.com" in token.cause
    assert "tenant 00000000-0000-4000-8000-00000000e0e0" in token.cause and "expires in" in token.cause


def test_private_endpoint_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolution is stubbed: tests send nothing beyond loopback, DNS included."""

    def resolve(address: str):
        return lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve("10.1.2.3"))
    private = check_private_endpoint({"AZURE_OPENAI_API_BASE": "https://r.openai.azure.com"})
    assert [f.status for f in private] == ["ok"] and "private address" in private[0].cause
    link = check_private_endpoint({"AZURE_OPENAI_API_BASE": "https://r.privatelink.openai.azure.com"})
    assert link[0].status == "warn" and "TLS" in link[0].cause
    monkeypatch.setattr(socket, "getaddrinfo", resolve("20.50.1.1"))
    public = check_private_endpoint({"AZURE_OPENAI_API_BASE": "https://r.openai.azure.com"})
    assert "public address" in public[0].cause and "403" in public[0].cause

    def fail(host: str, port: object) -> list:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    missing = check_private_endpoint({"AZURE_OPENAI_API_BASE": "https://r.openai.azure.com"})
    assert missing[0].status == "fail" and "does not resolve" in missing[0].cause


def test_a_dotenv_beside_the_proxy_is_not_what_litellm_loads(fake_azure: RunningEmulator, tmp_path: Path) -> None:
    """LiteLLM 1.108.7's load_dotenv() looks upward from its install directory, not from the working
    directory: a `.env` beside the config reaches the proxy only if something exports it."""
    config = config_file(tmp_path, (ROOT / "litellm.config.yaml").read_text())
    (tmp_path / ".env").write_text("AZURE_OPENAI_AD_TOKEN=abc.def.ghi\nAZURE_OPENAI_API_KEY=stale-key-value\n")
    report = doctor(fake_azure, None, config)
    warned = {f.where: f for f in report.findings if f.status == "warn" and f.check == "proxy .env"}
    assert "the litellm CLI does not load it" in warned[str(tmp_path / ".env")].cause
    assert not [f for f in report.findings if f.check == "env token"]  # its token is not the proxy's


def test_missing_settings_each_fail() -> None:
    report = run_doctor(DoctorInputs(env={}, timeout_s=2))
    names = {f.where for f in report.findings if f.status == "fail"}
    assert {
        "AZURE_OPENAI_API_BASE",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_API_VERSION",
        "AZURE_OPENAI_DEPLOYMENT",
    } <= names


def run_cli(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness", "doctor", "--env-file", os.devnull, *args]
    return run(command, clean_env(env), cwd=cwd)


def test_cli_exit_codes_json_and_no_secrets(fake_azure: RunningEmulator, proxy: RunningProxy, tmp_path: Path) -> None:
    env = azure_env(fake_azure) | {"LITELLM_API_BASE": proxy.url, "LITELLM_API_KEY": proxy.master_key}
    good = run_cli(env | {"LITELLM_MODEL": "gpt-4o"}, cwd=ROOT)  # ./litellm.config.yaml by default
    assert good.returncode == 0, good.stdout
    assert good.stdout.startswith("harness doctor: ") and " 0 fail" in good.stdout.splitlines()[0]
    seed = run_cli(
        env | {"LITELLM_MODEL": "gpt-4"}, "--json", "--config", str(config_file(tmp_path, SEED)), cwd=tmp_path
    )
    assert seed.returncode == 1
    data = json.loads(seed.stdout)
    assert data["ok"] is False and data["counts"]["fail"] >= 4
    host = fake_azure.url.split("//", 1)[1]
    for output in (good.stdout + good.stderr, seed.stdout + seed.stderr):
        for secret in (fake_azure.api_key, proxy.master_key, host):
            assert secret not in output


def test_what_the_proxy_discloses_is_a_warning_until_the_config_turns_it_off(tmp_path: Path) -> None:
    """Static: a config without a header callback and with router text on warns, naming the fix; the
    shipped example that turns both off (and that the contract proves, in config mode) is ok."""
    from harness.doctor.disclosure import check_disclosure
    from harness.paths.litellm_config import load_config

    shipped = ROOT / "litellm.config.yaml"
    warns = check_disclosure(load_config(shipped), shipped)
    assert [f.status for f in warns] == ["warn", "warn"]
    assert "x-litellm-model-api-base" in warns[0].cause and "examples/disclosure/custom_callbacks.py" in warns[0].fix
    assert warns[1].fix == "set litellm_settings.expose_router_debug_in_errors: false"
    example = ROOT / "examples" / "disclosure" / "litellm.config.yaml"
    assert [f.status for f in check_disclosure(load_config(example), example)] == ["ok"]
    # a callback that only logs hides nothing
    (tmp_path / "logger.py").write_text("class L: pass\nproxy_handler_instance = L()\n")
    config = tmp_path / "litellm.config.yaml"
    config.write_text(
        example.read_text().replace("custom_callbacks.proxy_handler_instance", "logger.proxy_handler_instance")
    )
    assert [f.where for f in check_disclosure(load_config(config), config)] == ["litellm_settings.callbacks"]
