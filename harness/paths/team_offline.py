"""What of a team's proxy config cannot run offline, and why: one line each in the run's header.

Offline there is the emulated Azure resource on loopback and nothing else: no database, no Redis, no
identity provider, no logging service, no other provider. A setting that needs one of them is set
aside (removed from the rendered config) with the reason; everything else is kept, because the
team's settings are what config mode is there to test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_DATABASE = "needs the proxy's database"
_REDIS = "needs Redis"
#: settings that need something an offline run does not have, by section, with why
_OFFLINE_NEVER: dict[str, dict[str, str]] = {
    "general_settings": {
        **dict.fromkeys(
            ("database_url", "store_model_in_db", "proxy_batch_write_at", "database_connection_pool_limit",
             "database_connection_timeout", "allow_requests_on_db_unavailable", "store_prompts_in_spend_logs",
             "maximum_spend_logs_retention_period", "maximum_spend_logs_retention_interval", "custom_auth"),
            _DATABASE,
        ),
        **dict.fromkeys(("alerting", "alerting_threshold", "alert_types", "alerting_args"), "alerts use the network"),
        **dict.fromkeys(("use_redis_transaction_buffer", "enable_redis_auth_cache"), _REDIS),
        "pass_through_endpoints": "forwards to other hosts over the network",
        "master_key": "the suite uses its own master key",
    },
    "router_settings": dict.fromkeys(
        ("redis_host", "redis_port", "redis_password", "redis_url", "cache_kwargs"), _REDIS
    ),
    "litellm_settings": {
        **dict.fromkeys(("success_callback", "failure_callback", "service_callback"), "it logs over the network"),
        "store_model_in_db": _DATABASE,
        "default_team_settings": "team settings apply to keys of teams in the proxy's database",
        "enable_azure_ad_token_refresh": (
            "DefaultAzureCredential asks Entra ID over the network; the emulator's Entra token is sent as "
            "azure_ad_token, so the proxy still authenticates with a bearer token"
        ),
    },
    "": {  # top-level keys beside model_list
        "credential_list": "its credentials are resolved into the entries that name them, then the emulator's are sent",
        "mcp_servers": "MCP servers are other hosts over the network",
        "environment_variables": "they would set the proxy's environment, which the suite controls",
    },
}  # fmt: skip


#: callbacks that only log somewhere over the network
_NETWORK_CALLBACKS = (
    "langfuse", "datadog", "prometheus", "otel", "opentelemetry", "sentry", "slack", "lunary",
    "helicone", "langsmith", "s3", "gcs", "arize", "braintrust", "mlflow", "posthog", "logfire",
)  # fmt: skip


def _callback_found(callback: str, folder: Path) -> bool:
    """A `module.attribute` callback LiteLLM can import: a module next to the config, or installed."""
    module = callback.rsplit(".", 1)[0]
    if (folder / (module.replace(".", "/") + ".py")).is_file():
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _callbacks(value: Any, section: str, folder: Path, notes: list[str], honoured: list[str]) -> list[Any]:
    """The callbacks an offline proxy can run: not those that log over the network, nor a module that
    is not there (LiteLLM would fail to start)."""
    kept = []
    for callback in value if isinstance(value, list) else [value]:
        name = str(callback)
        if any(n in name.lower() for n in _NETWORK_CALLBACKS):
            notes.append(f"{section}.callbacks {callback!r}: set aside (it logs over the network)")
        elif "." in name and not _callback_found(name, folder):
            notes.append(f"{section}.callbacks {callback!r}: set aside (no module {name.rsplit('.', 1)[0]!r} next to "
                         "the config or installed; LiteLLM would not start)")  # fmt: skip
        else:
            kept.append(callback)
            honoured.append(f"{section}.callbacks {callback!r}")
    return kept


def set_aside_settings(config: dict[str, Any], folder: Path, notes: list[str], honoured: list[str]) -> None:
    for key, why in _OFFLINE_NEVER[""].items():
        if key in config:
            notes.append(f"{key}: set aside ({why})")
            del config[key]
    for section, keys in _OFFLINE_NEVER.items():
        settings = config.get(section) if section else None
        if not isinstance(settings, dict):
            continue
        # the proxy's default cache type is Redis (`ProxyConfig.init_cache`: cache_params.get("type", "redis"))
        cache_type = str((settings.get("cache_params") or {}).get("type", "redis"))
        for key in list(settings):
            value = settings[key]
            if key in keys:
                notes.append(f"{section}.{key}: set aside ({keys[key]})")
                del settings[key]
            elif key == "callbacks":
                settings[key] = _callbacks(value, section, folder, notes, honoured)
            elif key in ("cache", "cache_params") and cache_type != "local":
                notes.append(f"{section}.{key}: set aside (a {cache_type} cache needs a server)")
                del settings[key]
            else:
                honoured.append(f"{section}.{key}")


def token_notes(name: str, params: Mapping[str, Any]) -> list[str]:
    """Why an entry's own way of getting a token does not run offline (the emulator's token is sent)."""
    if all(params.get(k) for k in ("tenant_id", "client_id", "client_secret")) and not params.get("api_key"):
        return [
            f"model_list {name!r}: tenant_id/client_id/client_secret set aside: the client-credentials flow "
            "cannot run offline (LiteLLM builds ClientSecretCredential without disable_instance_discovery, so "
            "MSAL asks login.microsoftonline.com first); the emulator's Entra token is sent as azure_ad_token"
        ]
    token = params.get("azure_ad_token")
    if isinstance(token, str) and token.startswith("oidc/"):
        return [f"model_list {name!r}: azure_ad_token {token.split('/', 2)[1]!r} OIDC exchange set aside (it asks the "
                "identity provider over the network); the emulator's Entra token is sent instead"]  # fmt: skip
    if params.get("azure_ad_token_provider"):
        return [f"model_list {name!r}: azure_ad_token_provider set aside (it asks Entra ID over the network); the "
                "emulator's Entra token is sent as azure_ad_token"]  # fmt: skip
    return []
