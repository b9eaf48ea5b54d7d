"""Which of a team's settings brought a divergence: ablation by delta debugging, each trial a run.

`--ledger-update` writes what a config changes, each entry marked REVIEW. A config has twenty
settings, and any of them, or two together, can be the cause. The explainer answers by running: a
trial keeps some of the settings, removes the rest (LiteLLM's default applies), renders that config,
starts the real proxy with it and runs only the cases involved (`harness.runner.config_run`);
`harness.runner.ddmin` searches for a 1-minimal set of settings that still brings the divergence.
Then the cause is checked the other way round: the full config with those settings removed no longer
diverges.

The settings are the keys of `router_settings`, `litellm_settings` and `general_settings`, each
model group's `litellm_params` keys (across all its deployments: the router picks any of them, so a
key set on one is removed from all), its `model_info`, and each extra deployment of a group and each
extra group. The alias's `api_version` is always one of them, set or not: removed, it becomes the
suite's own (2024-10-21), so that a trial with every setting removed is the proxy the shipped ledger
describes, and an unset api-version (LiteLLM's default, a preview) can be the cause. What cannot be
removed is what makes the alias: its group's first deployment, its model and endpoint and credential.

A question is one bootstrapped entry ("does it still occur?") or one inherited entry the config
switched off ("is it still absent?"). Trials are memoized by what they keep and run every case of
every question at once, so the questions share runs.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.contract.judgement import mismatch_of
from harness.contract.ledger import Entry, Ledger
from harness.paths.matrix import DEFAULT_API_VERSION
from harness.paths.proxy import ProxyStartError
from harness.paths.team_config import TeamConfig, deployment_of, team_config_of
from harness.paths.team_timeouts import plan
from harness.runner.config_run import ConfigRun, Item, Pass
from harness.runner.ddmin import Search, ddmin

SECTIONS = ("router_settings", "litellm_settings", "general_settings")
#: never removed: what makes an entry the deployment it is (its model, endpoint and credential)
_STRUCTURAL = frozenset(
    {"model", "api_base", "api_key", "azure_ad_token", "azure_ad_token_provider", "tenant_id", "client_id",
     "client_secret", "azure_username", "azure_password", "litellm_credential_name"}
)  # fmt: skip


def settings_of(team: TeamConfig) -> list[str]:
    """Every setting of the config a trial may remove, by name."""
    out = [f"{s}.{k}" for s in SECTIONS if isinstance(team.raw.get(s), dict) for k in team.raw[s]]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for entry in team.raw["model_list"]:
        if isinstance(entry, dict):
            groups.setdefault(str(entry.get("model_name")), []).append(entry)
    for name, entries in groups.items():
        keys = {k for e in entries for k in (e.get("litellm_params") or {}) if k not in _STRUCTURAL}
        if name == team.alias:
            keys.add("api_version")  # unset, it is a choice too: LiteLLM's default (`reduced`)
        out += [f"model_list[{name}].litellm_params.{k}" for k in sorted(keys)]
        if any(e.get("model_info") for e in entries):
            out.append(f"model_list[{name}].model_info")
        if name != team.alias:
            out.append(f"model_list[{name}]")  # an extra group: fallbacks and aliases may name it
        out += [f"model_list[{name}].deployment[{_label(e)}]" for e in entries[1:]]
    return out


def _label(entry: Mapping[str, Any]) -> str:
    params = entry.get("litellm_params") or {}
    return f"{deployment_of(params)}@{params.get('api_base', '')}"


def reduced(raw: Mapping[str, Any], removed: Iterable[str]) -> dict[str, Any]:
    """The config with the named settings removed: what LiteLLM does without them is its default."""
    config = copy.deepcopy(dict(raw))
    removed = set(removed)
    for section in SECTIONS:
        for key in list(config.get(section) or {}) if isinstance(config.get(section), dict) else ():
            if f"{section}.{key}" in removed:
                del config[section][key]
    entries = []
    firsts: set[str] = set()
    for entry in config["model_list"]:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("model_name"))
        if f"model_list[{name}]" in removed or (
            name in firsts and f"model_list[{name}].deployment[{_label(entry)}]" in removed
        ):
            continue
        firsts.add(name)
        params = entry.get("litellm_params") or {}
        entry["litellm_params"] = {k: v for k, v in params.items()
                                   if f"model_list[{name}].litellm_params.{k}" not in removed}  # fmt: skip
        if f"model_list[{name}].litellm_params.api_version" in removed:
            # the api-version the shipped ledger describes (the suite's own setups'), not LiteLLM's default:
            # with every setting removed, a trial is the proxy the shipped ledger was written for
            entry["litellm_params"]["api_version"] = DEFAULT_API_VERSION
        if f"model_list[{name}].model_info" in removed:
            entry.pop("model_info", None)
        entries.append(entry)
    config["model_list"] = entries
    return config


@dataclass
class Question:
    """One thing to explain. `entry` is a bootstrapped entry (does it still occur?) or an inherited one
    the config switched off for `cases` (is it still absent there?)."""

    id: str
    entry: Entry
    cases: tuple[str, ...]
    stale: bool = False

    def occurs(self, found: Pass, version: str) -> bool:
        """Whether what is to be explained is there in a trial's comparisons (judged against the shipped
        ledger). A bootstrapped entry: it covers a difference of its cases that the shipped ledger does not
        (or whose pin it breaks), the config's own. An inherited entry switched off: in scope there, it
        covers nothing, or what it covers breaks its pin, as the bootstrap found it. A case that did not
        run (a trial whose proxy did not start) shows neither."""
        new, held, broken, scoped = False, False, False, False
        for c in found.results.comparisons:
            if c["case"] not in self.cases:
                continue
            scoped = scoped or self.entry.id in c["scoped"]
            for r in c["mismatches"]:
                held = held or (r["covered_by"] == self.entry.id and not r.get("pinned_by"))
                broken = broken or r.get("pinned_by") == self.entry.id
                new = new or (self._mine(c, r, version) and (not r["covered_by"] or bool(r.get("pinned_by"))))
        return (scoped and (broken or not held)) if self.stale else new

    def _mine(self, comparison: Mapping[str, Any], record: Mapping[str, Any], version: str) -> bool:
        kind = record.get("observation", comparison["observation"])
        if not self.entry.covers(mismatch_of(record)):
            return False
        if comparison.get("anywhere"):  # the fuzz: no case scoping
            return kind in self.entry.observations
        return self.entry.in_scope(comparison["case"], kind, version)


@dataclass
class Answer:
    question: Question
    search: Search
    #: the full config with the cause removed does not diverge (None: not checked, no cause)
    verified: bool | None = None
    #: a trial of the whole config shows it (False: the trial cannot reproduce the run's finding)
    reproduced: bool = True


def trial_config(team: TeamConfig, removed: Iterable[str]) -> TeamConfig:
    """The team's config with the settings in `removed` removed, as a trial runs it: it keeps the team's
    timeout scale, since the timeout cases' delays were set against it (run them from the team's own
    catalogue, `contract_items(root, team)`: without its timeouts a config makes no timeout cases)."""
    trial = team_config_of(team.path, reduced(team.raw, removed), team.requested or team.alias, {})
    return dataclasses.replace(trial, timeout_factor=plan(team.raw, team.alias).factor)


@dataclass
class Explainer:
    """Trials of one config. `items` are the cases the questions name; `extra` runs after them in each
    trial (the differential fuzz, for an entry of `fuzz/generated`)."""

    team: TeamConfig
    #: the cases the questions name, as a trial's config makes them (the timeout cases follow its timeouts)
    items: Callable[[TeamConfig], list[Item]]
    workdir: Path
    ledger: Ledger
    extra: Callable[..., None] | None = None
    lanes: tuple[tuple[str, str], ...] = ()
    trials: dict[frozenset[str], Pass] = field(default_factory=dict)
    #: trials whose proxy did not start, and why
    failed: dict[frozenset[str], str] = field(default_factory=dict)
    version: str = ""

    def trial(self, removed: frozenset[str]) -> Pass:
        """The cases run with the settings in `removed` removed. A config LiteLLM does not start with (a
        setting another one needs was removed) shows nothing: an empty pass, and the reason kept."""
        if removed not in self.trials:
            team = trial_config(self.team, removed)
            name = f"trial-{len(self.trials)}"
            with ConfigRun(team, self.items(team), self.workdir / name, lanes=self.lanes) as run:
                self.version = run.version
                try:
                    with run.proxy([name], "proxy") as proxy:
                        runner = run.runner(proxy, [name], self.ledger, True)
                        self.trials[removed] = run.run_pass(name, [runner], self.ledger, seed=0, extra=self.extra)
                except ProxyStartError as exc:
                    self.trials[removed] = Pass()
                    self.failed[removed] = str(exc).splitlines()[0]
        return self.trials[removed]

    def explain(self, questions: list[Question], budget: int = 48) -> list[Answer]:
        universe = settings_of(self.team)
        answers = []
        for question in questions:

            def holds(kept: frozenset[str], q: Question = question) -> bool:
                return q.occurs(self.trial(frozenset(universe) - kept), self.version)

            if not question.occurs(self.trial(frozenset()), self.version):
                # the trial with every setting kept does not show it: nothing to search, and never a guess
                answers.append(Answer(question, Search([], minimal=False), reproduced=False))
                continue
            search = ddmin(universe, holds, budget=budget)
            answer = Answer(question, search)
            if search.cause and not search.unexplained:
                answer.verified = not question.occurs(self.trial(frozenset(search.cause)), self.version)
            answers.append(answer)
        return answers


_DOCS = "https://docs.litellm.ai/docs/proxy/"


def doc_link(setting: str) -> str:
    """LiteLLM's documentation of a setting (the reference section of its part of the config)."""
    key = setting.rsplit(".", 1)[-1]
    if "fallbacks" in key:
        return _DOCS + "reliability"
    for section in SECTIONS:
        if setting.startswith(section + "."):
            return f"{_DOCS}config_settings#{section}---reference"
    return _DOCS + "configs"
