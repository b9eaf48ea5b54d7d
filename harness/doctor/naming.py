"""Provider prefixes and deployment names: `model: <provider>/<name>` decides which client LiteLLM
uses and which URL it builds. An `api_base` is taken for the Azure resource by its host name, or
when it is the direct path's `AZURE_OPENAI_API_BASE` or an `azure/` entry's.

Reproduced on LiteLLM 1.108.7 against the emulator: `openai/` on an Azure resource root posts to
`<api_base>/chat/completions` with a bearer header and no api-version (404 "OpenAIException - Resource
not found"; it works only with an `api_base` ending in `/openai/v1`); `azure_ai/` on an Azure OpenAI
root posts to the same wrong place (404 "Azure_aiException"). The text after `azure/` is sent as the
deployment: OpenAI's `gpt-3.5-turbo` is `gpt-35-turbo` on Azure, and rarely a deployment's name.
That last check is static: only Azure can say which deployments exist, and the `direct` and
`proxy → Azure` checks (network) show its 404 DeploymentNotFound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from harness.doctor.finding import Finding, azure_entries, entries
from harness.doctor.urls import is_azure_openai_host
from harness.paths.litellm_config import resolve_reference

SOURCES = {
    "provider prefix": "https://github.com/BerriAI/litellm/issues/11910",
    "provider prefix/azure_ai": "https://github.com/BerriAI/litellm/issues/17765",
    "deployment name": "https://github.com/mckaywrigley/chatbot-ui/issues/498",
}
#: OpenAI's model names whose Azure model id is spelled otherwise (the dot dropped)
AZURE_MODEL_IDS = {
    "gpt-3.5-turbo": "gpt-35-turbo",
    "gpt-3.5-turbo-16k": "gpt-35-turbo-16k",
    "gpt-3.5-turbo-instruct": "gpt-35-turbo-instruct",
}


def _azure_roots(config: Mapping[str, Any] | None, env: Mapping[str, str]) -> set[str]:
    """Hosts known to be the Azure resource whatever their name: the direct path's, and azure/ entries'."""
    bases = [env.get("AZURE_OPENAI_API_BASE")] + [
        resolve_reference(e.params.get("api_base"), env)[0] for e in azure_entries(config)
    ]
    return {urlsplit(str(b)).netloc for b in bases if b and "://" in str(b)}


def _foundry(host: str | None) -> bool:
    """An AI Foundry resource root: LiteLLM's azure_ai/ appends `/models/chat/completions` to it itself
    (litellm/llms/azure_ai/chat/transformation.py: `if "services.ai.azure.com" in api_base`); seen in
    tests/configs/enterprise-credential-list-dial-and-sp."""
    return (host or "").endswith(".services.ai.azure.com")


def check_naming(config: Mapping[str, Any] | None, env: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    roots = _azure_roots(config, env)
    for entry in entries(config):
        if entry.provider not in ("openai", "azure_ai"):
            continue
        base, _ = resolve_reference(entry.params.get("api_base"), env)
        parts = urlsplit(str(base or ""))
        if not (is_azure_openai_host(parts.hostname or "") or parts.netloc in roots):
            continue
        if entry.provider == "openai" and not parts.path.rstrip("/").endswith("/openai/v1"):
            deployment = entry.model.split("/", 1)[1]
            out.append(
                Finding(
                    "fail",
                    "provider prefix",
                    entry.where("model"),
                    f"'{entry.model}' on an Azure OpenAI resource: openai/ posts to <api_base>/chat/completions with a "
                    "bearer header and no api-version, which Azure does not serve (404 'OpenAIException - Resource not "
                    "found')",
                    f"use model: azure/{deployment} with the resource root, or keep openai/ with api_base "
                    f"{parts.scheme}://{parts.netloc}/openai/v1",
                    SOURCES["provider prefix"],
                )
            )
        elif entry.provider == "azure_ai" and not parts.path.startswith("/models") and not _foundry(parts.hostname):
            out.append(
                Finding(
                    "fail",
                    "provider prefix",
                    entry.where("model"),
                    f"'{entry.model}' on an Azure OpenAI resource: azure_ai/ is the Foundry model-inference provider "
                    "and builds other URLs (404 'Resource not found')",
                    f"use model: azure/{entry.model.split('/', 1)[1]} for an Azure OpenAI deployment",
                    SOURCES["provider prefix/azure_ai"],
                )
            )
    for entry in azure_entries(config):
        deployment = entry.model.removeprefix("azure/")
        known = AZURE_MODEL_IDS.get(deployment)
        if entry.params.get("deployment_id") or not known:
            continue  # other dotted names may be real deployment names: only Azure's 404 tells (proxy -> Azure)
        out.append(
            Finding(
                "warn",
                "deployment name",
                entry.where("model"),
                f"'{deployment}' is OpenAI's model name; Azure's model id is '{known}', and the text after azure/ must "
                "be the deployment's name as the portal shows it. Only Azure can tell: the direct and proxy → Azure "
                "checks show 404 DeploymentNotFound if it does not exist",
                "use model: azure/<deployment name> and declare the model in model_info.base_model",
                SOURCES["deployment name"],
            )
        )
    return out
