"""Load `azure_facts.yaml` and refuse it loudly when it is malformed.

The corpus is data reviewed like code: a fact that cites a recording nobody can find, names a
request that does not exist or spells an assertion wrongly would otherwise hold the emulator to
nothing. So every field is checked here, once, and the first problem is one line that names the
fact and the field (`FactsError`), instead of a KeyError deep inside a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FACTS_FILE = Path(__file__).with_name("azure_facts.yaml")

#: assertion type -> what its argument must be (checked by `_check_argument`)
ASSERTION_TYPES = {
    "header_present": "names",
    "header_absent": "names",
    "header_equals": "header_map",
    "header_matches": "header_regexes",
    "keys": "names",
    "keys_ordered": "names",
    "keys_include": "names",
    "keys_exclude": "names",
    "equals": "any",
    "matches": "regex",
    "type": "type_name",
    "same": "refs",
    "distinct": "refs",
    "sum_of": "paths",
    "near_date_header": "seconds",
    "embeds_hex_time": "hex_time",
    "error_envelope": ("gateway", "openai", "token"),
    "raw_body_equals": "text",
    "raw_body_contains": "text",
    "sse_framing": ("data-only", "event-data"),
    "sse_terminator": ("[DONE]", "none"),
    "sse_sequence": ("contiguous",),
    "sse_order": "names",
    "sse_stable": "names",
}
#: keys an assertion may carry besides its one type key
MODIFIERS = ("at", "event", "slice")
TYPE_NAMES = ("string", "integer", "number", "boolean", "null", "object", "array")
#: named SSE events (chat streams); a Responses event type (`response.created`) also selects one
EVENT_SELECTORS = ("first", "role", "content", "tool_open", "tool_args", "finish", "usage", "last", "chunks", "all")
AUTH_KINDS = ("key", "bad-key", "bad-token", "none")
_PATH = re.compile(r"^(\$|(\*|[A-Za-z_][\w-]*)(\[(\d+|\*)\])*(\.(\*|[A-Za-z_][\w-]*)(\[(\d+|\*)\])*)*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class FactsError(ValueError):
    """The facts file cannot be used; the message names the fact (or section) and the field."""


@dataclass(frozen=True)
class Recording:
    """One source of facts: a recorded exchange (repo, path, commit) or an issue thread (url)."""

    key: str
    repo: str
    api_version: str
    recorded: str
    kind: str
    path: str | None = None
    commit: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class RequestTemplate:
    """A request a fact makes: route, api-version, deployment, body, credential, expected status."""

    name: str
    path: str
    status: int
    method: str = "POST"
    api_version: str | None = None
    deployment: str | None = None
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    auth: str = "key"
    after: str | None = None  # a template whose response `id` fills `{id}` in this path


@dataclass(frozen=True)
class Assertion:
    type: str
    argument: Any
    at: str = "$"
    event: str | None = None
    slice: tuple[int | None, int | None] | None = None


@dataclass(frozen=True)
class Fact:
    id: str
    kind: str
    what: str
    request: str
    sources: tuple[str, ...]
    assertions: tuple[Assertion, ...]
    varies: str | None = None
    emulator_picks: str | None = None
    #: a known gap: what the emulator does instead, and why it is not fixed (the test is a strict xfail)
    emulator_differs: str | None = None


@dataclass(frozen=True)
class Corpus:
    recordings: dict[str, Recording]
    requests: dict[str, RequestTemplate]
    facts: tuple[Fact, ...]


def _fail(where: str, field: str, problem: str) -> FactsError:
    return FactsError(f"{FACTS_FILE.name}: {where}: field {field!r}: {problem}")


def _text(raw: dict[str, Any], field: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, field, f"expected a non-empty string, got {value!r}")
    return value


def _unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise _fail(where, extra[0], f"unknown field; known fields: {', '.join(sorted(allowed))}")


def _recording(key: str, raw: Any) -> Recording:
    where = f"recording {key!r}"
    if not isinstance(raw, dict):
        raise _fail(where, key, "expected a mapping")
    _unknown(raw, {"repo", "path", "commit", "url", "api_version", "recorded", "kind"}, where)
    repo, api_version, recorded = (_text(raw, f, where) for f in ("repo", "api_version", "recorded"))
    if not _DATE.match(str(recorded)):
        raise _fail(where, "recorded", f"expected a date YYYY-MM-DD, got {recorded!r}")
    url = _text(raw, "url", where, required=False)
    path = _text(raw, "path", where, required=url is None)
    commit = _text(raw, "commit", where, required=url is None)
    if commit is not None and not _COMMIT.match(commit):
        raise _fail(where, "commit", f"expected 40 hex digits, got {commit!r}")
    if url is not None and not url.startswith("https://github.com/"):
        raise _fail(where, "url", f"expected a GitHub issue URL, got {url!r}")
    kind = _text(raw, "kind", where)
    return Recording(str(key), str(repo), str(api_version), str(recorded), str(kind), path, commit, url)


def _request(name: str, raw: Any) -> RequestTemplate:
    where = f"request {name!r}"
    if not isinstance(raw, dict):
        raise _fail(where, name, "expected a mapping")
    fields = {"doc", "method", "path", "api_version", "deployment", "body", "headers", "auth", "status", "after"}
    _unknown(raw, fields, where)
    _text(raw, "doc", where)
    path = str(_text(raw, "path", where))
    if not path.startswith("/openai/"):
        raise _fail(where, "path", f"expected a path under /openai/, got {path!r}")
    if "{deployment}" in path and not isinstance(raw.get("deployment"), str):
        raise _fail(where, "deployment", "the path names {deployment} but no deployment is given")
    status = raw.get("status")
    if type(status) is not int or not 100 <= status <= 599:
        raise _fail(where, "status", f"expected an HTTP status, got {status!r}")
    method = raw.get("method", "POST")
    if method not in ("POST", "GET", "DELETE"):
        raise _fail(where, "method", f"expected POST, GET or DELETE, got {method!r}")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise _fail(where, "headers", "expected a mapping of header names to strings")
    auth = raw.get("auth", "key")
    if auth not in AUTH_KINDS:
        raise _fail(where, "auth", f"expected one of {', '.join(AUTH_KINDS)}, got {auth!r}")
    if raw.get("body") is not None and not isinstance(raw["body"], dict):
        raise _fail(where, "body", "expected a mapping (the JSON body)")
    api_version = raw.get("api_version")
    if api_version is not None and not isinstance(api_version, str):
        raise _fail(where, "api_version", f"expected a string (quote dates), got {api_version!r}")
    return RequestTemplate(
        name=name,
        path=path,
        status=status,
        method=method,
        api_version=api_version,
        deployment=raw.get("deployment"),
        body=raw.get("body"),
        headers=tuple(headers.items()),
        auth=auth,
        after=_text(raw, "after", where, required=False),
    )


def _check_argument(kind: str, value: Any, where: str, field: str) -> None:
    spec = ASSERTION_TYPES[kind]
    bad = ""
    if isinstance(spec, tuple):
        bad = "" if value in spec else f"expected one of {', '.join(spec)}"
    elif spec in ("names", "paths"):
        ok = isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
        bad = "" if ok else "expected a non-empty list of strings"
        if not bad and spec == "paths":
            bad = next((f"bad path {p!r}" for p in value if not _PATH.match(p)), "")
    elif spec in ("header_map", "header_regexes"):
        ok = isinstance(value, dict) and bool(value) and all(isinstance(v, str) for v in value.values())
        bad = "" if ok else "expected a mapping of header names to strings"
        if not bad and spec == "header_regexes":
            bad = next((f"bad regex for {k}" for k, v in value.items() if not _compiles(v)), "")
    elif spec == "regex":
        bad = "" if isinstance(value, str) and _compiles(value) else "expected a valid regular expression"
    elif spec == "text":
        bad = "" if isinstance(value, str) else "expected a string"
    elif spec == "type_name":
        bad = "" if value in TYPE_NAMES else f"expected one of {', '.join(TYPE_NAMES)}"
    elif spec == "refs":
        ok = isinstance(value, list) and len(value) == 2 and all(_is_ref(v) for v in value)
        bad = "" if ok else "expected two references, each `header:<name>` or `body:<path>`"
    elif spec == "seconds":
        bad = "" if isinstance(value, int | float) and value > 0 else "expected a positive number of seconds"
    elif spec == "hex_time":
        ok = isinstance(value, dict) and set(value) == {"offset", "of"} and type(value["offset"]) is int
        bad = "" if ok and _PATH.match(str(value["of"])) else "expected {offset: <int>, of: <path>}"
    if bad:
        raise _fail(where, field, bad)


def _compiles(pattern: Any) -> bool:
    try:
        re.compile(pattern)
    except (re.error, TypeError):
        return False
    return True


def _is_ref(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    scope, _, rest = value.partition(":")
    return (scope == "header" and bool(rest)) or (scope == "body" and bool(_PATH.match(rest)))


def _assertion(raw: Any, where: str, index: int) -> Assertion:
    field = f"assert[{index}]"
    if not isinstance(raw, dict):
        raise _fail(where, field, "expected a mapping with one assertion type")
    types = [k for k in raw if k in ASSERTION_TYPES]
    if len(types) != 1:
        known = ", ".join(ASSERTION_TYPES)
        raise _fail(where, field, f"expected exactly one assertion type, got {sorted(raw)}; types: {known}")
    kind = types[0]
    _unknown(raw, {kind, *MODIFIERS}, f"{where}: {field}")
    _check_argument(kind, raw[kind], where, f"{field}.{kind}")
    at = raw.get("at", "$")
    if not isinstance(at, str) or not _PATH.match(at):
        raise _fail(where, f"{field}.at", f"expected a path like `choices[0].message`, got {at!r}")
    event = raw.get("event")
    if event is not None and (not isinstance(event, str) or (event not in EVENT_SELECTORS and "." not in event)):
        raise _fail(where, f"{field}.event", f"expected one of {', '.join(EVENT_SELECTORS)} or an event type")
    cut = raw.get("slice")
    if cut is not None:
        ok = isinstance(cut, list) and len(cut) == 2 and all(v is None or type(v) is int for v in cut)
        if not ok or kind not in ("same", "distinct"):
            raise _fail(where, f"{field}.slice", "expected [start, end] on a `same` or `distinct` assertion")
        cut = (cut[0], cut[1])
    return Assertion(kind, raw[kind], at, event, cut)


def _fact(raw: Any, index: int, corpus: Corpus, seen: set[str]) -> Fact:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise _fail(f"facts[{index}]", "id", "every fact needs a string id")
    where = f"fact {raw['id']!r}"
    if raw["id"] in seen:
        raise _fail(where, "id", "duplicate id")
    fields = {"id", "kind", "what", "request", "sources", "assert", "varies", "emulator_picks", "emulator_differs"}
    _unknown(raw, fields, where)
    kind, what, request = (_text(raw, f, where) for f in ("kind", "what", "request"))
    if request not in corpus.requests:
        raise _fail(where, "request", f"no request template named {request!r}")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise _fail(where, "sources", "expected a non-empty list of recording keys")
    missing = [s for s in sources if s not in corpus.recordings]
    if missing:
        raise _fail(where, "sources", f"no recording {missing[0]!r} in `recordings`")
    checks = raw.get("assert")
    if not isinstance(checks, list) or not checks:
        raise _fail(where, "assert", "expected a non-empty list of assertions")
    varies, picks, differs = (
        _text(raw, f, where, required=False) for f in ("varies", "emulator_picks", "emulator_differs")
    )
    if varies and not (picks or differs):
        raise _fail(where, "emulator_picks", "a fact that says Azure varies must say what the emulator picks")
    return Fact(
        id=raw["id"],
        kind=str(kind),
        what=str(what),
        request=str(request),
        sources=tuple(sources),
        assertions=tuple(_assertion(a, where, i) for i, a in enumerate(checks)),
        varies=varies,
        emulator_picks=picks,
        emulator_differs=differs,
    )


def load(path: Path = FACTS_FILE) -> Corpus:
    """The corpus in `path`, or `FactsError` naming the first malformed fact and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FactsError(f"{path.name}: cannot read: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict):
        raise FactsError(f"{path.name}: expected a mapping with recordings, requests and facts")
    _unknown(raw, {"recordings", "requests", "facts"}, "top level")
    for section in ("recordings", "requests"):
        if not isinstance(raw.get(section), dict) or not raw[section]:
            raise _fail("top level", section, "expected a non-empty mapping")
    recordings = {str(k): _recording(str(k), v) for k, v in raw["recordings"].items()}
    requests = {str(k): _request(str(k), v) for k, v in raw["requests"].items()}
    for template in requests.values():
        if template.after is not None and template.after not in requests:
            raise _fail(f"request {template.name!r}", "after", f"no request template named {template.after!r}")
    corpus = Corpus(recordings, requests, ())
    if not isinstance(raw.get("facts"), list) or not raw["facts"]:
        raise _fail("top level", "facts", "expected a non-empty list")
    seen: set[str] = set()
    facts = []
    for index, item in enumerate(raw["facts"]):
        fact = _fact(item, index, corpus, seen)
        seen.add(fact.id)
        facts.append(fact)
    return Corpus(recordings, requests, tuple(facts))
