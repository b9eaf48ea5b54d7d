"""Differential fuzzing: generated chat requests through both paths, against the emulator.

The property: for any valid chat request (messages, sampling parameters, tools and tool_choice,
response formats, logprobs, n, stop, streaming with or without usage), what the application sees
through LiteLLM equals what it sees from Azure directly, at `exact`, up to the divergence ledger.
When it does not, hypothesis shrinks the request to the smallest one that still diverges, and
the failure (in the terminal, the parity report and the upgrade gate's report) shows it.

Generated requests belong to no case of the catalogue, so a ledger entry covers a difference
wherever its observation kind and LiteLLM version apply. Examples are derandomized: the same
requests in every run, so two LiteLLM versions meet the same inputs in the upgrade gate. The
budget is modest by default; `--gate-examples N` raises it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Case, Scenario
from harness.contract.case import CaseResult
from harness.contract.compare import Level, diff
from harness.plugin.state import ITEM
from harness.replay.recording import CaseRef
from harness.runner.fuzz import FuzzFindings
from harness.runner.runner import ContractRunner, request_mismatches

from .test_chat import PERSON_SCHEMA, TIME, WEATHER

DEFAULT_EXAMPLES = 12


def fuzz_settings(examples: int) -> settings:
    """The project's profile (root conftest.py), always derandomized and without a database: the
    gate runs the fuzz under two LiteLLM versions and must give both the same requests. Generated
    requests are filtered (no blank text), so that health check is off too."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.filter_too_much],
    )


# Printable text from several scripts; never the emulator's `[[fault:` marker.
_TEXT = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Zs", "Po", "So"), exclude_characters="[]"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() != "")


@st.composite
def chat_requests(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A valid Azure chat-completions request (without `model`) and whether to stream it."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_TEXT)})
    for _ in range(draw(st.integers(0, 2))):
        messages += [{"role": "user", "content": draw(_TEXT)}, {"role": "assistant", "content": draw(_TEXT)}]
    messages.append({"role": "user", "content": draw(_TEXT)})
    params: dict[str, Any] = {"messages": messages}
    if draw(st.booleans()):
        params["max_tokens"] = draw(st.integers(1, 40))
    if draw(st.booleans()):
        params["temperature"] = draw(st.sampled_from([0, 0.2, 0.7, 1, 1.5]))
    if draw(st.booleans()):
        params["n"] = draw(st.sampled_from([1, 2]))
    if draw(st.booleans()):
        params["stop"] = [draw(st.sampled_from(["END", "\n\n", "."]))]
    if draw(st.booleans()):
        params["seed"] = draw(st.integers(0, 2**31 - 1))
    if draw(st.booleans()):
        params["user"] = draw(st.sampled_from(["alice", "svc-batch-7"]))
    shape = draw(st.sampled_from(["text", "tools", "json_object", "json_schema"]))
    if shape == "tools":
        params["tools"] = draw(st.sampled_from([[WEATHER], [TIME], [WEATHER, TIME]]))
        choice = draw(st.sampled_from(["auto", "none", "required", "named", None]))
        if choice == "named":
            params["tool_choice"] = {"type": "function", "function": {"name": params["tools"][0]["function"]["name"]}}
        elif choice is not None:
            params["tool_choice"] = choice
    elif shape == "json_object":
        messages[-1]["content"] += " Answer in JSON."
        params["response_format"] = {"type": "json_object"}
    elif shape == "json_schema":
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "person", "strict": True, "schema": PERSON_SCHEMA},
        }
    elif draw(st.booleans()):
        params["logprobs"] = True
        if draw(st.booleans()):
            params["top_logprobs"] = draw(st.integers(0, 3))
    stream = draw(st.booleans())
    if stream and draw(st.booleans()):
        params["stream_options"] = {"include_usage": True}
    return params, stream


@pytest.fixture(scope="session")
def fuzz_examples(pytestconfig: pytest.Config) -> int:
    value = pytestconfig.getoption("--gate-examples")
    return DEFAULT_EXAMPLES if value is None else value


def check_request(runner: ContractRunner, findings: FuzzFindings, params: dict[str, Any], stream: bool) -> None:
    """Both paths, one generated request: every difference must be one the ledger accepts (with
    `--ledger-update`, what is not is gathered for the ledger instead)."""
    case = Case("generated", Scenario(params, stream=stream), replayable=False)
    ref = CaseRef("fuzz", "generated", "tests/contract/test_fuzz.py")
    runner.before_case()
    direct, direct_sent = runner.observe(case, ref, "direct")
    runner.before_case()
    litellm, litellm_sent = runner.observe(case, ref, "litellm")
    mismatches = diff(direct.tree(), litellm.tree(), Level.EXACT) + request_mismatches(direct_sent, litellm_sent)
    unledgered = findings.judge(mismatches, direct.kind)
    assert runner.collect_unledgered or not unledgered, (
        f"LiteLLM {runner.litellm_version} diverges from Azure on a generated request, outside the ledger:\n"
        f"request (stream={stream}): {json.dumps(params, ensure_ascii=False)}\n"
        + "\n".join(m.describe() for m in unledgered[:8])
    )


@pytest.mark.offline_only("fuzzes both paths against the emulator, which only an offline run has")
@pytest.mark.proxy_lane("fuzz/generated", "good-key")
def test_generated_requests_agree_up_to_the_ledger(
    fuzz_examples: int, request: pytest.FixtureRequest, record_contract_result: Callable[[CaseResult], None]
) -> None:
    # An item of the run's results: its outcome and failure (the shrunk request) reach the parity
    # report, and so the upgrade gate; what it found reaches `--ledger-update`.
    request.node.user_properties.append((ITEM, {"area": "fuzz", "path": "litellm"}))
    if fuzz_examples <= 0:
        pytest.skip("--gate-examples 0: differential fuzzing switched off for this run")
    runner: ContractRunner = request.getfixturevalue("live_contract_runner")  # starts the proxy if needed
    findings = FuzzFindings(runner.ledger, runner.litellm_version)
    try:
        fuzz(runner, findings, fuzz_examples)
    finally:
        record_contract_result(findings.result())


def fuzz(runner: ContractRunner, findings: FuzzFindings, examples: int) -> None:
    """The property over generated requests. One function for this test and for the tools that run the
    fuzz outside pytest (`harness.runner.catalogue`): derandomized hypothesis draws its examples from the
    property's own code, so both meet the same requests."""

    @fuzz_settings(examples)
    @given(generated=chat_requests())
    def agree(generated: tuple[dict[str, Any], bool]) -> None:
        check_request(runner, findings, *generated)

    agree()
