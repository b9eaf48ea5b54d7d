"""The corpus of real configs (tests/configs/) and the representative cases each one runs.

Each corpus config went through the path a team takes, on the cases below (`SUBSET`): its ledger
(`divergences.yaml` beside it) was bootstrapped with the command `bootstrap_command` gives, then
reviewed: only the REVIEW texts were written by a person. `tests/harness/test_corpus.py` proves that
this still holds, run by run.

The subset touches what a config's settings change: a plain and a tool call, streams (text, tool
deltas, usage), the errors that retries, fallbacks and cooldowns act on (400, 404, 429, 5xx), a wrong
key, the router's state over three calls, embeddings, the Responses API, and the differential fuzz.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.contract.case import Case
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
)
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


def items() -> list[Item]:
    """The subset as items: each case from its contract module's `CASES`."""
    out = []
    for area, ids in SUBSET:
        module = importlib.import_module(f"tests.contract.test_{area}")
        cases: dict[str, Case] = {c.id: c for c in module.CASES}
        out += [Item(area, cases[i], f"tests/contract/test_{area}.py") for i in ids]
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
