"""Rendering a team's config for the offline proxy (config mode, `harness.paths.team_config`).

Every Azure entry keeps its settings with the emulator's endpoint and credential; settings that need
the network or a database are set aside, one line each; the harness's setups become reserved entries
built from the alias; each lane copies the alias's whole group and the groups it falls back to.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.observe import LANE_MARK
from harness.paths.lanes import LanePlan, lane_alias
from harness.paths.litellm_config import TOKEN_SOURCES
from harness.paths.matrix import endpoint_for, litellm_entry
from harness.paths.team_config import CREDENTIAL_KEYS, TeamConfig, plan_groups, team_setups
from harness.paths.team_timeouts import scale_timeout_lanes
from harness.replay.upstream import Credentials

_SECRETISH = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.I)


#: settings that need something an offline run does not have, by section
_OFFLINE_NEVER = {
    "general_settings": ("database_url", "store_model_in_db", "alerting", "alerting_threshold", "proxy_batch_write_at",
                         "master_key", "database_connection_pool_limit", "disable_spend_logs", "custom_auth"),
    "router_settings": ("redis_host", "redis_port", "redis_password", "redis_url"),
    "litellm_settings": ("success_callback", "failure_callback", "service_callback", "cache_params"),
}  # fmt: skip


#: callbacks that only log somewhere over the network
_NETWORK_CALLBACKS = (
    "langfuse", "datadog", "prometheus", "otel", "opentelemetry", "sentry", "slack", "lunary",
    "helicone", "langsmith", "s3", "gcs", "arize", "braintrust", "mlflow", "posthog", "logfire",
)  # fmt: skip


def _set_aside_settings(config: dict[str, Any], notes: list[str], honoured: list[str]) -> None:
    for section, keys in _OFFLINE_NEVER.items():
        settings = config.get(section)
        if not isinstance(settings, dict):
            continue
        for key in list(settings):
            value = settings[key]
            if key in keys:
                why = "needs the network or a database" if key != "master_key" else "the suite uses its own master key"
                notes.append(f"{section}.{key}: set aside ({why})")
                del settings[key]
            elif key == "callbacks" and isinstance(value, list):
                kept = [c for c in value if not any(n in str(c).lower() for n in _NETWORK_CALLBACKS)]
                for dropped in [c for c in value if c not in kept]:
                    notes.append(f"{section}.callbacks {dropped!r}: set aside (it logs over the network)")
                settings[key] = kept
                honoured.extend(f"{section}.callbacks {c!r}" for c in kept)
            elif key == "cache" and value and (settings.get("cache_params") or {}).get("type", "local") != "local":
                notes.append(f"{section}.cache: set aside (its cache type needs a server)")
                del settings[key]
            else:
                honoured.append(f"{section}.{key}")


_LITERAL_VAR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def is_literal_var(value: Any) -> bool:
    """`${VAR}` text, which LiteLLM never expands: kept offline, since that is the bug a run must show."""
    return isinstance(value, str) and bool(_LITERAL_VAR.search(value))


def offline_entry(params: Mapping[str, Any], api_base: str, credential: tuple[str, str] | None) -> dict[str, Any]:
    """A team entry's params for the offline proxy: every setting kept, but the endpoint and the credential
    point at the emulator. A literal `${VAR}` endpoint or credential stays as LiteLLM would send it."""
    out = {k: copy.deepcopy(v) for k, v in params.items() if k not in CREDENTIAL_KEYS or is_literal_var(v)}
    if not is_literal_var(params.get("api_base")):
        out["api_base"] = api_base
    if credential is not None and not any(is_literal_var(params.get(k)) for k in CREDENTIAL_KEYS):
        out[credential[0]] = credential[1]
    return out


def reserved_entry(team: TeamConfig, harness_params: Mapping[str, Any]) -> dict[str, Any]:
    """A harness setup as an entry of the team's config: the alias's settings, with the setup's
    deployment, api-version, endpoint and credential (from `harness.paths.matrix.litellm_entry`)."""
    base = {k: copy.deepcopy(v) for k, v in team.entry["litellm_params"].items()
            if k not in (*CREDENTIAL_KEYS, "deployment_id", "api_version", "api_base")}  # fmt: skip
    return {**base, **harness_params}


_FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


KEY_VAR = "HARNESS_TEAM_API_KEY"


TOKEN_VAR = "HARNESS_TEAM_AD_TOKEN"


@dataclass
class Rendered:
    config: dict[str, Any]
    env: dict[str, str] = field(repr=False)
    set_aside: list[str] = field(default_factory=list)
    honoured: list[str] = field(default_factory=list)


def _resolve_plain_references(params: dict[str, Any], where: str, environ: Mapping[str, str], notes: list[str]) -> None:
    """`os.environ/X` in a setting that is no credential: the value from the environment when it is set
    and names no secret; set aside otherwise (LiteLLM would read None, and a secret never crosses)."""
    for key, value in list(params.items()):
        if key in CREDENTIAL_KEYS:
            continue  # the emulator's, set by `offline_entry`
        if isinstance(value, str) and value.startswith("os.environ/"):
            name = value.removeprefix("os.environ/")
            if name in environ and not _SECRETISH.search(name):
                params[key] = environ[name]
            else:
                why = "names a secret" if _SECRETISH.search(name) else "is unset"
                notes.append(f"{where}.{key}: os.environ/{name} {why}; set aside offline")
                del params[key]


def _team_entries(team: TeamConfig, api_base: str, environ: Mapping[str, str], out: Rendered) -> list[dict[str, Any]]:
    entries = []
    for entry in team.raw["model_list"]:
        params = dict(entry.get("litellm_params") or {})
        name = str(entry.get("model_name"))
        if not str(params.get("model", "")).startswith("azure/"):
            out.set_aside.append(f"model_list {name!r} ({params.get('model')}): set aside (not Azure; offline there is "
                                 "only the emulated Azure resource)")  # fmt: skip
            continue
        token = any(params.get(k) for k in TOKEN_SOURCES) and not params.get("api_key")
        credential = ("azure_ad_token", f"os.environ/{TOKEN_VAR}") if token else ("api_key", f"os.environ/{KEY_VAR}")
        if all(params.get(k) for k in ("tenant_id", "client_id", "client_secret")) and not params.get("api_key"):
            out.set_aside.append(
                f"model_list {name!r}: tenant_id/client_id/client_secret set aside: the client-credentials flow "
                "cannot run offline (LiteLLM builds ClientSecretCredential without disable_instance_discovery, so "
                "MSAL asks login.microsoftonline.com first); the emulator's Entra token is sent as azure_ad_token"
            )
        offline = offline_entry(params, api_base, credential)
        _resolve_plain_references(offline, f"model_list {name!r}", environ, out.set_aside)
        entries.append({**copy.deepcopy(entry), "litellm_params": offline})
    return entries


def _fallback_rules(config: Mapping[str, Any]) -> list[tuple[str, str, int, str, list[Any]]]:
    """(section, key, index, alias, targets) for every fallback rule of the config."""
    found = []
    for section in ("router_settings", "litellm_settings"):
        settings = config.get(section)
        for key in _FALLBACK_KEYS if isinstance(settings, dict) else ():
            for index, rule in enumerate(settings.get(key) or []):
                for alias, targets in rule.items() if isinstance(rule, dict) else ():
                    found.append((section, key, index, str(alias), list(targets or [])))
    return found


def lane_fallbacks(config: dict[str, Any], alias: str, lanes: list[str], entries: list[dict[str, Any]]) -> None:
    """Each lane of the alias falls back like the alias does, to lane copies of the fallback groups, so
    a fallback group's cooldowns and failure counts stay in the item that caused them too."""
    groups = {e["model_name"]: e for e in entries}
    for section, key, _, source, targets in _fallback_rules(config):
        if source != alias:
            continue
        rules = config[section][key]
        for lane in lanes:
            suffix = lane[len(alias) :] if lane.startswith(alias) else lane[lane.index(LANE_MARK) :]
            copies = []
            for target in targets:
                copy_name = f"{target}{suffix}"
                members = [e for name, e in groups.items() if name == target]
                for member in [e for e in entries if e["model_name"] == target]:
                    if not any(e["model_name"] == copy_name for e in entries):
                        entries.append({**copy.deepcopy(member), "model_name": copy_name})
                copies.append(copy_name if members else target)
            rules.append({lane: copies})


