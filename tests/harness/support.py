"""Shared by the live-mode, doctor and gate tests: a team's Azure settings pointing at the emulator,
the seed's broken proxy config, and subprocesses run as a fresh shell would run them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.emulator import EmulatorConfig, RunningEmulator, run_emulator
from harness.emulator.config import Deployment

ROOT = Path(__file__).resolve().parents[2]
#: the shipped litellm.config.yaml's deployments; the stand-in resource gets them under these names
DEPLOYMENT = "gpt-4o-prod"
EMBEDDINGS_DEPLOYMENT = "text-embedding-3-small-prod"

#: the seed's config, exactly: `${VAR}` that LiteLLM never expands, and a `deployment_id` that overrides the model
SEED = """
model_list:
  - model_name: gpt-4
    litellm_params:
      model: azure/gpt-4
      api_base: ${AZURE_OPENAI_API_BASE}
      api_key: ${AZURE_OPENAI_API_KEY}
      api_version: "2024-10-21"
      deployment_id: gpt-4o-prod
"""

SEED_KEY_ONLY = """
model_list:
  - model_name: seed-key
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: os.environ/AZURE_OPENAI_API_BASE
      api_key: ${AZURE_OPENAI_API_KEY}
      api_version: "2024-10-21"
"""
KEY_AS_BEARER = """
model_list:
  - model_name: bearer
    litellm_params:
      model: azure/gpt-4o-prod
      api_base: os.environ/AZURE_OPENAI_API_BASE
      azure_ad_token: os.environ/AZURE_OPENAI_API_KEY
      api_version: "2024-10-21"
"""


def team_proxy_config() -> dict:
    """The shipped config's entries plus the seed's and two other broken ones, each under its own alias:
    one proxy serves the doctor's tests and stands in for a team's staging proxy in the live tests."""
    import yaml

    shipped = yaml.safe_load((ROOT / "litellm.config.yaml").read_text())
    broken = [yaml.safe_load(text)["model_list"] for text in (SEED, SEED_KEY_ONLY, KEY_AS_BEARER)]
    return {
        "model_list": shipped["model_list"] + [entry for entries in broken for entry in entries],
        "general_settings": shipped["general_settings"],
    }


def azure_env(azure: RunningEmulator) -> dict[str, str]:
    """The AZURE_OPENAI_* settings a team would export, for the emulator standing in for its resource."""
    return {
        "AZURE_OPENAI_API_BASE": azure.url,
        "AZURE_OPENAI_API_KEY": azure.api_key,
        "AZURE_OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": DEPLOYMENT,
        "AZURE_OPENAI_MODEL": "gpt-4o",
        "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": EMBEDDINGS_DEPLOYMENT,
    }


@contextmanager
def team_resource() -> Iterator[RunningEmulator]:
    """The emulator standing in for a team's Azure resource, with the shipped config's deployment."""
    config = EmulatorConfig()
    config.deployments[DEPLOYMENT] = Deployment(DEPLOYMENT)
    config.deployments[EMBEDDINGS_DEPLOYMENT] = Deployment(
        EMBEDDINGS_DEPLOYMENT, model="text-embedding-3-small", kind="embeddings", context_window=8_192
    )
    with run_emulator(config) as running:
        yield running


@contextmanager
def emulated_team_resource() -> Iterator[dict[str, str]]:
    """`team_resource`, as the AZURE_OPENAI_* settings a team would export for it."""
    with team_resource() as running:
        yield azure_env(running)


def clean_env(settings: Mapping[str, str] = {}) -> dict[str, str]:
    """This process's environment without any Azure, LiteLLM or pytest settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "LITELLM_", "PYTEST_"))}
    return env | dict(settings)


def body(out: str) -> str:
    """A pytest run's output before its short test summary, which repeats each failure's first line.

    pytest truncates those summary lines to the terminal's width, except when `CI` is set: then each
    one carries the whole message. A test that checks a message is printed once reads the body.
    """
    return out.split(" short test summary info ", 1)[0]


def run(command: Sequence[str], env: Mapping[str, str], *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """A command in a fresh process, with a deadline, its output captured."""
    return subprocess.run(
        list(command), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=600, check=False
    )
