"""The calls of the APIs beyond chat, through the openai SDK: embeddings and the Responses API.

Each returns what the application saw, as an observation: a response (bodies as the SDK's `to_dict()`
gives them), an event stream (the Responses API's typed events, in order), or a failure. A Responses
scenario with `then` makes the follow-up calls on the created response (retrieve, delete, continue the
conversation) with the same client, and the observation is the sequence.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import openai

from harness.contract.events import observe_events
from harness.contract.observe import Observation, SequenceObservation, observe_failure, observe_response
from harness.contract.scenario import Scenario
from harness.paths.reading import read, read_async


def _as_dict(model: Any) -> dict[str, Any]:
    """The body as the application reads it. Warnings off: with `encoding_format="base64"` the SDK's
    `embedding` field (typed `list[float]`) holds the base64 string Azure sent, which is what the
    application gets, and pydantic's serializer warning about it is noise, not a finding."""
    return model.to_dict(warnings=False)


def failure_or_raise(exc: openai.OpenAIError, harness_cause: Callable[[openai.OpenAIError], Any]) -> Observation:
    """What the application saw when the SDK raised, unless the harness's own part caused it (then that
    part's error is raised instead, so a dead proxy never reads as a contract failure)."""
    if (cause := harness_cause(exc)) is not None:
        raise cause from None
    return observe_failure(exc)


def _raw(make: Callable[[], Any], harness_cause: Callable[[openai.OpenAIError], BaseException | None]) -> Observation:
    try:
        raw = make()
    except openai.OpenAIError as exc:
        return failure_or_raise(exc, harness_cause)
    parsed = raw.parse()
    body = _as_dict(parsed) if hasattr(parsed, "to_dict") else {"value": parsed}
    return observe_response(raw.status_code, body, raw.headers)


def sync_api_call(
    client: openai.OpenAI, model: str, scenario: Scenario, harness_cause: Callable[[openai.OpenAIError], Any]
) -> Observation:
    params = dict(scenario.params)
    if scenario.api == "embeddings":
        return _raw(lambda: client.embeddings.with_raw_response.create(model=model, **params), harness_cause)
    if scenario.stream:
        return _sync_events(client, model, params, harness_cause)
    calls: list[Observation] = []
    created = client.responses.with_raw_response.create
    first, first_id = _created(lambda: created(model=model, **params), harness_cause)
    calls.append(first)
    for step in scenario.then:
        if first_id is None:
            break
        if step == "retrieve":
            calls.append(_raw(lambda: client.responses.with_raw_response.retrieve(first_id), harness_cause))
        elif step == "delete":
            calls.append(_raw(lambda: client.responses.with_raw_response.delete(first_id), harness_cause))
        elif step == "continue":
            follow = {"input": scenario.extra["next_input"], "previous_response_id": first_id}
            calls.append(_raw(lambda follow=follow: created(model=model, **follow), harness_cause))
    return calls[0] if len(calls) == 1 else SequenceObservation(calls=tuple(calls))


def _created(
    make: Callable[[], Any], harness_cause: Callable[[openai.OpenAIError], Any]
) -> tuple[Observation, str | None]:
    """The create call's observation, and the id the application would use next (before masking)."""
    try:
        raw = make()
    except openai.OpenAIError as exc:
        return failure_or_raise(exc, harness_cause), None
    body = raw.parse().to_dict()
    return observe_response(raw.status_code, body, raw.headers), body.get("id")


def _sync_events(
    client: openai.OpenAI, model: str, params: dict[str, Any], harness_cause: Callable[[openai.OpenAIError], Any]
) -> Observation:
    try:
        raw = client.responses.with_raw_response.create(model=model, stream=True, **params)
    except openai.OpenAIError as exc:
        return failure_or_raise(exc, harness_cause)
    events, error = read(raw.parse())
    return observe_events(raw.status_code, events, raw.headers, error)


async def async_api_call(
    client: openai.AsyncOpenAI, model: str, scenario: Scenario, harness_cause: Callable[[openai.OpenAIError], Any]
) -> Observation:
    params = dict(scenario.params)

    async def raw(make: Callable[[], Awaitable[Any]]) -> Observation:
        try:
            response = await make()
        except openai.OpenAIError as exc:
            return failure_or_raise(exc, harness_cause)
        parsed = response.parse()
        body = await parsed if inspect.isawaitable(parsed) else parsed
        return observe_response(response.status_code, _as_dict(body), response.headers)

    if scenario.api == "embeddings":
        return await raw(lambda: client.embeddings.with_raw_response.create(model=model, **params))
    if not scenario.stream:
        return await raw(lambda: client.responses.with_raw_response.create(model=model, **params))
    try:
        response = await client.responses.with_raw_response.create(model=model, stream=True, **params)
    except openai.OpenAIError as exc:
        return failure_or_raise(exc, harness_cause)
    parsed = response.parse()  # the Responses stream's parse() is not awaitable, chat's is
    events, error = await read_async(await parsed if inspect.isawaitable(parsed) else parsed)
    return observe_events(response.status_code, events, response.headers, error)
