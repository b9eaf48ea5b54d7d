"""The two paths, both driven by the official openai SDK, as applications drive them.

- direct:  `openai.AzureOpenAI` → Azure (or its stand-in);
- litellm: `openai.OpenAI(base_url=<proxy>/v1)` → the LiteLLM proxy → Azure.

Each path performs a `Scenario` (non-stream or stream, sync or async) and returns an observation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import openai
from vcr.errors import CannotOverwriteExistingCassetteException

from harness.lanes import LanePlan
from harness.matrix import SETUPS, Credentials, Setup, direct_kwargs, endpoint_for, setup_named
from harness.observe import (
    Observation,
    SequenceObservation,
    observe_failure,
    observe_response,
    observe_stream,
)

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Scenario:
    """One call: the `chat.completions.create` arguments (without `model`) and how to make it."""

    params: Mapping[str, Any]
    stream: bool = False
    use_async: bool = False
    setup: str = "good-key"
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = 0
    stop_after_content: int | None = None  # a client that stops reading after this many content chunks
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the same call made this many times in a row by one client (router state: cooldowns)
    repeat: int = 1


class Path(Protocol):
    name: str

    def observe(self, scenario: Scenario, owner: str = "") -> Observation:
        """`owner` names the test item making the call; the litellm path asks for that item's own
        model groups (`harness.lanes`)."""
        ...


def _content_chunks(chunks: list[dict[str, Any]]) -> int:
    return sum(1 for c in chunks for ch in c.get("choices") or [] if (ch.get("delta") or {}).get("content"))


def _harness_cause(exc: openai.OpenAIError) -> BaseException | None:
    """A cassette miss inside the SDK's transport is the harness failing, not the application
    seeing a connection error: hand it back to the harness instead of observing it."""
    cause = exc.__cause__
    return cause if isinstance(cause, CannotOverwriteExistingCassetteException) else None


def _sync_call(client: openai.OpenAI, model: str, scenario: Scenario) -> Observation:
    return _observe_sync(lambda **kw: client.chat.completions.with_raw_response.create(model=model, **kw), scenario)


def _observe_sync(create_raw: Callable[..., Any], scenario: Scenario) -> Observation:
    """Observe one call made by `create_raw(**params)` (a `with_raw_response.create` without `model`)."""
    kwargs = dict(scenario.params)
    try:
        if not scenario.stream:
            raw = create_raw(**kwargs)
            return observe_response(raw.status_code, raw.parse().to_dict(), raw.headers)
        raw = create_raw(stream=True, **kwargs)
    except openai.OpenAIError as exc:
        if (cause := _harness_cause(exc)) is not None:
            raise cause from None
        return observe_failure(exc)
    chunks: list[dict[str, Any]] = []
    error: BaseException | None = None
    stream = raw.parse()
    try:
        for chunk in stream:
            chunks.append(chunk.to_dict())
            if scenario.stop_after_content is not None and _content_chunks(chunks) >= scenario.stop_after_content:
                break
    except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
        error = exc
    finally:
        stream.close()
    return observe_stream(raw.status_code, chunks, raw.headers, error, released=stream.response.is_closed)


async def _async_call(client: openai.AsyncOpenAI, model: str, scenario: Scenario) -> Observation:
    kwargs = dict(scenario.params, model=model)
    try:
        if not scenario.stream:
            raw = await client.chat.completions.with_raw_response.create(**kwargs)
            return observe_response(raw.status_code, raw.parse().to_dict(), raw.headers)
        raw = await client.chat.completions.with_raw_response.create(stream=True, **kwargs)
    except openai.OpenAIError as exc:
        if (cause := _harness_cause(exc)) is not None:
            raise cause from None
        return observe_failure(exc)
    chunks: list[dict[str, Any]] = []
    error: BaseException | None = None
    stream = await raw.parse()
    try:
        async for chunk in stream:
            chunks.append(chunk.to_dict())
            if scenario.stop_after_content is not None and _content_chunks(chunks) >= scenario.stop_after_content:
                break
    except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
        error = exc
    finally:
        await stream.close()
    return observe_stream(raw.status_code, chunks, raw.headers, error, released=stream.response.is_closed)


def _run(
    make_sync: Callable[[], openai.OpenAI], make_async: Callable[[], openai.AsyncOpenAI], model: str, scenario: Scenario
) -> Observation:
    # A client the SDK refuses to build (say, no api_version) is what the application sees at
    # start-up: observed as a failure like any other.
    if not scenario.use_async:
        try:
            client = make_sync()
        except openai.OpenAIError as exc:
            return observe_failure(exc)
        with client:
            return _repeated([_sync_call(client, model, scenario) for _ in range(scenario.repeat)])

    async def go() -> Observation:
        try:
            client = make_async()
        except openai.OpenAIError as exc:
            return observe_failure(exc)
        async with client:
            return _repeated([await _async_call(client, model, scenario) for _ in range(scenario.repeat)])

    return asyncio.run(go())


def _repeated(calls: list[Observation]) -> Observation:
    """One call is its own observation; several in a row are a sequence, compared call by call."""
    if len(calls) == 1:
        return calls[0]
    return SequenceObservation(calls=tuple(c for c in calls if not isinstance(c, SequenceObservation)))


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
        return _run(
            lambda: openai.AzureOpenAI(**kwargs), lambda: openai.AsyncAzureOpenAI(**kwargs), deployment, scenario
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
        return _run(lambda: openai.OpenAI(**kwargs), lambda: openai.AsyncOpenAI(**kwargs), model, scenario)


# ---------------------------------------------------------------- the fallback client

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
            observation = _observe_sync(client.create_raw, scenario)
        finally:
            client.close()
        wanted = scenario.extra.get("served_by")
        if wanted is not None and client.served != [wanted]:
            raise AssertionError(f"fallback client: expected the call served by {wanted}, it was {client.served}")
        return observation
