"""What the real resource offers, asked once before a live run: the Responses API, Azure's
`/openai/v1/` API, and an embeddings deployment; and, for a staging proxy or the user's own config,
whether the proxy's aliases offer them.

A live run must never pass a case the resource cannot serve, and never fail one for it either: a
chat deployment named as the embeddings deployment, or a resource in a region without the Responses
API, makes those cases *not applicable* with Azure's own answer as the reason. So each API gets one
small direct call (a few tokens at most), and only the answers that mean "this resource or
deployment does not offer it" rule it out. Any other failure (a wrong key, a network problem)
rules nothing out: the cases run and fail, and the preflight and the doctor name the cause.

The proxy gets the same question for the aliases the user chose: a team whose `gpt-4o` entry is
pinned to an api-version that predates the Responses API cannot run those cases through it, and
is told which entry to change; that is not a finding about LiteLLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from harness.live.settings import LiveSettings
from harness.paths.matrix import V1_API_VERSIONS, setup_named

#: the answers that mean "not offered here" (status, a lower-cased text Azure's body contains)
#: (not a bare "unsupported": that is also how Azure refuses a parameter, which says nothing of the API)
_NOT_OFFERED = (
    (400, "operationnotsupported"),
    (400, "does not work with the specified model"),
    (400, "api version not supported"),
    (404, "not found"),
    (404, "invalid url"),  # /responses at an api-version that predates it
)


def not_offered(status: int, text: str) -> bool:
    """True when Azure's answer says the API or operation is not offered (not a credential, quota or
    network problem, and not a missing deployment, which is a settings error the doctor names)."""
    lowered = text.lower()
    if "deploymentnotfound" in lowered:
        return False
    return any(status == code and needle in lowered for code, needle in _NOT_OFFERED)


def _answer(response: httpx.Response) -> str:
    """Azure's error, as one short line: code and message, no host or key (Azure's texts have none)."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, Mapping) and (error.get("code") or error.get("message")):
        return f"{response.status_code} {error.get('code') or ''} {str(error.get('message') or '')[:120]}".strip()
    return f"{response.status_code} {response.text[:120]}".strip()


