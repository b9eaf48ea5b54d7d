"""Properties over generated valid requests, checked in-process through the SDK."""

from __future__ import annotations

import json

import httpx
import openai
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.emulator import Emulator, EmulatorTransport

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
