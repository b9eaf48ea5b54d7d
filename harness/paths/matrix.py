"""The deployment matrix: named upstream setups, defined once, rendered for both paths.

Each `Setup` is one way of pointing a client at Azure (a good key, a wrong key, an expired token,
the seed's literal `${AZURE_OPENAI_API_KEY}`, ...). From the same entry the harness renders
the direct client's keyword arguments and one `model_list` entry of the LiteLLM config, so a test
can ask for "the wrong-key setup" and get it on both paths.

Secrets never appear in the rendered config: they go in as `os.environ/HARNESS_…` references,
and the values travel only in the proxy process's environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from harness.paths.lanes import LanePlan
from harness.replay.upstream import Credentials

DEFAULT_API_VERSION = "2024-10-21"
#: the Responses API needs a 2025 preview on the versioned path
RESPONSES_API_VERSION = "2025-04-01-preview"
V1_API_VERSIONS = ("v1", "latest", "preview")


class Credential(StrEnum):
    """How a setup authenticates to Azure."""

    KEY = "key"
    WRONG_KEY = "wrong-key"
    NO_KEY = "no-key"
    TOKEN = "token"
    EXPIRED_TOKEN = "expired-token"
    WRONG_AUDIENCE_TOKEN = "wrong-audience-token"
    LITERAL_VAR = "literal-var"  # the seed: api_key: ${AZURE_OPENAI_API_KEY}, which LiteLLM never expands
    KEY_AS_BEARER = "key-as-bearer"  # the key handed over as a bearer token


@dataclass(frozen=True)
class Setup:
    name: str
    deployment: str = "chat"
    credential: Credential = Credential.KEY
    api_version: str = DEFAULT_API_VERSION
    endpoint: str = "public"  # a name in the upstream's endpoint map, e.g. "private-endpoint"

    @property
    def v1(self) -> bool:
        """Azure's GA `/openai/v1/` API (no dated api-version): LiteLLM switches to it for these values."""
        return self.api_version in V1_API_VERSIONS

    @property
    def env_prefix(self) -> str:
        return "HARNESS_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper())


SETUPS: tuple[Setup, ...] = (
    Setup("good-key"),
    Setup("wrong-key", credential=Credential.WRONG_KEY),
    Setup("no-key", credential=Credential.NO_KEY),
    Setup("entra-token", credential=Credential.TOKEN),
    Setup("expired-token", credential=Credential.EXPIRED_TOKEN),
    Setup("wrong-audience-token", credential=Credential.WRONG_AUDIENCE_TOKEN),
    Setup("seed-literal-var", credential=Credential.LITERAL_VAR),
    Setup("key-as-bearer", credential=Credential.KEY_AS_BEARER),
    Setup("unknown-deployment", deployment="no-such-deployment"),
    Setup("small-context", deployment="small-context"),
    Setup("fault-500", deployment="fault-500"),
    Setup("fault-503", deployment="fault-503"),
    Setup("fault-429", deployment="fault-429"),
    Setup("faults"),  # its own model group, so injected failures cannot cool down `good-key`
    Setup("old-api-version", api_version="2024-06-01"),
    Setup("unsupported-api-version", api_version="2019-01-01"),
    Setup("missing-api-version", api_version=""),
    Setup("private-endpoint", endpoint="private-endpoint"),
    Setup("private-resource-public-listener", endpoint="private-resource-public"),
    # embeddings deployments
    Setup("embeddings", deployment="embeddings"),
    Setup("embeddings-ada", deployment="ada"),
    Setup("embeddings-wrong-key", deployment="embeddings", credential=Credential.WRONG_KEY),
    Setup("embeddings-entra-token", deployment="embeddings", credential=Credential.TOKEN),
    # the Responses API, on the versioned path
    Setup("responses", api_version=RESPONSES_API_VERSION),
    Setup("responses-wrong-key", api_version=RESPONSES_API_VERSION, credential=Credential.WRONG_KEY),
    Setup("responses-unknown-deployment", deployment="no-such-deployment", api_version=RESPONSES_API_VERSION),
    # Azure's /openai/v1/ API: the direct client is openai.OpenAI(base_url=<resource>/openai/v1/)
    Setup("v1", api_version="v1"),
    Setup("v1-wrong-key", api_version="v1", credential=Credential.WRONG_KEY),
    Setup("v1-unknown-deployment", deployment="no-such-deployment", api_version="v1"),
    Setup("v1-embeddings", deployment="embeddings", api_version="v1"),
)


