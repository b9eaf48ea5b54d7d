"""Naming the cause of a failure from what came back: pure functions, no I/O.

The doctor and the live preflight call Azure (directly or through the proxy) and get an error
text. Azure's texts say enough to tell the causes apart: the "invalid subscription key" 401 means
a key was sent and is wrong (the seed's `${VAR}` sent literally is one); the "Access token is
missing, invalid, audience is incorrect" 401 means a bearer token was sent, which is what LiteLLM
does whenever it has a token source. Tokens are decoded here without verifying, to show their
audience, expiry and tenant. Nothing returned here contains a key, a token or a host.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

AUDIENCES = ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.com/")


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # bad-key | bearer | deployment | private | api-version | no-credential | alias | proxy-key | ...
    cause: str
    fix: str


def classify_azure_error(status: int | None, text: str) -> Diagnosis:
    """What an Azure (or LiteLLM-relayed) error says went wrong, in one line, with the fix."""
    lowered = text.lower()
    if "invalid subscription key" in lowered or "wrong api endpoint" in lowered:
        return Diagnosis(
            "bad-key",
            "a key was sent and Azure rejected it (401 'invalid subscription key')",
            "check the key's value; a `${VAR}` in the proxy config is sent literally: use os.environ/VAR",
        )
    if "audience is incorrect" in lowered or "access token is missing" in lowered:
        return Diagnosis(
            "bearer",
            "a bearer token was sent and Azure rejected it (401 'Access token is missing, invalid, audience is "
            "incorrect'): either the token is wrong or expired, or a key went out as a token",
            "send the key as api_key (remove azure_ad_token / tenant_id+client_id+client_secret / AZURE_AD_TOKEN), "
            "or get a token for https://cognitiveservices.azure.com",
        )
    if "public access is disabled" in lowered or ("private endpoint" in lowered and status == 403):
        return Diagnosis(
            "private",
            "the resource accepts only its private endpoint, and this call reached the public one (403)",
            "run from inside the virtual network, with the private DNS zone resolving the resource's host",
        )
    if "deploymentnotfound" in lowered or "deployment for this resource does not exist" in lowered:
        return Diagnosis(
            "deployment",
            "the deployment does not exist on this resource (404 DeploymentNotFound)",
            "use the deployment's name as the portal shows it, after azure/ (and remove deployment_id)",
        )
    if "operationnotsupported" in lowered or "does not work with the specified model" in lowered:
        return Diagnosis(
            "operation",
            "the deployment's model does not do this operation (400 OperationNotSupported): embeddings asked of "
            "a chat model, or chat of an embeddings model",
            "point the setting at a deployment of the right kind (a text-embedding-* model for embeddings)",
        )
    if "api version not supported" in lowered or ("api version" in lowered and status == 400):
        return Diagnosis(
            "api-version", "Azure does not support this api-version", "use api_version 2024-10-21 or later"
        )
    if "resource not found" in lowered:
        return Diagnosis(
            "api-version",
            "404 'Resource not found': no api-version, or a URL path that is not the OpenAI data plane",
            "give api_version, and the resource root (https://<resource>.openai.azure.com) as the base URL",
        )
    if "missing credentials" in lowered or "api_key client option must be set" in lowered:
        return Diagnosis(
            "no-credential",
            "no credential at all: neither a key nor a token source reached the client",
            "set api_key: os.environ/AZURE_OPENAI_API_KEY in the proxy config",
        )
    if "invalid model name" in lowered:
        return Diagnosis(
            "alias",
            "the proxy does not know this model name (400 'Invalid model name')",
            "use a model_name from the proxy's config as LITELLM_MODEL",
        )
    if "no connected db" in lowered or "invalid proxy server token" in lowered or "authentication error" in lowered:
        return Diagnosis(
            "proxy-key",
            "the proxy rejected its own key (LITELLM_API_KEY)",
            "use the proxy's master key or a virtual key it issued",
        )
    if "unrecognized request argument" in lowered and "stream_options" in lowered:
        return Diagnosis(
            "api-version",
            "LiteLLM adds stream_options, which this api-version predates",
            "use api_version 2024-09-01-preview or later in the proxy config",
        )
    if "mutually exclusive" in lowered:
        return Diagnosis(
            "both-credentials",
            "the proxy had both a key and a token source, and the openai client refused to send either (500)",
            "keep one credential per deployment",
        )
    if "apiconnectionerror" in lowered or "connection error" in lowered or "invalid url" in lowered:
        return Diagnosis(
            "upstream-connection",
            "the proxy could not connect to Azure at its api_base",
            "check api_base in the proxy config (os.environ/AZURE_OPENAI_API_BASE, the resource root URL)",
        )
    return Diagnosis("other", f"HTTP {status}: {first_line(text)[:160]}", "run with --json for the full answer")


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


@dataclass(frozen=True)
class TokenInfo:
    is_jwt: bool
    audience: str = ""
    expires_in_s: float | None = None
    tenant: str = ""

    @property
    def audience_ok(self) -> bool:
        return self.audience in AUDIENCES

    @property
    def expired(self) -> bool:
        return self.expires_in_s is not None and self.expires_in_s <= 0


def decode_token(token: str, now: float | None = None) -> TokenInfo:
    """The claims that matter, read without verifying the signature (we hold no key to verify with)."""
    try:
        claims: Mapping[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return TokenInfo(is_jwt=False)
    aud = claims.get("aud", "")
    exp = claims.get("exp")
    return TokenInfo(
        is_jwt=True,
        audience=str(aud[0] if isinstance(aud, list) and aud else aud),
        expires_in_s=(float(exp) - (now if now is not None else time.time())) if isinstance(exp, int | float) else None,
        tenant=str(claims.get("tid", "")),
    )


def address_kind(address: str) -> str:
    """loopback | private | public, for the private-endpoint check."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return "loopback"
    if ip.is_private:
        return "private"
    return "public"
