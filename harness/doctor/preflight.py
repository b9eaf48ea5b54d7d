"""The live run's preflight: the doctor's direct-path and proxy checks, before any case runs.

A wrong key or an unreachable host is then one clear message naming the setting, not fifty
identical failures. It lives with the doctor (whose checks it runs), not with live mode, so that
the doctor may read the live settings' rules without live mode depending on the doctor.
"""

from __future__ import annotations

from harness.doctor.network import check_direct
from harness.doctor.proxy import check_proxy
from harness.doctor.report import DoctorInputs, scrubber_for
from harness.live.settings import LiveSettings


def preflight(live: LiveSettings, token: str | None, timeout_s: float = 15.0) -> str | None:
    """One token on the direct path (and the staging proxy's health, key and alias) before any case:
    a wrong key or an unreachable host is one clear message, not fifty identical failures."""
    env = {
        "AZURE_OPENAI_API_BASE": live.azure_base,
        "AZURE_OPENAI_API_KEY": live.azure_key or "",
        "AZURE_OPENAI_API_VERSION": live.api_version,
        "AZURE_OPENAI_DEPLOYMENT": live.deployment,
        "LITELLM_API_BASE": live.proxy_url or "",
        "LITELLM_API_KEY": live.proxy_key or "",
        "LITELLM_MODEL": live.proxy_model,
    }
    inputs = DoctorInputs(env=env, auth=live.auth, token=token, timeout_s=timeout_s)
    findings = check_direct(inputs) + (check_proxy(inputs)[0] if live.staging else [])
    failed = [f for f in findings if f.status == "fail"]
    if not failed:
        return None
    scrubber = scrubber_for(inputs)
    return "\n".join(scrubber.text(f"{f.check} ({f.where}): {f.cause}. Fix: {f.fix}") for f in failed) + (
        "\nRun `python -m harness doctor` for every check."
    )
