"""The fallback client falls back on a connection failure only: never on an HTTP answer, never on a
timeout. The contract case `errors/proxy-down-fallback` proves the fallback's answer equals direct
Azure's through the real proxy's path; here each rule is pinned against the emulator, whose
OpenAI-style `/openai/v1` route stands in for a reachable proxy."""

from __future__ import annotations

import logging

import openai
import pytest

from harness.emulator import RunningEmulator
from harness.paths.fallback import FallbackClient

MESSAGES = [{"role": "user", "content": "Hello there."}]


def make(
    azure: RunningEmulator, proxy_url: str, *, proxy_key: str | None = None, timeout: float = 10
) -> FallbackClient:
    proxy = openai.OpenAI(
        base_url=proxy_url,
        api_key="unused",
        default_headers={"api-key": proxy_key or azure.api_key},
        timeout=timeout,
        max_retries=0,
    )
    direct = openai.AzureOpenAI(
        azure_endpoint=azure.url, api_key=azure.api_key, api_version="2024-10-21", max_retries=0
    )
    return FallbackClient(proxy, direct, proxy_model="chat", direct_model="chat")


def routes(azure: RunningEmulator) -> list[str]:
    return [entry.route for entry in azure.emulator.journal]


def test_a_reachable_proxy_serves_and_direct_is_never_called(azure_emulator: RunningEmulator) -> None:
    client = make(azure_emulator, azure_emulator.url + "/openai/v1")
    completion = client.create(messages=MESSAGES)
    assert completion.choices[0].message.content and client.served == ["litellm"]
    assert routes(azure_emulator) == ["/openai/v1/chat/completions"]


def test_a_proxy_that_is_down_falls_back_to_direct_and_says_so(
    azure_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    client = make(azure_emulator, "http://127.0.0.1:9/v1")
    with caplog.at_level(logging.INFO, logger="harness.fallback"):
        completion = client.create(messages=MESSAGES)
    assert completion.choices[0].message.content and client.served == ["direct"]
    assert routes(azure_emulator) == ["/openai/deployments/chat/chat/completions"]
    assert "LiteLLM proxy unreachable (ConnectError): calling Azure directly" in caplog.text
    assert "served by direct" in caplog.text


def test_a_stream_falls_back_too(azure_emulator: RunningEmulator) -> None:
    client = make(azure_emulator, "http://127.0.0.1:9/v1")
    text = "".join(c.choices[0].delta.content or "" for c in client.create(messages=MESSAGES, stream=True) if c.choices)
    assert text and client.served == ["direct"]


@pytest.mark.parametrize(
    ("marker", "error"),
    [("", openai.AuthenticationError), ("[[fault:500]]", openai.InternalServerError)],
    ids=["401", "500"],
)
def test_an_http_answer_from_the_proxy_is_the_answer(
    azure_emulator: RunningEmulator, marker: str, error: type[Exception]
) -> None:
    key = "0" * 32 if not marker else None
    client = make(azure_emulator, azure_emulator.url + "/openai/v1", proxy_key=key)
    with pytest.raises(error):
        client.create(messages=[{"role": "user", "content": f"Hello {marker}"}])
    assert client.served == [] and "/openai/deployments/chat/chat/completions" not in routes(azure_emulator)


def test_a_timeout_is_not_retried_elsewhere(azure_emulator: RunningEmulator) -> None:
    client = make(azure_emulator, azure_emulator.url + "/openai/v1", timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        client.create(messages=[{"role": "user", "content": "Slow [[fault:delay=2]]"}])
    assert client.served == [] and "/openai/deployments/chat/chat/completions" not in routes(azure_emulator)
