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
