"""The doctor's checks by family, each on a config (and environment) that reproduces a misconfiguration
people report: the finding names the exact setting and the cause, carries a fix and the thread where
it was reported. Pure functions, no network; `test_doctor_causes.py` shows the causes on a real proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.doctor import DoctorInputs
from harness.doctor.apiversion import check_api_versions
from harness.doctor.credentials import check_credentials
from harness.doctor.diagnose import classify_azure_error
from harness.doctor.environment import check_environment
from harness.doctor.finding import Finding
from harness.doctor.naming import check_naming
from harness.doctor.proxy import _explain_leg
from harness.doctor.proxyenv import dotenv_files, proxy_environment
from harness.doctor.run import static_checks
from harness.doctor.urls import check_urls

KEY = "0123456789abcdef0123456789abcdef"  # the shape of a classic Azure key
JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"
ENV = {"AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_API_BASE": "https://myres.openai.azure.com"}


def entry(name: str = "gpt-4o", **params: object) -> str:
    base = {
        "model": "azure/gpt-4o-prod",
        "api_base": "https://myres.openai.azure.com",
        "api_key": "os.environ/AZURE_OPENAI_API_KEY",
        "api_version": "2024-10-21",
    }
    merged = {k: v for k, v in (base | params).items() if v is not None}
    return yaml.safe_dump({"model_list": [{"model_name": name, "litellm_params": merged}]}, sort_keys=False)


def run_all(text: str, env: dict[str, str]) -> list[Finding]:
    config = yaml.safe_load(text)
    return [
        f
        for check in (check_credentials, check_urls, check_naming, check_api_versions, check_environment)
        for f in check(config, env)
    ]


# fmt: off
CASES = [
    # (test id, config, environment, status, check, setting named, words of the cause)
    ("literal-key", entry(api_key=KEY), ENV, "warn", "secret in config", "gpt-4o.api_key", "32 hex characters"),
    (
        "key-newline",
        entry(),
        ENV | {"AZURE_OPENAI_API_KEY": KEY + "\n"},
        "fail",
        "credential whitespace",
        "gpt-4o.api_key",
        "Forbidden control character",
    ),
    (
        "key-quoted",
        entry(),
        ENV | {"AZURE_OPENAI_API_KEY": f'"{KEY}"'},
        "fail",
        "credential quotes",
        "gpt-4o.api_key",
        "docker run --env-file",
    ),
    (
        "jwt-as-key",
        entry(),
        ENV | {"AZURE_OPENAI_API_KEY": JWT},
        "fail",
        "key format",
        "gpt-4o.api_key",
        "goes out as the api-key header",
    ),
    (
        "two-env-keys",
        entry(api_key=None),
        ENV | {"AZURE_API_KEY": "f" * 32},
        "warn",
        "env key order",
        "gpt-4o.api_key",
        "LiteLLM takes AZURE_OPENAI_API_KEY",
    ),
    (
        "key-shadows-sp",
        entry(api_key=None, tenant_id="t", client_id="c", client_secret="os.environ/SP_SECRET"),
        ENV | {"SP_SECRET": "s"},
        "fail",
        "key shadows entra",
        "gpt-4o.tenant_id",
        "never fetches an Entra token",
    ),
    (
        "wrong-scope",
        entry(
            api_key=None,
            tenant_id="t",
            client_id="c",
            client_secret="os.environ/S",
            azure_scope="https://management.azure.com/.default",
        ),
        {"S": "s"},
        "fail",
        "azure scope",
        "gpt-4o.azure_scope",
        "'https://management.azure.com/.default'",
    ),
    (
        "no-scheme",
        entry(api_base="myres.openai.azure.com"),
        ENV,
        "fail",
        "api_base scheme",
        "gpt-4o.api_base",
        "relative path",
    ),
    (
        "full-path",
        entry(api_base="https://myres.openai.azure.com/openai/deployments/gpt-4o/chat/completions"),
        ENV,
        "fail",
        "api_base path",
        "gpt-4o.api_base",
        "requests go to deployment 'gpt-4o' whatever 'model' says",
    ),
    (
        "openai-suffix",
        entry(api_base="os.environ/BASE"),
        ENV | {"BASE": "https://myres.openai.azure.com/openai"},
        "fail",
        "api_base path",
        "gpt-4o.api_base",
        "appends /openai again",
    ),
    (
        "models-endpoint",
        entry(api_base="https://hub.services.ai.azure.com/models"),
        ENV,
        "fail",
        "api_base host",
        "gpt-4o.api_base",
        "Foundry models-inference endpoint",
    ),
    (
        "privatelink",
        entry(api_base="https://myres.privatelink.openai.azure.com"),
        ENV,
        "warn",
        "api_base host",
        "gpt-4o.api_base",
        "TLS certificate",
    ),
    (
        "regional-entra",
        entry(api_base="https://westeurope.api.cognitive.microsoft.com", api_key=None, azure_ad_token="os.environ/T"),
        ENV | {"T": JWT},
        "fail",
        "api_base host",
        "gpt-4o.api_base",
        "custom subdomain",
    ),
    (
        "openai-prefix",
        entry(model="openai/gpt-4o-prod", api_version=None),
        ENV,
        "fail",
        "provider prefix",
        "gpt-4o.model",
        "OpenAIException - Resource not found",
    ),
    (
        "azure-ai-prefix",
        entry(model="azure_ai/gpt-4o-prod"),
        ENV,
        "fail",
        "provider prefix",
        "gpt-4o.model",
        "Foundry model-inference provider",
    ),
    (
        "dotted-name",
        entry(model="azure/gpt-3.5-turbo"),
        ENV,
        "warn",
        "deployment name",
        "gpt-4o.model",
        "Azure's model id is 'gpt-35-turbo'",
    ),
    (
        "unquoted-date",
        entry().replace("'2024-10-21'", "2024-10-21"),
        ENV,
        "fail",
        "api_version type",
        "gpt-4o.api_version",
        "no healthy deployments",
    ),
    (
        "query-prefix",
        entry(api_version="api-version=2024-10-21"),
        ENV,
        "fail",
        "api_version format",
        "gpt-4o.api_version",
        "API version not supported",
    ),
    (
        "model-version",
        entry(api_version="2024-05-13"),
        ENV,
        "fail",
        "api_version value",
        "gpt-4o.api_version",
        "gpt-4o's model version",
    ),
    (
        "retired-preview",
        entry(api_version="2023-09-01-preview"),
        ENV,
        "warn",
        "api_version value",
        "gpt-4o.api_version",
        "retired by Azure on 2024-07-01",
    ),
    (
        "v1-base-dated",
        entry(api_base="https://myres.openai.azure.com/openai/v1"),
        ENV,
        "fail",
        "v1 family",
        "gpt-4o.api_base",
        "/openai/v1/openai/deployments/",
    ),
    (
        "env-ad-token",
        entry(api_key=None),
        {"AZURE_OPENAI_AD_TOKEN": JWT},
        "warn",
        "env token",
        "AZURE_OPENAI_AD_TOKEN",
        "sends this variable as Authorization: Bearer",
    ),
    (
        "entra-env",
        entry(api_key="os.environ/TEAM_KEY"),
        {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"},
        "fail",
        "entra env",
        "AZURE_CLIENT_SECRET",
        "fetches an Entra token for that service principal",
    ),
    (
        "azure-api-version",
        entry(api_version=None),
        ENV | {"AZURE_API_VERSION": "2023-05-15"},
        "warn",
        "ignored env",
        "AZURE_API_VERSION",
        "they get 2025-02-01-preview, not 2023-05-15",
    ),
    (
        "azure-ad-token",
        entry(api_key=None),
        {"AZURE_AD_TOKEN": JWT},
        "warn",
        "ignored env",
        "AZURE_AD_TOKEN",
        "Missing credentials",
    ),
    (
        "legacy-type",
        entry(),
        ENV | {"OPENAI_API_TYPE": "azure"},
        "warn",
        "ignored env",
        "OPENAI_API_TYPE",
        "openai<1.0-era",
    ),
    (
        "requests-ca",
        entry(),
        ENV | {"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"},
        "warn",
        "tls trust",
        "REQUESTS_CA_BUNDLE",
        "never reads REQUESTS_CA_BUNDLE",
    ),
    (
        "missing-cert-file",
        entry(),
        ENV | {"SSL_CERT_FILE": "/nonexistent/corp.pem"},
        "warn",
        "tls trust",
        "SSL_CERT_FILE",
        "does not exist",
    ),
]


@pytest.mark.parametrize(
    ("text", "env", "status", "check", "where", "cause"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_misconfiguration_is_named(
    text: str, env: dict[str, str], status: str, check: str, where: str, cause: str
) -> None:
    found = [f for f in run_all(text, env) if f.check == check]
    assert found, f"no {check!r} finding; got {[(f.check, f.where) for f in run_all(text, env)]}"
    finding = found[0]
    assert (finding.status, finding.where) == (status, where)
    assert cause in finding.cause, finding.cause
    assert finding.fix and finding.source.startswith("https://")
    assert KEY not in finding.cause + finding.fix + finding.where  # a value is described, never shown


def test_the_good_config_has_no_findings() -> None:
    assert run_all(entry(), ENV) == []
    shipped = Path(__file__).resolve().parents[2] / "litellm.config.yaml"
    assert run_all(shipped.read_text(), ENV | {"AZURE_OPENAI_EMBEDDINGS_API_KEY": KEY}) == []


def test_v1_and_the_v1_api_base_are_fine_together() -> None:
    assert run_all(entry(api_version="v1"), ENV) == []
    openai_v1 = entry(model="openai/gpt-4o-prod", api_base="https://myres.openai.azure.com/openai/v1", api_version=None)
    assert run_all(openai_v1, ENV) == []


def test_a_gateway_prefix_is_not_a_path_mistake_but_apim_is_named() -> None:
    findings = run_all(entry(api_base="https://corp.azure-api.net/openai-gw"), ENV)
    assert [(f.check, f.status) for f in findings] == [("api_base host", "warn")]
    assert "Ocp-Apim" not in findings[0].cause and "api-key header" in findings[0].cause


def test_a_secret_gets_one_variable_per_value_and_never_one_that_holds_another_value() -> None:
    text = yaml.safe_dump(
        {
            "model_list": [
                {"model_name": n, "litellm_params": {"model": "azure/d", "api_key": k, "api_version": "2024-10-21"}}
                for n, k in (("a", KEY), ("b", KEY), ("c", "f" * 32))
            ],
            "general_settings": {"master_key": "sk-1234567890"},
        }
    )
    edits = {f.where: f.edits[0] for f in run_all(text, {"AZURE_OPENAI_API_KEY": "another"}) if f.edits}
    assert edits["a.api_key"].value == edits["b.api_key"].value == "os.environ/AZURE_OPENAI_API_KEY_2"
    assert edits["c.api_key"].env_name == "AZURE_OPENAI_API_KEY_3"
    master = edits["general_settings.master_key"]
    assert (master.index, master.section, master.value) == (None, "general_settings", "os.environ/LITELLM_MASTER_KEY")


def test_keyed_entries_ignore_token_variables() -> None:
    """Observed on 1.108.7: with a key, AZURE_OPENAI_AD_TOKEN and AZURE_AD_TOKEN change nothing."""
    assert run_all(entry(), ENV | {"AZURE_OPENAI_AD_TOKEN": JWT, "AZURE_AD_TOKEN": JWT}) == []


def test_the_dotenv_litellm_loads_is_found_upward_from_its_install(tmp_path: Path) -> None:
    """python-dotenv's find_dotenv() from LiteLLM's package: the project holding the venv, not the cwd."""
    project = tmp_path / "project"
    package = project / ".venv" / "lib" / "python3.11" / "site-packages" / "litellm"
    (package / "proxy").mkdir(parents=True)
    (project / ".env").write_text(f"AZURE_OPENAI_AD_TOKEN={JWT}\nAZURE_API_VERSION=2023-05-15\n")
    workdir = tmp_path / "deploy"
    workdir.mkdir()
    config = workdir / "litellm.config.yaml"
    config.write_text(entry(api_key=None, api_version=None))
    (workdir / ".env").write_text("AZURE_OPENAI_API_KEY=from-the-workdir\n")
    assert dotenv_files(package) == [project / ".env"]
    inputs = DoctorInputs(env={}, config_path=config, litellm_dir=package)
    findings, env, origin = proxy_environment(inputs, yaml.safe_load(config.read_text()))
    loaded = next(f for f in findings if f.where == str(project / ".env"))
    assert loaded.status == "warn" and "sets AZURE_API_VERSION, AZURE_OPENAI_AD_TOKEN" in loaded.cause
    ignored = next(f for f in findings if f.where == str(workdir / ".env"))
    assert "the litellm CLI does not load it" in ignored.cause
    assert "AZURE_OPENAI_API_KEY" not in env  # the working directory's .env is not the proxy's
    token = next(f for f in static_checks(inputs)[0] if f.check == "env token")
    assert token.where == f"AZURE_OPENAI_AD_TOKEN (from {project / '.env'})"
    assert origin["AZURE_API_VERSION"] == project / ".env"
    off = DoctorInputs(env={"LITELLM_MODE": "PRODUCTION"}, config_path=config, litellm_dir=package)
    assert proxy_environment(off, None)[0] == []


def test_the_network_half_of_deployment_name_names_the_dotted_model() -> None:
    """When the proxy → Azure call gets DeploymentNotFound, the dotted name after azure/ is blamed."""
    found = _explain_leg(
        classify_azure_error(404, "DeploymentNotFound"), ("chat", {"model": "azure/gpt-3.5-turbo"}), True
    )
    assert (found.where, found.status) == ("chat.model", "fail")
    assert "Azure has no deployment 'gpt-3.5-turbo'" in found.cause and "gpt-35-turbo" in found.cause
    other = _explain_leg(classify_azure_error(404, "DeploymentNotFound"), ("chat", {"model": "azure/gpt-4.1"}), True)
    assert other.where == "chat.model" and "that is a model's name, not the deployment's" in other.cause


def test_every_source_named_in_code_is_in_the_docs() -> None:
    from harness.doctor import apiversion, configlint, credentials, environment, naming, proxyenv, urls

    sources = {proxyenv.SOURCE, configlint.SOURCE_ENV_EXPANSION, configlint.SOURCE_DEPLOYMENT_ID}
    for module in (apiversion, credentials, environment, naming, urls):
        sources |= set(module.SOURCES.values())
    docs = (Path(__file__).resolve().parents[2] / "docs" / "doctor.md").read_text()
    assert not sorted(s for s in sources if s not in docs)
