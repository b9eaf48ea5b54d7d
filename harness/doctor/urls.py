"""`api_base` checks: its scheme, a path that does not belong in it, and the family of host it names.

The openai SDK builds `<api_base>/openai/deployments/<name>/...`, so `api_base` must be the resource
root. Reproduced on LiteLLM 1.108.7 against the emulator: no scheme, or a quoted value, gives a
relative URL and a 500 without reaching Azure; a trailing `/openai` is called as `/openai/openai/...`
(404 Resource not found); an `api_base` holding `/openai/deployments/<d>` is used as the client's base
URL, so `<d>` wins over the name after `azure/`. No network: only the text is read. Whether the host
resolves privately is the network check `private endpoint`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from harness.doctor.finding import Edit, Entry, Finding, azure_entries
from harness.paths.litellm_config import TOKEN_SOURCES, resolve_reference

SOURCES = {
    "api_base scheme": "https://github.com/openai/openai-python/pull/2166",
    "api_base path": "https://github.com/BerriAI/litellm/issues/9406",
    "api_base host": "https://github.com/BerriAI/litellm/issues/9266",
    "api_base host/privatelink": "https://www.azurefixes.com/blog/08-private-endpoints-ai",
    "api_base host/regional": "https://github.com/Azure/azure-sdk-for-net/issues/12789",
    "api_base host/apim": "https://github.com/openai/codex/issues/3048",
}
#: hosts that serve the Azure OpenAI data plane at <root>/openai/
AZURE_OPENAI_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com", ".openai.azure.us")


def is_azure_openai_host(host: str) -> bool:
    return host.endswith(AZURE_OPENAI_HOSTS) and ".privatelink." not in host


def resolved_base(entry: Entry, env: Mapping[str, str]) -> tuple[str, str, bool]:
    """(the api_base LiteLLM uses, the setting it comes from, whether it is written literally in the config).
    With none in the entry LiteLLM reads AZURE_API_BASE, then the SDK reads AZURE_OPENAI_ENDPOINT."""
    raw = entry.params.get("api_base")
    if raw:
        value, _ = resolve_reference(raw, env)
        return str(value or ""), entry.where("api_base"), not str(raw).startswith("os.environ/")
    for name in ("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"):
        if env.get(name):
            return env[name], name, False
    return "", entry.where("api_base"), False


def root_of(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return f"{parts.scheme}://{parts.netloc}"


def check_urls(config: Mapping[str, Any] | None, env: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    for entry in azure_entries(config):
        base, where, literal = resolved_base(entry, env)
        if not base or "${" in base or base[:1] in "\"'" or base != base.strip():
            continue  # env expansion, credential quotes and credential whitespace name those
        out += _scheme(entry, base, where, literal) + _path(entry, base, where, literal)
        out += _host(entry, base, where, env)
    return out


def _scheme(entry: Entry, base: str, where: str, literal: bool) -> list[Finding]:
    if base.startswith(("https://", "http://")):
        return []
    return [
        Finding(
            "fail",
            "api_base scheme",
            where,
            f"'{base}' has no https:// : the client takes it for a relative path, and the proxy answers 500 without "
            "reaching Azure",
            f"write https://{base.split('://')[-1]}",
            SOURCES["api_base scheme"],
            (Edit(entry.index, "api_base", root_of(base) if _extra_path(base) else f"https://{base}"),)
            if literal
            else (),
        )
    ]


def _extra_path(base: str) -> str:
    parts = urlsplit(base if "://" in base else f"https://{base}")
    return parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


def _path(entry: Entry, base: str, where: str, literal: bool) -> list[Finding]:
    parts = urlsplit(base if "://" in base else f"https://{base}")
    path, host = parts.path.rstrip("/"), parts.hostname or ""
    if not _extra_path(base) or path.endswith("/openai/v1") or (path.startswith("/models") and host):
        return []  # the v1 family and the api_base host checks name those
    if "/openai/deployments/" in f"{path}/":
        named = path.split("/openai/deployments/", 1)[1].split("/", 1)[0]
        cause = (
            f"api_base holds the deployment path: LiteLLM passes it to the client as its base URL, so requests go "
            f"to deployment '{named}' whatever 'model' says, and any /chat/completions or ?api-version in it is kept "
            "(Azure: 404 Resource not found)"
        )
    elif path == "/openai":
        cause = "api_base ends in /openai, and the client appends /openai again: 404 Resource not found"
    elif parts.query:
        cause = f"api_base carries a query ('?{parts.query}'): the client appends /openai/... after it; use api_version"
    elif is_azure_openai_host(host):
        cause = f"'{path}' after the resource root: the client appends /openai/deployments/... to it (404)"
    else:
        return []  # a gateway's own prefix (API Management, a loopback stand-in) is legitimate
    root = root_of(base)
    return [
        Finding(
            "fail",
            "api_base path",
            where,
            cause,
            f"api_base: {root} (the resource root); the deployment goes after azure/, the version in api_version",
            SOURCES["api_base path"],
            (Edit(entry.index, "api_base", root),) if literal else (),
        )
    ]


def _host(entry: Entry, base: str, where: str, env: Mapping[str, str]) -> list[Finding]:
    parts = urlsplit(base if "://" in base else f"https://{base}")
    host = parts.hostname or ""
    if ".privatelink." in host:
        return [
            Finding(
                "warn",
                "api_base host",
                where,
                "names the privatelink host: its TLS certificate is issued for <resource>.openai.azure.com, so "
                "verification fails (APIConnectionError)",
                "use https://<resource>.openai.azure.com and let the private DNS zone resolve it",
                SOURCES["api_base host/privatelink"],
            )
        ]
    if host.endswith(".models.ai.azure.com") or (
        host.endswith(".services.ai.azure.com") and parts.path.startswith("/models")
    ):
        return [
            Finding(
                "fail",
                "api_base host",
                where,
                "a Foundry models-inference endpoint behind azure/: azure/ calls <api_base>/openai/deployments/..., "
                "which that surface does not serve (404 Resource not found)",
                "for an OpenAI deployment use the resource root with azure/; for a catalogue model use azure_ai/",
                SOURCES["api_base host"],
            )
        ]
    token = [k for k in TOKEN_SOURCES if entry.params.get(k)]
    if host.endswith(".api.cognitive.microsoft.com") and (
        token or (not entry.params.get("api_key") and env.get("AZURE_TENANT_ID") and env.get("AZURE_CLIENT_SECRET"))
    ):
        return [
            Finding(
                "fail",
                "api_base host",
                where,
                "a regional endpoint with Entra auth: Entra tokens are accepted only on the resource's own subdomain "
                "(400 'Please provide a custom subdomain for token authentication')",
                "use https://<resource>.openai.azure.com, or keep the regional endpoint with api_key",
                SOURCES["api_base host/regional"],
            )
        ]
    if host.endswith(".azure-api.net"):
        return [
            Finding(
                "warn",
                "api_base host",
                where,
                "an API Management gateway: LiteLLM sends the key as the api-key header, and APIM answers 401 "
                "'missing ... subscription key' unless the API's subscription header is named api-key",
                "set the APIM API's subscription key header name to api-key (or check the gateway's policy)",
                SOURCES["api_base host/apim"],
            )
        ]
    return []
