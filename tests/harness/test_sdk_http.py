"""The SDK's HTTP clients share one TLS context (`harness.paths.sdk_http`) and keep the SDK's defaults."""

from __future__ import annotations

import openai
import pytest

from harness.paths import sdk_http


def _ssl_context(client: openai.DefaultHttpxClient) -> object:
    return client._transport._pool._ssl_context  # type: ignore[attr-defined]


def test_clients_share_one_context_built_as_verify_true_builds_it() -> None:
    with sdk_http.sync_http_client() as one, sdk_http.sync_http_client() as two:
        assert _ssl_context(one) is _ssl_context(two) is sdk_http.tls_context()
        with openai.DefaultHttpxClient() as default:  # what the SDK would build on its own
            theirs = _ssl_context(default)
            ours = _ssl_context(one)
            assert (ours.verify_mode, ours.check_hostname) == (theirs.verify_mode, theirs.check_hostname)
            assert ours.cert_store_stats() == theirs.cert_store_stats()
            assert (one.timeout, one.follow_redirects) == (default.timeout, default.follow_redirects)


def test_a_changed_ca_variable_gets_its_own_context(monkeypatch: pytest.MonkeyPatch) -> None:
    first = sdk_http.tls_context()
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent-ca-dir")
    assert sdk_http.tls_context() is not first


def test_the_sdk_client_uses_it_and_its_own_timeout() -> None:
    client = sdk_http.sync_client(openai.OpenAI, base_url="http://127.0.0.1:9/v1", api_key="k", timeout=2.5)
    with client:
        assert _ssl_context(client._client) is sdk_http.tls_context()
        assert client.timeout == 2.5


def test_a_client_the_sdk_refuses_closes_its_http_client(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[openai.DefaultHttpxClient] = []
    real = sdk_http.sync_http_client
    monkeypatch.setattr(sdk_http, "sync_http_client", lambda: made.append(real()) or made[-1])
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(openai.OpenAIError, match="api_key"):  # no key: the SDK refuses to build the client
        sdk_http.sync_client(openai.OpenAI, base_url="http://127.0.0.1:9/v1")
    assert made and made[0].is_closed


def test_an_sdk_on_httpx_gets_httpxs_context_without_httpx2(monkeypatch: pytest.MonkeyPatch) -> None:
    """openai 2 (an older LiteLLM's venv, where the gate relaxes the openai pin) is built on `httpx`, and
    `httpcore2` is absent there: the context comes from httpx, and nothing imports httpcore2."""
    import sys

    import httpx

    monkeypatch.setitem(sys.modules, "httpcore2", None)  # `import httpcore2` raises, as where it is absent

    class OnHttpx(httpx.Client):  # what openai 2's DefaultHttpxClient is
        pass

    made = sdk_http.default_context(OnHttpx)
    with httpx.Client() as plain:  # httpx's own verify=True
        theirs = plain._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert (made.verify_mode, made.check_hostname) == (theirs.verify_mode, theirs.check_hostname)
        assert made.cert_store_stats() == theirs.cert_store_stats()
