"""`python -m harness doctor`: check a real setup, both paths, and name the cause of each failure.

For the person troubleshooting at 2 a.m.: each check prints ok / warn / fail, a one-line cause and
the fix. It reads the same settings as `pytest --live` (environment and `.env`) and the proxy's
`litellm.config.yaml`, then checks, in order:

- the environment: every variable present and well formed;
- the config (`harness.configlint`), the model alias, and a `.env` beside the proxy that LiteLLM
  would load;
- Entra tokens, decoded without verifying: audience, expiry, tenant;
- the private endpoint: what the Azure host resolves to;
- the direct path: a one-token call with the application's own settings;
- the proxy: `/health/liveliness`, its key, the model alias;
- the proxy-to-Azure leg: a one-token call through the proxy; a failure is read for whether the
  proxy sent a bearer token or a bad key, and the config setting that made it do so is named.

No key, token or resource host is printed: every text passes the run's scrubber.
"""

from __future__ import annotations

import concurrent.futures
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai

from harness.configlint import TOKEN_SOURCES, ConfigError, Finding, lint, load_config, referenced_env_vars
from harness.diagnose import Diagnosis, address_kind, classify_azure_error, decode_token, first_line
from harness.livesettings import API_VERSION, PROXY_EXAMPLE, LiveSettingsError, read_env_file, url_problem
from harness.scrub import Scrubber

HOST_PLACEHOLDER = "<resource host>"
_TOKEN_ENV = ("AZURE_AD_TOKEN", "AZURE_OPENAI_AD_TOKEN")


@dataclass
class DoctorInputs:
    env: Mapping[str, str] = field(repr=False)  # keys and tokens: never printed
    config_path: Path | None = None
    proxy_workdir: Path | None = None  # where the proxy runs; default: the config's directory
    auth: str = "key"
    token: str | None = field(default=None, repr=False)  # --auth entra: the token the direct path uses
    timeout_s: float = 15.0


@dataclass
class DoctorReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.status == "fail" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.status == s for f in self.findings) for s in ("ok", "warn", "fail")}

    def as_json(self) -> dict[str, Any]:
        return {"ok": not self.failed, "counts": self.counts(), "checks": [asdict(f) for f in self.findings]}

    def render(self) -> str:
        c = self.counts()
        lines = [f"harness doctor: {c['ok']} ok, {c['warn']} warn, {c['fail']} fail"]
        for f in self.findings:
            lines.append(f"{f.status:<5} {f.check:<17} {f.where:<32} {f.cause}")
            if f.fix and f.status != "ok":
                lines.append(f"{'':<5} {'':<17} {'':<32} fix: {f.fix}")
        return "\n".join(lines)


def scrubber_for(inputs: DoctorInputs) -> Scrubber:
    """Every secret and the resource host in the settings, so nothing printed carries them."""
    env = inputs.env
    scrubber = Scrubber.for_secrets(
        [v for k, v in env.items() if any(w in k.upper() for w in ("KEY", "TOKEN", "SECRET", "PASSWORD"))]
        + [inputs.token or ""]
    )
    base = env.get("AZURE_OPENAI_API_BASE", "")
    host = urlsplit(base).hostname if base else None
    if host:
        scrubber.hosts[host] = HOST_PLACEHOLDER
    return scrubber


# ---------------------------------------------------------------- environment and config


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


def _is_url(value: str) -> bool:
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
    out = [Finding(f.status, f.check, f.where, f.cause, f.fix) for f in lint(config, inputs.env)]
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
    out += check_dotenv(inputs.proxy_workdir or path.parent, config, inputs.env)
    return out, config


def check_dotenv(workdir: Path, config: Mapping[str, Any], env: Mapping[str, str]) -> list[Finding]:
    """LiteLLM's CLI loads `.env` from its working directory (unless LITELLM_MODE=PRODUCTION)."""
    path = workdir / ".env"
    try:
        dotenv = read_env_file(path)
    except LiveSettingsError as exc:
        return [Finding("warn", "proxy .env", str(path), str(exc), "fix or remove it")]
    if not dotenv:
        return []
    out: list[Finding] = []
    tokens = [k for k in _TOKEN_ENV if dotenv.get(k)]
    if dotenv.get("AZURE_CLIENT_SECRET") and dotenv.get("AZURE_TENANT_ID") and dotenv.get("AZURE_CLIENT_ID"):
        tokens.append("AZURE_CLIENT_SECRET")
    if tokens:
        out.append(
            Finding(
                "fail",
                "proxy .env",
                f"{path.name}: {', '.join(tokens)}",
                f"a .env in the proxy's working directory sets {', '.join(tokens)}: LiteLLM loads it and sends "
                "Authorization: Bearer to Azure (the 'audience is incorrect' 401)",
                f"remove them from {path}, or start the proxy with LITELLM_MODE=PRODUCTION",
            )
        )
    referenced = referenced_env_vars(config) | {"AZURE_OPENAI_API_KEY", "AZURE_API_KEY", "AZURE_API_BASE"}
    for name in sorted(referenced & dotenv.keys()):
        if env.get(name) != dotenv[name]:
            out.append(
                Finding(
                    "warn",
                    "proxy .env",
                    f"{path.name}: {name}",
                    f"a .env in the proxy's working directory sets {name} to another value than your "
                    "environment: a proxy started there without it uses the .env's",
                    f"remove {name} from {path}, or make the values agree",
                )
            )
    return out


