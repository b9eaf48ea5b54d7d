"""Credential checks: where each deployment's key or token comes from, and what it looks like
once LiteLLM has it. No network; no value is ever printed, only its shape.

Each was reproduced on LiteLLM 1.108.7 against the emulator (or read in its source, where named):
- a secret written into the config works, which is why it stays there until it leaks; `--fix`
  moves it to an `os.environ/NAME` reference;
- a key whose variable ends in a newline never leaves the proxy: 500 "Forbidden control character
  detected in headers"; one with spaces, or quotes kept by `docker run --env-file`, is sent as-is
  and Azure answers 401 "invalid subscription key";
- an Entra token (a JWT) given as `api_key` goes out as the `api-key` header: the same 401;
- with no `api_key`, LiteLLM takes `AZURE_OPENAI_API_KEY` before `AZURE_API_KEY`, and a key from
  the environment silently wins over a service principal written in the config;
- `azure_scope` (else `AZURE_SCOPE`) decides the token's audience (`common_utils.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.doctor.finding import Edit, Entry, Finding, azure_entries, entries
from harness.paths.litellm_config import TOKEN_SOURCES, resolve_reference

SOURCES = {
    "secret in config": "https://github.com/BerriAI/litellm/issues/9406",
    "credential whitespace": "https://github.com/BerriAI/litellm/issues/27188",
    "credential quotes": "https://github.com/topoteretes/cognee/issues/1721",
    "key format": "https://github.com/sashabaranov/go-openai/issues/1059",
    "env key order": "https://github.com/TheR1D/shell_gpt/issues/516",
    "key shadows entra": "https://github.com/BerriAI/litellm/issues/13056",
    "azure scope": "https://learn.microsoft.com/en-us/answers/questions/5847093/getting-a-401-unauthorized-error-with-entra-id-but",
}
#: settings that hold a secret, and the variable `--fix` moves a literal one into
SECRET_VARS = {
    "api_key": "AZURE_OPENAI_API_KEY",
    "azure_ad_token": "AZURE_OPENAI_AD_TOKEN",
    "client_secret": "AZURE_CLIENT_SECRET",
    "azure_password": "AZURE_PASSWORD",
}
_CHECKED = ("api_key", "azure_ad_token", "client_secret", "api_base", "api_version")
_JWT = re.compile(r"^eyJ[\w-]*\.[\w-]+\.[\w-]*$")
SCOPE = "https://cognitiveservices.azure.com/.default"
#: Azure OpenAI resources take the first; Foundry project endpoints the second
_AUDIENCES = ("https://cognitiveservices.azure.com", "https://ai.azure.com")


def secret_shape(value: str) -> str:
    """What a secret looks like, never what it is."""
    if re.fullmatch(r"[0-9a-fA-F]{32}", value):
        return "an Azure key (32 hex characters)"
    if re.fullmatch(r"[A-Za-z0-9]{84}", value):
        return "an Azure key (84 characters)"
    if _JWT.match(value):
        return "a JWT"
    return f"a literal value ({len(value)} characters)"


def is_literal(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.startswith("os.environ/") and "${" not in value


def check_credentials(config: Mapping[str, Any] | None, env: Mapping[str, str]) -> list[Finding]:
    if config is None:
        return []
    out = check_secrets_in_config(config, env)
    for entry in azure_entries(config):
        out += _value_shapes(entry, env) + _implicit_key(entry, env) + _scope(entry, env)
    return out


def check_secrets_in_config(config: Mapping[str, Any], env: Mapping[str, str]) -> list[Finding]:
    """A literal secret in the file: replaced by `os.environ/NAME`; one name per distinct value."""
    names: dict[str, str] = {}  # secret value -> the variable it moves to (kept in memory only)

    def name_for(value: str, base: str) -> str:
        if value not in names:
            taken = set(names.values())
            candidates = (base if n == 1 else f"{base}_{n}" for n in range(1, 100))
            names[value] = next(c for c in candidates if c not in taken and env.get(c, value) == value)
        return names[value]

    out: list[Finding] = []
    found: list[tuple[int | None, str, str, str, str]] = []  # index, section, key, where, value
    for entry in entries(config):
        for key in SECRET_VARS:
            if is_literal(value := entry.params.get(key)):
                found.append((entry.index, "litellm_params", key, entry.where(key), str(value)))
    general = config.get("general_settings")
    if isinstance(general, dict) and is_literal(general.get("master_key")):
        found.append((None, "general_settings", "master_key", "general_settings.master_key", general["master_key"]))
    for index, section, key, where, value in found:
        name = name_for(value, SECRET_VARS.get(key, "LITELLM_MASTER_KEY"))
        out.append(
            Finding(
                "warn",
                "secret in config",
                where,
                f"{key} is {secret_shape(value)} written into the config file: it works, and it leaks with every "
                "copy of the file (git, tickets, support bundles); rotating it means editing the config",
                f"write {key}: os.environ/{name}, put the value in {name} in the proxy's environment, and rotate it",
                SOURCES["secret in config"],
                (Edit(index, key, f"os.environ/{name}", section=section, env_name=name),),
            )
        )
    return out


def _value_shapes(entry: Entry, env: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    for key in _CHECKED:
        raw = entry.params.get(key)
        value, _ = resolve_reference(raw, env)
        if not isinstance(value, str) or not value:
            continue
        origin = f"{raw} is" if isinstance(raw, str) and raw.startswith("os.environ/") else "the value is"
        if "\n" in value or "\r" in value:
            out.append(
                Finding(
                    "fail",
                    "credential whitespace",
                    entry.where(key),
                    f"{origin} followed by a line break: LiteLLM never strips it, and the request never leaves the "
                    "proxy (500 'Forbidden control character detected in headers')",
                    "store the value without the trailing newline (printf '%s', kubectl create secret --from-literal)",
                    SOURCES["credential whitespace"],
                )
            )
        elif value != value.strip():
            out.append(
                Finding(
                    "warn",
                    "credential whitespace",
                    entry.where(key),
                    f"{origin} padded with spaces: LiteLLM never strips them, and the client sends them with the "
                    f"{key}; a server that does not trim them answers 401 'invalid subscription key' for a key",
                    "store the value without surrounding spaces",
                    SOURCES["credential whitespace"],
                )
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            out.append(
                Finding(
                    "fail",
                    "credential quotes",
                    entry.where(key),
                    f"{origin} wrapped in {value[0]} quotes, which LiteLLM keeps (docker run --env-file does not strip "
                    "them): "
                    + (
                        "the proxy builds a relative URL and never reaches Azure (500)"
                        if key == "api_base"
                        else "Azure gets the quotes too (401 'invalid subscription key' for a key)"
                    ),
                    "remove the quotes in the env file (or use compose env_file / environment:, which strip them)",
                    SOURCES["credential quotes"],
                )
            )
        if key == "api_key" and _JWT.match(value.strip()):
            out.append(
                Finding(
                    "fail",
                    "key format",
                    entry.where(key),
                    f"{origin} a JWT (an Entra token), but api_key goes out as the api-key header: Azure answers 401 "
                    "'invalid subscription key'",
                    "give a token as azure_ad_token (or tenant_id/client_id/client_secret, which refresh), "
                    "and the resource's key as api_key",
                    SOURCES["key format"],
                )
            )
    return out


def _implicit_key(entry: Entry, env: Mapping[str, str]) -> list[Finding]:
    """No api_key: LiteLLM takes AZURE_OPENAI_API_KEY, else AZURE_API_KEY, before any token source."""
    key, _ = resolve_reference(entry.params.get("api_key"), env)
    if key:
        return []
    env_keys = [n for n in ("AZURE_OPENAI_API_KEY", "AZURE_API_KEY") if env.get(n)]
    principal = [k for k in ("tenant_id", "client_id", "client_secret") if entry.params.get(k)]
    if env_keys and len(principal) == 3:
        return [
            Finding(
                "fail",
                "key shadows entra",
                entry.where("tenant_id"),
                f"the entry is set up for a service principal, but {env_keys[0]} is set in the environment: with no "
                "api_key LiteLLM takes that key and never fetches an Entra token (a resource with key auth disabled "
                "answers 403 'AuthenticationTypeDisabled')",
                f"unset {' and '.join(env_keys)} in the proxy's environment, or give the entry an api_key on purpose",
                SOURCES["key shadows entra"],
            )
        ]
    tokens = [k for k in TOKEN_SOURCES if entry.params.get(k)]
    first, second = env.get("AZURE_OPENAI_API_KEY"), env.get("AZURE_API_KEY")
    if not tokens and first and second and first != second:
        return [
            Finding(
                "warn",
                "env key order",
                entry.where("api_key"),
                "no api_key: LiteLLM takes AZURE_OPENAI_API_KEY, which differs from AZURE_API_KEY (the name LiteLLM's "
                "docs use); a deployment on the other resource gets 401 'invalid subscription key'",
                "give the entry api_key: os.environ/<the variable holding its resource's key>",
                SOURCES["env key order"],
            )
        ]
    return []


def _scope(entry: Entry, env: Mapping[str, str]) -> list[Finding]:
    """LiteLLM asks Entra for `azure_scope`, else AZURE_SCOPE, else the Cognitive Services scope."""
    uses_entra = all(entry.params.get(k) or env.get(f"AZURE_{k.upper()}") for k in ("tenant_id", "client_id"))
    raw = entry.params.get("azure_scope")
    scope, _ = resolve_reference(raw, env)
    where = entry.where("azure_scope") if raw else "AZURE_SCOPE"
    scope = scope or env.get("AZURE_SCOPE")
    if not uses_entra or not scope or str(scope).removesuffix("/.default").rstrip("/") in _AUDIENCES:
        return []
    return [
        Finding(
            "fail",
            "azure scope",
            where,
            f"LiteLLM asks Entra for a token for '{scope}': Azure OpenAI accepts only audience "
            "https://cognitiveservices.azure.com and answers 401 'audience is incorrect'",
            f"remove it (LiteLLM's default is {SCOPE}), or set it to that",
            SOURCES["azure scope"],
        )
    ]
