"""`python -m harness doctor --fix`: the seed's config fixed and then passing the offline contract in
config mode; comments and order kept; a planted secret never written to any file or printed; atomic
writes; one clear error for a config that cannot be parsed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

import harness.replay.atomic
from harness.doctor import DoctorInputs
from harness.doctor.fix import FixError, run_fix
from harness.doctor.run import static_checks

from .support import ROOT, SEED, clean_env, run

#: a realistic Azure key (84 characters, the newer format) and a classic one, planted in configs
PLANTED_KEY = "7Xq2vLr9Tz4Nb8Kd1Hs6Wm3Jc5Pf0Ga7Ye2Ru9Ow4Ik1Ql8Ud6Sx3Mh5Vn0Bt7Za2Ec9Fy4Lg1Ji8Ko6Rp3Wd5"
PLANTED_HEX = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PLANTED_SECRET = "Zq8~Lm2.Vb7_Xc4-Nt6~Rw1.Hj9_Pk3-Sd5"
ENV = {"AZURE_OPENAI_DEPLOYMENT": "gpt-4o-prod"}
SEED_WITH_COMMENTS = (
    SEED.replace("  - model_name: gpt-4\n", "  # the chat alias\n  - model_name: gpt-4\n")
    .replace('      api_version: "2024-10-21"\n', '      api_version: "2024-10-21"   # GA\n')
    .replace("deployment_id: gpt-4o-prod\n", "deployment_id: gpt-4o-prod  # legacy\n\n# the proxy's own settings\n")
    + "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n"
)


def config_file(tmp_path: Path, text: str, name: str = "litellm.config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def fix(path: Path, env: dict[str, str] = ENV, in_place: bool = False):
    return run_fix(DoctorInputs(env=env, config_path=path, litellm_dir=path.parent / "no-litellm"), in_place)


def test_the_seed_is_fixed_beside_the_original_keeping_comments_and_order(tmp_path: Path) -> None:
    config = config_file(tmp_path, SEED_WITH_COMMENTS)
    result = fix(config)
    assert result.target == tmp_path / "litellm.config.fixed.yaml"
    assert config.read_text() == SEED_WITH_COMMENTS  # the original is untouched
    assert result.target.read_text() == SEED_WITH_COMMENTS.replace("azure/gpt-4\n", "azure/gpt-4o-prod\n").replace(
        "${AZURE_OPENAI_API_BASE}", "os.environ/AZURE_OPENAI_API_BASE"
    ).replace("${AZURE_OPENAI_API_KEY}", "os.environ/AZURE_OPENAI_API_KEY").replace(
        "      deployment_id: gpt-4o-prod  # legacy\n", ""
    )
    assert {(f.check, f.where) for f in result.fixed} == {
        ("env expansion", "gpt-4.api_base"),
        ("env expansion", "gpt-4.api_key"),
        ("deployment", "gpt-4.deployment_id"),
    }
    assert "\n-      api_key: ${AZURE_OPENAI_API_KEY}\n" in result.diff
    assert "\n+      api_key: os.environ/AZURE_OPENAI_API_KEY\n" in result.diff
    assert result.render().startswith("--- ") and "wrote" in result.render()
    team = ENV | {"AZURE_OPENAI_API_BASE": "https://myres.openai.azure.com", "AZURE_OPENAI_API_KEY": "k" * 32}
    after = static_checks(DoctorInputs(env=team, config_path=result.target, litellm_dir=tmp_path / "no-litellm"))[0]
    assert not [f for f in after if f.status == "fail" and f.check != "env"]


def test_deployment_id_is_dropped_when_the_direct_deployment_is_the_models(tmp_path: Path) -> None:
    config = config_file(tmp_path, SEED.replace("deployment_id: gpt-4o-prod", "deployment_id: gpt-4o-old"))
    result = fix(config, {"AZURE_OPENAI_DEPLOYMENT": "gpt-4"})
    params = yaml.safe_load(result.target.read_text())["model_list"][0]["litellm_params"]
    assert params["model"] == "azure/gpt-4" and "deployment_id" not in params


def test_api_version_and_api_base_are_fixed_and_the_rest_is_left_named(tmp_path: Path) -> None:
    text = """model_list:
  - model_name: a
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21
      api_key: os.environ/AZURE_OPENAI_API_KEY
      api_version: 2024-10-21
  - model_name: b
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: myres.openai.azure.com
      api_key: os.environ/AZURE_OPENAI_API_KEY
      api_version: "api-version=2024-10-21"
  - model_name: c
    litellm_params:
      model: openai/gpt-4o-prod
      api_base: https://myres.openai.azure.com
      api_key: os.environ/AZURE_OPENAI_API_KEY
