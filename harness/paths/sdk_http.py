"""The HTTP clients the harness hands the `openai` SDK: the SDK's own default client, with one TLS
context per process.

The contract builds a new SDK client per call, since each case states its own timeout, retries and
credential. Left to itself, the SDK builds a new `httpx` client for each, and that builds a new TLS
context, loading the machine's CA bundle: about 40 ms of CPU per client, 12 s of a contract run's
60 s (cProfile: `load_verify_locations`, 310 calls), although loopback calls never use TLS. The clients
made here are `openai.DefaultHttpxClient` (the SDK's timeout, connection limits and redirects) given
the context `verify=True` would build, built once for each value of the variables it reads
(`SSL_CERT_FILE`, `SSL_CERT_DIR`). What the application sees does not change: the SDK sends each
request with the client's own timeout, and live calls verify TLS as before.

Which library builds that context depends on the SDK the environment has: openai 3 is built on
`httpx2` (`httpcore2.default_ssl_context`), openai 2 on `httpx` (`httpx.create_ssl_context`). The
gate runs this harness in older LiteLLM releases' venvs, where the openai pin is relaxed to openai 2
and `httpcore2` is absent: importing it unconditionally made every such release unrunnable.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import openai

Client = TypeVar("Client")


def default_context(client_class: type) -> ssl.SSLContext:
    """What `verify=True` builds for an HTTP client of `client_class` (the SDK's default client): by the
    library it is built on, read from its bases."""
    if any(base.__module__.split(".")[0] == "httpx2" for base in client_class.__mro__):
        import httpcore2

        return httpcore2.default_ssl_context()
    import httpx

    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=8)
def _context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """What `verify=True` builds under these variables (the function reads them itself)."""
    return default_context(openai.DefaultHttpxClient)


def tls_context() -> ssl.SSLContext:
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def sync_http_client() -> openai.DefaultHttpxClient:
    return openai.DefaultHttpxClient(verify=tls_context())


def async_http_client() -> openai.DefaultAsyncHttpxClient:
    return openai.DefaultAsyncHttpxClient(verify=tls_context())


def sync_client(make: Callable[..., Client], **kwargs: Any) -> Client:
    """`make(**kwargs)` (an SDK client class) on a sync HTTP client from here; the HTTP client is closed
    if the SDK refuses the arguments (the refusal is what the application sees: the caller observes it)."""
    return _built(make, sync_http_client(), kwargs)


def async_client(make: Callable[..., Client], **kwargs: Any) -> Client:
    return _built(make, async_http_client(), kwargs)


def _built(make: Callable[..., Client], http: Any, kwargs: dict[str, Any]) -> Client:
    try:
        return make(**kwargs, http_client=http)
    except BaseException:
        if isinstance(http, openai.DefaultHttpxClient):
            http.close()
        # an unused async client holds no connection: nothing to close outside an event loop
        raise
