"""What every doctor check returns, and the model entries the config checks walk.

A `Finding` names the setting (`where`), the cause and the fix; `source` is the public thread or
page where people hit the same misconfiguration, so a reader can see it is not folklore. A finding
whose fix is mechanical also carries `edits`: the exact change `doctor --fix` applies to the config
file. An edit never holds a secret: a secret written into the config is replaced by an
`os.environ/NAME` reference, and only NAME travels.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Edit:
    """One change to the config: set `key` (under `model_list[index].litellm_params`, or under the
    top-level `section` when index is None) to `value`, or delete it when value is None."""

    index: int | None
    key: str
    value: str | None
    section: str = "litellm_params"
    quote: bool = False  # write the value double-quoted (api_version: YAML would read a date)
    env_name: str | None = None  # the NAME a moved secret now lives in: a `NAME=` line for .env.example


@dataclass(frozen=True)
class Finding:
    status: str  # ok | warn | fail
    check: str
    where: str
    cause: str
    fix: str = ""
    source: str = ""  # where people report it: an issue thread or a documentation page
    edits: tuple[Edit, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Entry:
    """One `model_list` entry as the checks see it."""

    index: int
    name: str
    params: Mapping[str, Any]

    @property
    def model(self) -> str:
        return str(self.params.get("model", ""))

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else ""

    def where(self, key: str) -> str:
        return f"{self.name}.{key}"


def entries(config: Mapping[str, Any] | None) -> Iterator[Entry]:
    """Every model_list entry that has litellm_params (the lint reports the others)."""
    for index, entry in enumerate((config or {}).get("model_list") or []):
        if isinstance(entry, dict) and isinstance(entry.get("litellm_params"), dict):
            yield Entry(index, str(entry.get("model_name", f"model_list[{index}]")), entry["litellm_params"])


def azure_entries(config: Mapping[str, Any] | None) -> Iterator[Entry]:
    return (e for e in entries(config) if e.provider == "azure")
