"""The disclosure lens (`harness.contract.disclosure`): what a path's answer tells its client, by
category, from observations built the way the paths build them."""

from __future__ import annotations

from harness.contract.disclosure import disclosure_of, header_category
from harness.contract.observe import SequenceObservation, observe_failure, observe_response


class _Exc(Exception):
    def __init__(self, message: str, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.status_code = 429
        self.body = {"error": {"message": message}}
        self.response = type("R", (), {"headers": headers})()


def test_proxy_headers_by_category_and_azures_own_are_not_counted() -> None:
    headers = {
        "x-litellm-model-api-base": "https://internal.example",
        "x-litellm-version": "1.108.7",
        "x-litellm-response-cost-margin-amount": "0.0",
        "x-litellm-brand-new": "1",
        "llm_provider-x-ms-region": "swedencentral",
        "apim-request-id": "abc",
        "x-litellm-key-spend": "",  # blanked by a callback: tells nothing
    }
    seen = disclosure_of(observe_response(200, {"usage": {"total_tokens": 3, "cost": 0.1}}, headers))
    assert seen.disclosed["headers"] == {
        "x-litellm-brand-new": "other",
        "x-litellm-model-api-base": "resource-host",
        "x-litellm-response-cost-margin-amount": "spend",
        "x-litellm-version": "versions",
    }
    assert seen.disclosed["body"] == {"usage.cost": "spend"}
    assert header_category("x-ms-region") is None and header_category("x-litellm-timing-llm-api-ms") == "timings"


def test_direct_azure_discloses_nothing() -> None:
    seen = disclosure_of(
        observe_response(200, {"usage": {"total_tokens": 3}}, {"apim-request-id": "a", "x-ms-region": "r"})
    )
    assert not seen.any and seen.tree() == {"kind": "disclosure", "disclosed": {"headers": {}, "body": {}, "error": {}}}


def test_router_text_and_deployment_ids_in_errors_are_told_apart_and_a_sequence_adds_up() -> None:
    relayed = observe_failure(
        _Exc("AzureException - bad\n\nLiteLLM: model group 'm' failed. No fallback was attempted.", {})
    )
    cooling = observe_failure(
        _Exc("No deployments available. cooldown_list=['" + "a" * 64 + "']", {"x-litellm-call-id": "c"})
    )
    assert disclosure_of(relayed).disclosed["error"] == {"router-text": "router-text"}
    both = disclosure_of(SequenceObservation(calls=(relayed, cooling)))
    assert both.disclosed["error"] == {"deployment-ids": "internal-ids", "router-text": "router-text"}
    assert both.disclosed["headers"] == {"x-litellm-call-id": "internal-ids"}
