"""Secrets never reach a cassette: a scan of every committed one, and a property over random secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import vcr.serializers.yamlserializer
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.request import Request

from harness.replay.cassettes import PLACEHOLDERS, AtomicPersister, request_filter, response_filter
from harness.replay.scrub import REDACTED, Scrubber, is_sensitive

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+")
MASTER_KEY = re.compile(r"\bsk-[\w-]{16,}")
HEX_KEY = re.compile(r"\b[0-9a-f]{32}\b")
LOOPBACK = re.compile(r"127\.0\.0\.1|localhost|\[::1\]")


def _cassettes() -> list[Path]:
    files = sorted(CASSETTES.rglob("*.yaml"))
    assert files, "no cassettes found to scan"
    return files


def test_committed_cassettes_hold_no_secret_shaped_values():
    for file in _cassettes():
        text = file.read_text()
        assert not JWT.search(text), f"{file}: holds a JWT"
        assert not MASTER_KEY.search(text), f"{file}: holds an sk- key"
        assert not LOOPBACK.search(text), f"{file}: holds a real (loopback) host instead of the placeholder"
        data = yaml.safe_load(text)
        for interaction in data["interactions"]:
            request = interaction["request"]
            assert request["uri"].startswith(tuple(PLACEHOLDERS.values())), f"{file}: {request['uri']}"
            for section in (request["headers"], interaction["response"]["headers"]):
                for name, values in section.items():
                    if is_sensitive(name):
                        assert all(v in (REDACTED, "") for v in values), f"{file}: header {name} not redacted"
                    else:
                        assert not any(HEX_KEY.search(str(v)) for v in values), f"{file}: {name} looks like a key"


DOCS = Path(__file__).resolve().parents[2] / "docs"
AZURE_HOST = re.compile(r"[\w-]+\.(openai\.azure\.com|cognitiveservices\.azure\.com)")


def test_committed_reports_hold_no_secret_shaped_values():
    """The gate's and the bisect's reports committed under docs/ came from real runs: scan them too."""
    reports = sorted(p for p in DOCS.rglob("*-report.*") if p.suffix in (".json", ".txt", ".html"))
    assert reports, "no committed reports found to scan"
    for file in reports:
        text = file.read_text()
        for what, pattern in (("a JWT", JWT), ("an sk- key", MASTER_KEY), ("a 32-hex key", HEX_KEY),
                              ("an Azure resource host", AZURE_HOST)):  # fmt: skip
            found = pattern.search(text)
            assert not found, f"{file}: holds {what}: {found[0][:12]}..."


def test_the_scan_catches_what_it_claims(tmp_path: Path):
    token = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzIn0.c2ln"
    assert JWT.search(token) and MASTER_KEY.search("sk-" + "a" * 20) and HEX_KEY.search("0" * 32)


NAMES = st.sampled_from(
    [
        "api-key",
        "Authorization",
        "X-Custom-Token",
        "Cookie",
        "Set-Cookie",
        "ocp-apim-subscription-key",
        "X-Client-Secret",
        "proxy-authorization",
        "X-API-KEY",
    ]
)
JSON_KEYS = st.sampled_from(["api_key", "access_token", "client_secret", "password", "refreshToken", "AUTH", "Key"])
SECRET = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=12, max_size=40
).map(lambda s: "S3cr3t" + s)


@settings(max_examples=60)
@given(
    secrets=st.lists(SECRET, min_size=4, max_size=4, unique=True),
    header=NAMES,
    key=JSON_KEYS,
    query=st.sampled_from(["api-key", "sig", "token", "code_key"]),
    tmp=st.just(None),
)
def test_random_secrets_never_reach_the_written_file(tmp_path_factory, secrets, header, key, query, tmp):
    header_secret, body_secret, query_secret, echoed = secrets
    scrubber = Scrubber(hosts={"http://127.0.0.1:4242": PLACEHOLDERS["public"]})
    scrubber.add_secrets([echoed])  # a known secret that the upstream echoes back in content
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": f"my key is {echoed}"}],
            "nested": {key: body_secret, "list": [{key: body_secret}]},
        }
    )
    request = Request(
        "POST",
        f"http://127.0.0.1:4242/openai/deployments/chat/chat/completions?api-version=2024-10-21&{query}={query_secret}",
        body.encode(),
        {header: header_secret, "content-type": "application/json"},
    )
    sse = "data: " + json.dumps({"choices": [], key: body_secret, "note": echoed}) + "\n\ndata: [DONE]\n\n"
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {header: [header_secret], "set-cookie": [f"session={header_secret}"], "x-echo": [echoed]},
        "body": {"string": sse.encode()},
    }
    cleaned_request = request_filter(scrubber)(request)
    cleaned_response = response_filter(scrubber)(response)
    path = tmp_path_factory.mktemp("secrets") / "cassette.yaml"
    AtomicPersister.save_cassette(
        path, {"requests": [cleaned_request], "responses": [cleaned_response]}, vcr.serializers.yamlserializer
    )
    written = path.read_text()
    for secret in secrets:
        assert secret not in written
    assert "127.0.0.1" not in written
    # deterministic, as vcrpy re-runs the request filter at match time
    again = request_filter(scrubber)(request)
    assert (again.uri, again.body, dict(again.headers)) == (
        cleaned_request.uri,
        cleaned_request.body,
        dict(cleaned_request.headers),
    )


def test_reports_and_results_hold_no_secret_shaped_values(pytester, tmp_path):
    """A real replay run: neither parity-report.json nor .html carries a key, token or loopback secret."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    package = pytester.path / "contract"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(root / "tests" / "contract" / "test_auth.py", package / "test_auth.py")
    shutil.copy(root / "tests" / "contract" / "test_chat.py", package / "test_chat.py")
    shutil.copytree(CASSETTES / "auth", pytester.path / "cassettes" / "auth")
    shutil.copy(root / "tests" / "contract" / "divergences.yaml", pytester.path / "divergences.yaml")
    result = pytester.runpytest_subprocess(
        "-p",
        "harness.plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        "contract/test_auth.py",
        "-k",
        "test_auth and (key or token)",
        "--cassette-dir",
        "cassettes",
        "--ledger",
        "divergences.yaml",
        "--parity-report",
        "report.json",
    )
    assert result.ret == 0, result.stdout.str()[-2000:]
    for name in ("report.json", "report.html"):
        text = (pytester.path / name).read_text()
        assert "auth/entra-token" in text
        assert not JWT.search(text), f"{name}: holds a JWT"
        assert not MASTER_KEY.search(text), f"{name}: holds an sk- key"
        assert not HEX_KEY.search(text), f"{name}: holds a 32-hex key"
    assert not JWT.search(result.stdout.str()) and not MASTER_KEY.search(result.stdout.str())


