"""The suite keeps its bytecode cache under PYTHONDONTWRITEBYTECODE (harness/startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness import startup

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def test_it_turns_bytecode_writing_back_on(no_bytecode: None) -> None:
    assert startup.keep_bytecode_cache({"PYTHONDONTWRITEBYTECODE": "1"})
    assert sys.dont_write_bytecode is False


def test_the_opt_out_leaves_it_off(no_bytecode: None) -> None:
    assert not startup.keep_bytecode_cache({startup.OPT_OUT: "1"})
    assert sys.dont_write_bytecode is True


def test_it_is_loaded_before_the_installed_plugins() -> None:
    """`-p` plugins in `addopts` are imported before pytest loads the installed ones (hypothesis', anyio's),
    whose whole distributions it rewrites: loaded later, it would miss them."""
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert addopts.split()[:2] == ["-p", "harness.startup"]


@pytest.mark.parametrize("opt_out", [False, True])
def test_a_pytest_run_caches_its_rewritten_modules(tmp_path: Path, opt_out: bool) -> None:
    """End to end, in a pytest process of its own started as the machine starts them: the test module pytest
    rewrote is cached (`__pycache__/…-pytest-….pyc`) unless the run opts out."""
    (tmp_path / "test_sample.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop(startup.OPT_OUT, None)
    if opt_out:
        env[startup.OPT_OUT] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "harness.startup", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    cached = sorted(p.name for p in tmp_path.glob("__pycache__/test_sample.*pytest*.pyc"))
    assert (cached == []) if opt_out else (len(cached) == 1), cached


#: a plugin the environment names (PYTEST_PLUGINS): pytest loads it after the installed ones
PROBE = """
from harness.startup import EARLY_WARM

def pytest_plugin_registered(plugin, plugin_name):
    if plugin_name == "pytestconfig":
        print("warm before the installed plugins:", EARLY_WARM in plugin.stash, flush=True)
"""


def test_the_warm_litellm_starts_before_the_installed_plugins_load(tmp_path: Path) -> None:
    """A run that reaches the contract starts its warm LiteLLM as pytest imports `harness.startup`: a
    plugin loaded after the installed ones (xdist, hypothesis, randomly) finds it started. The selection
    matches nothing, so no proxy starts and session end stops the warm process."""
    (tmp_path / "early_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    env |= {"PYTEST_PLUGINS": "early_probe", "PYTHONPATH": str(tmp_path), "HARNESS_PROXY_ZYGOTES": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/contract/test_chat.py", "-k", "no_such_case", "-p", "no:cacheprovider",
         "-s", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "warm before the installed plugins: True" in proc.stdout
    assert list(tmp_path.glob("*.sock")) == []  # stopped with the run


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["-n", "2"], True), (["-n2"], True), (["--numprocesses=auto"], True), (["--numprocesses", "4"], True),
        (["-n", "0"], False), (["tests/contract"], False), (["--no-header"], False), (["-n"], False),
    ],
)  # fmt: skip
def test_workers_are_read_from_the_arguments_before_xdist_parses_them(args: list[str], workers: bool) -> None:
    from harness.plugin.warming import asks_for_workers

    assert asks_for_workers(args) is workers
