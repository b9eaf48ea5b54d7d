"""Making a scenario's call through the openai SDK, sync or async, and observing what came back.

Shared by both paths and the fallback client: the only difference between the paths is the client
they build and the model name they pass.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import openai
from vcr.errors import CannotOverwriteExistingCassetteException

from harness.contract.observe import (
    Observation,
    SequenceObservation,
    observe_failure,
    observe_response,
    observe_stream,
)
from harness.contract.scenario import Scenario
from harness.paths.apis import async_api_call, failure_or_raise, sync_api_call
from harness.paths.reading import read, read_async


def _content_chunks(chunks: list[dict[str, Any]]) -> int:
    return sum(1 for c in chunks for ch in c.get("choices") or [] if (ch.get("delta") or {}).get("content"))


def _stops(scenario: Scenario) -> Callable[[list[dict[str, Any]]], bool]:
    """When the application stops reading (`Scenario.stop_after_content`: after that many content chunks)."""
    limit = scenario.stop_after_content
    return lambda chunks: limit is not None and _content_chunks(chunks) >= limit


def _harness_cause(exc: openai.OpenAIError) -> BaseException | None:
    """A cassette miss inside the SDK's transport is the harness failing, not the application
    seeing a connection error: hand it back to the harness instead of observing it."""
    cause = exc.__cause__
    return cause if isinstance(cause, CannotOverwriteExistingCassetteException) else None


def _sync_call(client: openai.OpenAI, model: str, scenario: Scenario) -> Observation:
    if scenario.api != "chat":
        return sync_api_call(client, model, scenario, _harness_cause)
    return observe_sync(lambda **kw: client.chat.completions.with_raw_response.create(model=model, **kw), scenario)


def observe_sync(create_raw: Callable[..., Any], scenario: Scenario) -> Observation:
    """Observe one call made by `create_raw(**params)` (a `with_raw_response.create` without `model`)."""
    kwargs = dict(scenario.params)
    try:
        if not scenario.stream:
            raw = create_raw(**kwargs)
            return observe_response(raw.status_code, raw.parse().to_dict(), raw.headers)
        raw = create_raw(stream=True, **kwargs)
    except openai.OpenAIError as exc:
        return failure_or_raise(exc, _harness_cause)
    stream = raw.parse()
    chunks, error = read(stream, _stops(scenario))
    return observe_stream(raw.status_code, chunks, raw.headers, error, released=stream.response.is_closed)


async def _async_call(client: openai.AsyncOpenAI, model: str, scenario: Scenario) -> Observation:
    if scenario.api != "chat":
        return await async_api_call(client, model, scenario, _harness_cause)
    kwargs = dict(scenario.params, model=model)
    try:
        if not scenario.stream:
            raw = await client.chat.completions.with_raw_response.create(**kwargs)
            return observe_response(raw.status_code, raw.parse().to_dict(), raw.headers)
        raw = await client.chat.completions.with_raw_response.create(stream=True, **kwargs)
    except openai.OpenAIError as exc:
        return failure_or_raise(exc, _harness_cause)
    # `with_raw_response` gives the legacy raw response, whose `parse()` hands back the AsyncStream itself
    parsed = raw.parse()
    stream = await parsed if inspect.isawaitable(parsed) else parsed
    chunks, error = await read_async(stream, _stops(scenario))
    return observe_stream(raw.status_code, chunks, raw.headers, error, released=stream.response.is_closed)


def run_scenario(
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
