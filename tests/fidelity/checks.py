"""Make a fact's request over raw HTTP and check its assertions against what came back.

Raw httpx, not an SDK: a client parses and forgives (drops keys, ignores framing, merges headers),
and the facts are about the bytes Azure sends. Each assertion failure is one line that says what was
expected, where, and what the emulator sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .facts import Assertion, Corpus, RequestTemplate

#: a valid-looking key the emulator never issued (the 401 facts)
BAD_KEY = "0" * 32
_SEGMENT = re.compile(r"\*|[A-Za-z_][\w-]*|\[(?:\d+|\*)\]")
_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
}


@dataclass(frozen=True)
class Event:
    """One SSE event: its `event:` name (if any), the raw block and the decoded `data:` payload."""

    block: str
    name: str | None
    data: str
    payload: Any


@dataclass(frozen=True)
class Observed:
    status: int
    headers: httpx.Headers
    raw: bytes
    body: Any
    events: tuple[Event, ...] | None


def perform(client: httpx.Client, base: str, api_key: str, corpus: Corpus, template: RequestTemplate) -> Observed:
    """Send the template's request (after the one it depends on) and read the whole answer."""
    path = template.path.replace("{deployment}", template.deployment or "")
    if template.after is not None:
        first = perform(client, base, api_key, corpus, corpus.requests[template.after])
        path = path.replace("{id}", str(first.body["id"]))
    headers = dict(template.headers)
    if template.auth == "key":
        headers["api-key"] = api_key
    elif template.auth == "bad-key":
        headers["api-key"] = BAD_KEY
    elif template.auth == "bad-token":
        headers["authorization"] = "Bearer not-a-token"
    params = {"api-version": template.api_version} if template.api_version is not None else {}
    response = client.request(
        template.method, base + path, params=params, headers=headers, json=template.body, timeout=10
    )
    observed = observe(response)
    assert observed.status == template.status, (
        f"request {template.name!r}: expected status {template.status}, got {observed.status}: {observed.raw[:300]!r}"
    )
    return observed


def observe(response: httpx.Response) -> Observed:
    raw = response.content
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return Observed(response.status_code, response.headers, raw, None, parse_sse(raw.decode("utf-8")))
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return Observed(response.status_code, response.headers, raw, body, None)


def parse_sse(text: str) -> tuple[Event, ...]:
    """Split on blank lines; keep each block verbatim so framing can be checked, not just content."""
    events = []
    for block in text.split("\n\n"):
        if not block:
            continue
        name = next((line[7:] for line in block.split("\n") if line.startswith("event: ")), None)
        data = "\n".join(line[6:] for line in block.split("\n") if line.startswith("data: "))
        try:
            payload = json.loads(data) if data and data != "[DONE]" else None
        except ValueError:
            payload = None
        events.append(Event(block, name, data, payload))
    return tuple(events)


def resolve(document: Any, path: str) -> list[Any]:
    """The values at `path` (`$`, `a.b[0]`, `[*]` every item, `*` every value). A wildcard drops
    branches that lack what follows it; an explicit step that is missing is an error."""
    if path == "$":
        return [document]
    values: list[tuple[Any, bool]] = [(document, False)]
    for step in _SEGMENT.findall(path):
        nxt: list[tuple[Any, bool]] = []
        for value, wild in values:
            if step in ("*", "[*]"):
                container = dict if step == "*" else list
                if not isinstance(value, container):
                    if wild:
                        continue
                    raise AssertionError(f"{path}: `{step}` applied to {_short(value)}")
                nxt += [(item, True) for item in (value.values() if isinstance(value, dict) else value)]
            elif step.startswith("["):
                index = int(step[1:-1])
                if isinstance(value, list) and index < len(value):
                    nxt.append((value[index], wild))
                elif not wild:
                    raise AssertionError(f"{path}: no item {index} in {_short(value)}")
            elif isinstance(value, dict) and step in value:
                nxt.append((value[step], wild))
            elif not wild:
                raise AssertionError(f"{path}: no key {step!r} in {_short(value)}")
        values = nxt
    if not values:
        raise AssertionError(f"{path}: matched nothing")
    return [v for v, _ in values]


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def select(observed: Observed, selector: str | None) -> list[Any]:
    """The documents an assertion looks at: the JSON body, or the SSE payloads the selector names."""
    if selector is None:
        if observed.events is not None:
            raise AssertionError("the answer is an SSE stream: name an `event`")
        return [observed.body]
    if observed.events is None:
        raise AssertionError(f"event {selector!r}: the answer is not an SSE stream")
    payloads = [e.payload for e in observed.events if e.payload is not None]
    if selector == "all":
        return payloads
    if selector == "chunks":
        return payloads[1:]
    if selector == "first":
        return payloads[:1]
    if selector == "last":
        return payloads[-1:]
    if "." in selector:
        found = [p for p in payloads if p.get("type") == selector]
    else:
        found = [p for p in payloads if _is(selector, p)]
    if not found:
        raise AssertionError(f"no {selector!r} event in the stream")
    return found[:1]


