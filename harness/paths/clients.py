"""The two paths, both driven by the official openai SDK, as applications drive them.

- direct:  `openai.AzureOpenAI` → Azure (or its stand-in);
- litellm: `openai.OpenAI(base_url=<proxy>/v1)` → the LiteLLM proxy → Azure.

Each path performs a `Scenario` (non-stream or stream, sync or async) and returns an observation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import openai

from harness.contract.observe import Observation
from harness.contract.scenario import Scenario
from harness.paths.lanes import LanePlan
from harness.paths.matrix import SETUPS, Setup, direct_kwargs, endpoint_for, setup_named
from harness.paths.sdk import run_scenario
from harness.paths.sdk_http import async_client, sync_client
from harness.replay.upstream import Credentials


class Path(Protocol):
    name: str

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        """`owner` names the test item making the call; the litellm path asks for that item's own
        model groups (`harness.paths.lanes`)."""
        ...


@dataclass
class DirectPath:
    """`openai.AzureOpenAI` against the upstream, with the setup's credential."""

    endpoints: Mapping[str, str]
    credentials: Credentials
    setups: tuple[Setup, ...] = SETUPS
    name: str = "direct"

    def _kwargs(self, scenario: Scenario) -> tuple[dict[str, Any], str]:
        setup = setup_named(scenario.setup, self.setups)
        kwargs = direct_kwargs(setup, self.credentials, endpoint_for(setup, self.endpoints))
        kwargs.update(timeout=scenario.timeout_s, max_retries=scenario.max_retries)
        return kwargs, setup.deployment

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        kwargs, deployment = self._kwargs(scenario)
        if setup_named(scenario.setup, self.setups).v1:
            make, make_async = openai.OpenAI, openai.AsyncOpenAI
        else:
            make, make_async = openai.AzureOpenAI, openai.AsyncAzureOpenAI  # type: ignore[assignment]
        return run_scenario(
            lambda: sync_client(make, **kwargs),
            lambda: async_client(make_async, **kwargs),
            deployment,
            scenario,
        )


@dataclass
class LiteLLMPath:
    """`openai.OpenAI` against the proxy's `/v1`, naming the setup as the model alias."""

    base_url: str
    api_key: str = field(repr=False)
    #: setup name -> the proxy's model alias, where they differ (live: `good-key` -> LITELLM_MODEL)
    models: Mapping[str, str] = field(default_factory=dict)
    #: the model groups each test item owns on a proxy the harness configured (None: a proxy whose
    #: config is not ours, e.g. staging, where the setup's alias is shared)
    lanes: LanePlan | None = None
    name: str = "litellm"

    def client_kwargs(self, scenario: Scenario) -> dict[str, Any]:
        """`openai.OpenAI` arguments for this scenario. `proxy_url` / `proxy_key` in `scenario.extra`
        stand for a client configured against another proxy address or with another key (the
        unreachable-proxy and proxy-key cases)."""
        return {
            "base_url": str(scenario.extra.get("proxy_url", self.base_url)).rstrip("/") + "/v1",
            "api_key": scenario.extra.get("proxy_key", self.api_key),
            "timeout": scenario.timeout_s,
            "max_retries": scenario.max_retries,
        }

    def model(self, scenario: Scenario, owner: str = "") -> str:
        """The model name the application asks the proxy for: the owning item's own model group for
        the setup, or `extra["proxy_model"]` (the unknown-alias case)."""
        if "proxy_model" in scenario.extra:
            return str(scenario.extra["proxy_model"])
        if self.lanes is not None:
            return self.lanes.alias(owner, scenario.setup)
        return self.models.get(scenario.setup, scenario.setup)

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        kwargs = self.client_kwargs(scenario)
        model = self.model(scenario, owner)
        return run_scenario(
            lambda: sync_client(openai.OpenAI, **kwargs),
            lambda: async_client(openai.AsyncOpenAI, **kwargs),
            model,
            scenario,
        )


# ---------------------------------------------------------------- the fallback client
