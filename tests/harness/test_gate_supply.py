"""The gate never installs a known-compromised LiteLLM, and never runs a suite in a venv whose
site-packages carries a `.pth` file nobody expects (BerriAI/litellm#24512)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.gate.env import GateEnvError, ensure_env
from harness.gate.supply import CompromisedRelease, check_venv, denylist, unexpected_pth

from .support import ROOT, clean_env, run


def test_the_denylist_names_both_compromised_releases_with_their_advisories() -> None:
    denied = denylist()
    assert set(denied) >= {"1.82.7", "1.82.8"}
    assert all(d.advisory.startswith("https://github.com/BerriAI/litellm/") for d in denied.values())


def test_a_compromised_release_is_refused_before_pip_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(CompromisedRelease, match=r"litellm 1\.82\.8 is never installed: .*\.pth.*issues/24518"):
        ensure_env("1.82.8", repo=ROOT, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no venv, not even a lock: pip never ran
    assert issubclass(CompromisedRelease, GateEnvError)  # the gate's exit 2


def test_the_gate_exits_2_naming_the_advisory() -> None:
    done = run([sys.executable, "-m", "harness", "gate", "--baseline", "1.82.7", "--candidate", "current"], clean_env())
    assert done.returncode == 2, done.stdout + done.stderr
    assert "issues/24512" in done.stdout + done.stderr and "Traceback" not in done.stderr


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "distutils-precedence.pth").write_text("import os\n")
    (site / "__editable__.azure_litellm_contract-0.1.0.pth").write_text("/work\n")
    dist = site / "litellm-1.82.8.dist-info"
    dist.mkdir()
    (dist / "RECORD").write_text("litellm/__init__.py,sha256=x,10\nlitellm-1.82.8.dist-info/METADATA,,\n")
    return site


def test_a_clean_venv_passes_and_a_planted_pth_is_refused(tmp_path: Path) -> None:
    site = _site(tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    assert unexpected_pth(site) == []
    check_venv(python)
    (site / "litellm_init.pth").write_text("import base64; exec(base64.b64decode('...'))\n")
    with pytest.raises(CompromisedRelease, match=r"unexpected \.pth file\(s\) litellm_init\.pth"):
        check_venv(python)


def test_a_pth_shipped_by_litellm_itself_is_refused_whatever_its_name(tmp_path: Path) -> None:
    site = _site(tmp_path)
    record = site / "litellm-1.82.8.dist-info" / "RECORD"
    record.write_text(record.read_text() + "distutils-precedence.pth,sha256=y,20\n")
    assert unexpected_pth(site) == ["distutils-precedence.pth"]


def test_this_projects_own_venv_is_clean() -> None:
    check_venv(Path(sys.executable))
