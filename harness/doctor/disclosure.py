"""What the proxy tells its clients about the setup behind it, read from the config (no network).

LiteLLM 1.108.7 answers every client with `x-litellm-*` headers: the Azure resource URL it called
(behind a private endpoint, the internal address), the deployment, internal ids, the key's spend and
its own version; and error messages carry the router's model groups and fallback wiring. The
contract measures it (`tests/contract/test_disclosure.py`); this check warns when a config leaves it
on, and names what turns it off: a header callback (no config flag exists in 1.108.7) and
`expose_router_debug_in_errors: false`. `examples/disclosure/` is a config with both, proven by the
contract in config mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.doctor.finding import Finding

#: the hook a callback blanks headers with; LiteLLM merges its headers over its own
_HEADERS_HOOK = re.compile(r"async_post_call_response_headers_hook")
EXAMPLE = "examples/disclosure/"


def _callbacks(settings: Mapping[str, Any]) -> list[str]:
    value = settings.get("callbacks") or []
    return [str(c) for c in (value if isinstance(value, list) else [value])]


def _blanks_headers(callback: str, config_dir: Path) -> bool:
    """True when `callback` is a module next to the config that defines the headers hook and names
    `x-litellm-model-api-base` (a callback that merely logs does not hide anything)."""
    module = config_dir / (callback.rsplit(".", 1)[0].replace(".", "/") + ".py")
    try:
        source = module.read_text(encoding="utf-8")
    except OSError:
        return False
    return bool(_HEADERS_HOOK.search(source)) and "x-litellm-model-api-base" in source


def check_disclosure(config: Mapping[str, Any] | None, config_path: Path | None) -> list[Finding]:
    if config is None or config_path is None:
        return []
    settings = config.get("litellm_settings") or {}
    settings = settings if isinstance(settings, Mapping) else {}
    out: list[Finding] = []
    if not any(_blanks_headers(c, config_path.parent) for c in _callbacks(settings)):
        out.append(
            Finding(
                "warn",
                "disclosure",
                "litellm_settings.callbacks",
                "every answer tells any client holding a key the Azure resource URL (x-litellm-model-api-base; "
                "behind a private endpoint, its internal address), the deployment, the key's spend and the "
                "LiteLLM version; 1.108.7 has no setting that turns these headers off",
                f"add a callback that blanks them (see {EXAMPLE}custom_callbacks.py), or strip x-litellm-* "
                "headers at your ingress",
            )
        )
    if settings.get("expose_router_debug_in_errors", True) is not False:
        out.append(
            Finding(
                "warn",
                "disclosure",
                "litellm_settings.expose_router_debug_in_errors",
                "error messages tell clients the proxy's model groups and fallback wiring (the default, true)",
                "set litellm_settings.expose_router_debug_in_errors: false",
            )
        )
    if not out:
        out.append(Finding("ok", "disclosure", "litellm_settings", "x-litellm-* headers blanked, router text off"))
    return out
