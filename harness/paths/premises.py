"""A case's premises about the Azure surface, held against the api-version a team's alias uses.

The cases are written for the harness's default api-version. In config mode every setup of the
alias takes the team's `api_version`, and an older one lacks features a case relies on: Azure itself
refuses `json_schema` before 2024-08-01-preview, `stream_options` before 2024-09-01-preview, the
Responses API before 2025-03-01-preview. Then the direct path's own expectation ("a completion")
is about the wrong surface. Such a case is still run and compared on both paths (what the proxy
does with a feature Azure refuses is exactly what the team must see), but the per-path
expectations that presuppose the feature are not asserted, and the run says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.contract.case import Case
from harness.emulator.versions import PARAM_FEATURE, V1_API_VERSIONS, has_feature, is_supported, serves_responses


def needed_features(params: Mapping[str, Any], api: str) -> list[str]:
    """The dated features a call's parameters need (`harness.emulator.versions` knows since when)."""
    features = [PARAM_FEATURE[k] for k in params if k in PARAM_FEATURE]
    fmt = params.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        features.append("json_schema")
    return list(dict.fromkeys(features)) + (["responses"] if api == "responses" else [])


def unmet_premise(case: Case, api_version: str) -> str:
    """Why Azure refuses what `case` needs at `api_version` (the setup's, in config mode), or ""."""
    if api_version in V1_API_VERSIONS or not api_version:
        return ""  # the v1 surface has every feature
    if not is_supported(api_version):
        return (
            f"api-version {api_version} is not one the emulated Azure resource serves (it answers 400 'API version "
            "not supported' on both paths), so the case's own expectations do not apply; it compares what each "
            "path then gets (`python -m harness doctor` warns about the version; run the suite --live to see what "
            "your resource answers)"
        )
    missing = [
        f for f in needed_features(case.scenario.params, case.scenario.api)
        if not (serves_responses(api_version) if f == "responses" else has_feature(api_version, f))
    ]  # fmt: skip
    if not missing:
        return ""
    return (
        f"api-version {api_version} has no {', '.join(missing)}: Azure refuses the call, so the case's own "
        "expectations do not apply; it compares what each path then gets"
    )


def served(api_version: str) -> bool:
    """Whether the emulated Azure resource serves this api-version (the doctor warns otherwise)."""
    return api_version in V1_API_VERSIONS or is_supported(api_version)
