"""Contract: streamed chat completions (SSE).

What "the same behaviour" means here:
- outcome: a stream on both paths, which ends cleanly (no error while reading) unless the case is
  about a broken stream;
- the same stream grammar: the kinds of chunk in order, with runs collapsed (`prompt_filter`,
  `role`, `content+`, `tool_call+`, `finish`, `usage`); re-chunking is allowed, reordering is not;
- per kind of chunk, the same keys present (e.g. `choices[].content_filter_results`) and the same
  top-level values (`model`, `object`);
- at `exact`: the assembled text, tool calls, finish reasons and usage are identical;
- on each path on its own: a stream assembles to the same answer as the non-streaming call
  (`test_stream_assembles_to_the_non_stream_answer`).
Known, accepted differences are in `divergences.yaml`.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect
from harness.contract.observe import ResponseObservation, StreamObservation

from .test_chat import TIME, WEATHER, user

CASES = [
    Case(
        "text",
        Scenario({"messages": user("Stream a short answer about SSE.")}, stream=True),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
    Case(
        "async-text",
        Scenario({"messages": user("Stream a short answer from asyncio.")}, stream=True, use_async=True),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
        doc="The same stream through `openai.AsyncAzureOpenAI` and `openai.AsyncOpenAI`.",
    ),
    Case(
        "tool-call-deltas",
        Scenario({"messages": user("Use get_weather and get_time for Kyiv."), "tools": [WEATHER, TIME]}, stream=True),
        expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("get_weather", "get_time")),
    ),
    Case(
        "include-usage",
        Scenario(
            {"messages": user("Stream and count tokens."), "stream_options": {"include_usage": True}}, stream=True
        ),
        expect.all_of(expect.finish_reason("stop"), expect.stream_usage()),
    ),
    Case(
        "n-2",
        Scenario({"messages": user("Two streamed suggestions."), "n": 2}, stream=True),
        expect.n_choices(2),
        expect_path={
            "direct": expect.finish_reason("stop"),
            # ledger: stream-n2-second-choice-unfinished (pinned, so that a fix shows up here)
            "litellm": expect.finish_reasons("stop", None),
        },
    ),
    Case(
        "output-content-filter",
        Scenario({"messages": user("Tell a story [[fault:filter-output=violence]]")}, stream=True),
        expect.finish_reason("content_filter"),
        doc="Azure cuts the output and ends the stream with finish_reason content_filter.",
    ),
    Case(
        "prompt-filter-first-chunk",
        Scenario({"messages": user("What do streams start with?")}, stream=True),
        expect.has_text(),
        expect_path={"direct": expect.stream_grammar("prompt_filter", "role", "content+", "finish")},
        doc="Azure's first event carries the prompt-filter verdict and no choices; the direct client sees it.",
    ),
    Case(
        "done-clean-close",
        Scenario({"messages": user("Stream to the end.")}, stream=True),
        expect.all_of(expect.finish_reason("stop"), expect.stream_ends_cleanly()),
        doc="`data: [DONE]` ends the stream: the SDK stops without an error on both paths.",
    ),
    Case(
        "logprobs",
        Scenario(
            {"messages": user("Stream with token probabilities."), "logprobs": True, "top_logprobs": 2}, stream=True
        ),
        expect.finish_reason("stop"),
        doc="Found by differential fuzzing (tests/contract/test_fuzz.py): streamed logprobs lose their "
        "`refusal: null` through the proxy, as non-streamed ones do.",
    ),
    Case(
        "stop-reading-early",
        Scenario({"messages": user("Stream a long answer; I will stop early.")}, stream=True, stop_after_content=2),
        expect.stream_released(),
        doc="The client stops after 2 content chunks and closes the stream; the connection is released on both paths.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_streaming(case: Case, contract) -> None:
    contract.run(case)


ASSEMBLY = [
    Case("text", Scenario({"messages": user("Assemble me.")})),
    Case("tools", Scenario({"messages": user("Use get_weather for Rome."), "tools": [WEATHER]})),
    Case("n-2-length", Scenario({"messages": user("Two short ones."), "n": 2, "max_tokens": 4})),
]


@pytest.mark.offline_only("live, the stream and the non-stream call are two different completions")
@pytest.mark.parametrize("case", ASSEMBLY, ids=str)
def test_stream_assembles_to_the_non_stream_answer(case: Case, contract) -> None:
    """On each path on its own: the stream adds up to exactly what the non-streaming call returns."""
    # Both cases run whatever the first one's verdict, so that the upgrade gate and the bisect see both
    # comparisons under every release (a `whole` failing under a release used to leave `streamed` unseen
    # there, and the bisect could not tell its changes in that release). The first failure is kept as
    # the second one's context.
    try:
        whole = contract.run(Case(f"{case.id}-whole", case.scenario))
    finally:
        streamed = contract.run(Case(f"{case.id}-streamed", Scenario(dict(case.scenario.params), stream=True)))
    if contract.judged_by_comparison(case, whole, streamed):
        return  # config mode: the team's proxy answered with an error, which the comparison judged
    assert isinstance(whole, ResponseObservation) and isinstance(streamed, StreamObservation)
    expected = [
        {
            "content": c["message"].get("content"),
            "finish_reason": c["finish_reason"],
            "tool_calls": [
                {"name": t["function"]["name"], "arguments": t["function"]["arguments"]}
                for t in c["message"].get("tool_calls") or []
            ],
        }
        for c in whole.body["choices"]
    ]
    assembled = [
        {
            "content": c["content"],
            "finish_reason": c["finish_reason"],
            "tool_calls": [{"name": t["name"], "arguments": t["arguments"]} for t in c["tool_calls"]],
        }
        for c in streamed.assembled["choices"]
    ]
    if contract.path == "litellm" and len(expected) > 1:
        # ledger: stream-n2-second-choice-unfinished. Pinned precisely: everything but the later
        # choices' finish_reason assembles, and those are None. A LiteLLM fix makes this fail.
        assert [c["finish_reason"] for c in assembled[1:]] == [None] * (len(expected) - 1)
        expected = [expected[0], *({**c, "finish_reason": None} for c in expected[1:])]
    assert assembled == expected
