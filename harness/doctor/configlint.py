"""`litellm.config.yaml` lint: the misreadings that turn a working Azure setup into a 401 or 404.

Each finding names the model entry and setting, the cause in one line, and the fix. Checks:
- `${VAR}` in a value: LiteLLM never expands it and sends the text as-is (the seed's 401);
- `os.environ/VAR` naming a variable that is not set (it becomes None, and LiteLLM falls back to
  `AZURE_OPENAI_API_KEY` / `AZURE_API_KEY` from its own environment);
- `deployment_id` that differs from the name after `azure/` (the request goes to deployment_id);
- a deployment name that differs from `AZURE_OPENAI_DEPLOYMENT` (the embeddings alias's: from
  `AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT`), and an `api_version` that differs
  from `AZURE_OPENAI_API_VERSION` or predates 2024-09-01-preview (streaming through the proxy
  then fails: LiteLLM adds `stream_options`);
- a key and a token source both configured: LiteLLM sends `Authorization: Bearer` (the
  "audience is incorrect" 401);
- no credential at all (the proxy answers 500 "Missing credentials");
- `router_settings.model_group_alias` that is not a mapping (the proxy does not start).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.doctor.apiversion import check_api_versions
from harness.doctor.finding import Edit, Finding
from harness.paths.litellm_config import TOKEN_SOURCES, resolve_reference
from harness.paths.team_config import resolved_params

__all__ = ["Edit", "Finding", "explain", "lint"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: the whole value is one `${VAR}`: `os.environ/VAR` replaces it mechanically
_WHOLE_VAR = re.compile(r"^\s*\$\{([A-Za-z_][A-Za-z0-9_]*)\}\s*$")
#: LiteLLM resolves only `os.environ/`; people bring `${VAR}` from docker-compose configs
SOURCE_ENV_EXPANSION = "https://github.com/BerriAI/litellm/pull/6276"
#: `deployment_id` is the openai<1.0 name for the deployment; LiteLLM still lets it override `model`
SOURCE_DEPLOYMENT_ID = "https://github.com/ricklamers/gpt-code-ui/pull/76"
STREAM_OPTIONS_SINCE = "2024-09-01"
#: LiteLLM's documented shape: `model_group_alias: {"gpt-4": "gpt-3.5-turbo"}`
SOURCE_MODEL_GROUP_ALIAS = "https://docs.litellm.ai/docs/proxy/configs#model-group-alias"
_LITERAL_EFFECT = {
    "api_key": "Azure answers 401 'invalid subscription key'",
    "api_base": "the proxy calls a URL made of that text and never reaches Azure",
    "azure_ad_token": "Azure answers 401 'audience is incorrect'",
    "api_version": "Azure answers 400 or 404",
}


def lint(config: Mapping[str, Any], env: Mapping[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for index, entry in enumerate(config.get("model_list") or []):
        name = entry.get("model_name", f"model_list[{index}]") if isinstance(entry, dict) else f"model_list[{index}]"
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if not isinstance(params, dict):
            findings.append(Finding("fail", "config", name, "no litellm_params", "give the entry litellm_params"))
            continue
        # a `litellm_credential_name` brings its credential_list entry's values; enable_azure_ad_token_refresh
        # is a token source for every entry without a key of its own (DefaultAzureCredential)
        resolved = resolved_params(entry, config)
        findings += _lint_entry(index, str(name), resolved, env, token_refresh=_token_refresh(config))
    findings += _router_shapes(config)
    settings = config.get("litellm_settings") or {}
    if isinstance(settings, dict) and settings.get("enable_azure_ad_token_refresh"):
        findings.append(
            Finding(
                "warn",
                "auth scheme",
                "litellm_settings.enable_azure_ad_token_refresh",
                "LiteLLM will fetch Entra tokens and send Authorization: Bearer to Azure",
                "remove it if the deployments are meant to use api keys",
            )
        )
    return findings


def _router_shapes(config: Mapping[str, Any]) -> list[Finding]:
    """Router settings of a shape LiteLLM cannot read: with `model_group_alias` written as a list of
    one-key mappings (seen in real configs), LiteLLM 1.108.7's proxy does not start: its startup lists
    the models, and `Router.get_model_list_from_model_alias` calls `.items()` on it (router.py:
    AttributeError 'list' object has no attribute 'items'; seen with tests/configs/aixcc-sandbox-*)."""
    router = config.get("router_settings")
    alias = router.get("model_group_alias") if isinstance(router, dict) else None
    if alias is None or isinstance(alias, dict):
        return []
    merged = (
        ", ".join(f"{k}: {v}" for item in alias if isinstance(item, dict) for k, v in item.items())
        if isinstance(alias, list)
        else ""
    )
    return [
        Finding(
            "fail",
            "model_group_alias",
            "router_settings.model_group_alias",
            f"is a {type(alias).__name__}, not a mapping: LiteLLM's proxy does not start (AttributeError at startup)",
            f"write it as one mapping of alias to model group: {{{merged}}}" if merged else "write it as a mapping",
            SOURCE_MODEL_GROUP_ALIAS,
        )
    ]


def _deployment_setting(name: str, deployment: str, env: Mapping[str, str]) -> str | None:
    """The setting naming the deployment this entry should reach: the embeddings alias's is
    AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT; the chat alias's (LITELLM_MODEL, or any entry when that is not
    set) is AZURE_OPENAI_DEPLOYMENT. Other entries of a many-model config are not the application's."""
    if name == env.get("LITELLM_EMBEDDINGS_MODEL"):
        return "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT"
    if deployment == env.get("AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT"):
        return None
    return "AZURE_OPENAI_DEPLOYMENT" if name == env.get("LITELLM_MODEL", name) else None


