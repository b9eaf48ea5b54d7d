"""Entra ID bearer tokens, emulated: minting for tests and verification for the emulator.

Real Entra tokens are RS256 JWTs from login.microsoftonline.com. The emulator signs its own
(HS256, with a per-resource secret) because what matters on the wire is the claim checks Azure
applies: signature, audience `https://cognitiveservices.azure.com` (either spelling) and expiry.
"""

from __future__ import annotations

import time
import uuid
from enum import StrEnum

import jwt

AUDIENCE = "https://cognitiveservices.azure.com"
ACCEPTED_AUDIENCES = (AUDIENCE, AUDIENCE + "/")
WRONG_AUDIENCE = "https://management.azure.com/"


class TokenKind(StrEnum):
    """The token shapes the auth contract needs."""

    VALID = "valid"
    EXPIRED = "expired"
    WRONG_AUDIENCE = "wrong-audience"
    FOREIGN_SIGNATURE = "foreign-signature"


def mint_token(
    signing_secret: str,
    kind: TokenKind | str = TokenKind.VALID,
    *,
    tenant_id: str = "00000000-0000-4000-8000-00000000e0e0",
    lifetime_s: int = 3600,
    now: float | None = None,
) -> str:
    """Return a JWT shaped like an Entra access token for Cognitive Services."""
    kind = TokenKind(kind)
    issued = int(now if now is not None else time.time())
    if kind is TokenKind.EXPIRED:
        issued -= 2 * lifetime_s
    claims = {
        "aud": WRONG_AUDIENCE if kind is TokenKind.WRONG_AUDIENCE else AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime_s,
        "tid": tenant_id,
        "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, tenant_id)),
        "appid": "11111111-2222-4333-8444-555555555555",
        "scp": "",
        "ver": "1.0",
    }
    secret = "not-the-emulator-secret" * 2 if kind is TokenKind.FOREIGN_SIGNATURE else signing_secret
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "emulator"})


def verify_token(token: str, signing_secret: str, *, now: float | None = None) -> bool:
    """True when Azure would accept the token: our signature, right audience, within lifetime."""
    options = {"require": ["exp", "aud"]}
    try:
        if now is None:
            jwt.decode(token, signing_secret, algorithms=["HS256"], audience=list(ACCEPTED_AUDIENCES), options=options)
        else:
            claims = jwt.decode(
                token,
                signing_secret,
                algorithms=["HS256"],
                audience=list(ACCEPTED_AUDIENCES),
                options={**options, "verify_exp": False},
            )
            return bool(claims["exp"] > now)
    except jwt.PyJWTError:
        return False
    return True