def _local_callbacks(team: TeamConfig, config: Mapping[str, Any], out: Rendered) -> None:
    """Callbacks that are modules next to the team's config (`custom_callbacks.handler`): LiteLLM loads
    them from the config's directory, but the rendered config lives elsewhere, so that directory goes
    on the proxy's PYTHONPATH, where LiteLLM's import finds them as it would in production."""
    callbacks = (config.get("litellm_settings") or {}).get("callbacks") or []
    local = [
        str(c)
        for c in (callbacks if isinstance(callbacks, list) else [callbacks])
        if "." in str(c) and (team.path.parent / (str(c).rsplit(".", 1)[0].replace(".", "/") + ".py")).is_file()
    ]
    if local:
        out.env["PYTHONPATH"] = str(team.path.parent.resolve())
        plain = {f"litellm_settings.callbacks {c!r}" for c in local}
        out.honoured[:] = [h for h in out.honoured if h not in plain]
        out.honoured.extend(f"litellm_settings.callbacks {c!r} (loaded from {team.path.parent})" for c in local)


def render_team_config(
    team: TeamConfig,
    reserved: Mapping[str, dict[str, Any]],
    lanes: Mapping[str, str],
    api_base: str,
    creds_key: str,
    creds_token: str,
    environ: Mapping[str, str] = os.environ,
) -> Rendered:
    """The proxy config for config mode. `reserved` are the harness's own setups as entries (built from
    the alias's); `lanes` maps each lane alias to the setup it copies (`good-key` is the team's alias)."""
    out = Rendered({}, {KEY_VAR: creds_key, TOKEN_VAR: creds_token})
    config = copy.deepcopy(dict(team.raw))
    _set_aside_settings(config, out.set_aside, out.honoured)
    _local_callbacks(team, config, out)
    entries = _team_entries(team, api_base, environ, out)
    # The alias's group keeps all its deployments in every lane of it (load balancing, and the retries
    # and cooldowns across them, are the team's); a harness setup is one deployment built from it.
    group = [e for e in entries if e["model_name"] == team.alias]
    by_setup = {"good-key": [e["litellm_params"] for e in group], **{s: [e] for s, e in reserved.items()}}
    for lane, setup in sorted(lanes.items()):
        entries += [{"model_name": lane, "litellm_params": copy.deepcopy(p)} for p in by_setup[setup]]
    lane_fallbacks(config, team.alias, sorted(lanes), entries)  # every lane answers for the alias under test
    config["model_list"] = entries
    scale_timeout_lanes(config, team.alias, out.set_aside)  # the timeout cases wait past scaled copies
    config.setdefault("general_settings", {})["master_key"] = "os.environ/LITELLM_MASTER_KEY"
    out.config = config
    out.honoured = [
        f"model_list {e['model_name']!r}" for e in entries if LANE_MARK not in e["model_name"]
    ] + out.honoured
    return out


