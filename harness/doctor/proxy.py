"""Checks of the proxy: liveliness, its key and the model alias; then the proxy-to-Azure leg, a
one-token call through the proxy whose failure is read for the config setting that caused it
(a bearer token sent where a key was meant, a literal `${VAR}` key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import openai

from harness.doctor.configlint import Finding
from harness.doctor.diagnose import Diagnosis, classify_azure_error, first_line
from harness.doctor.local import is_url
from harness.doctor.naming import AZURE_MODEL_IDS
from harness.doctor.network import connection_failure
from harness.doctor.report import DoctorInputs
from harness.paths.litellm_config import TOKEN_SOURCES


def check_proxy(inputs: DoctorInputs) -> tuple[list[Finding], bool]:
    """Reachable (no auth), then its key and the alias (`/v1/models`). True when a call can be tried."""
    env = inputs.env
    base = env.get("LITELLM_API_BASE", "").rstrip("/")
    if not is_url(base):
        return [], False
    try:
        live = httpx.get(base + "/health/liveliness", timeout=inputs.timeout_s)
    except httpx.HTTPError as exc:
        why = f"no answer within {inputs.timeout_s:.0f} s" if isinstance(exc, httpx.TimeoutException) else str(exc)
        return [
            Finding(
                "fail",
                "proxy",
                "LITELLM_API_BASE",
                f"Could not connect to LiteLLM server: {first_line(why) or type(exc).__name__}",
                "start the proxy (litellm --config litellm.config.yaml), or fix LITELLM_API_BASE",
            )
        ], False
    if live.status_code != 200:
        return [
            Finding(
                "fail",
                "proxy",
                "/health/liveliness",
                f"answered {live.status_code}, not 200: this is not a healthy LiteLLM proxy",
                "check LITELLM_API_BASE points at the proxy, not at Azure or another service",
            )
        ], False
    out = [Finding("ok", "proxy", "/health/liveliness", "reachable and alive")]
    key, alias = env.get("LITELLM_API_KEY", ""), env.get("LITELLM_MODEL", "")
    try:
        models = httpx.get(base + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=inputs.timeout_s)
    except httpx.HTTPError as exc:
        out.append(Finding("fail", "proxy", "/v1/models", first_line(str(exc)), "check the proxy's log"))
        return out, False
    if models.status_code != 200:
        d = classify_azure_error(models.status_code, models.text)
        out.append(
            Finding(
                "fail",
                "proxy key",
                "LITELLM_API_KEY",
                f"the proxy rejected its key ({models.status_code}: {first_line(_error_text(models))[:120]})",
                d.fix if d.kind == "proxy-key" else "use the proxy's master key or a virtual key it issued",
            )
        )
        return out, False
    out.append(Finding("ok", "proxy key", "LITELLM_API_KEY", "accepted"))
    ids = [m.get("id") for m in models.json().get("data", []) if isinstance(m, dict)]
    if alias and alias not in ids:
        out.append(
            Finding(
                "fail",
                "model alias",
                "LITELLM_MODEL",
                f"the proxy serves {', '.join(map(str, ids)) or 'no models'}, not '{alias}'",
                "set LITELLM_MODEL to one of the proxy's model names",
            )
        )
        return out, False
    out.append(Finding("ok", "model alias", "LITELLM_MODEL", f"'{alias}' is served by the proxy"))
    return out, True


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", ""))
    return response.text


def proxy_client(inputs: DoctorInputs) -> openai.OpenAI:
    """A client of the proxy as the application has one: LITELLM_API_BASE and its key, one attempt,
    twice the doctor's deadline (the proxy's own call to Azure is inside it)."""
    return openai.OpenAI(
        base_url=inputs.env["LITELLM_API_BASE"].rstrip("/") + "/v1",
        api_key=inputs.env.get("LITELLM_API_KEY", ""),
        timeout=inputs.timeout_s * 2,
        max_retries=0,
    )


def check_proxy_leg(inputs: DoctorInputs, config: Mapping[str, Any] | None) -> list[Finding]:
    """One token through the proxy: the proxy's own call to Azure, and what made it fail."""
    env = inputs.env
    alias = env.get("LITELLM_MODEL", "")
    try:
        with proxy_client(inputs) as client:
            client.chat.completions.create(model=alias, messages=[{"role": "user", "content": "ping"}], max_tokens=1)
    except openai.APIConnectionError as exc:
        return [connection_failure("proxy → Azure", "LITELLM_API_BASE", exc, inputs.timeout_s * 2)]
    except openai.APIStatusError as exc:
        d = classify_azure_error(exc.status_code, _error_text(exc.response))
        return [_explain_leg(d, _entry(config, alias), config is not None)]
    return [Finding("ok", "proxy → Azure", alias, "a one-token call through the proxy succeeded")]


