"""The environment a LiteLLM proxy of the harness runs in, apart from the process that starts it.

Its own module, importing only the standard library: `harness.startup` builds a warm LiteLLM's
environment from it before the other plugins load (`harness.plugin.warming.prewarm_env`), where
importing `harness.paths.proxy` (httpx, yaml) would keep the warm process waiting for them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["OFFLINE_PROXY_ENV", "proxy_env"]

_PASS_THROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SYSTEMROOT")
#: offline, anything the proxy tries to reach beyond loopback goes to a closed local port at once
OFFLINE_PROXY_ENV = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def proxy_env(extra: Mapping[str, str], master_key: str, home: Path) -> dict[str, str]:
    """A proxy's whole environment: nothing of the caller's but what a process needs to run (no
    `AZURE_*`, no `LITELLM_*`: a stray variable would change what the proxy does), the local cost map
    and offline mode (nothing downloads), production mode, its own HOME, then `extra` on top."""
    env = {k: os.environ[k] for k in _PASS_THROUGH_ENV if k in os.environ}
    env.update(
        {
            "HOME": str(home),
            "LITELLM_MASTER_KEY": master_key,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_OFFLINE_MODE": "true",
            "LITELLM_MODE": "PRODUCTION",
            "LITELLM_LOG": "INFO",
            "NO_PROXY": "127.0.0.1,localhost,::1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env
