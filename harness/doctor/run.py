"""`python -m harness doctor`: check a real setup, both paths, and name the cause of each failure.

For the person troubleshooting at 2 a.m.: each check prints ok / warn / fail, a one-line cause and
the fix. It reads the same settings as `pytest --live` (environment and `.env`) and the proxy's
`litellm.config.yaml`, then checks, in order:

- the environment: every variable present and well formed;
- the config (`harness.doctor.configlint`) and the model alias;
- the `.env` files LiteLLM itself would load (`proxyenv`), which give the proxy's environment; then,
  on that environment, the static checks by family: credentials, `api_base` URLs, provider
  prefixes and deployment names, api-versions, and variables read (or ignored) implicitly;
- Entra tokens, decoded without verifying: audience, expiry, tenant;
- the private endpoint: what the Azure host resolves to;
- the direct path: a one-token call with the application's own settings;
- the proxy: `/health/liveliness`, its key, the model alias;
- the proxy-to-Azure leg: a one-token call through the proxy; a failure is read for whether the
  proxy sent a bearer token or a bad key, and the config setting that made it do so is named;
- what the proxy discloses to its clients (`harness.doctor.disclosure`): x-litellm-* headers and
  router text in errors, unless the config turns them off;
- embeddings, when `AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT` is set (`harness.doctor.embeddings`): the
  settings against the config, then one embeddings call on each path.

No key, token or resource host is printed: every text passes the run's scrubber.
"""

from __future__ import annotations

from harness.doctor.apiversion import check_api_versions
from harness.doctor.credentials import check_credentials
from harness.doctor.disclosure import check_disclosure
from harness.doctor.embeddings import check_direct_embeddings, check_embeddings_settings, check_proxy_embeddings
from harness.doctor.environment import check_environment
from harness.doctor.finding import Finding
from harness.doctor.local import check_config, check_env, check_tokens
from harness.doctor.naming import check_naming
from harness.doctor.network import check_direct, check_private_endpoint
from harness.doctor.proxy import check_proxy, check_proxy_leg
from harness.doctor.proxyenv import proxy_environment
from harness.doctor.report import DoctorInputs, DoctorReport, scrub_finding, scrubber_for
from harness.doctor.timeouts import check_timeouts
from harness.doctor.urls import check_urls


def static_checks(inputs: DoctorInputs) -> tuple[list[Finding], dict | None]:
    """Everything that needs no network: the environment, the config's lint, the `.env` files LiteLLM
    loads, and the checks by family on the proxy's resulting environment. `doctor --fix` reads these."""
    findings = check_env(inputs.env, inputs.auth)
    config_findings, config = check_config(inputs)
    findings += config_findings
    dotenv_findings, proxy_env, origin = proxy_environment(inputs, config) if config is not None else ([], {}, {})
    findings += dotenv_findings
    if config is not None:
        for family in (check_credentials, check_urls, check_naming, check_api_versions):
            findings += family(config, proxy_env)
        findings += check_environment(config, proxy_env, origin)
    failed = {f.where.rsplit(".", 1)[0] for f in findings if f.status == "fail" and "." in f.where}
    return [f for f in findings if not (f.check == "config" and f.status == "ok" and f.where in failed)], config


def run_doctor(inputs: DoctorInputs) -> DoctorReport:
    report = DoctorReport()
    report.findings, config = static_checks(inputs)
    report.findings += check_embeddings_settings(inputs.env, config)
    report.findings += check_disclosure(config, inputs.config_path)
    report.findings += check_timeouts(config)
    report.findings += check_tokens(inputs, config)
    report.findings += check_private_endpoint(inputs.env)
    report.findings += check_direct(inputs)
    report.findings += check_direct_embeddings(inputs)
    proxy_findings, can_call = check_proxy(inputs)
    report.findings += proxy_findings
    if can_call:
        report.findings += check_proxy_leg(inputs, config)
        report.findings += check_proxy_embeddings(inputs)
    scrubber = scrubber_for(inputs)
    report.findings = [scrub_finding(scrubber, f) for f in report.findings]
    return report