def _token_refresh(config: Mapping[str, Any]) -> bool:
    settings = config.get("litellm_settings")
    return isinstance(settings, dict) and settings.get("enable_azure_ad_token_refresh") is True


def _lint_entry(
    index: int, name: str, params: Mapping[str, Any], env: Mapping[str, str], token_refresh: bool = False
) -> list[Finding]:
    out: list[Finding] = []
    model = str(params.get("model", ""))
    if not model.startswith("azure/"):
        return out
    deployment = model.removeprefix("azure/")
    for key, value in params.items():
        if isinstance(value, str) and (match := _VAR.search(value)):
            whole = _WHOLE_VAR.match(value)
            out.append(
                Finding(
                    "fail",
                    "env expansion",
                    f"{name}.{key}",
                    f"'{value}' is sent literally: LiteLLM never expands ${{VAR}} "
                    f"({_LITERAL_EFFECT.get(key, 'the text is used as-is')})",
                    f"write {key}: os.environ/{match.group(1)}",
                    SOURCE_ENV_EXPANSION,
                    (Edit(index, key, f"os.environ/{whole.group(1)}"),) if whole else (),
                )
            )
        _, unset = resolve_reference(value, env)
        if unset:
            out.append(
                Finding(
                    "fail",
                    "env reference",
                    f"{name}.{key}",
                    f"os.environ/{unset} is not set, so LiteLLM gets None here",
                    f"set {unset} in the proxy's environment",
                )
            )
    deployment_id = params.get("deployment_id")
    if deployment_id and str(deployment_id) != deployment:
        out.append(
            Finding(
                "fail",
                "deployment",
                f"{name}.deployment_id",
                f"deployment_id '{deployment_id}' overrides 'azure/{deployment}': requests go to "
                f"/deployments/{deployment_id}/",
                f"remove deployment_id, or use model: azure/{deployment_id}",
                SOURCE_DEPLOYMENT_ID,
                _deployment_id_edits(index, deployment, str(deployment_id), env),
            )
        )
    setting = _deployment_setting(name, deployment, env)
    wanted = env.get(setting) if setting else None
    if setting and wanted and wanted not in (deployment, deployment_id):
        out.append(
            Finding(
                "warn",
                "deployment",
                f"{name}.model",
                f"'azure/{deployment}' differs from {setting}='{wanted}'",
                f"use model: azure/{wanted} if both should reach the same deployment",
            )
        )
    version, _ = resolve_reference(params.get("api_version"), env)
    if not version:
        out.append(
            Finding(
                "warn",
                "api_version",
                f"{name}.api_version",
                "no api_version: LiteLLM uses its own default, which may differ from the direct client's",
                "set api_version to the version your application uses",
            )
        )
    else:
        direct = env.get("AZURE_OPENAI_API_VERSION")
        if direct and direct != str(version):
            out.append(
                Finding(
                    "warn",
                    "api_version",
                    f"{name}.api_version",
                    f"proxy uses {version}, the direct client AZURE_OPENAI_API_VERSION={direct}",
                    "use the same api_version on both paths",
                )
            )
        if str(version)[:10] < STREAM_OPTIONS_SINCE:
            out.append(
                Finding(
                    "warn",
                    "api_version",
                    f"{name}.api_version",
                    f"{version} predates 2024-09-01-preview: LiteLLM adds stream_options to streams, "
                    "which Azure then rejects",
                    "use api_version 2024-10-21 or later",
                )
            )
    key, _ = resolve_reference(params.get("api_key"), env)
    tokens = [k for k in TOKEN_SOURCES if resolve_reference(params.get(k), env)[0]]
    if key and tokens:
        out.append(
            Finding(
                "fail",
                "auth scheme",
                name,
                f"both api_key and {', '.join(tokens)} are set: LiteLLM sends Authorization: Bearer, and "
                "Azure answers 401 'audience is incorrect' when the token is not an Entra token",
                "keep one credential per deployment",
            )
        )
    implicit = (
        "AZURE_OPENAI_API_KEY",
        "AZURE_API_KEY",
        "AZURE_OPENAI_AD_TOKEN",
    )  # the `env token` check names the last
    if not key and not tokens and not token_refresh and not any(env.get(n) for n in implicit):
        out.append(
            Finding(
                "fail",
                "credential",
                name,
                "no api_key and no token source: the proxy answers 500 'Missing credentials'",
                "add api_key: os.environ/AZURE_OPENAI_API_KEY",
            )
        )
    if not any(f.where.startswith(name) and f.status == "fail" for f in out):
        out.append(Finding("ok", "config", name, f"azure/{deployment} looks consistent"))
    return out


