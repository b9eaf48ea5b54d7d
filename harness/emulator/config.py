"""The emulated Azure OpenAI resource: its deployments, keys and network access.

One emulator instance is one Azure resource. A deployment table maps deployment names to the
model version Azure reports, the context window, capabilities and quota. Users may supply their
own table as YAML or JSON; unknown fields are rejected so that a typo never silently changes
behaviour.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

#: What a deployment's model can do. Azure routes an operation to a deployment whatever its model and
#: then refuses the pairs that do not fit (a chat model asked for embeddings, and the reverse) with a
#: 400 `OperationNotSupported`; the kind is what the emulator checks for that answer.
KINDS = ("chat", "embeddings")


class EmulatorConfigError(ValueError):
    """A deployments file or setting that the emulator cannot use; the message is one line."""


@dataclass(frozen=True)
class Deployment:
    """One Azure deployment. `faults` are applied to every request, like a fault marker.

    `kind` is `chat` (chat completions and the Responses API) or `embeddings`. For an embeddings
    deployment `context_window` is the longest single input, in tokens.
    """

    name: str
    model: str = "gpt-4o-2024-08-06"
    kind: str = "chat"
    context_window: int = 128_000
    max_output_tokens: int = 16_384
    rpm: int = 100_000
    tpm: int = 10_000_000
    tools: bool = True
    json_schema: bool = True
    logprobs: bool = True
    faults: tuple[str, ...] = ()


DEFAULT_DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment(name="chat"),
    Deployment(name="gpt-4o-mini", model="gpt-4o-mini-2024-07-18"),
    Deployment(
        name="small-context",
        model="gpt-35-turbo-0125",
        context_window=4_096,
        max_output_tokens=4_096,
        json_schema=False,
    ),
    Deployment(name="tiny-quota", rpm=2, tpm=2_000),
    Deployment(name="fault-500", faults=("500",)),
    Deployment(name="fault-503", faults=("503",)),
    Deployment(name="fault-429", faults=("429",)),
    Deployment(name="embeddings", model="text-embedding-3-small", kind="embeddings", context_window=8_192),
    Deployment(name="embeddings-large", model="text-embedding-3-large", kind="embeddings", context_window=8_192),
    Deployment(name="ada", model="text-embedding-ada-002", kind="embeddings", context_window=8_192),
)


@dataclass
class EmulatorConfig:
    """Everything that makes one emulated resource. Mutable only before the server starts."""

    deployments: dict[str, Deployment] = field(default_factory=lambda: {d.name: d for d in DEFAULT_DEPLOYMENTS})
    api_keys: tuple[str, ...] = field(default_factory=lambda: (secrets.token_hex(16),))
    signing_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    tenant_id: str = "00000000-0000-4000-8000-00000000e0e0"
    #: as Azure writes it in `x-ms-region`: the display name, not the ARM code (R1, R5, R8, R9, ...)
    region: str = "Sweden Central"
    public_network_access: bool = True
    max_body_bytes: int = 8 * 1024 * 1024
    #: stored Responses kept for GET and `previous_response_id`; the oldest go first
    max_stored_responses: int = 4096

    @property
    def api_key(self) -> str:
        """The first configured key, the one helpers hand to clients."""
        return self.api_keys[0]


_DEPLOYMENT_FIELDS = {f.name: f for f in fields(Deployment)}


def deployment_from_mapping(raw: Any, where: str) -> Deployment:
    """Build a Deployment from user data, naming the exact entry and field on error."""
    if not isinstance(raw, dict):
        raise EmulatorConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_DEPLOYMENT_FIELDS))
    if unknown:
        raise EmulatorConfigError(
            f"{where}: unknown field {unknown[0]!r}; known fields: {', '.join(_DEPLOYMENT_FIELDS)}"
        )
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise EmulatorConfigError(f"{where}: 'name' is required and must be a non-empty string")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = _DEPLOYMENT_FIELDS[key].default
        if key == "faults":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise EmulatorConfigError(f"{where}.faults: expected a list of strings")
            values[key] = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise EmulatorConfigError(f"{where}.{key}: expected true or false, got {value!r}")
            values[key] = value
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise EmulatorConfigError(f"{where}.{key}: expected a positive integer, got {value!r}")
            values[key] = value
        else:
            if not isinstance(value, str):
                raise EmulatorConfigError(f"{where}.{key}: expected a string, got {value!r}")
            if key == "kind" and value not in KINDS:
                raise EmulatorConfigError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {value!r}")
            values[key] = value
    return Deployment(**values)


def load_deployments(path: Path) -> dict[str, Deployment]:
    """Read a deployments file: a YAML/JSON list, or a mapping with a `deployments` list."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EmulatorConfigError(f"{path}: cannot read deployments file ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EmulatorConfigError(f"{path}: not valid YAML/JSON: {first}") from None
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"deployments"})
        if unknown:
            raise EmulatorConfigError(f"{path}: unknown top-level key {unknown[0]!r}; expected 'deployments'")
        data = data.get("deployments")
    if not isinstance(data, list) or not data:
        raise EmulatorConfigError(f"{path}: expected a non-empty list of deployments")
    table: dict[str, Deployment] = {}
    for index, raw in enumerate(data):
        dep = deployment_from_mapping(raw, f"{path}: deployments[{index}]")
        if dep.name in table:
            raise EmulatorConfigError(f"{path}: deployments[{index}]: duplicate name {dep.name!r}")
        table[dep.name] = dep
    return table
