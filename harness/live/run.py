"""Live mode: the real Azure resource as the upstream, and what the contract can and cannot ask of it.

Live there is one chat deployment, one credential and one api-version: the user's. So the setups
that exist live are the ones those settings can render on both paths: `good-key`; `responses` (the
same deployment at the Responses API's api-version); `v1` (the same deployment on Azure's
`/openai/v1/` API); and, with `AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT`, `embeddings` and
`v1-embeddings`. The local proxy (when no staging proxy is given) gets a config generated from the
same settings, one alias per setup, or the user's own `litellm.config.yaml`, whose aliases are
`LITELLM_MODEL` and `LITELLM_EMBEDDINGS_MODEL`. Cases that need what only the emulator can stage (a
wrong or expired credential, another deployment, an injected fault), or an API the resource does not
offer (`harness.live.capabilities`), are *not applicable* live: reported with the reason, never
passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.contract.case import Case
from harness.live.settings import LiveSettings, LiveSettingsError, entra_token, load_live_settings, merged_env
from harness.paths.litellm_config import load_config, referenced_env_vars
from harness.paths.matrix import (
    DEFAULT_API_VERSION,
    Credential,
    Credentials,
    Setup,
    litellm_entry,
    setup_named,
)
from harness.replay.cassettes import PLACEHOLDERS
from harness.replay.upstream import UpstreamTarget

LIVE_SETUP = "good-key"
_FAULT = re.compile(r"\[\[fault:[^\]]*\]\]")
_SETUP_REASONS = {
    "expired-token": "needs an expired Entra token, which the emulator mints",
    "wrong-audience-token": "needs a token for another audience, which the emulator mints",
    "entra-token": "needs a token the emulator mints (run with --auth entra to use Entra ID live)",
    "wrong-key": "needs a deliberately wrong key on both paths; live there is one proxy config",
    "no-key": "needs a deployment configured without a key; live there is one proxy config",
    "seed-literal-var": "needs the seed's broken proxy config; live the proxy's config is yours",
    "key-as-bearer": "needs a proxy config that sends the key as a bearer token",
    "unknown-deployment": "needs a second, missing deployment in the proxy's config",
    "small-context": "needs the emulator's 4k-context deployment",
    "fault-500": "a forced 500 on every attempt, which only the emulator injects",
    "fault-503": "a forced 503 on every attempt, which only the emulator injects",
    "fault-429": "a forced 429 with retry-after, which only the emulator injects",
    "faults": "injects a fault that only the emulator honours",
    "old-api-version": "needs a second proxy deployment on an older api-version",
    "unsupported-api-version": "needs a proxy deployment on an unsupported api-version",
    "missing-api-version": "needs a proxy deployment without an api-version",
    "private-endpoint": "needs the emulator's private-endpoint listener",
    "private-resource-public-listener": "needs a resource with public access disabled",
    "embeddings-ada": "needs a text-embedding-ada-002 deployment beside AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT",
    "embeddings-wrong-key": "needs a deliberately wrong key on both paths; live there is one proxy config",
    "responses-wrong-key": "needs a deliberately wrong key on both paths; live there is one proxy config",
    "v1-wrong-key": "needs a deliberately wrong key on both paths; live there is one proxy config",
    "responses-unknown-deployment": "needs a second, missing deployment in the proxy's config",
    "v1-unknown-deployment": "needs a second, missing deployment in the proxy's config",
}
#: the setups live settings render, besides `good-key`, and the API each needs from the resource
LIVE_API_SETUPS = {"responses": "responses", "v1": "v1", "embeddings": "embeddings", "v1-embeddings": "embeddings"}


def not_applicable_live(case: Case, unavailable: Mapping[str, str] | None = None) -> str | None:
    """Why `case` cannot run against a real resource, or None when it can. `unavailable` maps an
    API (`responses`, `v1`, `embeddings`) to why this resource or these settings cannot serve it."""
    if case.offline_only:
        return case.offline_only
    scenario = case.scenario
    apis = {LIVE_API_SETUPS.get(scenario.setup), "responses" if scenario.api == "responses" else None}
    if scenario.setup in LIVE_API_SETUPS and "v1" in scenario.setup:
        apis.add("v1")
    for api in sorted(a for a in apis if a):
        if reason := (unavailable or {}).get(api):
            return reason
    if scenario.setup != LIVE_SETUP and scenario.setup not in LIVE_API_SETUPS:
        return _SETUP_REASONS.get(scenario.setup, f"needs the '{scenario.setup}' setup, which only the emulator stages")
    for message in scenario.params.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str) and (marker := _FAULT.search(content)):
            return f"injects {marker.group(0)}, a fault only the emulator honours"
    return None


def settings_for_run(
    environ: Mapping[str, str],
    *,
    env_file: Path,
    auth: str,
    overrides: Mapping[str, str | None],
    litellm_config: Path | None,
    recording: bool,
) -> tuple[LiveSettings, dict[str, str], str | None]:
    """The live run's settings, the merged environment (for the user's proxy config) and the Entra
    token (`--auth entra`); `LiveSettingsError` lists everything missing or malformed at once."""
    env = merged_env(environ, env_file)
    live = load_live_settings(
        env, auth=auth, overrides=overrides, litellm_config=litellm_config, source=f"the environment and {env_file}"
    )
    if recording and (problem := record_problem(live)):
        raise LiveSettingsError(problem)
    return live, env, entra_token() if live.auth == "entra" else None


def live_setups(live: LiveSettings) -> tuple[Setup, ...]:
    """The setups that exist live: the user's deployments and credential, at the user's api-version
    (`good-key`, `embeddings`), the Responses API's, or on `/openai/v1/` (the offline setups'
    api-versions, so that a live recording replays)."""
    credential = Credential.TOKEN if live.auth == "entra" else Credential.KEY
    chat = {"deployment": live.deployment, "credential": credential}
    setups = [
        Setup(LIVE_SETUP, api_version=live.api_version, **chat),
        Setup("responses", api_version=setup_named("responses").api_version, **chat),
        Setup("v1", api_version=setup_named("v1").api_version, **chat),
    ]
    if live.embeddings_deployment:
        embeddings = {"deployment": live.embeddings_deployment, "credential": credential}
        setups.append(Setup("embeddings", api_version=live.api_version, **embeddings))
        setups.append(Setup("v1-embeddings", api_version=setup_named("v1-embeddings").api_version, **embeddings))
    return tuple(setups)


def live_proxy_models(live: LiveSettings) -> dict[str, str]:
    """The proxy alias each live setup calls. A staging proxy or the user's config has the user's
    aliases: `LITELLM_MODEL` for chat, Responses and v1 (whatever api-version its entry has is
    what the application gets through it), `LITELLM_EMBEDDINGS_MODEL` for embeddings. The generated
    config has one alias per setup, each entry at that setup's api-version."""
    embeddings = live.embeddings_alias
    if not live.generated_config:
        models = {LIVE_SETUP: live.proxy_model, "responses": live.proxy_model, "v1": live.proxy_model}
        return models | ({"embeddings": embeddings, "v1-embeddings": embeddings} if embeddings else {})
    models = {setup.name: f"{live.proxy_model}-{setup.name}" for setup in live_setups(live)}
    models[LIVE_SETUP] = live.proxy_model
    if "embeddings" in models and embeddings:
        models["embeddings"] = embeddings
    return models


