"""Observations and comparison: masking, levels, typed mismatches, grammar diffs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.contract.compare import ContractFailure, Level, MissingField, TypeMismatch, ValueMismatch, diff
from harness.contract.observe import mask, number_ids, observe_response, observe_stream
from harness.contract.stream import chunk_kind, collapse

scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))
keys = st.sampled_from(["id", "created", "model", "content", "finish_reason", "usage", "choices", "role", "x"])
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=15,
)
observations = st.dictionaries(keys, trees, max_size=5).map(lambda d: {"kind": "response", **d})


@given(trees)
def test_masking_is_idempotent(tree: Any):
    assert mask(mask(tree)) == mask(tree)


def test_minted_ids_are_numbered_by_first_use_so_references_still_count():
    """Two paths' requests about stored responses: equal when they refer to the same responses the same
    way, whatever ids Azure minted; a request naming the wrong response still differs."""
    a, b, c = ("resp_" + d * 48 for d in "abc")
    direct = [{"body": {"input": "hi"}}, {"path": f"/openai/responses/{a}"}, {"body": {"previous_response_id": a}}]
    same = [{"body": {"input": "hi"}}, {"path": f"/openai/responses/{b}"}, {"body": {"previous_response_id": b}}]
    other = [{"body": {"input": "hi"}}, {"path": f"/openai/responses/{b}"}, {"body": {"previous_response_id": c}}]
    assert number_ids(direct) == number_ids(same)
    assert number_ids(direct)[1]["path"] == "/openai/responses/<resp#1>"
    assert number_ids(direct) != number_ids(other)
    assert number_ids({"id": "resp_short"}) == {"id": "resp_short"}  # only Azure's 48-hex form


def test_masking_keeps_presence_and_type():
    masked = mask(
        {
            "id": "chatcmpl-1",
            "created": 17,
            "choices": [{"message": {"tool_calls": [{"id": "call_x"}]}}],
            "system_fingerprint": None,
            "note": "request 123e4567-e89b-12d3-a456-426614174000 failed",
        }
    )
    assert masked["id"] == "<masked:str>" and masked["created"] == "<masked:int>"
    assert masked["system_fingerprint"] == "<masked:null>"
    assert masked["choices"][0]["message"]["tool_calls"][0]["id"] == "<masked:str>"
    assert masked["note"] == "request <uuid> failed"


@given(observations, st.sampled_from(list(Level)))
def test_an_observation_never_mismatches_itself(tree: dict[str, Any], level: Level):
    assert diff(tree, tree, level) == []


def _leaf_paths(tree: Any, prefix: str = "") -> list[tuple[str, list[Any]]]:
    out: list[tuple[str, list[Any]]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _leaf_paths(value, f"{prefix}.{key}" if prefix else key) or [
                (f"{prefix}.{key}" if prefix else key, [key])
            ]
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += _leaf_paths(value, f"{prefix}[{i}]")
    else:
        return [(prefix, [])]
    return out


def _set(tree: Any, path: str, value: Any) -> Any:
    import re

    parts = [p for p in re.split(r"\.|(\[\d+\])", path) if p]
    node = tree
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return tree


@given(observations, st.data())
def test_a_single_changed_field_is_reported_at_its_path(tree: dict[str, Any], data: st.DataObject):
    import copy

    leaves = [p for p, _ in _leaf_paths(tree) if p and p != "kind"]
    if not leaves:
        return
    path = data.draw(st.sampled_from(leaves))
    changed = _set(copy.deepcopy(tree), path, object())  # a value of a type no observation holds
    mismatches = diff(tree, changed, Level.EXACT)
    assert [m.path for m in mismatches] == [path]


def test_shape_ignores_values_but_not_types_finish_reason_or_status():
    direct = {"kind": "response", "status": 200, "body": {"content": "a", "n": 1, "finish_reason": "stop"}}
    same_shape = {"kind": "response", "status": 200, "body": {"content": "b", "n": 2, "finish_reason": "stop"}}
    assert diff(direct, same_shape, Level.SHAPE) == []
    assert [m.path for m in diff(direct, same_shape, Level.EXACT)] == ["body.content", "body.n"]
    retyped = {"kind": "response", "status": 201, "body": {"content": None, "n": 1, "finish_reason": "length"}}
    found = {(m.path, m.kind) for m in diff(direct, retyped, Level.SHAPE)}
    assert found == {("status", "value"), ("body.content", "type"), ("body.finish_reason", "value")}


def test_missing_extra_and_length():
    direct = {"kind": "response", "body": {"a": 1, "list": [1, 2]}}
    litellm = {"kind": "response", "body": {"b": 1, "list": [1]}}
    found = {(m.path, m.kind) for m in diff(direct, litellm, Level.SHAPE)}
    assert found == {("body.a", "missing"), ("body.b", "extra"), ("body.list", "length")}


def test_different_outcome_kinds_are_one_clear_mismatch():
    response = {"kind": "response", "status": 200, "body": {"x": 1}}
    error = {"kind": "error", "status": 401, "exception": "AuthenticationError", "error": {}}
    found = [(m.path, m.direct, m.litellm) for m in diff(response, error, Level.SHAPE)]
    assert found[:2] == [("kind", "response", "error"), ("status", 200, 401)]


def test_grammar_differences_are_named_steps():
    direct = {"kind": "stream", "grammar": ["prompt_filter", "role", "content+", "finish"]}
    litellm = {"kind": "stream", "grammar": ["role", "content+", "finish", "usage"]}
    found = {(m.path, m.kind) for m in diff(direct, litellm, Level.SHAPE)}
    assert found == {("grammar[prompt_filter]", "missing"), ("grammar[usage]", "extra")}


def test_contract_failure_reports_all_mismatches_typed():
    direct = {"kind": "response", "body": {"a": 1, "b": "x", "c": 1}}
    litellm = {"kind": "response", "body": {"a": "1", "b": "y"}}
    mismatches = diff(direct, litellm, Level.EXACT)
    failure = ContractFailure("chat/basic", Level.EXACT, mismatches)
    assert isinstance(failure, AssertionError)
    assert [type(e) for e in failure.errors] == [TypeMismatch, ValueMismatch, MissingField]
    text = str(failure)
    assert "3 distinct failure(s)" in text and "body.a: type mismatch" in text
    assert 'direct:  "x"' in text and 'litellm: "y"' in text and "litellm: (absent)" in text


def test_stream_grammar_and_assembly():
    chunks = [
        {"choices": [], "prompt_filter_results": [{}], "id": "", "created": 0},
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}], "id": "a", "model": "m"},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}], "id": "a", "model": "m"},
        {"choices": [{"index": 0, "delta": {"content": "lo"}}], "id": "a", "model": "m"},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "id": "a", "model": "m"},
        {"choices": [], "usage": {"total_tokens": 3}, "id": "a"},
    ]
    observed = observe_stream(200, chunks, {"apim-request-id": "x", "other": "y"})
    assert observed.grammar == ("prompt_filter", "role", "content+", "finish", "usage")
    assert observed.assembled["choices"] == [{"content": "Hello", "tool_calls": [], "finish_reason": "stop"}]
    assert observed.assembled["usage"] == {"total_tokens": 3}
    assert observed.headers == {"apim-request-id": "<present>"}
    assert observed.chunk_values["content"]["model"] == ["m"]
    assert [chunk_kind(c) for c in chunks] == ["prompt_filter", "role", "content", "content", "finish", "usage"]
    assert collapse(["a", "a", "b", "a"]) == ("a+", "b", "a")


@pytest.mark.parametrize("body", [{"id": "1", "choices": []}, {}])
def test_observe_response_masks(body):
    assert observe_response(200, body, {}).tree()["body"] == mask(body)
