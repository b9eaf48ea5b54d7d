"""The causes the new doctor checks name, shown on a real LiteLLM proxy (the pinned version) against
the emulator: one proxy serves one broken entry per misconfiguration, and each entry's answer (or the
request Azure saw) is what the check's cause says, while the check itself flags that entry."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.doctor import DoctorInputs
from harness.doctor.run import static_checks
from harness.emulator import RunningEmulator
from harness.paths.proxy import RunningProxy, run_proxy
from harness.replay import waits

from .support import DEPLOYMENT

#: one worker runs every test of the team's proxy (and the doctor's broken one): under `-n 2` each worker
#: would otherwise start its own, for half the tests
pytestmark = pytest.mark.xdist_group("team-proxy")


def _entries(azure: RunningEmulator) -> list[dict]:
    base, key = azure.url, azure.api_key

    def entry(alias: str, **params: object) -> dict:
        merged = {"model": f"azure/{DEPLOYMENT}", "api_base": base, "api_key": key, "api_version": "2024-10-21"}
        return {"model_name": alias, "litellm_params": {k: v for k, v in (merged | params).items() if v is not None}}

    return [
        entry("newline-key", api_key="os.environ/KEY_WITH_NEWLINE"),
        entry("quoted-key", api_key="os.environ/QUOTED_KEY"),
        entry("no-scheme", api_base=base.split("://", 1)[1]),
        entry("openai-suffix", api_base=base + "/openai"),
        entry("deployment-in-base", model="azure/other-name", api_base=f"{base}/openai/deployments/{DEPLOYMENT}"),
        entry("unquoted-date", api_version=datetime.date(2024, 10, 21)),
        entry("query-prefix", api_version="api-version=2024-10-21"),
        entry("model-version", api_version="2024-05-13"),
        entry("v1-base-dated", api_base=base + "/openai/v1"),
        entry("implicit-key", api_key=None, api_version=None),
        {"model_name": "openai-prefix", "litellm_params": {"model": f"openai/{DEPLOYMENT}", "api_base": base,
                                                           "api_key": key}},
    ]  # fmt: skip


@pytest.fixture(scope="module")
def broken(fake_azure: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProxy]:
    env = {
        "KEY_WITH_NEWLINE": fake_azure.api_key + "\n",
        "QUOTED_KEY": f'"{fake_azure.api_key}"',
        "AZURE_OPENAI_API_KEY": "0" * 32,  # a stale key LiteLLM prefers ...
        "AZURE_API_KEY": fake_azure.api_key,  # ... over the right one
        "AZURE_API_VERSION": "2023-05-15",  # which the proxy does not apply
        "AZURE_AD_TOKEN": "not.a.token",  # which the proxy does not send
        **waits.PROXY_ENV,  # no back-off before the retries of a 500: the answer and the route stay the same
    }
    with run_proxy({"model_list": _entries(fake_azure)}, env, tmp_path_factory.mktemp("broken-proxy")) as proxy:
        yield proxy


def ask(proxy: RunningProxy, azure: RunningEmulator, alias: str) -> tuple[int, str, list]:
    before = len(azure.emulator.journal)
    response = httpx.post(
        proxy.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {proxy.master_key}"},
        json={"model": alias, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1},
        timeout=60,
    )
    return response.status_code, response.text, list(azure.emulator.journal)[before:]


# (alias, the check that names it, the proxy's status, words of its answer, the route Azure saw or None)
OBSERVED = [
    ("newline-key", "credential whitespace", 500, "Forbidden control character detected in headers", None),
    ("quoted-key", "credential quotes", 401, "invalid subscription key", "/openai/deployments/gpt-4o-prod/"),
    ("no-scheme", "api_base scheme", 500, "AzureException APIError", None),
    ("openai-suffix", "api_base path", 404, "Resource not found", "/openai/openai/deployments/"),
    ("deployment-in-base", "api_base path", 200, "", "/openai/deployments/gpt-4o-prod/"),
    ("unquoted-date", "api_version type", 400, "There are no healthy deployments for this model", None),
    ("query-prefix", "api_version format", 400, "API version not supported", "/openai/deployments/"),
    ("model-version", "api_version value", 400, "API version not supported", "/openai/deployments/"),
    ("v1-base-dated", "v1 family", 404, "Resource not found", "/openai/v1/openai/deployments/"),
    ("openai-prefix", "provider prefix", 404, "OpenAIException - Resource not found", "/chat/completions"),
]


@pytest.mark.parametrize(("alias", "check", "status", "words", "route"), OBSERVED, ids=[o[0] for o in OBSERVED])
def test_the_cause_is_what_the_proxy_does(
    broken: RunningProxy,
    fake_azure: RunningEmulator,
    tmp_path: Path,
    alias: str,
    check: str,
    status: str,
    words: str,
    route: str | None,
) -> None:
    got, text, seen = ask(broken, fake_azure, alias)
    assert got == status and words in text, text[:400]
    if route is None:
        assert seen == []  # it never reached Azure
    else:
        assert seen and seen[0].route.startswith(route), [e.route for e in seen]
    flagged = _flagged(fake_azure, tmp_path)
    assert (check, f"{alias}.") in {(c, w.split(".", 1)[0] + ".") for c, w in flagged}


def test_the_implicit_environment_is_read_as_the_checks_say(
    broken: RunningProxy, fake_azure: RunningEmulator, tmp_path: Path
) -> None:
    """No api_key, no api_version: AZURE_OPENAI_API_KEY wins over AZURE_API_KEY (`env key order`), the
    request carries LiteLLM's default api-version, not AZURE_API_VERSION, and AZURE_AD_TOKEN is not
    sent (`ignored env`)."""
    got, text, seen = ask(broken, fake_azure, "implicit-key")
    assert got == 401 and "invalid subscription key" in text
    assert (seen[0].api_version, seen[0].auth_scheme) == ("2025-02-01-preview", "api-key")
    flagged = _flagged(fake_azure, tmp_path)
    assert ("env key order", "implicit-key.api_key") in flagged
    assert ("ignored env", "AZURE_API_VERSION") in flagged


def _flagged(azure: RunningEmulator, tmp_path: Path) -> set[tuple[str, str]]:
    import yaml

    config = tmp_path / "litellm.config.yaml"
    config.write_text(yaml.safe_dump({"model_list": _entries(azure)}, sort_keys=False))
    env = {
        "KEY_WITH_NEWLINE": azure.api_key + "\n",
        "QUOTED_KEY": f'"{azure.api_key}"',
        "AZURE_OPENAI_API_KEY": "0" * 32,
        "AZURE_API_KEY": azure.api_key,
        "AZURE_API_VERSION": "2023-05-15",
    }
    findings, _ = static_checks(DoctorInputs(env=env, config_path=config, litellm_dir=tmp_path / "litellm"))
    return {(f.check, f.where) for f in findings if f.status != "ok"}
