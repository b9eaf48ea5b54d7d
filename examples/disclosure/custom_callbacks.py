"""A LiteLLM callback that stops the proxy telling its clients about the setup behind it.

LiteLLM 1.108.7 sends every client `x-litellm-*` headers: the Azure resource URL it called, the
deployment, internal ids, the key's spend, its own version, routing and timing figures. There is no
config flag to turn them off; a callback's `async_post_call_response_headers_hook` runs after the
proxy built them and its headers win, so an empty value removes what the header said. Register it in
the config with `litellm_settings: {callbacks: custom_callbacks.proxy_handler_instance}`, next to this
file. `tests/contract/test_disclosure.py` run on this config proves each header is blank.
"""

from __future__ import annotations

from litellm.integrations.custom_logger import CustomLogger

#: what a client has no business knowing; `x-litellm-call-id` stays (it helps support find a request)
BLANKED = (
    "x-litellm-model-api-base",
    "x-litellm-model-name",
    "x-litellm-model-id",
    "x-litellm-version",
    "x-litellm-key-spend",
    "x-litellm-key-max-budget",
    "x-litellm-key-tpm-limit",
    "x-litellm-key-rpm-limit",
    "x-litellm-response-cost",
    "x-litellm-response-cost-original",
    "x-litellm-response-cost-input",
    "x-litellm-response-cost-output",
    "x-litellm-response-cost-tool-usage",
    "x-litellm-response-cost-discount-amount",
    "x-litellm-response-cost-margin-amount",
    "x-litellm-response-cost-margin-percent",
    "x-litellm-model-group",
    "x-litellm-model-region",
    "x-litellm-attempted-retries",
    "x-litellm-attempted-fallbacks",
    "x-litellm-timeout",
    "x-litellm-response-duration-ms",
    "x-litellm-overhead-duration-ms",
    "x-litellm-callback-duration-ms",
)


class BlankProxyHeaders(CustomLogger):
    async def async_post_call_response_headers_hook(  # type: ignore[override]
        self, data, user_api_key_dict, response, request_headers=None, litellm_call_info=None
    ) -> dict[str, str]:
        return dict.fromkeys(BLANKED, "")


proxy_handler_instance = BlankProxyHeaders()
