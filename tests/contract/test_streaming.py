"""Contract: streamed chat completions (SSE).

What "the same behaviour" means here:
- outcome: a stream on both paths, which ends cleanly (no error while reading);
- the same stream grammar: the kinds of chunk in order, with runs collapsed
  (`prompt_filter`, `role`, `content+`, `finish`, `usage`); re-chunking is allowed, reordering not;
- per kind of chunk, the same keys present (e.g. `choices[].content_filter_results`);
- at `exact`: the assembled text, tool calls, finish reasons and usage are identical.
Known, accepted differences are in `divergences.yaml`.
"""

from __future__ import annotations

import pytest

from harness import expect
from harness.clients import Scenario
from harness.contract import Case

CASES = [
    Case(
        "text",
        Scenario({"messages": [{"role": "user", "content": "Stream a short answer about SSE."}]}, stream=True),
        expect.all_of(expect.finish_reason("stop"), expect.has_text()),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_streaming(case: Case, contract) -> None:
    contract.run(case)
