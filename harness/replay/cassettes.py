"""Cassettes: where they live, how they are matched, written and diagnosed.

Layout: `tests/cassettes/<area>/<case>/direct.yaml` (what the direct client exchanged with Azure)
and `litellm.yaml` (what the proxy exchanged with Azure), in vcrpy's format, read and written by
vcrpy's YAML serializer through `AtomicPersister` (vcrpy's persister interface, with atomic
writes and clear errors). Provenance lives in vcrpy's cassette `metadata`.

Matching (documented in the README): the HTTP method, the URL path, the `api-version` query
parameter, the JSON body normalized (parsed, keys sorted), and the auth scheme (which of
`api-key` / `authorization` was sent; values are never recorded).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import vcr
import yaml
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request
from vcr.serialize import deserialize, serialize

from harness.replay.atomic import write_text_atomic
from harness.replay.scrub import Scrubber

MATCH_ON = ("method", "path", "api_version", "json_body", "auth_scheme")
PLACEHOLDERS = {
    "public": "http://azure-resource.invalid",
    "private-endpoint": "http://azure-resource-private.invalid",
    "private-resource-public": "http://azure-private-resource.invalid",
}


class CassetteError(AssertionError):
    """A cassette that cannot be used as asked: missing, corrupt, mismatched or partly unused."""


class CassetteWriteError(CassetteError):
    """A recording that could not be written; the old cassette is intact."""


class ReplayMiss(CassetteError):
    """A replay that cannot serve what this run sends, with a typed record of why: the upgrade gate reads
    the record (a LiteLLM version that sends another request), never the message text.

    `record`: {"kind": "no-cassette" | "miss" | "unused" | "played-more", "cassette": str, "fields":
    [{"path", "recorded", "now"}], "requests": [{"method", "path", "api-version"}]}."""

    def __init__(self, message: str, record: dict[str, Any]) -> None:
        super().__init__(message)
        self.record = record


def case_dir(root: Path, area: str, case_id: str) -> Path:
    return root / area / case_id


def record_command(test_file: str, case_id: str) -> str:
    return f"pytest {test_file} -k '{case_id}' --upstream emulator --record"


# ------------------------------------------------------------------- persistence


class AtomicPersister:
    """vcrpy persister: atomic saves (temp file + rename) and loads that fail loudly, never silently."""

    @classmethod
    def load_cassette(cls, cassette_path: str | Path, serializer: Any) -> tuple[Any, ...]:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        try:
            text = path.read_text(encoding="utf-8")
            if not text.strip():
                raise ValueError("the file is empty")
            return tuple(deserialize(text, serializer))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, yaml.YAMLError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CassetteError(
                f"harness: cassette {path} is corrupt or truncated ({first}); re-record it "
                "(see the command in the README, 'Cassettes') or restore it from git"
            ) from None

    @staticmethod
    def save_cassette(cassette_path: str | Path, cassette_dict: Mapping[str, Any], serializer: Any) -> None:
        """Write atomically; a write that fails (a full disk, a read-only folder) leaves the old cassette
        as it was and says so in one line."""
        path = Path(cassette_path)
        try:
            write_text_atomic(path, serialize(dict(cassette_dict), serializer))
        except OSError as exc:
            raise CassetteWriteError(
                f"harness: cannot write cassette {path}: {exc.strerror or exc} (errno {exc.errno}); the previous "
                "recording is unchanged and no partial file is left. Free space (or make the folder writable), "
                "then record again"
            ) from None


# ------------------------------------------------------------------- matching


def _api_version(request: Request) -> str | None:
    values = parse_qs(urlsplit(request.uri).query).get("api-version")
    return values[0] if values else None


def normalized_body(request: Request) -> Any:
    body = request.body
    if body is None or body == b"":
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    try:
        return json.loads(text)
    except ValueError:
        return text


def auth_scheme(headers: Mapping[str, Any]) -> str:
    """`api-key`, `bearer` or `none`, by which credential header carries a value (as the emulator decides)."""
    present = {k.lower() for k, v in headers.items() if v not in ("", None, [], [""])}
    if "api-key" in present:
        return "api-key"
    if "authorization" in present:
        return "bearer"
    return "none"


def match_api_version(r1: Request, r2: Request) -> None:
    assert _api_version(r1) == _api_version(r2), f"api-version {_api_version(r1)} != {_api_version(r2)}"


def match_json_body(r1: Request, r2: Request) -> None:
    assert normalized_body(r1) == normalized_body(r2), "JSON bodies differ"


def match_auth_scheme(r1: Request, r2: Request) -> None:
    a, b = auth_scheme(r1.headers), auth_scheme(r2.headers)
    assert a == b, f"auth scheme {a} != {b}"


def _agrees(matcher: Any, a: Request, b: Request) -> bool:
    try:
        matcher(a, b)
    except AssertionError:
        return False
    return True


MATCHERS = {
    "method": vcr.matchers.method,
    "path": vcr.matchers.path,
    "api_version": match_api_version,
    "json_body": match_json_body,
    "auth_scheme": match_auth_scheme,
}


def matches(a: Request, b: Request) -> bool:
    """True when `a` and `b` agree on every matcher in MATCH_ON."""
    return all(_agrees(MATCHERS[m], a, b) for m in MATCH_ON)


# Request headers that only describe the transport or the SDK build: they change between runs and
# say nothing about what Azure was asked, so they are not recorded (re-recording diffs stay small).
_TRANSPORT_HEADERS = ("host", "connection", "content-length", "accept-encoding", "user-agent")


def _recordable(name: str) -> bool:
    lowered = name.lower()
    return lowered not in _TRANSPORT_HEADERS and not lowered.startswith("x-stainless-")


def request_filter(scrubber: Scrubber) -> Any:
    def before_request(request: Request) -> Request:
        headers = {k: v for k, v in dict(request.headers).items() if _recordable(k)}
        return Request(
            request.method, scrubber.url(request.uri), scrubber.body(request.body), scrubber.headers(headers)
        )

    return before_request


def response_filter(scrubber: Scrubber) -> Any:
    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        body = dict(response.get("body") or {})
        body["string"] = scrubber.body(body.get("string"))
        return {**response, "headers": scrubber.headers(response.get("headers") or {}), "body": body}

    return before_response


def make_vcr(scrubber: Scrubber) -> vcr.VCR:
    """A VCR that scrubs both directions before anything is stored or matched."""
    recorder = vcr.VCR(
        serializer="yaml",
        match_on=MATCH_ON,
        before_record_request=request_filter(scrubber),
        before_record_response=response_filter(scrubber),
        decode_compressed_response=True,
        record_on_exception=False,
    )
    recorder.register_persister(AtomicPersister)
    for name in ("api_version", "json_body", "auth_scheme"):
        recorder.register_matcher(name, MATCHERS[name])
    return recorder


def load_for_matching(path: Path, scrubber: Scrubber) -> Any:
    """A vcrpy Cassette read from `path` for replay-only matching (the upstream server's side)."""
    return vcr.cassette.Cassette.load(
        path=str(path),
        serializer=vcr.serializers.yamlserializer,
        persister=AtomicPersister,
        match_on=[MATCHERS[m] for m in MATCH_ON],
        record_mode="none",
        before_record_request=request_filter(scrubber),
    )


# ------------------------------------------------------------------- diagnosis


def request_line(request: Request) -> dict[str, Any]:
    """A request in a few words (no body): which call, where."""
    return {"method": request.method, "path": urlsplit(request.uri).path, "api-version": _api_version(request)}


def request_summary(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": urlsplit(request.uri).path,
        "api-version": _api_version(request),
        "auth": auth_scheme(request.headers),
        "body": normalized_body(request),
    }


_ABSENT = "(absent)"


def _field_changes(recorded: Any, actual: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in sorted(set(recorded) | set(actual), key=str):
            sub = f"{path}.{key}" if path else str(key)
            _field_changes(recorded.get(key, _ABSENT), actual.get(key, _ABSENT), sub, out)
    elif recorded != actual:
        out.append({"path": path, "recorded": recorded, "now": actual})


def field_changes(recorded: Request, actual: Request) -> list[dict[str, Any]]:
    """Field by field, as data: method, path, api-version, auth scheme (names only) and the JSON body."""
    out: list[dict[str, Any]] = []
    _field_changes(request_summary(recorded), request_summary(actual), "", out)
    return out


def _show(value: Any) -> str:
    return "absent" if value == _ABSENT else json.dumps(value)[:120]


def request_diff(recorded: Request, actual: Request) -> list[str]:
    """`field_changes` as the lines a miss's message shows."""
    out = []
    for change in field_changes(recorded, actual):
        if change["recorded"] == _ABSENT:
            out.append(f"{change['path']}: now {_show(change['now'])}, not in the recording")
        else:
            out.append(f"{change['path']}: recorded {_show(change['recorded'])}, now {_show(change['now'])}")
    return out


@dataclass(frozen=True)
class Miss:
    """A request that matched no recording, with the closest recorded one."""

    cassette: Path
    request: Request
    closest: Request | None

    def error(self, command: str, who: str) -> ReplayMiss:
        kind = "miss" if self.closest is None or field_changes(self.closest, self.request) else "played-more"
        fields = field_changes(self.closest, self.request) if self.closest is not None else []
        return ReplayMiss(
            self.message(command, who),
            {"kind": kind, "cassette": str(self.cassette), "fields": fields, "requests": [request_line(self.request)]},
        )

    def message(self, command: str, who: str) -> str:
        lines = [f"harness: {who} sent Azure a request that matches nothing in {self.cassette}"]
        if self.closest is None:
            lines.append("  the cassette holds no request for this route")
        elif not (differences := request_diff(self.closest, self.request)):
            lines.append(
                "  it equals a recorded request that was already played: the recording has it fewer times than "
                "it is now sent (LiteLLM retries where it did not, or calls Azure more often)"
            )
        else:
            lines.append("  closest recorded request differs in:")
            lines += [f"    {d}" for d in differences]
        lines.append(f"  if this change is expected, re-record: {command}")
        return "\n".join(lines)


def closest(requests: list[Request], request: Request) -> Request | None:
    """The recorded request sharing the most match criteria (ties: the first recorded)."""
    scored = [(sum(_agrees(MATCHERS[m], r, request) for m in MATCH_ON), -i, r) for i, r in enumerate(requests)]
    return max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None
