"""Checks of the embeddings setup, when the application embeds: `AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT`
(the direct client's deployment) and `LITELLM_EMBEDDINGS_MODEL` (the proxy's alias for it).

The classic mistake is a chat deployment named where an embeddings one is meant (or the reverse):
Azure answers 400 `OperationNotSupported`, which the application reports as a bad request. These
checks make one embeddings call on each path and name the setting that points at the wrong kind
of deployment, or the alias the proxy does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openai

from harness.doctor.diagnose import classify_azure_error, first_line
from harness.doctor.finding import Finding
from harness.doctor.network import azure_client, connection_failure
from harness.doctor.proxy import proxy_client
from harness.doctor.report import DoctorInputs

DEPLOYMENT_VAR = "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT"
ALIAS_VAR = "LITELLM_EMBEDDINGS_MODEL"


def check_embeddings_settings(env: Mapping[str, str], config: Mapping[str, Any] | None) -> list[Finding]:
    """The two settings agree with each other and with the proxy's config (no network)."""
    deployment, alias = env.get(DEPLOYMENT_VAR, ""), env.get(ALIAS_VAR, "")
    if not deployment:
        if alias:
            return [
                Finding(
                    "warn",
                    "embeddings",
                    DEPLOYMENT_VAR,
                    f"not set, but {ALIAS_VAR} is: the direct embeddings check and the live embeddings cases need both",
                    f"set {DEPLOYMENT_VAR} to the embeddings deployment's name",
                )
            ]
        return []
    out = [Finding("ok", "embeddings", DEPLOYMENT_VAR, f"set ('{deployment}')")]
    if not alias:
        if env.get("LITELLM_API_BASE"):
            out.append(
                Finding(
                    "warn",
                    "embeddings",
                    ALIAS_VAR,
                    "not set: the proxy's embeddings alias is not checked, and live embeddings cases are n/a",
                    f"set {ALIAS_VAR} to the proxy's model_name for {DEPLOYMENT_VAR}",
                )
            )
        return out
    if config is not None:
        names = [str(e.get("model_name")) for e in config.get("model_list") or [] if isinstance(e, dict)]
        if alias not in names:
            out.append(
                Finding(
                    "fail",
                    "embeddings",
                    ALIAS_VAR,
                    f"'{alias}' is not a model_name in the config ({', '.join(names)}): the proxy answers 400 "
                    "'Invalid model name' to the application's embeddings calls",
                    f"add an entry model_name: {alias} with model: azure/{deployment}, or set {ALIAS_VAR} to one of "
                    "the config's names",
                )
            )
    return out


def check_direct_embeddings(inputs: DoctorInputs) -> list[Finding]:
    """One embeddings call through `openai.AzureOpenAI`, as the application embeds."""
    env = inputs.env
    deployment = env.get(DEPLOYMENT_VAR, "")
    if not deployment or not all(env.get(n) for n in ("AZURE_OPENAI_API_BASE", "AZURE_OPENAI_API_VERSION")):
        return []
    try:
        with azure_client(inputs) as client:
            result = client.embeddings.create(model=deployment, input="ping")
    except openai.APIConnectionError as exc:
        return [connection_failure("direct embeddings", "AZURE_OPENAI_API_BASE", exc, inputs.timeout_s)]
    except openai.APIStatusError as exc:
        d = classify_azure_error(exc.status_code, exc.response.text)
        where = DEPLOYMENT_VAR if d.kind in ("operation", "deployment") else "Azure"
        cause = f"'{deployment}' is not an embeddings deployment: {d.cause}" if d.kind == "operation" else d.cause
        fix = f"set {DEPLOYMENT_VAR} to a text-embedding-* deployment's name" if d.kind == "operation" else d.fix
        return [Finding("fail", "direct embeddings", where, cause, fix)]
    except openai.OpenAIError as exc:
        return [Finding("fail", "direct embeddings", "client", first_line(str(exc)), "check the settings above")]
    dims = len(result.data[0].embedding) if result.data else 0
    return [Finding("ok", "direct embeddings", DEPLOYMENT_VAR, f"'{deployment}' embeds ({dims} dimensions)")]


def check_proxy_embeddings(inputs: DoctorInputs) -> list[Finding]:
    """One embeddings call through the proxy with `LITELLM_EMBEDDINGS_MODEL`."""
    env = inputs.env
    alias = env.get(ALIAS_VAR, "")
    if not alias:
        return []
    try:
        with proxy_client(inputs) as client:
            client.embeddings.create(model=alias, input="ping")
    except openai.APIConnectionError as exc:
        return [connection_failure("proxy embeddings", "LITELLM_API_BASE", exc, inputs.timeout_s * 2)]
    except openai.APIStatusError as exc:
        d = classify_azure_error(exc.status_code, exc.response.text)
        if d.kind == "operation":
            cause = f"alias '{alias}' reaches a deployment that does not embed: {d.cause}"
            return [
                Finding("fail", "proxy embeddings", ALIAS_VAR, cause, f"point {alias}'s entry at azure/<embeddings>")
            ]
        where = ALIAS_VAR if d.kind == "alias" else f"{alias}.litellm_params"
        return [Finding("fail", "proxy embeddings", where, f"through the proxy: {d.cause}", d.fix)]
    return [Finding("ok", "proxy embeddings", alias, "an embeddings call through the proxy succeeded")]
