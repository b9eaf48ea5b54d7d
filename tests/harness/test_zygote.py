"""Proxies forked from a warm LiteLLM (`harness.paths.zygote`): separate real proxies, keyed by what LiteLLM
reads at import, answering exactly as the `litellm` command's proxy does, and never outliving their run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness.contract.scenario import Scenario
from harness.paths import zygote, zygote_server
from harness.paths.clients import LiteLLMPath
from harness.paths.matrix import SETUPS, render_proxy_config
from harness.paths.proxy import run_proxy
from harness.paths.proxy_env import proxy_env
from harness.replay.upstream import UpstreamTarget


def _session(pid: int) -> int:
    return os.getsid(pid)


def test_forked_proxies_are_real_separate_proxies_in_their_own_sessions(
    emulator_target: UpstreamTarget, tmp_path: Path
) -> None:
    config, env = render_proxy_config(SETUPS, emulator_target.credentials, emulator_target.endpoints)
    with run_proxy(config, env, tmp_path / "a") as a, run_proxy(config, env, tmp_path / "b") as b:
        assert a.import_s > 0 and b.import_s == a.import_s  # forked from the same warm process
        assert a.pid != b.pid and _session(a.pid) == a.pid and _session(b.pid) == b.pid
        for proxy in (a, b):
            models = httpx.get(proxy.url + "/v1/models", headers={"Authorization": f"Bearer {proxy.master_key}"})
            assert models.status_code == 200 and "good-key" in {m["id"] for m in models.json()["data"]}
            assert "Uvicorn running on" in proxy.log_text()  # the real CLI's server, logging to its own file
        assert a.master_key != b.master_key  # each its own environment
        pids = (a.pid, b.pid)
        warm = int(Path(f"/proc/{a.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])  # its parent
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # the warm process reaps a proxy as it ends (SIGCHLD), not at its next poll of the socket
    caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", Path(f"/proc/{warm}/status").read_text())[1], 16)
    assert caught & (1 << (signal.SIGCHLD - 1))


def test_a_warm_process_serves_one_import_time_environment() -> None:
    """LiteLLM reads its back-off constants while it is imported: a proxy that needs other values gets a
    warm process of its own. What it reads when it loads its config is set per proxy."""
    base = {"LITELLM_MODE": "PRODUCTION", "PATH": "/usr/bin"}
    key = zygote._key("/py", base)
    assert zygote._key("/py", {**base, "INITIAL_RETRY_DELAY": "0"}) != key
    assert (
        zygote._key("/py", {**base, "LITELLM_MASTER_KEY": "sk-1", "HOME": "/tmp/x", "HARNESS_TEAM_API_KEY": "k"}) == key
    )
    assert zygote._key("/other/python", base) != key  # another venv, another LiteLLM


CASES = [
    Scenario({"messages": [{"role": "user", "content": "Same answer either way."}]}),
    Scenario({"messages": [{"role": "user", "content": "Stream it."}]}, stream=True),
    Scenario({"messages": [{"role": "user", "content": "Rate limited."}]}, setup="fault-429"),
]


@pytest.mark.slow_tier  # a proxy started by the `litellm` command, its full cold start: .ci/run's second command
def test_a_forked_proxy_answers_as_the_litellm_command_does(
    emulator_target: UpstreamTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same calls through a proxy started by the `litellm` command and through a forked one: the same
    observations, and the same requests reaching Azure (the retries of a 429 included)."""
    config, env = render_proxy_config(SETUPS, emulator_target.credentials, emulator_target.endpoints)
    seen = {}
    for mode in ("cli", "fork"):
        monkeypatch.setenv(zygote.MODE, mode)
        with run_proxy(config, env, tmp_path / mode) as proxy:
            assert (proxy.import_s > 0) == (mode == "fork")
            path = LiteLLMPath(base_url=proxy.url, api_key=proxy.master_key)
            observed = []
            for scenario in CASES:
                emulator_target.reset()
                tree = path.observe(scenario).tree()
                journal = [(e.route, e.status) for r in emulator_target.emulators for e in r.emulator.journal]
                observed.append((tree, journal))
            seen[mode] = observed
    assert seen["fork"] == seen["cli"]


def test_the_shared_folder_goes_with_the_run_that_made_it(tmp_path: Path) -> None:
    """Each run made a `harness-zygotes-*` folder and left it, with its lock files, in the temp directory
    (156 of them on this machine in a day); now the process that made it removes it, and one that only
    shares it (a background suite, an xdist worker) leaves it to its maker."""
    code = (
        "from harness.paths import zygote\n"
        "folder = zygote.shared_folder()\n"
        "(folder / 'k.lock').write_text('')\n"
        "print(folder)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != zygote.SHARED} | {"TMPDIR": str(tmp_path)}
    made = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60)
    assert not Path(made.stdout.strip()).exists()
    shared = tmp_path / "shared"
    shared.mkdir()
    env[zygote.SHARED] = str(shared)
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60)
    assert (shared / "k.lock").exists()