def _is(selector: str, payload: dict[str, Any]) -> bool:
    choices = payload.get("choices") or [{}]
    delta = choices[0].get("delta") or {}
    calls = delta.get("tool_calls") or [{}]
    return {
        "role": "role" in delta,
        "content": bool(delta.get("content")),
        "tool_open": "id" in calls[0],
        "tool_args": "tool_calls" in delta and "id" not in calls[0],
        "finish": bool(choices[0].get("finish_reason")),
        "usage": bool(payload.get("usage")),
    }[selector]


def _reference(observed: Observed, document: Any, ref: str) -> Any:
    scope, _, rest = ref.partition(":")
    if scope == "header":
        if rest not in observed.headers:
            raise AssertionError(f"{ref}: header absent")
        return observed.headers[rest]
    values = resolve(document, rest)
    if len(values) != 1:
        raise AssertionError(f"{ref}: expected one value, found {len(values)}")
    return values[0]


def check(assertion: Assertion, observed: Observed, deployment: str | None) -> None:
    """Raise AssertionError (one line) unless the answer satisfies `assertion`."""
    kind, arg = assertion.type, _substitute(assertion.argument, deployment)
    if kind.startswith(("header_", "raw_body_", "sse_")) or kind == "error_envelope":
        _check_whole(kind, arg, observed)
        return
    headers_only = kind in ("same", "distinct") and all(r.startswith("header:") for r in arg)
    documents = [observed.body] if headers_only else select(observed, assertion.event)
    for document in documents:
        if kind in ("same", "distinct"):
            a, b = (_reference(observed, document, r) for r in arg)
            if assertion.slice:
                a, b = (str(v)[assertion.slice[0] : assertion.slice[1]] for v in (a, b))
            if (a == b) != (kind == "same"):
                raise AssertionError(f"{kind}: {arg[0]}={a!r}, {arg[1]}={b!r}")
            continue
        for value in resolve(document, assertion.at):
            _check_value(kind, arg, value, assertion.at, document, observed)


def _substitute(value: Any, deployment: str | None) -> Any:
    """`{deployment}` in an expected string is the request's deployment (facts about echoes)."""
    if isinstance(value, str) and deployment:
        return value.replace("{deployment}", deployment)
    if isinstance(value, dict):
        return {k: _substitute(v, deployment) for k, v in value.items()}
    return value


def _check_value(kind: str, arg: Any, value: Any, at: str, document: Any, observed: Observed) -> None:
    where = f"at {at}"
    if kind in ("keys", "keys_ordered", "keys_include", "keys_exclude"):
        if not isinstance(value, dict):
            raise AssertionError(f"{kind} {where}: expected an object, got {_short(value)}")
        got = list(value)
        ok = {
            "keys": sorted(got) == sorted(arg),
            "keys_ordered": got == arg,
            "keys_include": set(arg) <= set(got),
            "keys_exclude": not set(arg) & set(got),
        }[kind]
        if not ok:
            raise AssertionError(f"{kind} {where}: expected {arg}, got {got}")
    elif kind == "equals":
        if value != arg or type(value) is not type(arg):
            raise AssertionError(f"equals {where}: expected {_short(arg)}, got {_short(value)}")
    elif kind == "matches":
        if isinstance(value, dict | list | bool) or value is None or not re.search(arg, str(value)):
            raise AssertionError(f"matches {where}: {_short(value)} does not match {arg!r}")
    elif kind == "type":
        expected = _TYPES[arg]
        if not isinstance(value, expected) or (arg in ("integer", "number") and isinstance(value, bool)):
            raise AssertionError(f"type {where}: expected {arg}, got {_short(value)}")
    elif kind == "sum_of":
        parts = [resolve(document, p)[0] for p in arg]
        if value != sum(parts):
            raise AssertionError(f"sum_of {where}: {value} != {' + '.join(map(str, parts))}")
    elif kind == "near_date_header":
        stamp = parsedate_to_datetime(observed.headers["date"]).timestamp()
        if not isinstance(value, int) or abs(value - stamp) > arg:
            raise AssertionError(f"near_date_header {where}: {value} vs Date {observed.headers['date']!r}")
    elif kind == "embeds_hex_time":
        stamp = resolve(document, arg["of"])[0]
        hexed = str(value)[arg["offset"] : arg["offset"] + 8]
        if hexed != format(stamp, "08x"):
            raise AssertionError(f"embeds_hex_time {where}: {value!r} has {hexed!r}, {arg['of']}={stamp:08x}")


