"""The team's own `litellm.config.yaml`, offline: `pytest --litellm-config FILE`.

The generated config proves LiteLLM's translation; a team needs its own proxy proven: its retries,
timeouts, fallbacks, `drop_params`, `api_version` and credentials. So the suite starts the real
proxy with the team's file, and changes only what cannot work offline:

- every `azure/` entry keeps all its settings; its `api_base` points at the emulator on loopback and
  its credential at the emulator's (an `api_key` or `azure_ad_token` becomes an `os.environ/`
  reference the harness fills with the emulator's key or token: never the user's real secret);
- `router_settings`, `litellm_settings` and `general_settings` are kept, except what needs the
  network or a database, which is set aside: each such setting is one line at the start of the run;
- the alias under test (`--litellm-model`, else `LITELLM_MODEL`, else the only Azure alias) is what the
  direct path is derived from, the way LiteLLM resolves it: the deployment after `azure/` (or its
  `deployment_id`), the entry's `api_version` (else LiteLLM's default), key or token auth;
- the harness's own setups (a wrong key, an expired token, an injected fault) become entries under
  reserved names built from the alias's entry, so the team's settings apply to them too.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.paths.litellm_config import TOKEN_SOURCES, ConfigError, load_config
from harness.paths.matrix import DEFAULT_API_VERSION, SETUPS, Credential, Setup

#: LiteLLM 1.108.7's `litellm.AZURE_DEFAULT_API_VERSION`: what an entry without `api_version` sends
LITELLM_DEFAULT_API_VERSION = "2025-02-01-preview"
#: names the harness adds to the team's config; a team entry with one of them is an error
RESERVED_PREFIX = "harness-"
CREDENTIAL_KEYS = ("api_key", *TOKEN_SOURCES)


class TeamConfigError(ValueError):
    """A config the suite cannot run with; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class TeamConfig:
    path: Path
    raw: Mapping[str, Any] = field(repr=False)
    alias: str
    deployment: str
    api_version: str
    auth: str  # key | token
    set_aside: tuple[str, ...] = ()
    #: the alias is a wildcard route (`azure/*`): the deployment the tested name puts in its place
    wildcard: str | None = None
    #: the name the run was asked to test (the wildcard route's `azure/<deployment>`; else the alias)
    requested: str = ""
    #: the timeout cases' scale when it is another config's (explain's trials keep the team's), else None
    timeout_factor: float | None = None

    @property
    def entry(self) -> Mapping[str, Any]:
        return next(e for e in self.raw["model_list"] if e.get("model_name") == self.alias)

    def describe(self) -> str:
        return (
            f"config mode: {self.path.name}, alias {self.alias!r} -> azure deployment {self.deployment!r}, "
            f"api-version {self.api_version}, {self.auth} auth"
        )


def _azure_aliases(config: Mapping[str, Any], *, chat_only: bool = False) -> list[str]:
    """The config's Azure model groups, each once (a group may hold several deployments). `chat_only`
    leaves out embeddings entries (LiteLLM's `model_info.mode: embedding`), which cannot be the chat
    alias under test: a config with one chat and one embeddings alias needs no `--litellm-model`."""
    names = [
        str(e.get("model_name"))
        for e in config["model_list"]
        if isinstance(e, dict)
        and str((e.get("litellm_params") or {}).get("model", "")).startswith("azure/")
        and not (chat_only and (e.get("model_info") or {}).get("mode") == "embedding")
    ]
    return list(dict.fromkeys(names))


def deployment_of(params: Mapping[str, Any]) -> str:
    """Where LiteLLM sends the entry's requests: `deployment_id` wins over the name after `azure/`, and
    `azure/responses/<name>` is deployment `<name>` called through the Responses API
    (litellm/llms/azure/responses/transformation.py strips the routing prefix)."""
    model = str(params.get("model", "")).removeprefix("azure/").removeprefix("responses/")
    return str(params.get("deployment_id") or model)