def _deployment_id_edits(index: int, deployment: str, deployment_id: str, env: Mapping[str, str]) -> tuple[Edit, ...]:
    """Drop the legacy `deployment_id`, keeping where requests go today (LiteLLM sends them to
    deployment_id), unless AZURE_OPENAI_DEPLOYMENT says the name after `azure/` is the one meant."""
    drop = Edit(index, "deployment_id", None)
    if env.get("AZURE_OPENAI_DEPLOYMENT") == deployment:
        return (drop,)
    return (Edit(index, "model", f"azure/{deployment_id}"), drop)


#: settings config mode supplies offline (the emulator's endpoint and credentials): an unset
#: reference there is not what made a run fail
_SUPPLIED_OFFLINE = ("api_base", "api_key", "azure_ad_token")


def explain(config: Mapping[str, Any], alias: str, env: Mapping[str, str]) -> list[str]:
    """The lint's findings about one alias, as the lines a failing config-mode case appends: the setting,
    the cause, the fix, and the doctor check that explains it. The api-version checks join them (config
    mode keeps the entry's api_version; its api_base and credentials are the emulator's)."""
    lines = []
    versions = [f for f in check_api_versions(config, env) if f.check != "v1 family"]
    for f in lint(config, env) + versions:
        if f.status == "ok" or not f.where.startswith(f"{alias}."):
            continue
        if f.check == "env reference" and f.where.rsplit(".", 1)[-1] in _SUPPLIED_OFFLINE:
            continue
        lines.append(
            f"config setting {f.where}: {f.cause}. Fix: {f.fix} (`python -m harness doctor`, check {f.check!r})"
        )
    return lines
