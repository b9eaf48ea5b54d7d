"""Azure OpenAI data-plane api-versions, and the features that depend on them.

Azure gates request parameters and response fields on the api-version. An emulator that ignored
it would hide the most common proxy bug: LiteLLM sending a parameter that the configured
api-version does not accept (Azure answers "Unrecognized request argument supplied").
"""

from __future__ import annotations

SUPPORTED_API_VERSIONS: frozenset[str] = frozenset(
    {
        "2023-05-15",
        "2023-06-01-preview",
        "2023-12-01-preview",
        "2024-02-01",
        "2024-02-15-preview",
        "2024-03-01-preview",
        "2024-04-01-preview",
        "2024-05-01-preview",
        "2024-06-01",
        "2024-07-01-preview",
        "2024-08-01-preview",
        "2024-09-01-preview",
        "2024-10-01-preview",
        "2024-10-21",
        "2024-12-01-preview",
        "2025-01-01-preview",
        "2025-02-01-preview",
        "2025-03-01-preview",
        "2025-04-01-preview",
    }
)

#: The `/openai/v1/` route has no api-version; it behaves like the newest one.
V1_EQUIVALENT = "2025-04-01-preview"

#: The `api-version` values the v1 paths accept (the OpenAI.v1 REST spec: `v1`, the default, and
#: `preview`). A dated version there is refused like an unknown one.
V1_API_VERSIONS: frozenset[str] = frozenset({"v1", "preview"})

#: The first dated api-version that serves `/openai/responses`. Public reports show
#: 2025-03-01-preview answering there; older versions get the backend's "Invalid URL" 404.
RESPONSES_SINCE = "2025-03-01"

# Feature -> first api-version (by date) that has it.
_FEATURE_SINCE: dict[str, str] = {
    "tools": "2023-12-01",
    "response_format_json_object": "2023-12-01",
    "logprobs": "2023-12-01",
    "seed": "2023-12-01",
    "json_schema": "2024-08-01",
    "parallel_tool_calls": "2024-08-01",
    "stream_options": "2024-09-01",
    "max_completion_tokens": "2024-09-01",
    "usage_details": "2024-09-01",
    "protected_material": "2024-10-01",
    "refusal": "2024-08-01",
}
#: features of the previews the GA api-version of that time does not have: at 2024-10-21 a message is
#: just content and role and usage has no details (recorded: R1, R9, R12, R25, R28; R11 for streams)
_NOT_IN_GA: dict[str, frozenset[str]] = {
    "usage_details": frozenset({"2024-10-21"}),
    "refusal": frozenset({"2024-10-21"}),
}


def is_supported(api_version: str) -> bool:
    return api_version in SUPPORTED_API_VERSIONS


def v1_accepts(api_version: str | None) -> bool:
    """Whether a v1 path takes this `api-version` query value (absent counts as `v1`)."""
    return api_version is None or api_version in V1_API_VERSIONS


def serves_responses(api_version: str) -> bool:
    """Whether a (supported) dated api-version has the Responses API."""
    return api_version[:10] >= RESPONSES_SINCE


def has_feature(api_version: str, feature: str) -> bool:
    """Whether `api_version` (already validated) carries `feature`. Dates compare as strings."""
    if api_version in _NOT_IN_GA.get(feature, ()):
        return False
    return api_version[:10] >= _FEATURE_SINCE[feature]


# Request parameters and the feature that introduced them; parameters absent here are always known.
PARAM_FEATURE: dict[str, str] = {
    "tools": "tools",
    "tool_choice": "tools",
    "seed": "seed",
    "logprobs": "logprobs",
    "top_logprobs": "logprobs",
    "parallel_tool_calls": "parallel_tool_calls",
    "stream_options": "stream_options",
    "max_completion_tokens": "max_completion_tokens",
}

KNOWN_PARAMS: frozenset[str] = frozenset(
    {
        "messages",
        "model",
        "temperature",
        "top_p",
        "n",
        "stream",
        "stop",
        "max_tokens",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "user",
        "response_format",
        "functions",
        "function_call",
        "data_sources",
        "store",
        "metadata",
        "reasoning_effort",
        "prediction",
        "modalities",
        "audio",
        "service_tier",
        "user_security_context",
        *PARAM_FEATURE,
    }
)
