"""A LiteLLM proxy config file as LiteLLM reads it: loaded with one clear error, its `os.environ/`
references found and resolved, and the settings that make LiteLLM send a bearer token.

Shared by the doctor (which lints a team's config), live mode (which passes a local proxy the
variables its config references) and the harness's own proxy configs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TOKEN_SOURCES = (  # settings that make LiteLLM send Authorization: Bearer
    "azure_ad_token",
    "azure_ad_token_provider",
    "tenant_id",
    "client_id",
    "client_secret",
    "azure_username",
    "azure_password",
)


class ConfigError(ValueError):
    """The config file cannot be read or parsed; the message names the file."""


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the LiteLLM config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("model_list"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'model_list' list")
    return data


def resolve_reference(value: Any, env: Mapping[str, str]) -> tuple[Any, str | None]:
    """The value LiteLLM would use, and the unset variable name if an os.environ/ reference is empty."""
    if isinstance(value, str) and value.startswith("os.environ/"):
        name = value.removeprefix("os.environ/")
        return env.get(name), (None if name in env else name)
    return value, None


def referenced_env_vars(value: Any) -> set[str]:
    """Every NAME a config reads through `os.environ/NAME`, anywhere in it."""
    if isinstance(value, str):
        return {value.removeprefix("os.environ/")} if value.startswith("os.environ/") else set()
    if isinstance(value, Mapping):
        return set().union(set(), *(referenced_env_vars(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(referenced_env_vars(v) for v in value))
    return set()
