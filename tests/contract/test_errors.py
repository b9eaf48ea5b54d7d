"""Contract: errors, as the application catches them.

What "the same behaviour" means here:
- the same SDK exception class (`BadRequestError`, `NotFoundError`, `RateLimitError`,
  `InternalServerError`, `APITimeoutError`, `APIConnectionError`) and the same HTTP status;
- at `exact`: the same error `code`, `type`, `param` and message;
- the Azure response headers an application reads (`retry-after`, `x-ratelimit-*`) present on both;
- what each path sent Azure, including **how many attempts** it made (the upstream requests are
  compared one by one, so proxy-side retries show up as extra requests).
Cases that differ by design (a misconfiguration only the proxy has, an unreachable proxy) assert
what each path must do on its own. Known, accepted differences are in `divergences.yaml`.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect

from .test_chat import LONG_PROMPT, user

CASES = [
    Case(
        "invalid-parameter",
        Scenario({"messages": user("Be creative."), "temperature": 5}),
        expect.all_of(expect.failure("BadRequestError", 400), expect.error_fields(param="temperature")),
    ),
    Case(
        "context-length-exceeded",
        Scenario({"messages": user(LONG_PROMPT), "max_tokens": 4000}, setup="small-context"),
        expect.failure("BadRequestError", 400),
        expect_path={"direct": expect.error_fields(code="context_length_exceeded", param="messages")},
    ),
    Case(
        "prompt-content-filter",
        Scenario({"messages": user("Something hateful [[fault:filter-prompt=hate]]")}, setup="faults"),
        expect.failure("BadRequestError", 400),
        expect_path={"direct": expect.error_fields(code="content_filter", param="prompt")},
    ),
    Case(
        "output-content-filter",
        Scenario({"messages": user("A violent story [[fault:filter-output=violence]]")}, setup="faults"),
        expect.finish_reason("content_filter"),
    ),
    Case(
        "unknown-deployment",
        Scenario({"messages": user("Anyone there?")}, setup="unknown-deployment"),
        expect.failure("NotFoundError", 404),
        expect_path={"direct": expect.error_fields(code="DeploymentNotFound")},
    ),
    Case(
        "unknown-model-alias",
        Scenario({"messages": user("Which model am I?")}, extra={"proxy_model": "no-such-alias"}),
        compare=False,
        expect_path={
            "direct": expect.succeeds(),
            "litellm": expect.all_of(
                expect.failure("BadRequestError", 400), expect.message_contains("Invalid model name")
            ),
        },
        doc="The application asks the proxy for a model name its config does not have: 400 'Invalid model "
        "name' from the proxy itself, where a wrong deployment directly is a 404. Azure is never called.",
    ),
    Case(
        "unsupported-api-version",
        Scenario({"messages": user("Hello from the past.")}, setup="unsupported-api-version"),
        expect.failure("BadRequestError", 400),
    ),
    Case(
        "missing-api-version",
        Scenario({"messages": user("Which version?")}, setup="missing-api-version"),
        compare=False,
        expect_path={"direct": expect.failure("NotFoundError", 404), "litellm": expect.succeeds()},
        doc="Directly, an empty api-version is Azure's 404 'Resource not found'. A proxy config without "
        "api_version is not an error: LiteLLM fills in its own default version.",
    ),
    Case(
        "old-api-version-streaming",
        Scenario({"messages": user("Stream, old version.")}, stream=True, setup="old-api-version"),
        compare=False,
        expect_path={
            "direct": expect.succeeds(),
            "litellm": expect.all_of(expect.failure("BadRequestError", 400), expect.message_contains("stream_options")),
        },
        doc="api-version 2024-06-01 streams fine directly; through the proxy, the stream_options LiteLLM "
        "adds (ledger: upstream-include-usage-added) makes Azure refuse it.",
    ),
    Case(
        "rate-limited-429",
        Scenario({"messages": user("Too many requests.")}, setup="fault-429"),
        expect.failure("RateLimitError", 429),
    ),
    Case(
        "server-error-500",
        Scenario({"messages": user("Break, please.")}, setup="fault-500"),
        expect.failure("InternalServerError", 500),
    ),
    Case(
        "server-error-503",
        Scenario({"messages": user("Unavailable, please.")}, setup="fault-503"),
        expect.failure("InternalServerError", 503),
    ),
    Case(
        "slow-upstream-timeout",
        Scenario({"messages": user("Take your time [[fault:delay=4]]")}, setup="faults", timeout_s=1.0),
        expect.failure("APITimeoutError", None),
        replayable=False,
        client_gives_up=True,
        doc="Azure takes 4 s to answer; both clients give up after 1 s. The proxy's request to Azure is compared "
        "too, and a proxy's first call of a run (imports, a service principal's token fetch) can take over a "
        "second to reach Azure: the litellm item waits until it has (`Case.client_gives_up`; LiteLLM goes on "
        "with a non-streaming call whose client has gone), so what is compared does not depend on the order "
        "the cases ran in.",
    ),
    Case(
        "connection-cut-mid-stream",
        Scenario(
            {
                "messages": user(
                    "Stream then break [[fault:chunk-delay=0.02]] [[fault:cut-stream=6]] [[fault:cut-delay=5]]"
                )
            },
            stream=True,
            setup="faults",
        ),
        expect.stream_broken(),
        replayable=False,
        doc="Azure drops the connection after 6 events, once the application has them (so the proxy has "
        "read and forwarded them: events still unread when the connection drops are lost to aiohttp, and "
        "which ones would depend on timing; the emulator waits for the harness's reader, at most 5 s, "
        "harness.emulator.drain); the application sees the stream break.",
    ),
    Case(
        "chat-of-an-embeddings-deployment",
        Scenario({"messages": user("An embeddings model cannot chat.")}, setup="embeddings"),
        expect.failure("BadRequestError", 400),
        doc="A chat completion asked of an embeddings deployment: Azure's 400 OperationNotSupported "
        "(the reverse of embeddings/embeddings-of-a-chat-deployment).",
    ),
    Case(
        "proxy-unreachable",
        Scenario({"messages": user("Is the proxy up?")}, extra={"proxy_url": "http://127.0.0.1:9"}),
        compare=False,
        replayable=False,
        expect_path={"direct": expect.succeeds(), "litellm": expect.failure("APIConnectionError", None)},
        doc="The seed's ECONNREFUSED: the proxy is not listening. Azure itself is fine directly.",
    ),
    Case(
        "proxy-down-fallback",
        Scenario(
            {"messages": user("Is the proxy up?")},
            extra={"proxy_url": "http://127.0.0.1:9", "served_by": "direct"},
        ),
        expect.succeeds(),
        replayable=False,
        via={"litellm": "fallback"},
        ledgered=False,
        doc="The fallback client (harness.paths.clients.FallbackClient) with the proxy down: it calls Azure "
        "directly, and the application sees exactly what the direct path sees, with no ledger.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_errors(case: Case, contract) -> None:
    contract.run(case)
