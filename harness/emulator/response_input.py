"""A Responses API request: validated with the Responses API's 400s, then read as a chat request.

The emulated model answers chat-shaped requests (`completion.complete`); this module maps a
Responses body onto one (input items to messages, function tools, `text.format` to
`response_format`, `max_output_tokens`), so both APIs give the same deterministic answers.
Messages quoted from recordings: `Unknown parameter` (LiteLLM #28553 on Azure) and the moved
`messages` parameter; the others follow the same service's wording (chosen).
"""

from __future__ import annotations

from typing import Any

from harness.emulator import errors
from harness.emulator.validate import Rejected

KNOWN_PARAMS = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "text",
        "max_output_tokens",
        "temperature",
        "top_p",
        "store",
        "stream",
        "stream_options",
        "previous_response_id",
        "metadata",
        "user",
        "truncation",
        "reasoning",
        "include",
        "background",
        "service_tier",
        "top_logprobs",
        "max_tool_calls",
        "prompt_cache_key",
        "safety_identifier",
    }
)
MOVED = {"messages": "input", "response_format": "text.format"}
STREAM_OPTIONS = frozenset({"include_obfuscation"})
MIN_OUTPUT_TOKENS = 16
_ROLES = ("user", "system", "developer", "assistant")


def _bad(message: str, param: str | None, code: str | None = None) -> Rejected:
    return Rejected(errors.invalid_param(message, param, code))


def _type_name(value: Any) -> str:
    return {str: "a string", bool: "a boolean", dict: "an object", list: "an array"}.get(type(value), "a number")


def _number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(
            f"Invalid type for '{name}': expected a decimal, but got {_type_name(value)} instead.", name, "invalid_type"
        )
    if value < low:
        raise _bad(
            f"Invalid '{name}': decimal below minimum value. Expected a value >= {low:g}, but got {value} instead.",
            name,
            "decimal_below_min_value",
        )
    if value > high:
        raise _bad(
            f"Invalid '{name}': decimal above maximum value. Expected a value <= {high:g}, but got {value} instead.",
            name,
            "decimal_above_max_value",
        )


def _max_output_tokens(body: dict[str, Any]) -> None:
    value = body.get("max_output_tokens")
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(
            f"Invalid type for 'max_output_tokens': expected an integer, but got {_type_name(value)} instead.",
            "max_output_tokens",
            "invalid_type",
        )
    if value < MIN_OUTPUT_TOKENS:
        raise _bad(
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= {MIN_OUTPUT_TOKENS}, "
            f"but got {value} instead.",
            "max_output_tokens",
            "integer_below_min_value",
        )


def check_params(body: dict[str, Any]) -> None:
    """Names first (unknown, moved, `stream_options` keys), then values, as the service orders them."""
    for name in body:
        if name in MOVED:
            raise Rejected(errors.moved_parameter(name, MOVED[name]))
        if name not in KNOWN_PARAMS:
            raise Rejected(errors.unknown_parameter(name))
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise _bad(
                f"Invalid type for 'stream_options': expected an object, but got {_type_name(options)} instead.",
                "stream_options",
                "invalid_type",
            )
        for key in options:
            if key not in STREAM_OPTIONS:
                raise Rejected(errors.unknown_parameter(f"stream_options.{key}"))
    for name, kind in (("instructions", str), ("text", dict), ("metadata", dict), ("previous_response_id", str)):
        value = body.get(name)
        if value is not None and not isinstance(value, kind):
            expected = "a string" if kind is str else "an object"
            raise _bad(
                f"Invalid type for '{name}': expected {expected}, but got {_type_name(value)} instead.",
                name,
                "invalid_type",
            )
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _max_output_tokens(body)
    if body.get("background"):
        raise _bad("emulator: background responses are not emulated.", "background")


