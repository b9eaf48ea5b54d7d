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


def authenticate(headers: Mapping[str, str], config: EmulatorConfig) -> EmuResponse | None:
    """None when the caller is allowed, otherwise the 401 Azure sends for that credential."""
    key = headers.get("api-key")
    if key:  # an empty `api-key:` header counts as no key, as on Azure's gateway
        if any(hmac.compare_digest(key.encode(), k.encode()) for k in config.api_keys):
            return None
        return errors.invalid_key()
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        if tokens.verify_token(authorization[7:].strip(), config.signing_secret):
            return None
        return errors.bad_token()
    return errors.missing_credentials()
