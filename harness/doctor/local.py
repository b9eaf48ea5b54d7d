"""Checks that need no network: the environment's settings, the proxy's config file and model alias,
and Entra tokens decoded without verifying. (The `.env` files LiteLLM loads: `proxyenv`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from harness.doctor.configlint import Finding, lint
from harness.doctor.diagnose import decode_token
from harness.doctor.report import DoctorInputs
from harness.live.settings import API_VERSION, PROXY_EXAMPLE, url_problem
from harness.paths.litellm_config import ConfigError, load_config

_TOKEN_ENV = ("AZURE_AD_TOKEN", "AZURE_OPENAI_AD_TOKEN")


def check_env(env: Mapping[str, str], auth: str) -> list[Finding]:
    out: list[Finding] = []
    required = ["AZURE_OPENAI_API_BASE", "AZURE_OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT"]
    if auth == "key":
        required.append("AZURE_OPENAI_API_KEY")
    for name in required:
        value = env.get(name, "")
        if not value:
            out.append(Finding("fail", "env", name, "not set", f"set {name} (see .env.example)"))
        elif name == "AZURE_OPENAI_API_BASE" and (problem := url_problem(name, value)):
            out.append(
                Finding("fail", "env", name, problem.split(": ", 1)[1], "use https://<resource>.openai.azure.com")
            )
        elif name == "AZURE_OPENAI_API_VERSION" and not API_VERSION.match(value):
            out.append(
                Finding("fail", "env", name, "not YYYY-MM-DD[-preview]", "use a released api-version like 2024-10-21")
            )
        else:
            out.append(Finding("ok", "env", name, "set" + (", an http(s) URL" if name.endswith("BASE") else "")))
    base = env.get("LITELLM_API_BASE", "")
    if not base:
        out.append(
            Finding(
                "warn",
                "env",
                "LITELLM_API_BASE",
                "not set: the proxy checks are skipped",
                "set it to the proxy's URL, e.g. http://localhost:4000",
            )
        )
        return out
    problem = url_problem("LITELLM_API_BASE", base, PROXY_EXAMPLE)
    out.append(
        Finding("ok", "env", "LITELLM_API_BASE", "set, an http(s) URL")
        if problem is None
        else Finding("fail", "env", "LITELLM_API_BASE", problem.split(": ", 1)[1], f"use e.g. {PROXY_EXAMPLE}")
    )
    for name in ("LITELLM_API_KEY", "LITELLM_MODEL"):
        out.append(
            Finding("ok", "env", name, "set")
            if env.get(name)
            else Finding("fail", "env", name, "not set", f"set {name} (see .env.example)")
        )
    return out


def is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_config(inputs: DoctorInputs) -> tuple[list[Finding], dict[str, Any] | None]:
    path = inputs.config_path
    if path is None:
        return [
            Finding("warn", "config", "litellm.config.yaml", "no config given: lint skipped", "pass --config FILE")
        ], None
    try:
        config = load_config(path)
    except ConfigError as exc:
        return [
            Finding("fail", "config", path.name, str(exc), "fix the file; see the shipped litellm.config.yaml")
        ], None
    out = lint(config, inputs.env)
    alias = inputs.env.get("LITELLM_MODEL")
    names = [str(e.get("model_name")) for e in config["model_list"] if isinstance(e, dict)]
    if alias and alias not in names:
        out.append(
            Finding(
                "fail",
                "model alias",
                "LITELLM_MODEL",
                f"'{alias}' is not a model_name in {path.name} ({', '.join(names)}): the proxy answers 400 "
                "'Invalid model name'",
                f"set LITELLM_MODEL to one of: {', '.join(names)}",
            )
        )
    return out, config


def check_tokens(inputs: DoctorInputs, config: Mapping[str, Any] | None) -> list[Finding]:
    candidates: dict[str, str] = {}
    if inputs.token:
        candidates["--auth entra token"] = inputs.token
    for name in _TOKEN_ENV:
        if inputs.env.get(name):
            candidates[name] = inputs.env[name]
    for entry in (config or {}).get("model_list") or []:
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        value = params.get("azure_ad_token") if isinstance(params, dict) else None
        if isinstance(value, str) and value:
            resolved = (
                inputs.env.get(value.removeprefix("os.environ/"), "") if value.startswith("os.environ/") else value
            )
            if resolved:
                candidates[f"{entry.get('model_name')}.azure_ad_token"] = resolved
    out: list[Finding] = []
    for where, token in candidates.items():
        info = decode_token(token)
        if not info.is_jwt:
            out.append(
                Finding(
                    "fail",
                    "token",
                    where,
                    "not a JWT: this looks like an api key given as a bearer token (Azure answers 401 'audience is "
                    "incorrect')",
                    "pass the key as api_key, not azure_ad_token",
                )
            )
            continue
        problems = []
        if not info.audience_ok:
            problems.append(f"audience '{info.audience}' is not https://cognitiveservices.azure.com")
        if info.expired:
            problems.append(f"expired {-(info.expires_in_s or 0) / 60:.0f} min ago")
        left = f", expires in {info.expires_in_s / 60:.0f} min" if info.expires_in_s and info.expires_in_s > 0 else ""
        summary = f"audience {info.audience or '(none)'}, tenant {info.tenant or '(none)'}{left}"
        out.append(
            Finding(
                "fail" if problems else "ok",
                "token",
                where,
                "; ".join(problems) + f" ({summary})" if problems else summary,
                "get a token for scope https://cognitiveservices.azure.com/.default" if problems else "",
            )
        )
    return out