def _content_text(content: Any, param: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        return " ".join(str(p.get("text", "")) for p in content)
    raise _bad(f"Invalid type for '{param}': expected one of a string or array of input items.", param, "invalid_type")


def input_messages(value: Any, known_calls: set[str]) -> list[dict[str, Any]]:
    """The `input` as chat messages; `known_calls` (call ids of earlier turns) grows with this input."""
    if value is None:
        raise _bad("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise _bad(
            "Invalid type for 'input': expected one of a string or array of input items, but got "
            f"{_type_name(value)} instead.",
            "input",
            "invalid_type",
        )
    messages: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _bad(
                f"Invalid type for 'input[{i}]': expected an object, but got {_type_name(item)} instead.",
                f"input[{i}]",
                "invalid_type",
            )
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in _ROLES:
                raise _bad(
                    f"Invalid value: {role!r}. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
                    f"input[{i}].role",
                    "invalid_value",
                )
            messages.append({"role": role, "content": _content_text(item.get("content"), f"input[{i}].content")})
        elif kind == "function_call":
            for field in ("call_id", "name", "arguments"):
                if not isinstance(item.get(field), str):
                    raise _bad(
                        f"Missing required parameter: 'input[{i}].{field}'.",
                        f"input[{i}].{field}",
                        "missing_required_parameter",
                    )
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            known_calls.add(item["call_id"])
            previous = messages[-1] if messages else None
            if previous is not None and previous.get("tool_calls"):
                previous["tool_calls"].append(call)  # parallel calls: one assistant turn
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            if call_id not in known_calls:
                raise _bad(f"No tool call found for function call output with call_id {call_id}.", "input")
            output = item.get("output")
            messages.append(
                {"role": "tool", "tool_call_id": call_id, "content": _content_text(output, f"input[{i}].output")}
            )
        else:
            raise _bad(f"emulator: input items of type {kind!r} are not emulated.", f"input[{i}].type", "invalid_value")
    return messages


def chat_tools(body: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, Any]:
    """Function tools and `tool_choice` in chat shape; other tool types are refused (not emulated)."""
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if not tools:
        return None, None
    if not isinstance(tools, list):
        raise _bad("Invalid type for 'tools': expected an array of tools.", "tools", "invalid_type")
    chat: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            raise _bad(
                f"emulator: tools of type {kind!r} are not emulated; only 'function'.",
                f"tools[{i}].type",
                "invalid_value",
            )
        if not isinstance(tool.get("name"), str):
            raise _bad(
                f"Missing required parameter: 'tools[{i}].name'.", f"tools[{i}].name", "missing_required_parameter"
            )
        fn = {"name": tool["name"], "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
        chat.append({"type": "function", "function": fn})
    if isinstance(choice, dict):
        name = choice.get("name")
        if choice.get("type") != "function" or name not in {t["function"]["name"] for t in chat}:
            raise _bad(f"Tool choice 'function' with name {name!r} not found in 'tools' parameter.", "tool_choice")
        choice = {"type": "function", "function": {"name": name}}
    elif choice not in (None, "auto", "none", "required"):
        raise _bad(
            f"Invalid value: {choice!r}. Supported values are: 'none', 'auto', and 'required'.",
            "tool_choice",
            "invalid_value",
        )
    return chat, choice


def response_format(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """`text.format` as a chat `response_format` (json_schema reuses the chat schema generator)."""
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        said = " ".join(str(m.get("content") or "") for m in messages).lower()
        if "json" not in said:
            raise _bad(
                "Response input messages must contain the word 'json' in some form to use 'text.format' of type "
                "'json_object'.",
                "input",
            )
        return {"type": "json_object"}
    if kind == "json_schema":
        if not isinstance(fmt.get("name"), str):
            raise _bad(
                "Missing required parameter: 'text.format.name'.", "text.format.name", "missing_required_parameter"
            )
        schema = fmt.get("schema") if isinstance(fmt.get("schema"), dict) else {"type": "object"}
        return {"type": "json_schema", "json_schema": {"name": fmt["name"], "schema": schema}}
    raise _bad(
        f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object', and 'json_schema'.",
        "text.format.type",
        "invalid_value",
    )
