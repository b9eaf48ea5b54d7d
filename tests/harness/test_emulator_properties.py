"""Properties over generated valid requests, checked in-process through the SDK."""

from __future__ import annotations

import json

import httpx
import openai
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.emulator import Deployment, Emulator, EmulatorTransport

EMULATOR = Emulator()
CLIENT = openai.AzureOpenAI(
    azure_endpoint="http://emulator.invalid",
    api_key=EMULATOR.config.api_key,
    api_version="2024-10-21",
    max_retries=0,
    http_client=httpx.Client(transport=EmulatorTransport(EMULATOR)),
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
messages = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "assistant"]), "content": text}),
    min_size=1,
    max_size=4,
).map(lambda ms: [*ms, {"role": "user", "content": "json please"}])
params = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(0, 2, allow_nan=False),
        "seed": st.integers(0, 2**31),
        "max_tokens": st.integers(1, 64),
        "n": st.integers(1, 3),
        "stop": st.lists(st.sampled_from([".", "the", "a", "x"]), min_size=1, max_size=4),
        "user": st.text(max_size=10),
        "response_format": st.just({"type": "json_object"}),
        "logprobs": st.just(True),
    },
)
SETTINGS = settings(max_examples=40)  # the rest from the profile (root conftest.py)


@SETTINGS
@given(messages, params)
def test_parses_is_deterministic_and_usage_adds_up(msgs, kwargs):
    first = CLIENT.chat.completions.create(model="chat", messages=msgs, **kwargs)
    second = CLIENT.chat.completions.create(model="chat", messages=msgs, **kwargs)
    assert isinstance(first, openai.types.chat.ChatCompletion)
    assert [c.message.content for c in first.choices] == [c.message.content for c in second.choices]
    assert first.usage == second.usage
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    assert len(first.choices) == kwargs.get("n", 1)


@SETTINGS
@given(messages, params)
def test_stream_assembles_to_the_non_stream_answer(msgs, kwargs):
    whole = CLIENT.chat.completions.create(model="chat", messages=msgs, **kwargs)
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    for chunk in CLIENT.chat.completions.create(model="chat", messages=msgs, stream=True, **kwargs):
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            finishes[choice.index] = choice.finish_reason or finishes.get(choice.index, "")
    assert texts == {c.index: c.message.content for c in whole.choices}
    assert finishes == {c.index: c.finish_reason for c in whole.choices}


@SETTINGS
@given(messages, st.integers(0, 2**31))
def test_json_mode_output_parses(msgs, seed):
    response = CLIENT.chat.completions.create(
        model="chat", messages=msgs, seed=seed, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(response.choices[0].message.content), dict)


MODELS = st.sampled_from(["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "o3-mini-2025-01-31"])


@SETTINGS
@given(MODELS, text, st.integers(17, 200))  # more than the 16 tokens the cut allows
def test_a_long_answer_asked_for_is_long_for_any_model(model: str, prompt: str, wanted: int) -> None:
    """`[[fault:min-tokens=N]]`: a case's premise (an `incomplete` or `length` cut) holds whatever model the
    team's deployment serves, not only when the text generated for one model happens to be long."""
    emulator = Emulator()
    emulator.config.deployments["team"] = Deployment("team", model=model)
    client = openai.AzureOpenAI(
        azure_endpoint="http://emulator.invalid", api_key=emulator.config.api_key, api_version="2025-03-01-preview",
        max_retries=0, http_client=httpx.Client(transport=EmulatorTransport(emulator)),
    )  # fmt: skip
    marked = f"{prompt} [[fault:min-tokens={wanted}]]"
    whole = client.chat.completions.create(model="team", messages=[{"role": "user", "content": marked}])
    assert whole.usage.completion_tokens >= wanted and whole.choices[0].finish_reason == "stop"
    cut = client.responses.create(model="team", input=marked, max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
