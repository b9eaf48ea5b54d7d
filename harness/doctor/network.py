"""Checks of the way to Azure: what the resource host resolves to (a private endpoint), and the
direct path itself, a one-token call with the application's own settings.
"""

from __future__ import annotations

import concurrent.futures
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import openai

from harness.doctor.configlint import Finding
from harness.doctor.diagnose import address_kind, classify_azure_error, first_line
from harness.doctor.local import is_url
from harness.doctor.report import DoctorInputs


def check_private_endpoint(env: Mapping[str, str], timeout_s: float = 5.0) -> list[Finding]:
    base = env.get("AZURE_OPENAI_API_BASE", "")
    host = urlsplit(base).hostname if is_url(base) else None
    if not host:
        return []
    out: list[Finding] = []
    if ".privatelink." in host:
        out.append(
            Finding(
                "warn",
                "private endpoint",
                "AZURE_OPENAI_API_BASE",
                "uses the privatelink host name directly: its TLS certificate is issued for "
                "<resource>.openai.azure.com, so HTTPS verification fails",
                "use https://<resource>.openai.azure.com and let the private DNS zone resolve it",
            )
        )
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        infos = pool.submit(socket.getaddrinfo, host, None).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        out.append(
            Finding("fail", "private endpoint", "DNS", f"no answer within {timeout_s:.0f} s", "check DNS resolution")
        )
        return out
    except OSError as exc:
        out.append(
            Finding(
                "fail",
                "private endpoint",
                "DNS",
                f"the resource host does not resolve ({exc.strerror or exc})",
                "check the name; for a private endpoint, the private DNS zone privatelink.openai.azure.com",
            )
        )
        return out
    finally:
        pool.shutdown(wait=False)
    kinds = {address_kind(str(info[4][0])) for info in infos}
    if "private" in kinds:
        cause = "resolves to a private address: calls go through the private endpoint"
    elif kinds == {"loopback"}:
        cause = "resolves to loopback: a local stand-in (such as the emulator)"
    else:
        cause = (
            "resolves to a public address; if the resource has public network access disabled, calls get 403 "
            "(see the direct check)"
        )
    out.append(Finding("ok", "private endpoint", "DNS", cause))
    return out


def azure_client(inputs: DoctorInputs) -> openai.AzureOpenAI:
    """The application's own client: its endpoint, api-version and credential (a key, or with
    `--auth entra` the token), one attempt, the doctor's deadline."""
    env = inputs.env
    credential: dict[str, str] = (
        {"azure_ad_token": inputs.token or ""}
        if inputs.auth == "entra"
        else {"api_key": env.get("AZURE_OPENAI_API_KEY", "")}
    )
    return openai.AzureOpenAI(
        azure_endpoint=env["AZURE_OPENAI_API_BASE"],
        api_version=env["AZURE_OPENAI_API_VERSION"],
        timeout=inputs.timeout_s,
        max_retries=0,
        **credential,
    )


def check_direct(inputs: DoctorInputs) -> list[Finding]:
    """One token through `openai.AzureOpenAI`, as the application calls Azure."""
    env = inputs.env
    if not all(env.get(n) for n in ("AZURE_OPENAI_API_BASE", "AZURE_OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT")):
        return [Finding("warn", "direct", "Azure", "skipped: settings missing (see the env checks)")]
    deployment = env["AZURE_OPENAI_DEPLOYMENT"]
    try:
        with azure_client(inputs) as client:
            client.chat.completions.create(
                model=deployment, messages=[{"role": "user", "content": "ping"}], max_tokens=1
            )
    except openai.APIConnectionError as exc:
        return [connection_failure("direct", "AZURE_OPENAI_API_BASE", exc, inputs.timeout_s)]
    except openai.APIStatusError as exc:
        d = classify_azure_error(exc.status_code, exc.response.text)
        where = {"bad-key": "AZURE_OPENAI_API_KEY", "deployment": "AZURE_OPENAI_DEPLOYMENT"}.get(d.kind, "Azure")
        if d.kind == "api-version":
            where = "AZURE_OPENAI_API_VERSION"
        return [Finding("fail", "direct", where, d.cause, d.fix)]
    except openai.OpenAIError as exc:
        return [Finding("fail", "direct", "client", first_line(str(exc)), "check the settings above")]
    return [Finding("ok", "direct", "Azure", f"reachable, auth ok, deployment '{deployment}' answers")]


def connection_failure(check: str, setting: str, exc: openai.APIConnectionError, timeout_s: float) -> Finding:
    cause = exc.__cause__
    if isinstance(exc, openai.APITimeoutError):
        why = f"no answer within {timeout_s:.0f} s"
    elif cause is not None:
        why = first_line(str(cause)) or type(cause).__name__
    else:
        why = first_line(str(exc))
    target = "the LiteLLM server" if setting.startswith("LITELLM") else "Azure"
    return Finding(
        "fail",
        check,
        setting,
        f"could not connect to {target}: {why}",
        f"check {setting} and that the server is running and reachable from here",
    )