def test_the_import_reads_are_recorded_by_name_and_by_the_walkers_this_file_knows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ImportReads` records names read directly, a proxy-variable walk as its pattern (not as every name
    it passed), a pydantic-settings walk as its fields, and any other walk as unknown, naming where."""
    monkeypatch.setenv("HARNESS_TEST_PRESENT", "1")  # walked past, never read
    import urllib.request

    import pydantic_settings

    class Flag(pydantic_settings.BaseSettings):
        model_config = pydantic_settings.SettingsConfigDict(env_prefix="MY_")
        switch: bool = False

    with zygote_server.ImportReads() as reads:
        os.environ.get("HARNESS_TEST_READ_BY_NAME")
        _ = "HARNESS_TEST_CHECKED" in os.environ
        urllib.request.getproxies_environment()
        Flag()
    assert {"HARNESS_TEST_READ_BY_NAME", "HARNESS_TEST_CHECKED", "REQUEST_METHOD"} <= reads.names
    assert "HARNESS_TEST_PRESENT" not in reads.names
    assert reads.patterns == {"(?i).*_proxy", "(?i)MY_switch"} and reads.unknown == []
    with zygote_server.ImportReads() as reads:
        dict(os.environ)  # a walk nobody here knows
    assert reads.unknown and reads.unknown[0].startswith(__file__)
    with zygote_server.ImportReads() as reads:
        pass
    os.environ.get("HARNESS_TEST_AFTER")
    assert "HARNESS_TEST_AFTER" not in reads.names  # the recording ends with the block


def _record(tmp_path: Path, names: list[str], patterns: list[str], env: dict[str, str], unknown: list[str]) -> Path:
    sock = tmp_path / f"w.{os.getpid()}.sock"  # started by this process
    record = {"python": sys.executable, "names": names, "patterns": patterns, "unknown": unknown,
              "digest": zygote_server.digest(zygote_server.relevant(env, names, patterns))}  # fmt: skip
    zygote._reads(sock).write_text(json.dumps(record))
    return sock


def test_a_warm_process_serves_an_environment_that_differs_only_where_its_import_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"LITELLM_MODE": "PRODUCTION", "INITIAL_RETRY_DELAY": "0", "HTTP_PROXY": "http://127.0.0.1:9"}
    warm_env = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
    sock = _record(tmp_path, ["LITELLM_MODE", "INITIAL_RETRY_DELAY", "REQUEST_METHOD"], ["(?i).*_proxy"], warm_env, [])
    monkeypatch.setattr(zygote, "_alive", lambda path: path == sock)
    assert zygote.compatible(tmp_path, sys.executable, {**base, "AZURE_OPENAI_API_KEY": "k" * 32}) == sock
    assert zygote.compatible(tmp_path, sys.executable, {**base, "INITIAL_RETRY_DELAY": "5"}) is None
    assert zygote.compatible(tmp_path, sys.executable, {**base, "no_proxy": "x"}) is None  # any case
    assert zygote.compatible(tmp_path, sys.executable, {**base, "REQUEST_METHOD": "GET"}) is None  # absent there
    assert zygote.compatible(tmp_path, "/other/python", base) is None
    _record(tmp_path, ["LITELLM_MODE"], [], warm_env, ["somewhere.py:1"])  # walked for reasons unknown
    assert zygote.compatible(tmp_path, sys.executable, {**base, "AZURE_OPENAI_API_KEY": "k" * 32}) is None


def test_a_proxy_whose_credentials_differ_forks_from_the_same_warm_process(
    emulator_target: UpstreamTarget, tmp_path: Path
) -> None:
    """LiteLLM 1.108.7 reads no Azure credential while it is imported: a proxy whose environment holds one
    more key variable (which the exact key of the import environment would tell apart) forks from the
    warm process already there; each proxy's own environment is set in it (the master keys differ)."""
    config, env = render_proxy_config(SETUPS, emulator_target.credentials, emulator_target.endpoints)
    with run_proxy(config, env, tmp_path / "a") as a:
        # the warm process `a` forked from (a proxy's environment as run_proxy makes it: the same key)
        record = zygote._reads(Path(zygote.warm(sys.executable, proxy_env(env, "", tmp_path), tmp_path)))
        deadline = time.monotonic() + 120
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "AZURE_OPENAI_API_KEY" not in json.loads(record.read_text())["names"]
        other = {**env, "TEAM_SECOND_AZURE_KEY": "second-key-value"}
        assert zygote._key(sys.executable, other) != zygote._key(sys.executable, env)
        # a warm process already there serves it (in a whole run, several may: the first by name does, which
        # need not be the one `a` forked from, so the import times are not compared)
        folder, its_env = zygote.shared_folder(), proxy_env(other, "", tmp_path)
        assert zygote.compatible(folder, sys.executable, its_env) is not None
        with run_proxy(config, other, tmp_path / "b") as b:
            own = list(folder.glob(f"{zygote._key(sys.executable, its_env)}.*.sock"))
            assert not own, "a warm process was started for the proxy with other credentials"
            assert b.pid != a.pid and b.master_key != a.master_key


def test_a_warm_process_is_shared_only_down_its_owners_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sibling's warm process is not used: its owner stops it on exit, and the proxies forked from it
    die with it (the `--real-waits` background suite lost its proxy mid-run when the emulator's, which
    shares its import-time environment, ended first)."""
    env = {"LITELLM_MODE": "PRODUCTION"}
    warm_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    ours = _record(tmp_path, ["LITELLM_MODE"], [], warm_env, [])
    monkeypatch.setattr(zygote, "_alive", lambda path: path.exists() or path == ours)
    assert zygote.compatible(tmp_path, sys.executable, env) == ours  # this process's own
    sibling = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = ours.with_name(f"w.{sibling.pid}.sock")
        zygote._reads(ours).rename(zygote._reads(theirs))
        monkeypatch.setattr(zygote, "_alive", lambda path: path == theirs)
        assert zygote.compatible(tmp_path, sys.executable, env) is None  # a child's, not an ancestor's
        assert not zygote.outlives_us(theirs)
    finally:
        sibling.kill()
        sibling.wait(10)
    assert zygote.outlives_us(tmp_path / f"k.{os.getppid()}.sock")  # an ancestor's is shared
    assert zygote.lineage()[:2] == [os.getpid(), os.getppid()]