def _entry(config: Mapping[str, Any] | None, alias: str) -> tuple[str, Mapping[str, Any]]:
    for entry in (config or {}).get("model_list") or []:
        if (
            isinstance(entry, dict)
            and entry.get("model_name") == alias
            and isinstance(entry.get("litellm_params"), dict)
        ):
            return alias, entry["litellm_params"]
    return alias, {}


def _explain_leg(d: Diagnosis, entry: tuple[str, Mapping[str, Any]], have_config: bool) -> Finding:
    """The proxy's failure, tied to the config setting that caused it where the config tells."""
    alias, params = entry
    where = f"{alias}.litellm_params" if params else "proxy → Azure"
    cause, fix = f"through the proxy: {d.cause}", d.fix
    if d.kind == "bad-key":
        key = str(params.get("api_key", ""))
        if "${" in key:
            where, cause = (
                f"{alias}.api_key",
                (
                    f"the proxy sent a bad key: api_key is '{key}', which LiteLLM sends literally (it never expands "
                    "${VAR}), so Azure answers 401 'invalid subscription key'"
                ),
            )
            fix = f"write api_key: os.environ/{key.strip('${}')}"
        elif key.startswith("os.environ/"):
            where = f"{alias}.api_key"
            cause = f"the proxy sent a bad key: {key} resolves, in the proxy's environment, to a key Azure rejects"
            fix = f"set {key.removeprefix('os.environ/')} in the proxy's environment to the resource's key"
        else:
            cause = "the proxy sent a bad key: Azure answered 401 'invalid subscription key'"
    elif d.kind == "bearer":
        sources = [k for k in TOKEN_SOURCES if params.get(k)]
        if sources:
            where = f"{alias}.{sources[0]}"
            cause = (
                f"the proxy sent a bearer token (because of {', '.join(sources)}) and Azure rejected it: 401 "
                "'audience is incorrect'"
            )
            fix = (
                f"remove {', '.join(sources)} and give api_key: os.environ/AZURE_OPENAI_API_KEY"
                if params.get("api_key") or "azure_ad_token" in sources
                else d.fix
            )
        else:
            cause = (
                "the proxy sent a bearer token and Azure rejected it (401 'audience is incorrect'); the config has no "
                "token source, so it came from the proxy's environment (AZURE_AD_TOKEN, AZURE_OPENAI_AD_TOKEN, or "
                "AZURE_TENANT_ID+AZURE_CLIENT_ID+AZURE_CLIENT_SECRET, perhaps from a .env)"
            )
            fix = "unset those in the proxy's environment, or start it with LITELLM_MODE=PRODUCTION"
    elif d.kind == "both-credentials":
        sources = [k for k in TOKEN_SOURCES if params.get(k)]
        key = params.get("api_key")
        where = f"{alias}.{sources[0]}" if sources else where
        origin = (
            f"api_key ({key})"
            if key
            else "no api_key in the config, so LiteLLM also took AZURE_OPENAI_API_KEY / AZURE_API_KEY from its "
            "environment"
        )
        cause = (
            f"the proxy had a token ({', '.join(sources) or 'from its environment'}) and a key ({origin}); the "
            "client refuses both at once (500 'mutually exclusive')"
        )
        fix = (
            f"use api_key: os.environ/AZURE_OPENAI_API_KEY and remove {', '.join(sources)}"
            if sources
            else "keep one credential"
        )
    elif d.kind in ("upstream-connection", "other") and "${" in str(params.get("api_base", "")):
        base = str(params["api_base"])
        where = f"{alias}.api_base"
        cause = f"the proxy's api_base is the literal text '{base}' (LiteLLM never expands ${{VAR}}): it cannot connect"
        fix = f"write api_base: os.environ/{base.strip('${}')}"
    elif d.kind == "deployment" and params.get("deployment_id"):
        where = f"{alias}.deployment_id"
        cause = (
            f"through the proxy: deployment_id '{params['deployment_id']}' overrides '{params.get('model')}', "
            "and that deployment does not exist"
        )
        fix = f"remove deployment_id, or use model: azure/{params['deployment_id']}"
    elif d.kind == "deployment" and "." in (name := str(params.get("model", "")).removeprefix("azure/")):
        # the network half of the `deployment name` check: Azure has confirmed there is no such deployment
        known = AZURE_MODEL_IDS.get(name)
        where = f"{alias}.model"
        cause = (
            f"through the proxy: Azure has no deployment '{name}' (404 DeploymentNotFound); that is a model's name"
            + (f" (Azure's model id is '{known}')" if known else "")
            + ", not the deployment's"
        )
        fix = "use model: azure/<the deployment's name as the portal shows it>"
    elif not have_config:
        fix += " (pass --config to have the doctor name the setting)"
    return Finding("fail", "proxy → Azure", where, cause, fix)
