"""The LiteLLM proxy lifecycle: controlled start, clear failure, secrets out of the log, no orphans."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openai
import pytest

from harness.paths.matrix import SETUPS, Credentials, render_proxy_config
from harness.paths.proxy import ProxyStartError, run_proxy
from harness.paths.proxy_env import proxy_env
from harness.replay.upstream import UpstreamTarget

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_environment_is_controlled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "from-the-developer-shell")
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "stray-token")
    env = proxy_env({"HARNESS_X": "1"}, "sk-master", tmp_path)
    assert not any(k.startswith("AZURE_") for k in env)
    assert env["LITELLM_MASTER_KEY"] == "sk-master" and env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert env["LITELLM_MODE"] == "PRODUCTION"  # no .env loading
    assert env["HOME"] == str(tmp_path) and env["HARNESS_X"] == "1"


def test_rendered_config_holds_no_secret_values():
    creds = Credentials(api_key="k" * 32, mint_token=lambda kind: f"token-{kind}-" + "t" * 20)
    config, env = render_proxy_config(
        SETUPS,
        creds,
        {"public": "http://127.0.0.1:1", "private-endpoint": "http://p", "private-resource-public": "http://q"},
    )
    text = repr(config)
    assert all(value not in text for value in env.values())
    params = {e["model_name"]: e["litellm_params"] for e in config["model_list"]}
    assert params["good-key"]["api_key"].startswith("os.environ/")
    assert params["entra-token"]["azure_ad_token"].startswith("os.environ/")
    assert params["seed-literal-var"]["api_key"] == "${AZURE_OPENAI_API_KEY}"
    assert params["unknown-deployment"]["model"] == "azure/no-such-deployment"


def test_start_failure_names_version_config_and_log_tail(tmp_path: Path):
    broken = {"model_list": "not-a-list", "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"}}
    with pytest.raises(ProxyStartError) as caught, run_proxy(broken, {}, tmp_path, start_deadline_s=60):
        pass
    message = str(caught.value)
    assert message.startswith("harness: LiteLLM proxy 1.108.7 ")
    assert str(tmp_path / "litellm.config.yaml") in message and "last lines of the log" in message
    assert "--proxy-url" in message


def test_a_proxy_not_ready_by_the_deadline_is_stopped_with_a_clear_error(
    emulator_target: UpstreamTarget, tmp_path: Path
):
    config, env = render_proxy_config(SETUPS, emulator_target.credentials, emulator_target.endpoints)
    # 10 ms: no proxy is ready that fast, forked from a warm LiteLLM or not, on a quiet machine or a busy one
    with pytest.raises(ProxyStartError) as caught, run_proxy(config, env, tmp_path, start_deadline_s=0.01):
        pass
    assert "was not ready within 0.01s (raise --proxy-start-timeout if the machine is slow)" in str(caught.value)
    assert "litellm --config" in str(caught.value)  # the command to see the error by hand
    assert "last lines of the log:" in str(caught.value)
    assert (tmp_path / "litellm.log").exists()


def test_live_proxy_then_stopped_with_secrets_scrubbed(emulator_target: UpstreamTarget, tmp_path: Path):
    config, env = render_proxy_config(SETUPS, emulator_target.credentials, emulator_target.endpoints)
    with run_proxy(config, env, tmp_path) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:") and proxy.version == "1.108.7"
        client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=proxy.master_key, max_retries=0)
        assert client.chat.completions.create(model="good-key", messages=[{"role": "user", "content": "hi"}]).choices
        # 1.108.7 with a master key and no database answers a wrong client key with 400 "No connected db."
        with pytest.raises(openai.BadRequestError, match="No connected db"):
            openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-wrong", max_retries=0).chat.completions.create(
                model="good-key", messages=[{"role": "user", "content": "hi"}]
            )
        pid, master_key = proxy.pid, proxy.master_key
    assert not _alive(pid)
    log = (tmp_path / "litellm.log").read_text()
    assert log  # captured
    for secret in [master_key, *env.values()]:
        assert secret not in log


def test_no_orphan_when_the_harness_is_killed(emulator_target: UpstreamTarget, tmp_path: Path):
    """SIGKILL skips every `finally`; the parent-death signal still stops the proxy."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from harness.paths.matrix import SETUPS, Credentials, render_proxy_config
        from harness.paths.proxy import run_proxy
        config, env = render_proxy_config(SETUPS, Credentials("k" * 32, lambda kind: "t" * 40),
                                          {{"public": "{emulator_target.endpoints["public"]}", "private-endpoint": "x",
                                           "private-resource-public": "y"}})
        with run_proxy(config, env, Path(r"{tmp_path}")) as proxy:
            print(proxy.pid, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), f"proxy {pid} outlived its harness"
