"""The corpus of real configs (tests/configs/) and the representative cases each one runs.

Each corpus config went through the path a team takes, on the cases below (`SUBSET`): its ledger
(`divergences.yaml` beside it) was bootstrapped with the command `bootstrap_command` gives, then
reviewed: only the REVIEW texts were written by a person. `tests/harness/test_corpus.py` proves that
this still holds, run by run.

The subset touches what a config's settings change: a plain and a tool call, streams (text, tool
deltas, usage), the errors that retries, fallbacks and cooldowns act on (400, 404, 429, 5xx), a wrong
key, the router's state over three calls, embeddings, the Responses API, the differential fuzz, and
where the config sets a timeout, the cases that wait past it (`tests/contract/test_timeouts.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.paths.team_config import TeamConfig
from harness.runner.catalogue import contract_items
from harness.runner.config_run import Item

from .support import ROOT

CONFIGS = ROOT / "tests" / "configs"
SHIPPED = ROOT / "tests" / "contract" / "divergences.yaml"
#: (contract module, case ids) the corpus runs on both paths
SUBSET: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chat", ("basic", "tool-call", "json-schema-strict")),
    ("streaming", ("text", "tool-call-deltas", "include-usage")),
    ("errors", ("invalid-parameter", "unknown-deployment", "rate-limited-429", "server-error-500")),
    ("auth", ("wrong-key",)),
    ("cooldown", ("wrong-key",)),
    ("embeddings", ("single-text",)),
    ("responses", ("text-input", "stream-text")),
    # made from the config's own timeouts (`catalogue_cases`), none where it sets no timeout
    ("timeouts", ("first-byte-past-timeout", "stream-first-byte-past-timeout", "stall-past-timeout",
                  "drip-under-timeout")),
)  # fmt: skip
#: differential fuzz examples per corpus run (derandomized: the same requests every run)
FUZZ_EXAMPLES = 4


@dataclass(frozen=True)
class CorpusConfig:
    folder: Path
    source: dict[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def original(self) -> Path:
        """The reproduction of the source, as its team wrote it."""
        return self.folder / "litellm.config.yaml"

    @property
    def config(self) -> Path:
        """What the team runs: the original, or where the doctor names why it cannot work, the original
        with that one fix (`fixed:` in source.yaml)."""
        return self.folder / str(self.source.get("fixed") or "litellm.config.yaml")

    @property
    def broken(self) -> dict[str, str]:
        """Why the original cannot work and the doctor check that says so, or {}."""
        return dict(self.source.get("broken") or {})

    @property
    def ledger(self) -> Path:
        return self.folder / "divergences.yaml"

    @property
    def alias(self) -> str:
        return str(self.source["alias"])


def corpus() -> list[CorpusConfig]:
    return [
        CorpusConfig(folder, yaml.safe_load((folder / "source.yaml").read_text()))
        for folder in sorted(CONFIGS.iterdir())
        if (folder / "source.yaml").is_file()
    ]


#: the corpus configs the default run takes the team's path with (`test_corpus.py`), one per kind of trouble
#: the corpus found: a load-balanced group behind a self-referential alias on a retired api-version with
#: per-deployment parameters; gpt-5 deployments behind `drop_params`, `allowed_fails` and latency routing
#: beside other providers; gpt-5 refusals in an installer-generated JSON model list; a wildcard route with
#: fallbacks on an api-version that predates json_schema. Every config runs its whole subset in the slow tier.
DEFAULT_RUN = (
    "docker-postgres-multiregion-identity-alias",
    "openwebui-gateway-latency-routing-budgets",
    "kots-installer-generated-json-model-list",
    "issue-5970-azure-wildcard-fallback",
)


def items(keys: set[str] | None = None, team: TeamConfig | None = None) -> list[Item]:
    """The subset as items (only `keys`, `area/case`, when given), as the contract's catalogue makes them for
    `team`: the timeout cases are set against its timeouts, and absent where it sets none (as pytest skips
    them)."""
    catalogue = contract_items(ROOT, team)
    wanted = [f"{area}/{i}" for area, ids in SUBSET for i in ids]
    return [catalogue[k] for k in wanted if k in catalogue and (keys is None or k in keys)]


#: every corpus config's cases in the default run: a call, a stream with usage, a retried 429, a wrong key
BASE = {"chat/basic", "streaming/include-usage", "errors/rate-limited-429", "auth/wrong-key"}
_FALLBACKS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks")
_ROUTER_STATE = ("allowed_fails", "allowed_fails_policy", "cooldown_time", "disable_cooldowns", "num_retries",
                 "retry_policy")  # fmt: skip
_REQUEST_PARAMS = ("temperature", "max_tokens", "top_p", "stop", "seed", "tools", "response_format", "user",
                   "additional_drop_params", "reasoning_effort")  # fmt: skip


def targeted(config: Path) -> set[str]:
    """The cases the default run gives a corpus config (`area/case`): the base, and what its settings act on:
    fallbacks on failing calls, router state on calls in a row, load balancing on content and streams,
    request rewriting (`drop_params`, per-deployment parameters) on tools and formats, and the APIs its
    entries serve. `SUBSET` (the bootstrap's cases) runs whole in `.ci/run`'s corpus tier."""
    from harness.paths.litellm_config import load_config

    data = load_config(config)
    sections = {
        k: v for k in ("router_settings", "litellm_settings") if isinstance(v := data.get(k), dict) for k in [k]
    }
    keys = {key for section in sections.values() for key in section}
    entries = [e for e in data["model_list"] if isinstance(e, dict)]
    params = {k for e in entries for k in (e.get("litellm_params") or {})}
    names = [str(e.get("model_name")) for e in entries]
    out = set(BASE)
    if keys & set(_FALLBACKS):
        out |= {"errors/server-error-500", "errors/unknown-deployment"}
    if keys & set(_ROUTER_STATE):
        out.add("cooldown/wrong-key")
    if len(names) != len(set(names)):  # a model group of several deployments
        out |= {"chat/tool-call", "streaming/text"}
    if "drop_params" in keys or "modify_params" in keys or params & set(_REQUEST_PARAMS):
        out |= {"chat/tool-call", "chat/json-schema-strict", "streaming/tool-call-deltas"}
    if any("embedding" in str(e).lower() for e in entries):
        out.add("embeddings/single-text")
    if any("responses" in str((e.get("litellm_params") or {}).get("model", "")) for e in entries):
        out |= {"responses/text-input", "responses/stream-text"}
    return out


def node_ids() -> list[str]:
    """The same subset as pytest node ids, for the command line."""
    return [
        f"tests/contract/test_{area}.py::test_{area}[{case}-{path}]"
        for area, ids in SUBSET
        for case in ids
        for path in ("direct", "litellm")
    ] + ["tests/contract/test_fuzz.py::test_generated_requests_agree_up_to_the_ledger"]


def bootstrap_command(config: CorpusConfig, ledger: Path) -> list[str]:
    """How a corpus config's ledger is bootstrapped: the command a team runs, on the subset."""
    return [
        "pytest", *node_ids(), "--litellm-config", str(config.config.relative_to(ROOT)), "--litellm-model",
        config.alias, "--ledger", str(ledger), "--ledger-update", f"--gate-examples={FUZZ_EXAMPLES}",
    ]  # fmt: skip


_STRUCTURE = ("paths", "kinds", "cases", "observations", "litellm")


def structure(path: Path) -> dict[str, Any]:
    """A ledger as `--ledger-update` decides it: what it extends, what it switches off, and each entry's
    coverage (paths, kinds, cases, observations, versions). The texts a person writes (what, reason,
    impact, link, workaround, the id) are left out."""
    data = yaml.safe_load(path.read_text()) or {}
    extends = data.get("extends")
    return {
        "extends": str((path.parent / extends).resolve()) if extends else None,
        "disable": {k: sorted(v) for k, v in (data.get("disable") or {}).items()},
        "divergences": sorted(
            repr({k: sorted(e[k]) if isinstance(e.get(k), list) else e.get(k) for k in _STRUCTURE})
            for e in data.get("divergences") or []
        ),
    }


def env_for(config: Path) -> dict[str, str]:
    """A working deployment's environment for a config: every variable it reads through `os.environ/`
    set to a value of the kind its name and use ask for (never a real secret); and where an Azure entry
    names no credential of its own, the `AZURE_API_KEY` LiteLLM then falls back to (its teams set it)."""
    from harness.paths.litellm_config import TOKEN_SOURCES, load_config, referenced_env_vars

    data = load_config(config)
    hosts = {}  # api_base variables by the provider of the entries that use them
    bare = False
    for entry in data["model_list"]:
        params = entry.get("litellm_params") or {}
        base = str(params.get("api_base") or "")
        provider = str(params.get("model", "")).split("/", 1)[0]
        if base.startswith("os.environ/"):
            hosts[base.removeprefix("os.environ/")] = (
                "https://contoso-corpus.services.ai.azure.com/models"
                if provider == "azure_ai"
                else "https://contoso-corpus.openai.azure.com"
            )
        credential = ("api_key", "litellm_credential_name", *TOKEN_SOURCES)
        bare = bare or (provider == "azure" and not any(params.get(k) for k in credential))
    env = {"AZURE_API_KEY": "0123456789abcdef0123456789abcdef"} if bare else {}
    for name in sorted(referenced_env_vars(data)):
        upper = name.upper()
        if name in hosts:
            env[name] = hosts[name]
        elif "VERSION" in upper:
            env[name] = "2024-10-21"
        elif any(k in upper for k in ("BASE", "ENDPOINT", "URL", "HOST")) and "REDIS" not in upper:
            env[name] = "https://contoso-corpus.openai.azure.com"
        elif "PORT" in upper:
            env[name] = "6379"
        else:
            env[name] = "0123456789abcdef0123456789abcdef"
    return env


def _short(setting: str) -> str:
    return setting.split("].", 1)[-1] if setting.startswith("model_list[") else setting


def _changed(ledger: Path) -> str:
    """What a config's settings change, from its reviewed ledger: each cause with the number of paths it
    brings, what no setting explains, and how many inherited entries it switches off."""
    data = yaml.safe_load(ledger.read_text()) or {}
    causes: dict[str, int] = {}
    own: list[str] = []
    for entry in data.get("divergences") or []:
        if entry.get("caused_by"):
            key = " + ".join(f"`{_short(s)}`" for s in entry["caused_by"])
            causes[key] = causes.get(key, 0) + len(entry["paths"])
        else:
            own.append(entry["id"])
    parts = [f"{cause}: {n} path{'s' if n > 1 else ''}" for cause, n in causes.items()]
    if own:
        parts.append("its model list (no setting): " + ", ".join(f"`{i}`" for i in own))
    off = len(data.get("disable") or {})
    if off:
        parts.append(f"{off} inherited off")
    return "; ".join(parts) or "nothing beyond LiteLLM's own divergences"


def table_row(config: CorpusConfig) -> str:
    from harness.paths.team_config import load_team_config
    from harness.paths.team_render import team_notes

    team = load_team_config(config.config, config.alias, {})
    aside = [n for n in team_notes(team) if "set aside" in n]
    shapes = ", ".join(str(s) for s in config.source.get("shapes", [])[:4])
    cases = f"{len(targeted(config.config))} cases" if config.name in DEFAULT_RUN else "slow tier only"
    broken = f" (fixed: {config.broken['check']})" if config.broken else ""
    source = f"[{str(config.source['repo']).split(' issue')[0].split('/')[-1]}]({config.source['url']})"
    return (f"| [`{config.name}`](../tests/configs/{config.name}/){broken} | {source} | {shapes} | {cases} | "
            f"{_changed(config.ledger)} | {len(aside)} |")  # fmt: skip


TABLE_HEAD = (
    "| config | source | shape | default run | what its settings change (`explain`) | set aside "
    "|\n|---|---|---|---|---|---|"
)


def markdown_table() -> str:
    """The corpus table of docs/config-mode.md, made from the corpus itself (a test keeps them equal)."""
    return "\n".join([TABLE_HEAD, *(table_row(c) for c in corpus())])
