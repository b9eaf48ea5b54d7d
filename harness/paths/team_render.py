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
from harness.paths.matrix import endpoint_for, litellm_entry
from harness.paths.team_config import CREDENTIAL_KEYS, TeamConfig, resolved_params, team_setups, uses_token
from harness.paths.team_fallbacks import lane_fallbacks, prune_fallbacks
from harness.paths.team_groups import plan_groups
from harness.paths.team_offline import set_aside_settings, token_notes
from harness.paths.team_timeouts import scale_timeout_lanes
from harness.replay.upstream import Credentials

_SECRETISH = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.I)


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
        name = str(entry.get("model_name"))
        if not str((entry.get("litellm_params") or {}).get("model", "")).startswith("azure/"):
            out.set_aside.append(f"model_list {name!r} ({(entry.get('litellm_params') or {}).get('model')}): set aside "
                                 "(not Azure; offline there is only the emulated Azure resource)")  # fmt: skip
            continue
        params = resolved_params(entry, team.raw)
        if params.pop("litellm_credential_name", None):
            out.honoured.append(f"model_list {name!r} litellm_credential_name (resolved from credential_list)")
        token = uses_token(params, team.raw)
        credential = ("azure_ad_token", f"os.environ/{TOKEN_VAR}") if token else ("api_key", f"os.environ/{KEY_VAR}")
        out.set_aside += token_notes(name, params)
        offline = offline_entry(params, api_base, credential)
        _resolve_plain_references(offline, f"model_list {name!r}", environ, out.set_aside)
        entries.append({**copy.deepcopy(entry), "litellm_params": offline})
    return entries


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
    set_aside_settings(config, team.path.parent, out.set_aside, out.honoured)
    _local_callbacks(team, config, out)
    entries = _team_entries(team, api_base, environ, out)
    # The alias's group keeps all its deployments in every lane of it (load balancing, and the retries
    # and cooldowns across them, are the team's); a harness setup is one deployment built from it.
    group = [e for e in entries if e["model_name"] == team.alias]
    params = [e["litellm_params"] for e in group]
    if team.wildcard:  # a lane asks by its own name, so it names the deployment the wildcard would have put in
        params = [{**p, "model": f"azure/{team.wildcard}"} for p in params]
    by_setup = {"good-key": params, **{s: [e] for s, e in reserved.items()}}
    for lane, setup in sorted(lanes.items()):
        entries += [{"model_name": lane, "litellm_params": copy.deepcopy(p)} for p in by_setup[setup]]
    prune_fallbacks(config, entries, out.set_aside)
    lane_fallbacks(config, team.alias, sorted(lanes), entries)  # every lane answers for the alias under test
    config["model_list"] = entries
    # the timeout cases wait past scaled copies
    scale_timeout_lanes(config, team.alias, out.set_aside, team.timeout_factor)
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
