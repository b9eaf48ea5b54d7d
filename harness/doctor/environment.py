"""Environment hygiene: variables LiteLLM or the openai SDK read without the config naming them,
and variables people set that neither reads. Checked on the proxy's environment (yours, plus what a
`.env` LiteLLM loads adds: `proxyenv`). No network.

Observed on LiteLLM 1.108.7 (openai 3.57.0) against the emulator, for an entry with no key:
- `AZURE_OPENAI_AD_TOKEN` is read by the SDK and sent as `Authorization: Bearer`; with a key (in the
  config, `AZURE_OPENAI_API_KEY` or `AZURE_API_KEY`) it is ignored;
- `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` (set for another Azure SDK) make
  LiteLLM fetch an Entra token for that service principal;
- `AZURE_AD_TOKEN` is *not* used (500 "Missing credentials"), and neither `AZURE_API_VERSION` nor
  `OPENAI_API_VERSION` changes an entry without api_version (2025-02-01-preview is sent), whatever
  older docs say;
- TLS trust is certifi unless `SSL_VERIFY` or `SSL_CERT_FILE` names an existing file
  (`http_handler.get_ssl_configuration`): `REQUESTS_CA_BUNDLE` is never read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.doctor.finding import Entry, Finding, azure_entries
from harness.paths.litellm_config import TOKEN_SOURCES, resolve_reference

SOURCES = {
    "env token": "https://github.com/BerriAI/litellm/issues/1502",
    "entra env": "https://github.com/BerriAI/litellm/blob/cb481e36b55c804148f9272671d1a1b36732f6e8/docs/my-website/docs/providers/azure/azure.md",
    "ignored env": "https://github.com/TheR1D/shell_gpt/issues/516",
    "tls trust": "https://github.com/BerriAI/litellm/issues/11591",
}
DEFAULT_API_VERSION = "2025-02-01-preview"  # LiteLLM 1.108.7's, sent for an entry without api_version


def _keyless(entry: Entry, env: Mapping[str, str]) -> bool:
    """No key reaches the client: none in the config, none in the variables LiteLLM falls back to."""
    key, _ = resolve_reference(entry.params.get("api_key"), env)
    return not key and not env.get("AZURE_OPENAI_API_KEY") and not env.get("AZURE_API_KEY")


def _from(name: str, origin: Mapping[str, Path]) -> str:
    return f"{name} (from {origin[name]})" if name in origin else name


def check_environment(
    config: Mapping[str, Any] | None, env: Mapping[str, str], origin: Mapping[str, Path] | None = None
) -> list[Finding]:
    origin = origin or {}
    azure = list(azure_entries(config))
    keyless = [e.name for e in azure if _keyless(e, env) and not any(e.params.get(k) for k in TOKEN_SOURCES)]
    out: list[Finding] = []
    if keyless and env.get("AZURE_OPENAI_AD_TOKEN"):
        out.append(
            Finding(
                "warn",
                "env token",
                _from("AZURE_OPENAI_AD_TOKEN", origin),
                f"{', '.join(keyless)} ha{'s' if len(keyless) == 1 else 've'} no key, so the openai SDK sends this "
                "variable as Authorization: Bearer (a token from `az account get-access-token` expires within the "
                "hour: then 401 'audience is incorrect ... or have expired')",
                "give the entries api_key: os.environ/AZURE_OPENAI_API_KEY, or a refreshing token source "
                "(tenant_id/client_id/client_secret); unset AZURE_OPENAI_AD_TOKEN",
                SOURCES["env token"],
            )
        )
    principal = all(env.get(n) for n in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"))
    if keyless and principal:
        out.append(
            Finding(
                "fail",
                "entra env",
                _from("AZURE_CLIENT_SECRET", origin),
                f"{', '.join(keyless)} get{'s' if len(keyless) == 1 else ''} no key, and AZURE_TENANT_ID, "
                "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are set: LiteLLM fetches an Entra token for that service "
                "principal and sends Authorization: Bearer (401 'PermissionDenied' unless it holds Cognitive Services "
                "OpenAI User on the resource)",
                "give the entries their api_key, or unset those variables if they belong to another Azure SDK",
                SOURCES["entra env"],
            )
        )
    out += _ignored(azure, keyless, env, origin)
    return out + _tls(env, origin)


def _ignored(
    azure: list[Entry], keyless: list[str], env: Mapping[str, str], origin: Mapping[str, Path]
) -> list[Finding]:
    unversioned = [e.name for e in azure if not e.params.get("api_version")]
    ignored: list[tuple[str, str]] = []
    for name in ("AZURE_API_VERSION", "OPENAI_API_VERSION"):
        if env.get(name) and unversioned:
            ignored.append(
                (
                    name,
                    f"the proxy does not apply it to {', '.join(unversioned)} (no api_version): they get "
                    f"{DEFAULT_API_VERSION}, not {env[name]}",
                )
            )
    if env.get("AZURE_AD_TOKEN") and keyless:
        ignored.append(
            ("AZURE_AD_TOKEN", f"the proxy does not send it: {', '.join(keyless)} get 500 'Missing credentials'")
        )
    for name in ("OPENAI_API_TYPE", "OPENAI_API_BASE", "OPENAI_BASE_URL"):
        if env.get(name) and azure and (name != "OPENAI_API_TYPE" or env[name].lower() == "azure"):
            ignored.append((name, "an openai<1.0-era Azure setting: azure/ entries never read it"))
    return [
        Finding(
            "warn",
            "ignored env",
            _from(name, origin),
            f"set, but LiteLLM 1.108.7 ignores it here: {why}",
            "write the setting into each entry (api_version, api_base, api_key with os.environ/ references)",
            SOURCES["ignored env"],
        )
        for name, why in ignored
    ]


def _tls(env: Mapping[str, str], origin: Mapping[str, Path]) -> list[Finding]:
    cert = env.get("SSL_CERT_FILE", "")
    verify = env.get("SSL_VERIFY", "")
    if cert and not os.path.exists(cert):
        return [
            Finding(
                "warn",
                "tls trust",
                _from("SSL_CERT_FILE", origin),
                f"{cert} does not exist: LiteLLM then trusts certifi's bundle alone, and a TLS-inspecting proxy's "
                "certificate fails (CERTIFICATE_VERIFY_FAILED)",
                "point SSL_CERT_FILE at a bundle holding your corporate root and the public roots",
                SOURCES["tls trust"],
            )
        ]
    bundle = next((n for n in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if env.get(n)), None)
    if bundle and not cert and not (verify and os.path.exists(verify)):
        return [
            Finding(
                "warn",
                "tls trust",
                _from(bundle, origin),
                f"LiteLLM never reads {bundle}: it trusts certifi's bundle unless SSL_CERT_FILE or SSL_VERIFY names a "
                "file, so a corporate root certificate there is not trusted (CERTIFICATE_VERIFY_FAILED)",
                f"set SSL_CERT_FILE to a bundle holding the corporate and the public roots (e.g. the {bundle} file, "
                "if it holds both)",
                SOURCES["tls trust"],
            )
        ]
    return []
