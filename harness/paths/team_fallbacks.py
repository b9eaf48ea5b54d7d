"""A team's fallback rules in the offline config: pruned to what is served offline, and copied per lane.

Each test item asks the proxy for a model group of its own (a lane, `harness.paths.lanes`); where the
alias under test falls back, each lane falls back to copies of the fallback groups, so a fallback
group's cooldowns and failure counts stay in the item that caused them.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Mapping
from typing import Any

from harness.contract.observe import LANE_MARK

_FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


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


def _served(name: str, groups: set[str]) -> bool:
    """A model name the offline proxy can answer: a group it has, or one a wildcard route takes."""
    return name in groups or any("*" in g and fnmatch.fnmatchcase(name, g) for g in groups)


def prune_fallbacks(config: dict[str, Any], entries: list[dict[str, Any]], notes: list[str]) -> None:
    """Fallback targets that were set aside (another provider) are taken out of the rules, said once each:
    offline, a call that would fall back to them ends in its own error, as it would if that provider failed."""
    groups = {str(e["model_name"]) for e in entries}
    for section in ("router_settings", "litellm_settings"):
        settings = config.get(section)
        if not isinstance(settings, dict):
            continue
        defaults = settings.get("default_fallbacks")
        if isinstance(defaults, list):
            gone = [t for t in defaults if not _served(str(t), groups)]
            notes += [f"{section}.default_fallbacks {t!r}: set aside (not served offline)" for t in gone]
            settings["default_fallbacks"] = [t for t in defaults if t not in gone]
        for key in _FALLBACK_KEYS:
            rules = settings.get(key)
            if not isinstance(rules, list):
                continue
            kept = []
            for rule in rules:
                if not isinstance(rule, dict):
                    kept.append(rule)
                    continue
                pruned = {}
                for source, targets in rule.items():
                    gone = [t for t in targets or [] if not _served(str(t), groups)]
                    notes += [f"{section}.{key} {source!r} -> {t!r}: set aside (not served offline)" for t in gone]
                    if [t for t in targets or [] if t not in gone]:
                        pruned[source] = [t for t in targets or [] if t not in gone]
                if pruned:
                    kept.append(pruned)
            settings[key] = kept


def _default_rule(config: dict[str, Any], alias: str) -> tuple[str, list[Any]] | None:
    """`default_fallbacks` apply to a group without a `fallbacks` rule of its own: (section, targets)."""
    if any(source == alias and key == "fallbacks" for _, key, _, source, _ in _fallback_rules(config)):
        return None
    for section in ("router_settings", "litellm_settings"):
        defaults = (
            (config.get(section) or {}).get("default_fallbacks") if isinstance(config.get(section), dict) else None
        )
        if isinstance(defaults, list) and defaults:
            return section, list(defaults)
    return None


def lane_fallbacks(config: dict[str, Any], alias: str, lanes: list[str], entries: list[dict[str, Any]]) -> None:
    """Each lane of the alias falls back like the alias does, to lane copies of the fallback groups, so
    a fallback group's cooldowns and failure counts stay in the item that caused them too. Where the alias
    falls back by `default_fallbacks`, each lane gets that as a rule of its own (the same targets, in
    copies): a default list can only name shared groups."""
    groups = {e["model_name"]: e for e in entries}
    rules_found = list(_fallback_rules(config))
    default = _default_rule(config, alias)
    if default is not None:
        config[default[0]].setdefault("fallbacks", [])
        rules_found.append((default[0], "fallbacks", -1, alias, default[1]))
    for section, key, _, source, targets in rules_found:
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