"""
    result = fix(config_file(tmp_path, text), {"AZURE_OPENAI_API_KEY": "k" * 32})
    fixed = yaml.safe_load(result.target.read_text())["model_list"]
    assert fixed[0]["litellm_params"]["api_base"] == "https://myres.openai.azure.com"
    assert fixed[0]["litellm_params"]["api_version"] == "2024-10-21"  # now a string
    assert '      api_version: "2024-10-21"\n' in result.target.read_text()
    assert fixed[1]["litellm_params"] | {"model": "x"} == {
        "model": "x",
        "api_base": "https://myres.openai.azure.com",
        "api_key": "os.environ/AZURE_OPENAI_API_KEY",
        "api_version": "2024-10-21",
    }
    assert {f.check for f in result.remaining} >= {"provider prefix"}  # a person decides that one
    assert "left   provider prefix" in result.render()


def test_nothing_to_fix_writes_nothing(tmp_path: Path) -> None:
    config = config_file(tmp_path, (ROOT / "litellm.config.yaml").read_text())
    result = fix(config, {"AZURE_OPENAI_API_KEY": "k" * 32, "AZURE_OPENAI_API_BASE": "https://r.openai.azure.com"})
    assert result.target is None and sorted(p.name for p in tmp_path.iterdir()) == ["litellm.config.yaml"]
    assert "nothing in" in result.render()


def test_an_unparseable_config_is_one_error_naming_the_file(tmp_path: Path) -> None:
    config = config_file(tmp_path, "model_list:\n  - model_name: [\n")
    with pytest.raises(FixError) as caught:
        fix(config)
    assert str(caught.value).startswith(f"{config}: not valid YAML") and "\n" not in str(caught.value)
    done = run([sys.executable, "-m", "harness", "doctor", "--env-file", os.devnull, "--config", str(config), "--fix"],
               clean_env(), cwd=ROOT)  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and str(config) in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["litellm.config.yaml"]


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_file(tmp_path, SEED)

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(harness.replay.atomic.os, "replace", crash)
    with pytest.raises(OSError):
        fix(config, in_place=True)
    assert config.read_text() == SEED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["litellm.config.yaml"]  # no temp file left


@pytest.mark.parametrize("in_place", [False, True], ids=["beside", "in-place"])
def test_a_planted_secret_is_never_written_or_printed(tmp_path: Path, in_place: bool) -> None:
    text = f"""# team config
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: https://myres.openai.azure.com
      api_key: {PLANTED_KEY}   # pasted from the portal
      api_version: "2024-10-21"
  - model_name: sp
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: https://myres.openai.azure.com
      tenant_id: 00000000-0000-4000-8000-00000000e0e0
      client_id: 11111111-0000-4000-8000-00000000e0e0
      client_secret: "{PLANTED_SECRET}"
      api_version: "2024-10-21"
general_settings:
  master_key: sk-{PLANTED_HEX}
"""
    config = config_file(tmp_path, text)
    (tmp_path / ".env.example").write_text("# settings\nAZURE_OPENAI_API_BASE=\n")
    env = clean_env({"AZURE_OPENAI_API_KEY": PLANTED_HEX})  # another key in the environment, printed nowhere either
    command = [sys.executable, "-m", "harness", "doctor", "--env-file", os.devnull, "--config", str(config), "--fix"]
    done = run([*command, "--in-place"] if in_place else command, env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    written = tmp_path / ("litellm.config.yaml" if in_place else "litellm.config.fixed.yaml")
    fixed = yaml.safe_load(written.read_text())
    assert fixed["model_list"][0]["litellm_params"]["api_key"] == "os.environ/AZURE_OPENAI_API_KEY_2"
    assert fixed["model_list"][1]["litellm_params"]["client_secret"] == "os.environ/AZURE_CLIENT_SECRET"
    assert fixed["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    assert "# pasted from the portal" in written.read_text()
    assert (tmp_path / ".env.example").read_text().splitlines()[-3:] == [
        "AZURE_OPENAI_API_KEY_2=",
        "AZURE_CLIENT_SECRET=",
        "LITELLM_MASTER_KEY=",
    ]
    scanned = [p for p in tmp_path.iterdir() if p.is_file() and (in_place or p.name != "litellm.config.yaml")]
    assert written in scanned and tmp_path / ".env.example" in scanned
    for secret in (PLANTED_KEY, PLANTED_SECRET, PLANTED_HEX):
        for path in scanned:
            assert secret not in path.read_text(), f"{secret[:6]}... written to {path.name}"
        assert secret not in done.stdout + done.stderr
    assert "<redacted>" in done.stdout and "api_key: os.environ/AZURE_OPENAI_API_KEY_2" in done.stdout


def test_the_fixed_seed_passes_the_offline_contract_in_config_mode(tmp_path: Path) -> None:
    """The seed's config, fixed, run through the contract's basic chat case on both paths (config mode:
    the real proxy with this file, the emulator as Azure)."""
    config = config_file(tmp_path, SEED)
    env = clean_env(ENV)
    done = run([sys.executable, "-m", "harness", "doctor", "--env-file", os.devnull, "--config", str(config), "--fix"],
               env, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(f"extends: {ROOT / 'tests' / 'contract' / 'divergences.yaml'}\ndivergences: []\n")
    fixed = tmp_path / "litellm.config.fixed.yaml"
    pytest_args = [
        "tests/contract/test_chat.py",
        "-k",
        "basic",
        "--litellm-config",
        str(fixed),
        "--ledger",
        str(ledger),
    ]
    report = ["--parity-report", str(tmp_path / "parity-report.json"), "-p", "no:cacheprovider", "-p", "no:randomly"]
    contract = run([sys.executable, "-m", "pytest", *pytest_args, *report, "-q", "-rA"], env, cwd=ROOT)
    assert contract.returncode == 0, contract.stdout[-3000:]
    assert "PASSED tests/contract/test_chat.py::test_chat[basic-direct]" in contract.stdout
    assert "PASSED tests/contract/test_chat.py::test_chat[basic-litellm]" in contract.stdout
