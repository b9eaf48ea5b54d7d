"""Secrets out of recordings: headers, query strings and JSON bodies, both directions, any case.

A name is sensitive when it is one of the known credential headers or contains key, token,
secret, password, auth, cookie or signature (matched without regard to case, as schemathesis
does). Its value becomes `<redacted>` but the name stays, so a cassette still shows *which* auth
scheme was used. Known secret values are also replaced wherever they appear, and the upstream's
real host becomes a placeholder. Every function is deterministic: vcrpy runs the request filter
again at match time, so a filtered request must filter to the same thing twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harness.replay.atomic import write_text_atomic

REDACTED = "<redacted>"
_SENSITIVE_EXACT = frozenset(
    {
        "api-key",
        "authorization",
        "cookie",
        "set-cookie",
        "ocp-apim-subscription-key",
        "x-api-key",
        "proxy-authorization",
        "x-ms-token",
        "sig",
        # not a credential, but it names the OpenAI organization behind a real resource (32 hex, like
        # a key): Azure's Responses API sends it on GET / DELETE (recorded 2025-08)
        "openai-organization",
    }
)
_SENSITIVE_PART = re.compile(r"key|token|secret|passw|auth|cookie|signature|credential", re.IGNORECASE)
# Names that contain a sensitive word but carry no secret (token *counts* are data, not credentials).
_NOT_SECRET = re.compile(
    r"^(x-ratelimit-(limit|remaining|reset)-tokens|(prompt|completion|total|reasoning|cached|audio|input|output|"
    r"text|image|video|accepted_prediction|rejected_prediction)_tokens(_details)?|max_tokens|max_completion_tokens|"
    r"max_output_tokens|cached_tokens_details|"
    r"top_logprobs|logprobs|tokens|token_count|x-ratelimit-remaining-tokens|x-ratelimit-limit-tokens)$",
    re.IGNORECASE,
)


_JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*")


def is_sensitive(name: str) -> bool:
    lowered = name.lower()
    if _NOT_SECRET.match(lowered):
        return False
    return lowered in _SENSITIVE_EXACT or bool(_SENSITIVE_PART.search(lowered))


def scrub_json(value: Any, *, in_logprobs: bool = False) -> Any:
    """Redact sensitive keys. Inside `logprobs` a key named `token` is model output, not a credential."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not in_logprobs and is_sensitive(str(k)) and v is not None:
                out[k] = REDACTED
            else:
                out[k] = scrub_json(v, in_logprobs=in_logprobs or k == "logprobs")
        return out
    if isinstance(value, list):
        return [scrub_json(v, in_logprobs=in_logprobs) for v in value]
    return value


@dataclass
class Scrubber:
    """Holds the secret values and host mappings of one run; applies them to text and structures."""

    secrets: set[str] = field(default_factory=set)
    hosts: dict[str, str] = field(default_factory=dict)  # real "scheme://host:port" -> placeholder
    paths: dict[str, str] = field(default_factory=dict)  # URL path fragments, e.g. a live deployment name
    #: a live deployment name -> the replayed one, where it is a whole value: a JSON body's top-level
    #: "model" and a header such as x-ms-deployment-name
    models: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_secrets(cls, values: Iterable[str]) -> Scrubber:
        scrubber = cls()
        scrubber.add_secrets(values)
        return scrubber

    def add_secrets(self, values: Iterable[str]) -> None:
        self.secrets.update(v for v in values if v and len(v) >= 6)

    def text(self, value: str) -> str:
        # a token the harness never held (LiteLLM fetched it with a service principal, live) is known by
        # its shape: a JWT's header and payload are base64url JSON, so both begin `eyJ`
        value = _JWT.sub(REDACTED, value)
        for secret in sorted(self.secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        for real, placeholder in sorted(self.hosts.items(), key=lambda kv: len(kv[0]), reverse=True):
            value = value.replace(real, placeholder)
        return value

    def url(self, url: str) -> str:
        url = self.text(url)
        parts = urlsplit(url)
        path = parts.path
        for real, placeholder in self.paths.items():
            path = path.replace(real, placeholder)
        parts = parts._replace(path=path)
        query = [(k, REDACTED if is_sensitive(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="<>/:"), parts.fragment))

    def headers(self, headers: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in headers.items():
            values = value if isinstance(value, list) else [value]
            if is_sensitive(name):
                cleaned = [REDACTED if v else v for v in values]  # an empty credential stays visibly empty
            else:
                cleaned = [self.models.get(v, self.text(v)) if isinstance(v, str) else v for v in values]
            out[name] = cleaned if isinstance(value, list) else cleaned[0]
        return out

    def body(self, body: bytes | str | None) -> bytes | str | None:
        """JSON bodies lose sensitive keys; SSE bodies are scrubbed event by event; all lose known secrets."""
        if body is None:
            return None
        raw = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
        cleaned = self._json_text(raw)
        if cleaned is None:
            cleaned = "".join(self._sse_line(line) for line in raw.splitlines(keepends=True))
        cleaned = self.text(cleaned)
        return cleaned.encode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else cleaned

    def _json_text(self, raw: str) -> str | None:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return None
        scrubbed = scrub_json(parsed)
        if isinstance(scrubbed, dict) and scrubbed.get("model") in self.models:
            scrubbed = {**scrubbed, "model": self.models[scrubbed["model"]]}
        if scrubbed == parsed:
            return raw  # keep the exact bytes when nothing sensitive was there
        return json.dumps(scrubbed, separators=(",", ":"), ensure_ascii=False)

    def _sse_line(self, line: str) -> str:
        if not line.startswith("data: "):
            return line
        ending = line[len(line.rstrip("\r\n")) :]
        cleaned = self._json_text(line[6 : len(line) - len(ending)])
        return line if cleaned is None else "data: " + cleaned + ending


def redact_file(path: Path, secrets: Iterable[str]) -> None:
    """Rewrite a log atomically with every known secret replaced; a missing file stays missing."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    cleaned = Scrubber.for_secrets(secrets).text(text)
    if cleaned != text:
        write_text_atomic(path, cleaned)
