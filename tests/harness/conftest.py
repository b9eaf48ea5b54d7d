"""Helpers shared by the emulator's self-tests: real SDK clients pointed at the live emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from harness.emulator import RunningEmulator
from harness.paths.matrix import SETUPS, render_proxy_config
from harness.paths.proxy import RunningProxy, run_proxy
from harness.paths.sdk_http import sync_http_client
from harness.replay.upstream import UpstreamTarget, emulator_upstream

from .background import RUNS, Background, Run
from .support import azure_env, team_proxy_config, team_resource

_BACKGROUND = pytest.StashKey[Background]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "background_run(name): the test reads a whole suite run started at collection (background.py)"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the suite runs the collected self-tests read, so they use the second core meanwhile."""
    names = sorted({m.args[0] for item in session.items for m in item.iter_markers("background_run")})
    unknown = [n for n in names if n not in RUNS]
    if unknown:
        raise pytest.UsageError(f"self-tests: unknown background_run {unknown}; known: {', '.join(RUNS)}")
    if names:
        root = session.config._tmp_path_factory.mktemp("background")  # type: ignore[attr-defined]
        # Under xdist every worker collects every test: each runs only what its own tests ask for.
        eager = not hasattr(session.config, "workerinput")
        background = Background(names, root, eager=eager)
        session.config.stash[_BACKGROUND] = background
        session.config.add_cleanup(background.stop)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The background runs' own wall times: a test's duration shows only how long it waited for its run."""
    background = terminalreporter.config.stash.get(_BACKGROUND, None)
    if background is not None and (line := background.timings()):
        terminalreporter.write_line(f"self-test background runs: {line}")


@pytest.fixture
def background_runs(request: pytest.FixtureRequest) -> Background:
    """The session's background runs; `.result(name)` waits for one this test's markers name."""
    assert request.node.get_closest_marker("background_run"), "mark the test background_run(name)"
    return request.config.stash[_BACKGROUND]


@pytest.fixture
def background_run(request: pytest.FixtureRequest, background_runs: Background) -> Run:
    """The finished run named by this test's (one) `background_run` marker."""
    return background_runs.result(request.node.get_closest_marker("background_run").args[0])


API_VERSION = "2024-10-21"


@pytest.fixture
def client(azure_emulator: RunningEmulator) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=azure_emulator.url,
        api_key=azure_emulator.api_key,
        api_version=API_VERSION,
        max_retries=0,
        http_client=sync_http_client(),  # the SDK's default client, without a TLS context per test
    )


@pytest.fixture
def make_client(azure_emulator: RunningEmulator) -> Callable[..., openai.AzureOpenAI]:
    def make(**kwargs: Any) -> openai.AzureOpenAI:
        kwargs.setdefault("azure_endpoint", azure_emulator.url)
        kwargs.setdefault("api_version", API_VERSION)
        kwargs.setdefault("max_retries", 0)
        if "azure_ad_token" not in kwargs:
            kwargs.setdefault("api_key", azure_emulator.api_key)
        if "http_client" not in kwargs:
            kwargs["http_client"] = sync_http_client()
        return openai.AzureOpenAI(**kwargs)

    return make


@pytest.fixture
def raw(azure_emulator: RunningEmulator) -> Callable[..., httpx.Response]:
    """POST straight to the emulator with httpx, to check status and body on the wire."""

    def post(
        path: str = "/openai/deployments/chat/chat/completions",
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        base: str | None = None,
    ) -> httpx.Response:
        hdrs = {"api-key": azure_emulator.api_key}
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        query = {"api-version": API_VERSION} if params is None else params
        return httpx.post(
            (base or azure_emulator.url) + path, json=json, params=query, headers=hdrs, content=content, timeout=10
        )

    return post


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="session")
def emulator_target() -> Iterator[UpstreamTarget]:
    """The emulated resources, whatever --upstream the run uses (self-tests need a live upstream)."""
    with emulator_upstream() as target:
        yield target


@pytest.fixture(scope="session")
def emulator_proxy(emulator_target: UpstreamTarget, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProxy]:
    """A real LiteLLM proxy whose setups point straight at `emulator_target`."""
    config, env = render_proxy_config(SETUPS, emulator_target.credentials, emulator_target.endpoints)
    with run_proxy(config, env, tmp_path_factory.mktemp("emulator-proxy")) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def fake_azure() -> Iterator[RunningEmulator]:
    """The emulator standing in for a team's Azure resource, with the shipped config's deployment."""
    with team_resource() as running:
        yield running


@pytest.fixture(scope="session")
def team_proxy(fake_azure: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProxy]:
    """A team's proxy, started on its own as a staging proxy would be: the doctor's tests and the live
    tests share it (support.team_proxy_config)."""
    with run_proxy(team_proxy_config(), azure_env(fake_azure), tmp_path_factory.mktemp("team-proxy")) as proxy:
        yield proxy