# ---------------------------------------------------------------- tokens and DNS


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


def check_private_endpoint(env: Mapping[str, str], timeout_s: float = 5.0) -> list[Finding]:
    base = env.get("AZURE_OPENAI_API_BASE", "")
    host = urlsplit(base).hostname if _is_url(base) else None
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


# ---------------------------------------------------------------- the two paths


def check_direct(inputs: DoctorInputs) -> list[Finding]:
    """One token through `openai.AzureOpenAI`, as the application calls Azure."""
    env = inputs.env
    if not all(env.get(n) for n in ("AZURE_OPENAI_API_BASE", "AZURE_OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT")):
        return [Finding("warn", "direct", "Azure", "skipped: settings missing (see the env checks)")]
    credential: dict[str, str] = (
        {"azure_ad_token": inputs.token or ""}
        if inputs.auth == "entra"
        else {"api_key": env.get("AZURE_OPENAI_API_KEY", "")}
    )
    deployment = env["AZURE_OPENAI_DEPLOYMENT"]
    try:
        with openai.AzureOpenAI(
            azure_endpoint=env["AZURE_OPENAI_API_BASE"],
            api_version=env["AZURE_OPENAI_API_VERSION"],
            timeout=inputs.timeout_s,
            max_retries=0,
            **credential,
        ) as client:
            client.chat.completions.create(
                model=deployment, messages=[{"role": "user", "content": "ping"}], max_tokens=1
            )
    except openai.APIConnectionError as exc:
        return [_connection_failure("direct", "AZURE_OPENAI_API_BASE", exc, inputs.timeout_s)]
    except openai.APIStatusError as exc:
        d = classify_azure_error(exc.status_code, exc.response.text)
        where = {"bad-key": "AZURE_OPENAI_API_KEY", "deployment": "AZURE_OPENAI_DEPLOYMENT"}.get(d.kind, "Azure")
        if d.kind == "api-version":
            where = "AZURE_OPENAI_API_VERSION"
        return [Finding("fail", "direct", where, d.cause, d.fix)]
    except openai.OpenAIError as exc:
        return [Finding("fail", "direct", "client", first_line(str(exc)), "check the settings above")]
    return [Finding("ok", "direct", "Azure", f"reachable, auth ok, deployment '{deployment}' answers")]


def _connection_failure(check: str, setting: str, exc: openai.APIConnectionError, timeout_s: float) -> Finding:
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


def check_proxy(inputs: DoctorInputs) -> tuple[list[Finding], bool]:
    """Reachable (no auth), then its key and the alias (`/v1/models`). True when a call can be tried."""
    env = inputs.env
    base = env.get("LITELLM_API_BASE", "").rstrip("/")
    if not _is_url(base):
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


def check_proxy_leg(inputs: DoctorInputs, config: Mapping[str, Any] | None) -> list[Finding]:
    """One token through the proxy: the proxy's own call to Azure, and what made it fail."""
    env = inputs.env
    alias = env.get("LITELLM_MODEL", "")
    try:
        with openai.OpenAI(
            base_url=env["LITELLM_API_BASE"].rstrip("/") + "/v1",
            api_key=env.get("LITELLM_API_KEY", ""),
            timeout=inputs.timeout_s * 2,
            max_retries=0,
        ) as client:
            client.chat.completions.create(model=alias, messages=[{"role": "user", "content": "ping"}], max_tokens=1)
    except openai.APIConnectionError as exc:
        return [_connection_failure("proxy → Azure", "LITELLM_API_BASE", exc, inputs.timeout_s * 2)]
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
    elif not have_config:
        fix += " (pass --config to have the doctor name the setting)"
    return Finding("fail", "proxy → Azure", where, cause, fix)


def run_doctor(inputs: DoctorInputs) -> DoctorReport:
    report = DoctorReport()
    report.findings += check_env(inputs.env, inputs.auth)
    config_findings, config = check_config(inputs)
    report.findings += config_findings
    report.findings += check_tokens(inputs, config)
    report.findings += check_private_endpoint(inputs.env)
    report.findings += check_direct(inputs)
    proxy_findings, can_call = check_proxy(inputs)
    report.findings += proxy_findings
    if can_call:
        report.findings += check_proxy_leg(inputs, config)
    scrubber = scrubber_for(inputs)
    report.findings = [
        Finding(f.status, f.check, scrubber.text(f.where), scrubber.text(f.cause), scrubber.text(f.fix))
        for f in report.findings
    ]
    return report
