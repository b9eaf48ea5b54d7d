"""Helpers shared by the emulator's self-tests: real SDK clients pointed at the live emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from harness.emulator import RunningEmulator
from harness.matrix import SETUPS, render_proxy_config
from harness.proxy import RunningProxy, run_proxy
from harness.upstream import UpstreamTarget, emulator_upstream

API_VERSION = "2024-10-21"


@pytest.fixture
def client(azure_emulator: RunningEmulator) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=azure_emulator.url, api_key=azure_emulator.api_key, api_version=API_VERSION, max_retries=0
    )


@pytest.fixture
def make_client(azure_emulator: RunningEmulator) -> Callable[..., openai.AzureOpenAI]:
    def make(**kwargs: Any) -> openai.AzureOpenAI:
        kwargs.setdefault("azure_endpoint", azure_emulator.url)
        kwargs.setdefault("api_version", API_VERSION)
        kwargs.setdefault("max_retries", 0)
        if "azure_ad_token" not in kwargs:
            kwargs.setdefault("api_key", azure_emulator.api_key)
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
    from harness.emulator import EmulatorConfig, run_emulator
    from harness.emulator.config import Deployment

    from .support import DEPLOYMENT

    config = EmulatorConfig()
    config.deployments[DEPLOYMENT] = Deployment(DEPLOYMENT)
    with run_emulator(config) as running:
        yield running