def _probes(live: LiveSettings) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(api, path, api-version, body, what is asked) for each API these settings can ask about."""
    chat = live.deployment
    probes = [
        (
            "responses",
            "/openai/responses",
            setup_named("responses").api_version,
            {"model": chat, "input": "ping", "max_output_tokens": 16},
            f"the Responses API (deployment '{chat}')",
        ),
        (
            "v1",
            "/openai/v1/chat/completions",
            "",
            {"model": chat, "messages": [{"role": "user", "content": "ping"}], "max_completion_tokens": 16},
            f"Azure's /openai/v1/ API (deployment '{chat}')",
        ),
    ]
    if live.embeddings_deployment:
        name = live.embeddings_deployment
        probes.append(
            (
                "embeddings",
                f"/openai/deployments/{name}/embeddings",
                live.api_version,
                {"input": "ping"},
                f"embeddings from AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT '{name}'",
            )
        )
    return probes


def settings_gaps(live: LiveSettings) -> dict[str, str]:
    """APIs the settings alone rule out: no embeddings deployment, or no proxy alias for it."""
    if not live.embeddings_deployment:
        return {
            "embeddings": "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT is not set: name an embeddings deployment of your "
            "resource (and LITELLM_EMBEDDINGS_MODEL, the proxy's alias for it) to run the embeddings cases live"
        }
    if live.embeddings_alias is None:
        return {
            "embeddings": "LITELLM_EMBEDDINGS_MODEL is not set: with a staging proxy or your own config, only you "
            "know the proxy's alias for AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT"
        }
    return {}


def probe_capabilities(
    live: LiveSettings, token: str | None = None, timeout_s: float = 20.0, transport: httpx.BaseTransport | None = None
) -> dict[str, str]:
    """Per API the resource does not offer, why: Azure's answer to one small call. Every call has a
    deadline; a timeout or another failure rules nothing out."""
    unavailable = settings_gaps(live)
    headers = {"Authorization": f"Bearer {token}"} if token else {"api-key": live.azure_key or ""}
    with httpx.Client(base_url=live.azure_base, headers=headers, timeout=timeout_s, transport=transport) as client:
        for api, path, version, body, asked in _probes(live):
            if api in unavailable:
                continue
            try:
                response = client.post(path, params={"api-version": version} if version else None, json=body)
            except httpx.HTTPError:
                continue
            if not_offered(response.status_code, response.text):
                unavailable[api] = f"this resource does not offer {asked}: Azure answered {_answer(response)}"
    return unavailable


#: the first api-version with the Responses API on the versioned path; older ones get Azure's 404
RESPONSES_SINCE = "2025-03-01"


def _entries(client: httpx.Client) -> list[Mapping[str, Any]] | None:
    """The proxy's `/model/info` (what it serves, with each entry's api_version; never its keys), or
    None when this key may not read it."""
    try:
        response = client.get("/model/info")
        data = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return [e for e in data if isinstance(e, Mapping)] if isinstance(data, list) else None


def _versions(entries: list[Mapping[str, Any]], alias: str) -> list[str]:
    """The api_version of each Azure entry behind `alias`."""
    return [
        str((e.get("litellm_params") or {}).get("api_version") or "")
        for e in entries
        if e.get("model_name") == alias and str((e.get("litellm_params") or {}).get("model", "")).startswith("azure/")
    ]


def _v1_gap(entries: list[Mapping[str, Any]] | None, alias: str) -> str | None:
    """Why the `v1` cases cannot compare through `alias`: its entries are not on Azure's v1 API. The
    direct client on `/openai/v1/` and the proxy on a dated api-version get different Azure answers
    (fields come and go with the api-version), so the comparison would be about Azure, not LiteLLM."""
    if entries is None:
        return (
            "the proxy's /model/info is not readable with this key: whether its alias is on Azure's v1 API is unknown"
        )
    versions = _versions(entries, alias)
    if versions and all(v in V1_API_VERSIONS for v in versions):
        return None
    return (
        f"the proxy's alias '{alias}' is at api_version {', '.join(sorted(set(versions))) or '(none)'}, not Azure's "
        "v1 API: the direct client on /openai/v1/ and the proxy would get different Azure answers. Add an entry "
        "with api_version: v1 and run with LITELLM_MODEL naming it to compare the v1 path"
    )


def _responses_gap(entries: list[Mapping[str, Any]], alias: str) -> str | None:
    """Why `alias` cannot serve the Responses API: every Azure entry behind it is at a dated
    api-version older than the API. Read from the config, not asked of Azure: a 404 through the
    proxy would put the alias in cooldown (ledger `cooldown-after-401-or-404`) and fail the cases after it."""
    versions = _versions(entries, alias)
    old = [v for v in versions if v[:4].isdigit() and v[:10] < RESPONSES_SINCE]
    if not versions or len(old) < len(versions):
        return None
    return (
        f"the proxy's alias '{alias}' is at api_version {old[0]}, which predates the Responses API "
        f"({RESPONSES_SINCE}-preview): through it a Responses call gets Azure's 404, and the alias cools down. "
        "Give its entry api_version 2025-04-01-preview or later (or `v1`) to run these cases live"
    )


def probe_proxy(
    proxy_url: str,
    proxy_key: str,
    models: Mapping[str, str],
    unavailable: Mapping[str, str],
    timeout_s: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    """Per API the proxy's aliases do not offer (where Azure itself does), why. `models` maps the live
    setups to aliases (`harness.live.run.live_proxy_models`). Responses and v1: the alias's api_version,
    from `/model/info`. Embeddings: one call (a 400 does not cool an alias down)."""
    out: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {proxy_key}"}
    with httpx.Client(base_url=proxy_url, headers=headers, timeout=timeout_s, transport=transport) as client:
        entries = _entries(client)
        wants_responses = "responses" not in unavailable and "responses" in models and entries is not None
        if wants_responses and (gap := _responses_gap(entries or [], models["responses"])):
            out["responses"] = gap
        if "v1" not in unavailable and "v1" in models and (gap := _v1_gap(entries, models["v1"])):
            out["v1"] = gap
        if "embeddings" not in unavailable and "embeddings" in models:
            alias = models["embeddings"]
            try:
                response = client.post("/v1/embeddings", json={"model": alias, "input": "ping"})
            except httpx.HTTPError:
                return out
            if not_offered(response.status_code, response.text):
                out["embeddings"] = (
                    f"the proxy's alias '{alias}' does not do embeddings (Azure does): it answered "
                    f"{_answer(response)}. Set LITELLM_EMBEDDINGS_MODEL to the proxy's alias for your embeddings "
                    "deployment"
                )
    return out
