"""Azure's credential checks: `api-key`, or an Entra ID bearer token, with Azure's two 401 shapes."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from harness.emulator import errors, tokens
from harness.emulator.config import EmulatorConfig
from harness.emulator.wire import EmuResponse


def scheme(headers: Mapping[str, str]) -> str:
    """Which credential the request carried: `api-key`, `bearer` or `none` (names only, no values)."""
    if headers.get("api-key"):
        return "api-key"
    if headers.get("authorization", "").lower().startswith("bearer "):
        return "bearer"
    return "none"


def _is_key(value: str, config: EmulatorConfig) -> bool:
    return any(hmac.compare_digest(value.encode(), k.encode()) for k in config.api_keys)


def authenticate(headers: Mapping[str, str], config: EmulatorConfig, *, v1: bool = False) -> EmuResponse | None:
    """None when the caller is allowed, otherwise the 401 Azure sends for that credential.

    On the v1 paths Azure also takes the api key as `Authorization: Bearer <key>`: that is how the
    plain `OpenAI(base_url=.../openai/v1/, api_key=...)` client (and LiteLLM's v1 mode) sends it. A
    bearer value that is neither a key nor a valid token gets the token 401 (chosen: no recording).
    """
    key = headers.get("api-key")
    if key:  # an empty `api-key:` header counts as no key, as on Azure's gateway
        if _is_key(key, config):
            return None
        return errors.invalid_key()
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        credential = authorization[7:].strip()
        if (v1 and _is_key(credential, config)) or tokens.verify_token(credential, config.signing_secret):
            return None
        return errors.bad_token()
    return errors.missing_credentials()
