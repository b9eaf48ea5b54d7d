"""Contract: chat on Azure's GA v1 API (`/openai/v1/chat/completions`, no api-version).

The direct path is the client Azure documents for it, `openai.OpenAI(base_url=<resource>/openai/v1/)`;
the proxy's entry has `api_version: v1`, which moves LiteLLM to the same path. The same comparison as
the chat, streaming and errors areas, at `exact`, and what each path sent Azure (path, query, auth).
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect

from .test_chat import WEATHER, user

CASES = [
    Case("basic", Scenario({"messages": user("Hello over the v1 API.")}, setup="v1"), expect.has_text()),
    Case(
        "tool-call",
        Scenario({"messages": user("What's the weather in Paris?"), "tools": [WEATHER]}, setup="v1"),
        expect.tool_calls("get_weather"),
    ),
    Case(
        "stream-text",
        Scenario({"messages": user("Stream over v1.")}, setup="v1", stream=True),
        expect.stream_ends_cleanly(),
    ),
    Case(
        "stream-include-usage",
        Scenario(
            {"messages": user("Usage over v1."), "stream_options": {"include_usage": True}}, setup="v1", stream=True
        ),
        expect.stream_usage(),
    ),
    Case(
        "async-stream",
        Scenario({"messages": user("Stream over v1 from asyncio.")}, setup="v1", stream=True, use_async=True),
        expect.stream_ends_cleanly(),
        doc="`openai.AsyncOpenAI(base_url=<resource>/openai/v1/)` against the proxy's `AsyncOpenAI`.",
    ),
    Case(
        "invalid-parameter",
        Scenario({"messages": user("Too hot."), "temperature": 5}, setup="v1"),
        expect.failure("BadRequestError", 400),
    ),
    Case(
        "unknown-deployment",
        Scenario({"messages": user("Anyone there?")}, setup="v1-unknown-deployment"),
        expect.failure("NotFoundError", 404),
    ),
    Case(
        "wrong-key",
        Scenario({"messages": user("Wrong key over v1.")}, setup="v1-wrong-key"),
        expect.failure("AuthenticationError", 401),
    ),
    Case(
        "embeddings",
        Scenario({"input": ["v1 embeddings"]}, setup="v1-embeddings", api="embeddings"),
        expect.embeddings(1, 1536),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_v1(case: Case, contract) -> None:
    contract.run(case)
