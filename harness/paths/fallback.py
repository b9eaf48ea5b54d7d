"""The fallback client: the proxy first, direct Azure only when the proxy cannot be reached at all.

`FallbackClient` is what an application can use; `FallbackPath` is the contract's view of it, so
the errors area can compare it with the direct path (case errors/proxy-down-fallback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from harness.contract.observe import Observation
from harness.contract.scenario import Scenario
from harness.paths.clients import DirectPath, LiteLLMPath
from harness.paths.sdk import observe_sync

LOG = logging.getLogger("harness.fallback")


class FallbackClient:
    """Chat completions through the LiteLLM proxy, and on direct Azure only when the proxy cannot be
    reached at all.

    The application keeps working while the proxy is down (connection refused, DNS, a reset before
    any answer), and nothing else changes: an HTTP answer from the proxy, 4xx or 5xx, is the
    answer, because the proxy did handle the call (Azure may even have billed it). A timeout is not
    a connection failure either: the proxy may have forwarded the call, and repeating it could run
    it twice. Each call logs which path served it (`harness.fallback`), and `served` keeps the list.
    """

    def __init__(
        self, proxy: openai.OpenAI, direct: openai.AzureOpenAI, *, proxy_model: str, direct_model: str
    ) -> None:
        self.proxy, self.direct = proxy, direct
        self.proxy_model, self.direct_model = proxy_model, direct_model
        self.served: list[str] = []

    def create(self, **params: Any) -> Any:
        """`chat.completions.create` without `model`: the parsed completion, or the stream."""
        return self._call(
            lambda: self.proxy.chat.completions.create(model=self.proxy_model, **params),
            lambda: self.direct.chat.completions.create(model=self.direct_model, **params),
        )

    def create_raw(self, **params: Any) -> Any:
        """The same through `with_raw_response`: status and headers too."""
        return self._call(
            lambda: self.proxy.chat.completions.with_raw_response.create(model=self.proxy_model, **params),
            lambda: self.direct.chat.completions.with_raw_response.create(model=self.direct_model, **params),
        )

    def _call(self, via_proxy: Callable[[], Any], via_direct: Callable[[], Any]) -> Any:
        try:
            result = via_proxy()
        except openai.APITimeoutError:
            raise  # the proxy may be working on it: repeating the call could run it twice
        except openai.APIConnectionError as exc:
            why = type(exc.__cause__).__name__ if exc.__cause__ is not None else "connection error"
            LOG.warning("LiteLLM proxy unreachable (%s): calling Azure directly", why)
            result = via_direct()
            self._served("direct")
            return result
        self._served("litellm")
        return result

    def _served(self, path: str) -> None:
        self.served.append(path)
        LOG.info("served by %s", path)

    def close(self) -> None:
        self.proxy.close()
        self.direct.close()


@dataclass
class FallbackPath:
    """The contract's view of `FallbackClient`: the proxy path's client settings, the direct path's
    setup. `scenario.extra["served_by"]` names the path that must have served the call."""

    litellm: LiteLLMPath
    direct: DirectPath
    name: str = "fallback"

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        kwargs, deployment = self.direct._kwargs(scenario)
        client = FallbackClient(
            openai.OpenAI(**self.litellm.client_kwargs(scenario)),
            openai.AzureOpenAI(**kwargs),
            proxy_model=self.litellm.model(scenario, owner),
            direct_model=deployment,
        )
        try:
            observation = observe_sync(client.create_raw, scenario)
        finally:
            client.close()
        wanted = scenario.extra.get("served_by")
        if wanted is not None and client.served != [wanted]:
            raise AssertionError(f"fallback client: expected the call served by {wanted}, it was {client.served}")
        return observation