def _check_whole(kind: str, arg: Any, observed: Observed) -> None:
    headers = observed.headers
    if kind == "header_present":
        missing = [n for n in arg if n not in headers]
        if missing:
            raise AssertionError(f"header_present: missing {missing}; sent {sorted(headers)}")
    elif kind == "header_absent":
        present = [f"{n}: {headers[n]}" for n in arg if n in headers]
        if present:
            raise AssertionError(f"header_absent: present {present}")
    elif kind in ("header_equals", "header_matches"):
        for name, expected in arg.items():
            got = headers.get(name)
            ok = got == expected if kind == "header_equals" else got is not None and re.search(expected, got)
            if not ok:
                raise AssertionError(f"{kind} {name}: expected {expected!r}, got {got!r}")
    elif kind in ("raw_body_equals", "raw_body_contains"):
        text = observed.raw.decode("utf-8", "replace")
        if (text != arg) if kind == "raw_body_equals" else (arg not in text):
            raise AssertionError(f"{kind}: expected {arg!r}, got {_short(text)}")
    elif kind == "error_envelope":
        _check_envelope(arg, observed.body)
    else:
        _check_sse(kind, arg, observed)


def _check_envelope(shape: str, body: Any) -> None:
    """Azure's three error envelopes: the gateway's `{code, message}` (code a string), the model
    service's `{message, type, param, code}` and the token 401's top-level `{statusCode, message}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if shape == "gateway":
        ok = list(body or {}) == ["error"] and isinstance(error, dict) and sorted(error) == ["code", "message"]
        ok = ok and isinstance(error["code"], str) and isinstance(error["message"], str)
    elif shape == "openai":
        ok = list(body or {}) == ["error"] and isinstance(error, dict)
        ok = ok and list(error)[:4] == ["message", "type", "param", "code"] and isinstance(error["message"], str)
    else:
        ok = isinstance(body, dict) and list(body) == ["statusCode", "message"] and type(body["statusCode"]) is int
    if not ok:
        raise AssertionError(f"error_envelope: not the {shape} envelope: {_short(body)}")


def _check_sse(kind: str, arg: Any, observed: Observed) -> None:
    if observed.events is None:
        raise AssertionError(f"{kind}: the answer is not an SSE stream")
    events = observed.events
    text = observed.raw.decode("utf-8")
    if kind == "sse_framing":
        if not text.endswith("\n\n"):
            raise AssertionError(f"sse_framing: the stream does not end with a blank line: {text[-40:]!r}")
        for event in events:
            lines = event.block.split("\n")
            if arg == "data-only":
                ok = len(lines) == 1 and lines[0].startswith("data: ")
            else:
                ok = len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: ")
                ok = ok and isinstance(event.payload, dict) and event.payload.get("type") == event.name
            if not ok:
                raise AssertionError(f"sse_framing {arg}: bad event block {event.block[:200]!r}")
    elif kind == "sse_terminator":
        last = events[-1].data if events else None
        if (last == "[DONE]") != (arg == "[DONE]"):
            raise AssertionError(f"sse_terminator: expected {arg}, the last event is {last[:80] if last else last!r}")
    elif kind == "sse_sequence":
        numbers = [e.payload.get("sequence_number") for e in events if isinstance(e.payload, dict)]
        if numbers != list(range(len(numbers))):
            raise AssertionError(f"sse_sequence: sequence numbers {numbers}")
    elif kind == "sse_order":
        types = " ".join(e.payload.get("type", "?") for e in events if isinstance(e.payload, dict)) + " "
        pattern = "".join(f"(?:{re.escape(t.rstrip('+'))} )" + ("+" if t.endswith("+") else "") for t in arg)
        if not re.fullmatch(pattern, types):
            raise AssertionError(f"sse_order: expected {arg}, got {types.split()}")
    elif kind == "sse_stable":
        chunks = [e.payload for e in events[1:] if isinstance(e.payload, dict)]
        for key in arg:
            seen = {json.dumps(c.get(key)) for c in chunks}
            if len(seen) != 1:
                raise AssertionError(f"sse_stable: {key!r} takes {len(seen)} values across chunks: {sorted(seen)[:3]}")