def team_notes(team: TeamConfig) -> list[str]:
    """What the run keeps and sets aside of the team's config, one line each, for the run's header."""
    rendered = render_team_config(team, {}, {}, "http://emulator.invalid", "key", "token")
    return [*rendered.set_aside, *plan_groups(team).notes, "honoured: " + ", ".join(rendered.honoured)]


def team_proxy_config(
    team: TeamConfig, creds: Credentials, endpoints: Mapping[str, str], plan: LanePlan
) -> tuple[dict[str, Any], dict[str, str]]:
    """The whole offline config for config mode, and the environment that carries the emulator's secrets."""
    reserved: dict[str, dict[str, Any]] = {}
    env: dict[str, str] = {}
    setups = team_setups(team)
    for setup in setups:
        if setup.name == "good-key":
            continue
        entry, entry_env = litellm_entry(setup, creds, endpoint_for(setup, endpoints))
        reserved[setup.name] = reserved_entry(team, entry["litellm_params"])
        env.update(entry_env)
    lanes = {lane_alias(owner, setup): setup for owner, setup in plan.lanes}
    good = next(s for s in setups if s.name == "good-key")
    rendered = render_team_config(
        team, reserved, lanes, endpoint_for(good, endpoints), creds.api_key, creds.mint_token("valid")
    )
    return rendered.config, {**env, **rendered.env}