def resolved_params(entry: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's params as LiteLLM uses them: a `litellm_credential_name` brings the named entry of the
    config's `credential_list` (its api_base, api_version and credential), under the entry's own values."""
    params = dict(entry.get("litellm_params") or {})
    name = params.get("litellm_credential_name")
    for credential in config.get("credential_list") or []:
        if isinstance(credential, dict) and name and credential.get("credential_name") == name:
            values = credential.get("credential_values") or {}
            params = {**{k: v for k, v in values.items() if isinstance(values, dict)}, **params}
    return params


def _wildcard(config: Mapping[str, Any], wanted: str) -> tuple[str, str] | None:
    """(the wildcard model_name, the deployment) for a name only a wildcard route serves (`azure/*` asked
    as `azure/gpt-4o-prod`): LiteLLM puts the part the `*` matched into the entry's model."""
    for entry in config["model_list"]:
        pattern = str(entry.get("model_name")) if isinstance(entry, dict) else ""
        model = str((entry.get("litellm_params") or {}).get("model", "")) if isinstance(entry, dict) else ""
        if "*" in pattern and model.startswith("azure/") and fnmatch.fnmatchcase(wanted, pattern):
            prefix, _, suffix = pattern.partition("*")
            matched = wanted[len(prefix) : len(wanted) - len(suffix)]
            return pattern, model.replace("*", matched, 1).removeprefix("azure/")
    return None


def load_team_config(path: Path, alias: str | None, environ: Mapping[str, str] = os.environ) -> TeamConfig:
    try:
        raw = load_config(path)
    except ConfigError as exc:
        raise TeamConfigError(f"{exc}; pass --litellm-config with your proxy's config file") from None
    return team_config_of(path, raw, alias, environ)


def team_config_of(
    path: Path, raw: Mapping[str, Any], alias: str | None, environ: Mapping[str, str] = os.environ
) -> TeamConfig:
    """The team config as the suite reads it, from its data (`path` is where it lives: its folder holds
    the team's callback modules). The explain command derives trial configs this way."""
    names = [str(e.get("model_name")) for e in raw["model_list"] if isinstance(e, dict)]
    clash = [n for n in names if n.startswith(RESERVED_PREFIX)]
    if clash:
        raise TeamConfigError(
            f"{path}: model_name {clash[0]!r} uses the prefix {RESERVED_PREFIX!r}, which the suite reserves for the "
            "entries it adds (a wrong key, an injected fault, ...); rename that entry"
        )
    azure = _azure_aliases(raw)
    chat = _azure_aliases(raw, chat_only=True)
    wanted = alias or environ.get("LITELLM_MODEL") or (chat[0] if len(chat) == 1 else None)
    if wanted is None:
        raise TeamConfigError(
            f"{path}: {len(chat)} Azure chat aliases ({', '.join(chat) or 'none'}); choose the one under test with "
            "--litellm-model ALIAS (or LITELLM_MODEL)"
        )
    concrete, asked = None, wanted
    if wanted not in names and (route := _wildcard(raw, wanted)) is not None:
        wanted, concrete = route  # the wildcard route's entry, the deployment the name asks for
    elif "*" in wanted:
        raise TeamConfigError(
            f"{path}: {wanted!r} is a wildcard route; test it as the name an application asks for, e.g. "
            f"--litellm-model {wanted.replace('*', 'gpt-4o', 1)!r}"
        )
    if wanted not in names:
        raise TeamConfigError(f"{path}: no model_name {wanted!r}; the config has {', '.join(names)}")
    if wanted not in azure:
        entry = next(e for e in raw["model_list"] if e.get("model_name") == wanted)
        model = (entry.get("litellm_params") or {}).get("model")
        raise TeamConfigError(
            f"{path}: entry {wanted!r} is {model!r}, not an Azure deployment (`model: azure/<deployment>`); the suite "
            "compares the proxy with direct Azure OpenAI"
        )
    params = resolved_params(next(e for e in raw["model_list"] if e.get("model_name") == wanted), raw)
    version = params.get("api_version")
    if isinstance(version, str) and version.startswith("os.environ/"):
        version = environ.get(version.removeprefix("os.environ/"))
    auth = "token" if uses_token(params, raw) else "key"
    deployment = concrete or deployment_of(params)
    return TeamConfig(
        path, raw, wanted, deployment, str(version or LITELLM_DEFAULT_API_VERSION), auth, wildcard=concrete,
        requested=asked,
    )  # fmt: skip


def uses_token(params: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """Whether LiteLLM sends this entry a bearer token: a token source on the entry, or no key and
    `litellm_settings.enable_azure_ad_token_refresh` (DefaultAzureCredential: managed identity,
    workload identity)."""
    if params.get("api_key"):
        return False
    refresh = (config.get("litellm_settings") or {}).get("enable_azure_ad_token_refresh") is True
    return refresh or any(params.get(k) for k in TOKEN_SOURCES)


def team_setups(team: TeamConfig, setups: tuple[Setup, ...] = SETUPS) -> tuple[Setup, ...]:
    """The harness's setups for this config: the default deployment and api-version are the alias's,
    and `good-key` authenticates the way the alias does (key or token)."""
    out = []
    for setup in setups:
        changes: dict[str, Any] = {}
        if setup.deployment == "chat":
            changes["deployment"] = team.deployment
        if setup.api_version == DEFAULT_API_VERSION:
            changes["api_version"] = team.api_version
        if setup.name == "good-key" and team.auth == "token":
            changes["credential"] = Credential.TOKEN
        out.append(replace(setup, **changes))
    return tuple(out)


def team_upstream(upstream: str, record_mode: str, cassette_dir: str, default_dir: str) -> str:
    """Where Azure sits in config mode: the team's settings change the requests, so the shipped cassettes
    would miss. The emulator answers by default; `--record --cassette-dir DIR` records this config's own
    cassettes from it, and `--cassette-dir DIR` alone replays them."""
    own_dir = cassette_dir != default_dir
    if record_mode != "none":
        if not own_dir:
            raise TeamConfigError(
                "--litellm-config with --record: pass --cassette-dir DIR, so this config's cassettes do not replace "
                "the shipped ones"
            )
        return "emulator" if upstream == "replay" else upstream
    return "replay" if own_dir else "emulator"
