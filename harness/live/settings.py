"""Live-mode settings: the real Azure resource and the staging proxy, from env, `.env` and options.

The variable names are the ones teams already use (see `.env.example`). Precedence: a command-line
option, then the process environment, then `.env` (like python-dotenv, the file never overrides
the environment). Everything missing or malformed is reported at once, in one message, so a CI
gate cannot go green by skipping: `pytest --live` stops with a usage error (exit code 4).

Values are secrets or name the resource: `describe()` shows only what is safe to print.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from dotenv.parser import parse_stream

API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
AUTH_MODES = ("key", "entra")
PROXY_EXAMPLE = "http://localhost:4000"
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"

AZURE_VARS = (
    "AZURE_OPENAI_API_BASE",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_API_VERSION",
    "AZURE_OPENAI_DEPLOYMENT",
    "AZURE_OPENAI_MODEL",
    "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT",
)
PROXY_VARS = ("LITELLM_API_BASE", "LITELLM_MODEL", "LITELLM_API_KEY", "LITELLM_EMBEDDINGS_MODEL")
#: the local proxy's alias for the embeddings deployment when LITELLM_EMBEDDINGS_MODEL is not set
DEFAULT_EMBEDDINGS_ALIAS = "live-embeddings"


class LiveSettingsError(ValueError):
    """Live settings missing or malformed; the message lists every problem and how to fix it."""


def read_env_file(path: Path) -> dict[str, str]:
    """`.env` as python-dotenv reads it (LiteLLM's proxy loads one with it too): comments, `export`,
    quotes, `${VAR}` expansion. A line dotenv cannot parse, which it would skip with a warning, is an
    error naming the line instead: a setting silently lost is worse than a stopped run."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise LiveSettingsError(f"{path}: cannot read ({exc.strerror})") from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raw = binding.original.string.strip()
            raise LiveSettingsError(f"{path}:{binding.original.line}: expected NAME=VALUE, got {raw[:40]!r}")
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def merged_env(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    """`.env` under the process environment: the environment wins, as with python-dotenv."""
    values = read_env_file(env_file) if env_file is not None else {}
    values.update({k: v for k, v in environ.items() if v != ""})
    return values


@dataclass(frozen=True)
class LiveSettings:
    azure_base: str
    api_version: str
    deployment: str
    auth: str  # key | entra
    azure_key: str | None
    azure_model: str | None
    proxy_url: str | None  # None: start the local proxy against the real resource
    proxy_model: str
    proxy_key: str | None
    litellm_config: Path | None  # the user's config for the local proxy; None: generate one
    #: AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT: the embeddings area runs live only with one
    embeddings_deployment: str | None = None
    #: LITELLM_EMBEDDINGS_MODEL: the proxy's alias for it (needed with a staging proxy or your own config)
    proxy_embeddings_model: str | None = None

    def __repr__(self) -> str:  # the dataclass repr would print the keys
        return f"LiveSettings({self.describe()})"

    @property
    def staging(self) -> bool:
        return self.proxy_url is not None

    def secrets(self) -> list[str]:
        return [v for v in (self.azure_key, self.proxy_key) if v]

    def describe(self) -> str:
        """One line for the report header: no key, token or resource host."""
        proxy = "staging proxy (LITELLM_API_BASE)" if self.staging else "local proxy"
        config = f", config {self.litellm_config.name}" if self.litellm_config else ""
        embeddings = f", embeddings deployment '{self.embeddings_deployment}'" if self.embeddings_deployment else ""
        return (
            f"live: Azure deployment '{self.deployment}' api-version {self.api_version} auth={self.auth}{embeddings}; "
            f"{proxy} model '{self.proxy_model}'{config}"
        )

    @property
    def generated_config(self) -> bool:
        """The local proxy runs a config the harness generates: its aliases are ours to choose."""
        return not self.staging and self.litellm_config is None

    @property
    def embeddings_alias(self) -> str | None:
        """The proxy's alias for the embeddings deployment; None when only the user could say it."""
        if self.proxy_embeddings_model:
            return self.proxy_embeddings_model
        return DEFAULT_EMBEDDINGS_ALIAS if self.generated_config else None


def url_problem(name: str, value: str, example: str = "https://<resource>.openai.azure.com") -> str | None:
    """What is wrong with a base URL setting (not http(s), or a path under the root), or None.
    Shared by `--live` and the doctor, so both accept the same values."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{name}: expected an http(s) URL like {example}, got a value of another shape"
    if parts.path not in ("", "/") and not parts.path.rstrip("/").endswith("/openai"):
        return f"{name}: expected the root URL ({example}), not a path under it"
    return None


def load_live_settings(
    env: Mapping[str, str],
    *,
    auth: str = "key",
    overrides: Mapping[str, str | None] | None = None,
    litellm_config: Path | None = None,
    source: str = "the environment or .env",
) -> LiveSettings:
    """Resolve and validate; raise `LiveSettingsError` listing every missing or malformed setting."""
    values = dict(env)
    values.update({k: v for k, v in (overrides or {}).items() if v})
    if auth not in AUTH_MODES:
        raise LiveSettingsError(f"--auth: expected one of {', '.join(AUTH_MODES)}, got {auth!r}")
    required = ["AZURE_OPENAI_API_BASE", "AZURE_OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT"]
    if auth == "key":
        required.append("AZURE_OPENAI_API_KEY")
    staging = bool(values.get("LITELLM_API_BASE"))
    if staging:
        required += ["LITELLM_MODEL", "LITELLM_API_KEY"]
    missing = [name for name in required if not values.get(name)]
    problems: list[str] = []
    if values.get("AZURE_OPENAI_API_BASE") and (
        p := url_problem("AZURE_OPENAI_API_BASE", values["AZURE_OPENAI_API_BASE"])
    ):
        problems.append(p)
    if staging and (p := url_problem("LITELLM_API_BASE", values["LITELLM_API_BASE"], PROXY_EXAMPLE)):
        problems.append(p)
    version = values.get("AZURE_OPENAI_API_VERSION", "")
    if version and not API_VERSION.match(version):
        problems.append(
            f"AZURE_OPENAI_API_VERSION: expected YYYY-MM-DD or YYYY-MM-DD-preview (e.g. 2024-10-21), got {version!r}"
        )
    if litellm_config is not None and not litellm_config.is_file():
        problems.append(f"--litellm-config: {litellm_config} does not exist")
    if missing or problems:
        lines = []
        if missing:
            lines.append(f"missing from {source}: {', '.join(missing)}")
        lines += problems
        lines.append("Set them (see .env.example), or run the offline suite without --live.")
        raise LiveSettingsError("\n".join(lines))
    return LiveSettings(
        azure_base=values["AZURE_OPENAI_API_BASE"].rstrip("/").removesuffix("/openai"),
        api_version=version,
        deployment=values["AZURE_OPENAI_DEPLOYMENT"],
        auth=auth,
        azure_key=values.get("AZURE_OPENAI_API_KEY") or None,
        azure_model=values.get("AZURE_OPENAI_MODEL") or None,
        proxy_url=values.get("LITELLM_API_BASE", "").rstrip("/") or None,
        proxy_model=values.get("LITELLM_MODEL") or "live",
        proxy_key=values.get("LITELLM_API_KEY") or None,
        litellm_config=litellm_config,
        embeddings_deployment=values.get("AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT") or None,
        proxy_embeddings_model=values.get("LITELLM_EMBEDDINGS_MODEL") or None,
    )


def entra_token(scope: str = ENTRA_SCOPE) -> str:
    """A token from azure-identity's DefaultAzureCredential; the optional `live` extra provides it."""
    try:
        from azure.identity import DefaultAzureCredential  # type: ignore[import-not-found]
    except ImportError:
        raise LiveSettingsError(
            "--auth entra needs azure-identity, which is in the optional `live` extra: pip install -e '.[live]'"
        ) from None
    try:
        return str(DefaultAzureCredential().get_token(scope).token)
    except Exception as exc:  # azure-identity raises its own hierarchy; the message is what helps
        raise LiveSettingsError(
            f"--auth entra: DefaultAzureCredential could not get a token for {scope}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}. Sign in (az login) or set AZURE_CLIENT_ID/"
            "AZURE_TENANT_ID/AZURE_CLIENT_SECRET"
        ) from None
