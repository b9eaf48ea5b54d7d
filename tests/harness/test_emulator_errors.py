"""Azure's error answers on the wire, and the SDK exception a user would catch for each."""

from __future__ import annotations

import openai
import pytest

from harness.emulator import errors

from .conftest import user


def test_unknown_deployment(raw, client):
    response = raw("/openai/deployments/nope/chat/completions", json={"messages": user("x")})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "DeploymentNotFound", "message": errors.DEPLOYMENT_NOT_FOUND}}
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=user("x"))


def test_missing_api_version(raw):
    response = raw(json={"messages": user("x")}, params={})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_unsupported_api_version(raw, make_client):
    response = raw(json={"messages": user("x")}, params={"api-version": "2019-01-01"})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "BadRequest", "message": "API version not supported"}}
    with pytest.raises(openai.BadRequestError):
        make_client(api_version="2019-01-01").chat.completions.create(model="chat", messages=user("x"))


def test_unknown_path_and_wrong_method(raw, azure_emulator):
    import httpx

    assert raw("/openai/deployments/chat/embeddingz", json={}).status_code == 404
    wrong = httpx.get(
        azure_emulator.url + "/openai/deployments/chat/chat/completions",
        params={"api-version": "2024-10-21"},
        headers={"api-key": azure_emulator.api_key},
    )
    assert wrong.status_code == 405


def test_context_length_exceeded(raw, client):
    long = "word " * 5000
    response = raw("/openai/deployments/small-context/chat/completions", json={"messages": user(long)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "messages"
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("This model's maximum context length is 4096 tokens. However, you requested")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="small-context", messages=user("hi"), max_tokens=5000)
    assert caught.value.code == "context_length_exceeded"


def test_prompt_filter_400_with_innererror(raw):
    response = raw(json={"messages": user("bad [[fault:filter-prompt=self_harm]]")})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"], error["status"]) == ("content_filter", "prompt", None, 400)
    inner = error["innererror"]
    assert inner["code"] == "ResponsibleAIPolicyViolation"
    assert inner["content_filter_result"]["self_harm"] == {"filtered": True, "severity": "high"}
    assert inner["content_filter_result"]["hate"] == {"filtered": False, "severity": "safe"}


def test_output_filter_non_stream(client):
    response = client.chat.completions.create(model="chat", messages=user("story [[fault:filter-output=sexual]]"))
    choice = response.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.model_extra["content_filter_results"]["sexual"] == {"filtered": True, "severity": "medium"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": user("x"), "temperature": 5}, "temperature"),
        ({"messages": []}, "messages"),
        ({"messages": user("x"), "n": 0}, "n"),
        ({"messages": user("x"), "top_logprobs": 2}, "top_logprobs"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": user("x"), "tool_choice": "required"}, "tool_choice"),
    ],
    ids=["temperature", "empty-messages", "n", "top-logprobs-alone", "role", "tool-choice-no-tools"],
)
def test_invalid_parameters(raw, body, param):
    response = raw(json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param


def test_invalid_parameter_sdk_class(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="chat", messages=user("x"), temperature=5)
    assert caught.value.param == "temperature"
    assert "5 is greater than the maximum of 2" in caught.value.message


def test_unknown_argument(raw):
    response = raw(json={"messages": user("x"), "frobnicate": 1})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unrecognized request argument supplied: frobnicate"


def test_malformed_json_wrong_content_type_and_huge_body(raw, azure_emulator):
    bad = raw(content=b'{"messages": [', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "could not parse the JSON body" in bad.json()["error"]["message"]
    wrong_type = raw(content=b"messages=x", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415 and wrong_type.json()["error"]["type"] == "invalid_request_error"
    huge = raw(content=b"x" * (azure_emulator.config.max_body_bytes + 1), headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "RequestEntityTooLarge"
    # still serving after all of that
    assert raw(json={"messages": user("alive?")}).status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(raw, client, status):
    response = raw(json={"messages": user(f"x [[fault:{status}]]")})
    assert response.status_code == status
    assert response.json()["error"]["type"] == "server_error"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="chat", messages=user(f"x [[fault:{status}]]"))
    via_deployment = raw(f"/openai/deployments/fault-{status}/chat/completions", json={"messages": user("x")})
    assert via_deployment.status_code == status


def test_forced_429_has_retry_headers(raw, client):
    response = raw(json={"messages": user("x [[fault:429]]")})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2" and response.headers["retry-after-ms"] == "2000"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    error = response.json()["error"]
    assert error["code"] == "429" and "Please retry after 2 seconds" in error["message"]
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="chat", messages=user("x [[fault:429]]"))


def test_rpm_quota_per_deployment(raw, azure_emulator):
    path = "/openai/deployments/tiny-quota/chat/completions"
    statuses = [raw(path, json={"messages": user("q")}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = raw(path, json={"messages": user("q")})
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert raw(json={"messages": user("other deployment")}).status_code == 200
    azure_emulator.emulator.reset()
    assert raw(path, json={"messages": user("q")}).status_code == 200


def test_delay_before_first_byte_times_out_the_client(make_client):
    slow = make_client(timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        slow.chat.completions.create(model="chat", messages=user("x [[fault:delay=1]]"))


def test_unknown_fault_marker_is_a_clear_400(raw):
    response = raw(json={"messages": user("x [[fault:explode]]")})
    assert response.status_code == 400
    assert "emulator: unknown fault 'explode'" in response.json()["error"]["message"]


def test_journal_counts_attempts(client, azure_emulator):
    retrying = client.with_options(max_retries=2)
    with pytest.raises(openai.InternalServerError):
        retrying.chat.completions.create(model="chat", messages=user("x [[fault:500]]"))
    statuses = [entry.status for entry in azure_emulator.emulator.journal]
    assert statuses == [500, 500, 500]
