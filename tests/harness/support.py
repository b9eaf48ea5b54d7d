"""Shared by the live-mode, doctor and gate tests: a team's Azure settings pointing at the emulator,
the seed's broken proxy config, and subprocesses run as a fresh shell would run them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.emulator import RunningEmulator

ROOT = Path(__file__).resolve().parents[2]
#: the shipped litellm.config.yaml's deployment; the stand-in resource gets one of that name
DEPLOYMENT = "gpt-4o-prod"

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


def azure_env(azure: RunningEmulator) -> dict[str, str]:
    """The AZURE_OPENAI_* settings a team would export, for the emulator standing in for its resource."""
    return {
        "AZURE_OPENAI_API_BASE": azure.url,
        "AZURE_OPENAI_API_KEY": azure.api_key,
        "AZURE_OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": DEPLOYMENT,
        "AZURE_OPENAI_MODEL": "gpt-4o",
    }


def clean_env(settings: Mapping[str, str] = {}) -> dict[str, str]:
    """This process's environment without any Azure, LiteLLM or pytest settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "LITELLM_", "PYTEST_"))}
    return env | dict(settings)


def run(command: Sequence[str], env: Mapping[str, str], *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """A command in a fresh process, with a deadline, its output captured."""
    return subprocess.run(
        list(command), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=600, check=False
    )