def test_objects_that_hold_secrets_never_print_them(tmp_path: Path):
    """pytest prints fixture values in failure tracebacks (and the gate keeps each run's log): the
    objects the harness hands around must not show the keys they carry."""
    from harness.doctor import DoctorInputs
    from harness.paths.clients import LiteLLMPath
    from harness.paths.matrix import Credentials
    from harness.paths.proxy import RunningProxy

    key, token = "sk-master-key-value-1234567890", "eyJ-secret-token-value"
    shown = [
        repr(RunningProxy("http://127.0.0.1:1", key, "1.0", 0.0, tmp_path, tmp_path, 1)),
        repr(Credentials(api_key=key, mint_token=lambda kind: token)),
        repr(LiteLLMPath(base_url="http://127.0.0.1:1", api_key=key)),
        repr(DoctorInputs(env={"AZURE_OPENAI_API_KEY": key}, token=token)),
    ]
    for text in shown:
        assert key not in text and token not in text


def test_a_token_the_harness_never_held_is_redacted_by_its_shape() -> None:
    """Live, LiteLLM fetches the Entra token itself (a service principal): the harness never holds its value,
    so it cannot be a known secret. A log tail or a message that carries it is scrubbed by its shape."""
    token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzIn0.c2lnbmF0dXJl"
    assert Scrubber().text(f"Bearer {token} rejected") == f"Bearer {REDACTED} rejected"


def test_a_credential_litellm_puts_in_a_body_never_reaches_a_comparison() -> None:
    """LiteLLM 1.108.7's embeddings send the config's `azure_ad_token` in the JSON body (found on
    examples/service-principal once the emulator's journal kept the bodies of requests it refused): the
    comparison keeps the name, so the divergence shows, and never the value (reports, ledgers)."""
    from types import SimpleNamespace

    from harness.replay.recording import LiveCapture

    entry = SimpleNamespace(method="POST", route="/openai/deployments/d/embeddings", api_version="2024-10-21",
                            auth_scheme="bearer", deployment="d",
                            body={"input": ["x"], "model": "d", "azure_ad_token": "eyJ.secret.value"})  # fmt: skip
    request = LiveCapture(target=None)._request(entry)  # type: ignore[arg-type]
    assert request["body"] == {"input": ["x"], "model": "d", "azure_ad_token": REDACTED}
