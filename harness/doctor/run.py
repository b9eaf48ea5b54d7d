"""`python -m harness doctor`: check a real setup, both paths, and name the cause of each failure.

For the person troubleshooting at 2 a.m.: each check prints ok / warn / fail, a one-line cause and
the fix. It reads the same settings as `pytest --live` (environment and `.env`) and the proxy's
`litellm.config.yaml`, then checks, in order:

- the environment: every variable present and well formed;
- the config (`harness.doctor.configlint`), the model alias, and a `.env` beside the proxy that LiteLLM
  would load;
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

from harness.doctor.configlint import Finding
from harness.doctor.disclosure import check_disclosure
from harness.doctor.embeddings import check_direct_embeddings, check_embeddings_settings, check_proxy_embeddings
from harness.doctor.local import check_config, check_env, check_tokens
from harness.doctor.network import check_direct, check_private_endpoint
from harness.doctor.proxy import check_proxy, check_proxy_leg
from harness.doctor.report import DoctorInputs, DoctorReport, scrubber_for


def run_doctor(inputs: DoctorInputs) -> DoctorReport:
    report = DoctorReport()
    report.findings += check_env(inputs.env, inputs.auth)
    config_findings, config = check_config(inputs)
    report.findings += config_findings
    report.findings += check_embeddings_settings(inputs.env, config)
    report.findings += check_disclosure(config, inputs.config_path)
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
    report.findings = [
        Finding(f.status, f.check, scrubber.text(f.where), scrubber.text(f.cause), scrubber.text(f.fix))
        for f in report.findings
    ]
    return report