def azure_upstream(live: LiveSettings, token: str | None = None) -> UpstreamTarget:
    """The real resource: its endpoint and the one credential the run has for it."""

    def mint(kind: str) -> str:
        if kind == "valid" and token:
            return token
        raise LookupError(f"harness: live runs have no '{kind}' token; only the emulator mints those")

    return UpstreamTarget(
        kind="azure",
        endpoints={"public": live.azure_base},
        credentials=Credentials(api_key=live.azure_key or "", mint_token=mint),
    )


def host_placeholders(live: LiveSettings) -> dict[str, str]:
    """The resource's URL and bare host name, mapped to the cassette placeholder."""
    placeholder = PLACEHOLDERS["public"]
    out = {live.azure_base: placeholder}
    host = urlsplit(live.azure_base).hostname or ""
    if host and not re.fullmatch(r"[\d.]+|localhost|\[?[0-9a-f:]+\]?", host):
        out[host] = urlsplit(placeholder).hostname or placeholder
    return out


def record_problem(live: LiveSettings) -> str | None:
    """Why `--live --record` cannot make replayable cassettes with these settings, if it cannot."""
    if live.staging:
        return (
            "--live --record records what the local proxy sends Azure; a staging proxy's traffic is not ours "
            "to record. Unset LITELLM_API_BASE (and drop --proxy-url) for the recording run"
        )
    if live.api_version != DEFAULT_API_VERSION:
        return (
            f"the cassettes are replayed at api-version {DEFAULT_API_VERSION}, but AZURE_OPENAI_API_VERSION is "
            f"{live.api_version}; record with AZURE_OPENAI_API_VERSION={DEFAULT_API_VERSION}"
        )
    return None


def proxy_config(
    live: LiveSettings, creds: Credentials, api_base: str, env: Mapping[str, str], *, recording: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The local proxy's config and environment for a live run.

    With `--litellm-config` it is the user's own file, given the variables it references from the
    environment and `.env`; when recording, each Azure entry's `api_base` is pointed at the
    recording server. Otherwise one entry is generated from the live settings, aliased
    `LITELLM_MODEL`, with secrets only as `os.environ/` references.
    """
    if live.litellm_config is None:
        aliases = live_proxy_models(live)
        entries, entries_env = [], {}
        for setup in live_setups(live):
            entry, entry_env = litellm_entry(setup, creds, api_base)
            entry["model_name"] = aliases[setup.name]
            entries.append(entry)
            entries_env.update(entry_env)
        return {
            "model_list": entries,
            "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
        }, entries_env
    config = load_config(live.litellm_config)
    wanted: dict[str, str] = {}
    for entry in config["model_list"]:
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if not isinstance(params, dict):
            continue
        if recording and str(params.get("model", "")).startswith("azure/"):
            params["api_base"] = api_base
    for name in referenced_env_vars(config):
        if name in env and name != "LITELLM_MASTER_KEY":  # the harness sets its own master key
            wanted[name] = env[name]
    general = config.setdefault("general_settings", {})
    general["master_key"] = "os.environ/LITELLM_MASTER_KEY"
    return config, wanted