def setup_named(name: str, setups: tuple[Setup, ...] = SETUPS) -> Setup:
    for setup in setups:
        if setup.name == name:
            return setup
    raise KeyError(f"harness: no setup named {name!r}; known: {', '.join(s.name for s in setups)}")


def _secret(setup: Setup, creds: Credentials) -> tuple[str, str | None]:
    """(kind, value): kind is `api_key` or `azure_ad_token`; value None means 'send nothing'."""
    kind = setup.credential
    if kind in (Credential.KEY, Credential.LITERAL_VAR):
        return "api_key", creds.api_key
    if kind is Credential.WRONG_KEY:
        return "api_key", "0" * len(creds.api_key)
    if kind is Credential.NO_KEY:
        return "api_key", None
    if kind is Credential.KEY_AS_BEARER:
        return "azure_ad_token", creds.api_key
    token_kind = {
        Credential.TOKEN: "valid",
        Credential.EXPIRED_TOKEN: "expired",
        Credential.WRONG_AUDIENCE_TOKEN: "wrong-audience",
    }[kind]
    return "azure_ad_token", creds.mint_token(token_kind)


def direct_kwargs(setup: Setup, creds: Credentials, endpoint: str) -> dict[str, Any]:
    """Keyword arguments for `openai.AzureOpenAI` on the direct path (for a v1 setup, `openai.OpenAI`
    on `<resource>/openai/v1/`, the client Azure documents for it, which sends the credential as a bearer).

    The seed's `${VAR}` only breaks the proxy: the application itself reads the variable, so the
    direct twin uses the real key.
    """
    kind, value = _secret(setup, creds)
    if setup.v1:
        return {"base_url": endpoint.rstrip("/") + "/openai/v1/", "api_key": value or ""}
    kwargs: dict[str, Any] = {"azure_endpoint": endpoint, "api_version": setup.api_version}
    if value is None:
        # The SDK refuses to build a client without a credential; an empty key sends `api-key: `.
        kwargs["api_key"] = ""
    else:
        kwargs[kind] = value
    return kwargs


def litellm_entry(setup: Setup, creds: Credentials, api_base: str) -> tuple[dict[str, Any], dict[str, str]]:
    """One `model_list` entry and the environment variables its `os.environ/` references need."""
    kind, value = _secret(setup, creds)
    params: dict[str, Any] = {"model": f"azure/{setup.deployment}", "api_base": api_base}
    if setup.api_version:  # an empty one stands for a config that leaves it out
        params["api_version"] = setup.api_version
    env: dict[str, str] = {}
    if setup.credential is Credential.LITERAL_VAR:
        params["api_key"] = "${AZURE_OPENAI_API_KEY}"
    elif value is not None:
        var = f"{setup.env_prefix}_{kind.upper()}"
        params[kind] = f"os.environ/{var}"
        env[var] = value
    else:
        # An explicit empty key: left unset, LiteLLM would fall back to AZURE_API_KEY from its env.
        params["api_key"] = ""
    return {"model_name": setup.name, "litellm_params": params}, env


def endpoint_for(setup: Setup, endpoints: Mapping[str, str]) -> str:
    try:
        return endpoints[setup.endpoint]
    except KeyError:
        raise KeyError(
            f"harness: setup {setup.name!r} needs endpoint {setup.endpoint!r}; the upstream offers "
            f"{', '.join(endpoints)}"
        ) from None


def render_proxy_config(
    setups: tuple[Setup, ...], creds: Credentials, endpoints: Mapping[str, str], lanes: LanePlan | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The whole LiteLLM config (no secrets in it) and the environment that carries the secrets.

    With `lanes`, the model list holds one entry per lane (each test item's own model group)
    instead of one per setup."""
    model_list: list[dict[str, Any]] = []
    env: dict[str, str] = {}
    for setup in setups:
        entry, entry_env = litellm_entry(setup, creds, endpoint_for(setup, endpoints))
        model_list.append(entry)
        env.update(entry_env)
    if lanes is not None:
        model_list = lanes.entries({entry["model_name"]: entry for entry in model_list})
    config = {
        "model_list": model_list,
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }
    return config, env
