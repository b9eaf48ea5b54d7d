"""`api_version` checks: its YAML type, its format, a model version pasted as an api-version, and
the `v1` family.

Reproduced on LiteLLM 1.108.7 against the emulator: an unquoted `api_version: 2024-10-21` is a YAML
date, the deployment fails validation and is dropped, and every request to the alias gets 400 "There
are no healthy deployments for this model"; `api-version=2024-10-21` or a model's version date
(`2024-05-13`) gets 400 "API version not supported"; an `api_base` ending in `/openai/v1` under
`azure/` with a dated version is called as `/openai/v1/openai/deployments/...` (404), while
`api_version: v1` (or `latest`, `preview`) moves the entry to `/openai/v1/` itself.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from harness.doctor.finding import Edit, Entry, Finding, azure_entries
from harness.paths.litellm_config import resolve_reference
from harness.paths.premises import served

SOURCES = {
    "api_version type": "https://github.com/stulzq/azure-openai-proxy/issues/52",
    "api_version format": "https://github.com/BerriAI/litellm/issues/9406",
    "api_version value": "https://github.com/BerriAI/litellm/issues/8572",
    "v1 family": "https://github.com/BerriAI/litellm/pull/19313",
    "retired": "https://learn.microsoft.com/azure/ai-services/openai/api-version-deprecation",
}
#: previews Azure retired on 2024-07-01 ("will stop accepting API requests"; the lifecycle page, SOURCES)
RETIRED_PREVIEWS = ("2023-03-15-preview", "2023-07-01-preview", "2023-08-01-preview", "2023-09-01-preview")
#: the dated api-versions Azure OpenAI has released without -preview (the data plane's GA versions)
GA_VERSIONS = ("2022-12-01", "2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21")
#: model versions the portal shows next to a deployment, which people paste as api_version
MODEL_VERSIONS = {
    "2024-04-09": "gpt-4-turbo",
    "2024-05-13": "gpt-4o",
    "2024-07-18": "gpt-4o-mini",
    "2024-08-06": "gpt-4o",
    "2024-09-12": "o1",
    "2024-11-20": "gpt-4o",
    "2024-12-17": "o1",
    "2025-01-31": "o3-mini",
    "2025-04-14": "gpt-4.1",
    "2025-04-16": "o3 / o4-mini",
    "2025-08-07": "gpt-5",
}
V1_ALIASES = ("v1", "latest", "preview")
DATED = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


def check_api_versions(config: Mapping[str, Any] | None, env: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    for entry in azure_entries(config):
        raw = entry.params.get("api_version")
        if isinstance(raw, datetime.date | int | float):
            out.append(_mistyped(entry, raw))
            continue
        value, _ = resolve_reference(raw, env)
        if isinstance(value, str) and value:
            literal = not str(raw).startswith("os.environ/")
            out += _format(entry, value, literal) or _value(entry, value)
        out += _v1(entry, value, env)
    return out


def _mistyped(entry: Entry, raw: Any) -> Finding:
    text = raw.isoformat() if isinstance(raw, datetime.date) else str(raw)
    return Finding(
        "fail",
        "api_version type",
        entry.where("api_version"),
        f"api_version {text} is unquoted, so YAML reads a {type(raw).__name__}, not a string: LiteLLM drops the "
        "deployment, and every request to the alias gets 400 'There are no healthy deployments for this model'",
        f'write api_version: "{text}" (quoted)',
        SOURCES["api_version type"],
        (Edit(entry.index, "api_version", text, quote=True),),
    )


def _format(entry: Entry, value: str, literal: bool) -> list[Finding]:
    cleaned = value.strip().strip("\"'").removeprefix("?").removeprefix("api-version=").strip()
    if DATED.match(value) or value in V1_ALIASES:
        return []
    mechanical = literal and (DATED.match(cleaned) or cleaned in V1_ALIASES)
    return [
        Finding(
            "fail",
            "api_version format",
            entry.where("api_version"),
            f"'{value}' is not an api-version (YYYY-MM-DD, YYYY-MM-DD-preview, or v1): it is sent as the api-version "
            "query value as-is, and Azure answers 400 'API version not supported'",
            f'write api_version: "{cleaned}"' if mechanical else 'use e.g. api_version: "2024-10-21"',
            SOURCES["api_version format"],
            (Edit(entry.index, "api_version", cleaned, quote=True),) if mechanical else (),
        )
    ]


def _value(entry: Entry, value: str) -> list[Finding]:
    if value in RETIRED_PREVIEWS:
        return [
            Finding(
                "warn",
                "api_version value",
                entry.where("api_version"),
                f"{value} was retired by Azure on 2024-07-01: every call with it gets 400 'API version not "
                "supported', on the direct path and through the proxy alike",
                f"use the GA {GA_VERSIONS[-1]} or a current -preview",
                SOURCES["retired"],
            )
        ]
    if value.endswith("-preview") and not served(value):
        return [
            Finding(
                "warn",
                "api_version value",
                entry.where("api_version"),
                f"{value} is a preview api-version the suite's emulated Azure does not serve (it answers 400 'API "
                "version not supported'): Azure retires previews, and whether yours still answers it is for a live "
                "run to say",
                f"prefer the GA {GA_VERSIONS[-1]} or a current -preview; check with pytest tests/contract --live",
                SOURCES["api_version value"],
            )
        ]
    if value.endswith("-preview") or value in V1_ALIASES or value in GA_VERSIONS:
        return []
    model = MODEL_VERSIONS.get(value)
    why = (
        f"{value} is {model}'s model version, not an api-version" if model else f"{value} is not a released api-version"
    )
    return [
        Finding(
            "fail",
            "api_version value",
            entry.where("api_version"),
            f"{why}: Azure answers 400 'API version not supported' (or 404 on older resources)",
            f"use a released api-version: {GA_VERSIONS[-1]} (GA), a -preview one, or v1",
            SOURCES["api_version value"],
        )
    ]


def _v1(entry: Entry, version: Any, env: Mapping[str, str]) -> list[Finding]:
    base, _ = resolve_reference(entry.params.get("api_base"), env)
    path = urlsplit(str(base or "")).path.rstrip("/")
    if not path.endswith("/openai/v1") or version in V1_ALIASES:
        return []
    root = str(base).rstrip("/").removesuffix("/openai/v1")
    return [
        Finding(
            "fail",
            "v1 family",
            entry.where("api_base"),
            f"api_base ends in /openai/v1 but api_version is {version or 'unset'}: azure/ then appends "
            "/openai/deployments/... to it (/openai/v1/openai/deployments/..., 404 Resource not found)",
            f"keep the resource root ({root}) as api_base and write api_version: v1 to use the v1 API",
            SOURCES["v1 family"],
        )
    ]
