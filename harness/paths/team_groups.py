"""The model groups of a team's config, as the emulator serves them and as requests are compared.

LiteLLM defines the deployments of one `model_name` as interchangeable: its router picks any of them.
So the emulator serves one model per group, and a request is compared as sent to its group, with the
deployment the router picked kept beside it (`GroupPlan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.emulator import Deployment, EmulatorConfig
from harness.paths.team_config import TeamConfig, deployment_of, resolved_params


def configured(team: TeamConfig, names: tuple[str, ...]) -> list[str]:
    """Which of `names` the config sets, with the value: `router_settings.num_retries: 0`. A name
    `litellm_params.X` is any Azure entry of the alias's group setting X."""
    found = []
    for name in names:
        section, _, key = name.partition(".")
        if section == "litellm_params":
            values = [(e.get("litellm_params") or {}).get(key) for e in model_groups(team).get(team.alias, [])]
            value = next((v for v in values if v is not None), None)
            where = f"model_list {team.alias!r} litellm_params.{key}"
        else:
            value = (team.raw.get(section) or {}).get(key) if isinstance(team.raw.get(section), dict) else None
            where = name
        if value is not None:
            text = (
                repr(value) if not isinstance(value, (list, dict)) else "[...]" if isinstance(value, list) else "{...}"
            )
            found.append(f"{where}: {text}")
    return found


DEFAULT_CHAT_MODEL = "gpt-4o-2024-08-06"
DEFAULT_EMBEDDINGS_MODEL = "text-embedding-3-small"


def model_groups(team: TeamConfig) -> dict[str, list[Mapping[str, Any]]]:
    """The config's Azure model groups: model_name -> its entries, in the file's order."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for entry in team.raw["model_list"]:
        params = entry.get("litellm_params") or {}
        if isinstance(entry, dict) and str(params.get("model", "")).startswith("azure/"):
            groups.setdefault(str(entry.get("model_name")), []).append(entry)
    return groups


def _declared_model(entry: Mapping[str, Any]) -> str:
    """The model an entry says it serves: `model_info.base_model`, else `litellm_params.base_model`
    (LiteLLM reads both, router.py)."""
    declared = (entry.get("model_info") or {}).get("base_model") or (entry.get("litellm_params") or {}).get(
        "base_model"
    )
    return str(declared or "").removeprefix("azure/")


def _is_embeddings(entry: Mapping[str, Any], deployment: str) -> bool:
    """An embeddings deployment: LiteLLM's `model_info.mode: embedding`, or (Azure serves what is deployed,
    whatever LiteLLM is told) an embeddings model by its name, as teams often leave `mode` out."""
    if (entry.get("model_info") or {}).get("mode") == "embedding":
        return True
    return any("embedding" in name.lower() for name in (deployment, _declared_model(entry)))


@dataclass(frozen=True)
class GroupPlan:
    """How the emulator serves the config's model groups. Deployments in one group are interchangeable
    by LiteLLM's own definition (the router picks any of them), so every deployment of a group serves
    one model: the same request gets the same answer whichever deployment the router picked, and what
    the application sees never depends on the shuffle. Which deployment a request reached is observed
    apart (`canonical`): one fact, "routed among N deployments of the group", not a content diff."""

    #: deployment -> (model version it serves, kind)
    deployments: dict[str, tuple[str, str]]
    #: deployment -> the first deployment of its group, which stands for the group in request paths (groups
    #: of more than one deployment)
    canonical: dict[str, str]
    #: group -> its deployments, where it has more than one
    routed: dict[str, list[str]]
    notes: tuple[str, ...] = ()


def plan_groups(team: TeamConfig) -> GroupPlan:
    """One model per group: the `model_info.base_model` its entries declare, else the default model. A
    group whose entries declare different base models is a real config question (LiteLLM load-balances
    across them as one model: the application gets either model's answers, and its cost tracking and
    parameter support follow each entry's own `base_model`); it is said in a note, and the emulator
    serves the first one declared, the model the group's first entry names."""
    deployments: dict[str, tuple[str, str]] = {}
    canonical: dict[str, str] = {}
    routed: dict[str, list[str]] = {}
    notes: list[str] = []
    for name, entries in model_groups(team).items():
        declared = list(dict.fromkeys(m for m in map(_declared_model, entries) if m))
        embeddings = any(_is_embeddings(e, deployment_of(resolved_params(e, team.raw))) for e in entries)
        model = declared[0] if declared else (DEFAULT_EMBEDDINGS_MODEL if embeddings else DEFAULT_CHAT_MODEL)
        if len(declared) > 1:
            notes.append(
                f"model group {name!r}: its entries declare different model_info.base_model ({', '.join(declared)}); "
                "LiteLLM load-balances across them as one model, so the application gets either model's answers "
                f"at random. The emulator serves the group as {model} (the first declared)"
            )
        names = [n for n in dict.fromkeys(deployment_of(resolved_params(e, team.raw)) for e in entries) if _real(n)]
        if name == team.alias and team.wildcard:
            names = [team.wildcard]
        for deployment in names:
            deployments.setdefault(deployment, (model, "embeddings" if embeddings else "chat"))
        if len(names) > 1:
            routed[name] = names
            for deployment in names:
                canonical.setdefault(deployment, names[0])
    return GroupPlan(deployments, canonical, routed, tuple(notes))


def _real(deployment: str) -> bool:
    """A deployment an emulated resource can have: not empty (`model: azure/`) and no wildcard."""
    return bool(deployment) and "*" not in deployment


def emulator_deployments(team: TeamConfig) -> list[tuple[str, str, str]]:
    """(deployment, model version, kind) for every Azure entry of the config: the emulated resource must
    have them, as the team's real resource does, one model per group (`plan_groups`)."""
    return sorted((name, model, kind) for name, (model, kind) in plan_groups(team).deployments.items())


def team_emulator_config(team: TeamConfig, config: EmulatorConfig | None = None) -> EmulatorConfig:
    """The emulated resource for a team's config: the harness's deployments plus every deployment the
    config names, as the team's real resource has them. The team's deployment wins over a plain default
    of the same name, never over a harness setup's (a fault, a small quota or context the cases need)."""
    config = config or EmulatorConfig()
    for name, model, kind in emulator_deployments(team):
        context = {"context_window": 8_192} if kind == "embeddings" else {}
        existing = config.deployments.get(name)
        if existing is None or existing == Deployment(name, existing.model, existing.kind, existing.context_window):
            config.deployments[name] = Deployment(name, model=model, kind=kind, **context)
    return config
