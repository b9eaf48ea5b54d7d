"""What a path tells its client about the setup behind it: the disclosure observation.

Through LiteLLM 1.108.7 every answer carries `x-litellm-*` headers: the upstream URL (behind a
private endpoint, the resource's internal address), the deployment, internal model ids, the key's
spend and the proxy's version; error messages carry router text. Direct Azure tells an application
none of that. A contract case with `lens=disclosure_of` compares, instead of what the application
reads, *what each path discloses*: every item as `{where: category}`, so each one the proxy adds is
a mismatch the ledger must name (entries with `observations: [disclosure]`), and one a new release
adds fails until it is reviewed.

Only what carries a value counts: a header a callback blanked (`examples/disclosure/`) discloses
nothing, which is how the settings that turn items off are proven.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.events import EventStreamObservation
from harness.contract.observe import (
    FailureObservation,
    Kind,
    Observation,
    ResponseObservation,
    SequenceObservation,
    StreamObservation,
)

#: what each proxy header tells a client holding a key
HEADER_CATEGORIES: Mapping[str, str] = {
    "x-litellm-model-api-base": "resource-host",
    "x-litellm-model-name": "deployment-name",
    "x-litellm-model-id": "internal-ids",
    "x-litellm-call-id": "internal-ids",
    "x-litellm-cache-key": "internal-ids",
    "x-litellm-version": "versions",
    "x-litellm-key-spend": "spend",
    "x-litellm-key-max-budget": "spend",
    "x-litellm-key-tpm-limit": "key-limits",
    "x-litellm-key-rpm-limit": "key-limits",
    "x-litellm-model-group": "routing",
    "x-litellm-model-region": "routing",
    "x-litellm-attempted-retries": "routing",
    "x-litellm-attempted-fallbacks": "routing",
    "x-litellm-timeout": "routing",
    "x-litellm-response-duration-ms": "timings",
    "x-litellm-overhead-duration-ms": "timings",
    "x-litellm-callback-duration-ms": "timings",
}
_PREFIXES = (("x-litellm-response-cost", "spend"), ("x-litellm-timing-", "timings"), ("x-litellm-", "other"))
#: the router's words in an error message: its model groups and fallback wiring
ROUTER_TEXT = re.compile(r"LiteLLM: model group|Received Model Group|Model Group Fallbacks|model_group|No fallback")
#: the router's deployment ids in an error message (a cooldown answer's `cooldown_list=[...]`; masked
#: to `<deployment-id>` in observations)
DEPLOYMENT_IDS = re.compile(r"cooldown_list|deployment-id")


def header_category(name: str) -> str | None:
    """The category of a response header the proxy adds, or None for one it relays from Azure."""
    name = name.lower()
    if name in HEADER_CATEGORIES:
        return HEADER_CATEGORIES[name]
    return next((category for prefix, category in _PREFIXES if name.startswith(prefix)), None)


@dataclass(frozen=True)
class DisclosureObservation:
    """What one path disclosed, by where it was seen: `headers` (by name), `body` (`usage.cost`),
    `error` (`router-text`, `deployment-ids` in the message)."""

    disclosed: Mapping[str, Mapping[str, str]]
    kind: Kind = "disclosure"
    header_names: tuple[str, ...] = field(default=(), compare=False)

    def tree(self) -> dict[str, Any]:
        return {"kind": self.kind, "disclosed": {k: dict(v) for k, v in self.disclosed.items()}}

    @property
    def any(self) -> bool:
        return any(self.disclosed.values())

    @property
    def categories(self) -> set[str]:
        return {category for items in self.disclosed.values() for category in items.values()}


def _has_cost(tree: Any) -> bool:
    """`usage.cost` anywhere (LiteLLM's spend estimate in a body, chunk or final event)."""
    if isinstance(tree, Mapping):
        usage = tree.get("usage")
        if isinstance(usage, Mapping) and usage.get("cost") is not None:
            return True
        return any(_has_cost(v) for v in tree.values())
    if isinstance(tree, list | tuple):
        return any(_has_cost(v) for v in tree)
    return False


def _parts(observation: Observation | EventStreamObservation) -> Iterable[Observation | EventStreamObservation]:
    return observation.calls if isinstance(observation, SequenceObservation) else (observation,)


def disclosure_of(observation: Observation | EventStreamObservation) -> DisclosureObservation:
    """What `observation`'s path disclosed (a sequence: what any of its calls did)."""
    headers: dict[str, str] = {}
    body: dict[str, str] = {}
    error: dict[str, str] = {}
    names: set[str] = set()
    for part in _parts(observation):
        names.update(part.header_names)
        for name in part.header_names:
            if category := header_category(name):
                headers[name] = category
        if isinstance(part, ResponseObservation | StreamObservation | EventStreamObservation):
            trees = [part.tree()]
            if isinstance(part, StreamObservation):
                trees.append(list(part.chunks))
            if any(_has_cost(t) for t in trees):
                body["usage.cost"] = "spend"
        failure = part.error if isinstance(part, StreamObservation | EventStreamObservation) else None
        message = ""
        if isinstance(part, FailureObservation):
            message = str(part.error.get("message") or "")
        elif isinstance(failure, Mapping):
            message = str((failure.get("error") or {}).get("message") or "")
        if ROUTER_TEXT.search(message):
            error["router-text"] = "router-text"
        if DEPLOYMENT_IDS.search(message):
            error["deployment-ids"] = "internal-ids"
    # every group present on both paths, so each item the proxy adds is a mismatch of its own
    disclosed = {k: dict(sorted(v.items())) for k, v in (("headers", headers), ("body", body), ("error", error))}
    return DisclosureObservation(disclosed=disclosed, header_names=tuple(sorted(names)))


def discloses(*categories: str) -> Any:
    """An expectation: the path disclosed at least these categories (a disclosure case's litellm path)."""

    def check(obs: Any) -> None:
        assert isinstance(obs, DisclosureObservation), f"expected a disclosure observation, got {obs.kind}"
        missing = sorted(set(categories) - obs.categories)
        assert not missing, f"expected the path to disclose {missing}; it disclosed {sorted(obs.categories)}"

    return check


def discloses_nothing() -> Any:
    """An expectation: the path told its client nothing about the setup behind it (direct Azure)."""

    def check(obs: Any) -> None:
        assert isinstance(obs, DisclosureObservation), f"expected a disclosure observation, got {obs.kind}"
        assert not obs.any, f"expected no disclosure, got {obs.tree()['disclosed']}"

    return check
