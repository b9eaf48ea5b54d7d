"""Request validation with Azure's 400 answers: the message, `param` and `code` a client sees."""

from __future__ import annotations

from typing import Any

from harness.emulator import errors, versions
from harness.emulator.config import Deployment
from harness.emulator.wire import EmuResponse

_ROLES = {"system", "user", "assistant", "tool", "function", "developer"}


class Rejected(Exception):
    """Carries the error response; raised from deep in validation, caught once in the handler."""

    def __init__(self, response: EmuResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _reject(message: str, param: str | None, code: str | None = None) -> Rejected:
    return Rejected(errors.invalid_param(message, param, code))


def _number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    if name not in body or body[name] is None:
        return
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _reject(f"{value!r} is not of type 'number' - '{name}'", name, "invalid_type")
    if value < low:
        raise _reject(f"{value} is less than the minimum of {low:g} - '{name}'", name)
    if value > high:
        raise _reject(f"{value} is greater than the maximum of {high:g} - '{name}'", name)


def _positive_int(body: dict[str, Any], name: str, high: int | None = None) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _reject(f"{value!r} is not of type 'integer' - '{name}'", name, "invalid_type")
    if value < 1:
        raise _reject(f"{value} is less than the minimum of 1 - '{name}'", name, "integer_below_min_value")
    if high is not None and value > high:
        raise _reject(f"{value} is greater than the maximum of {high} - '{name}'", name)


def _messages(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    if messages is None:
        raise _reject("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
    if not isinstance(messages, list):
        raise _reject(f"{messages!r} is not of type 'array' - 'messages'", "messages", "invalid_type")
    if not messages:
        raise _reject("[] is too short - 'messages'", "messages", "empty_array")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            role = message.get("role") if isinstance(message, dict) else message
            raise _reject(
                f"Invalid value: {role!r}. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.",
                f"messages[{i}].role",
                "invalid_value",
            )
        if message["role"] == "tool" and not message.get("tool_call_id"):
            raise _reject("Missing parameter 'tool_call_id'.", f"messages[{i}].tool_call_id")


def _tools(body: dict[str, Any], deployment: Deployment) -> None:
    tools = body.get("tools")
    if tools is None:
        if body.get("tool_choice") not in (None, "none"):
            raise _reject(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                "tool_choice",
            )
        return
    if not deployment.tools:
        raise _reject(f"The deployment {deployment.name!r} does not support tools.", "tools")
    if not isinstance(tools, list) or not tools:
        raise _reject("[] is too short - 'tools'", "tools", "empty_array")
    names = []
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise _reject(
                f"Missing required parameter: 'tools[{i}].function.name'.",
                f"tools[{i}].function.name",
                "missing_required_parameter",
            )
        names.append(fn["name"])
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name not in names:
            raise _reject(
                f"Invalid value for 'tool_choice': no function named '{name}' was specified in the 'tools' parameter.",
                "tool_choice",
            )
    elif choice not in (None, "auto", "none", "required"):
        raise _reject(
            f"Invalid value: {choice!r}. Supported values are: 'none', 'auto', and 'required'.",
            "tool_choice",
            "invalid_value",
        )


def _response_format(body: dict[str, Any], deployment: Deployment, api_version: str) -> None:
    fmt = body.get("response_format")
    if fmt is None:
        return
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise _reject(
            f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object' and 'json_schema'.",
            "response_format.type",
            "invalid_value",
        )
    if kind == "json_schema":
        if not versions.has_feature(api_version, "json_schema"):
            raise _reject(
                "response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later",
                "response_format",
            )
        if not deployment.json_schema:
            raise _reject(
                f"Invalid parameter: 'response_format' of type 'json_schema' is not supported with "
                f"model {deployment.model}.",
                "response_format",
            )
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise _reject(
                "Missing required parameter: 'response_format.json_schema.name'.",
                "response_format.json_schema.name",
                "missing_required_parameter",
            )
    if kind == "json_object":
        text = " ".join(str(m.get("content", "")) for m in body["messages"] if isinstance(m, dict)).lower()
        if "json" not in text:
            raise _reject(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                "messages",
            )


def validate(body: Any, deployment: Deployment, api_version: str) -> dict[str, Any]:
    """Raise `Rejected` with Azure's answer for the first problem; return the body otherwise."""
    if not isinstance(body, dict):
        raise _reject(f"{body!r} is not of type 'object'", None, "invalid_type")
    for name in body:
        feature = versions.PARAM_FEATURE.get(name)
        unknown = name not in versions.KNOWN_PARAMS
        if unknown or (feature and body[name] is not None and not versions.has_feature(api_version, feature)):
            raise Rejected(errors.unrecognized_argument(name))
    _messages(body)
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _number(body, "presence_penalty", -2, 2)
    _number(body, "frequency_penalty", -2, 2)
    _positive_int(body, "n", 128)
    _positive_int(body, "max_tokens")
    _positive_int(body, "max_completion_tokens")
    stop = body.get("stop")
    if stop is not None and not isinstance(stop, str) and (not isinstance(stop, list) or len(stop) > 4):
        raise _reject(f"{stop!r} is not valid under any of the given schemas - 'stop'", "stop")
    if body.get("top_logprobs") is not None:
        if not body.get("logprobs"):
            raise _reject("logprobs must be set to true if top_logprobs is set.", "top_logprobs")
        _number(body, "top_logprobs", 0, 20)
    if body.get("logprobs") and not deployment.logprobs:
        raise _reject(f"logprobs is not supported with model {deployment.model}.", "logprobs")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise _reject("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
    _tools(body, deployment)
    _response_format(body, deployment, api_version)
    return body
