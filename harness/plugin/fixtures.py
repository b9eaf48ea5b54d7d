"""The harness's fixtures: each one a configuration point a conftest.py can override."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contract.ledger import Ledger
from harness.doctor.preflight import preflight
from harness.emulator import EmulatorConfig
from harness.live.capabilities import probe_capabilities, probe_proxy
from harness.live.run import (
    LIVE_SETUP,
    azure_upstream,
    host_placeholders,
    live_proxy_models,
    proxy_config,
)
from harness.paths.matrix import SETUPS, Credentials, render_proxy_config, setup_named
from harness.paths.proxy import (
    ProxyStartError,
    RunningProxy,
    external_proxy_version,
    litellm_version,
    run_proxy,
)
from harness.paths.proxy_env import OFFLINE_PROXY_ENV
from harness.paths.team_groups import plan_groups, team_emulator_config
from harness.paths.team_render import team_proxy_config
from harness.plugin.state import STATE
from harness.replay import waits
from harness.replay.cassettes import PLACEHOLDERS
from harness.replay.netguard import loopback_only
from harness.replay.recording import Capture, CassetteSession, LiveCapture
from harness.replay.scrub import Scrubber
from harness.replay.server import UpstreamServer, running_upstream
from harness.replay.upstream import UpstreamTarget, emulator_upstream, replay_upstream
from harness.runner.parts import emulator_part, proxy_part, upstream_part
from harness.settings import HarnessSettings


@pytest.fixture(scope="session", autouse=True)
def _offline_guard(harness_settings: HarnessSettings) -> Iterator[None]:
    """Offline runs may only talk to loopback; a stray connection fails at once with the fix.
    Live runs talk to the user's resource, and nothing else is guarded."""
    if harness_settings.live is not None:
        yield
        return
    with loopback_only("Record new cassettes with --upstream emulator --record, or run live against Azure."):
        yield


@pytest.fixture(autouse=True)
def _parts_alive(request: pytest.FixtureRequest) -> None:
    """Before each item: a part that died since the last one fails this item with the whole story
    (`harness.runner.parts`); after that, every item fails at once with a reference to it."""
    request.config.stash[STATE].watch.check(request.node.nodeid)


@pytest.fixture(scope="session", autouse=True)
def _live_preflight(harness_settings: HarnessSettings, pytestconfig: pytest.Config) -> None:
    """Live: check both endpoints answer and accept their keys before the first case."""
    if harness_settings.live is None:
        return
    problem = preflight(harness_settings.live, pytestconfig.stash[STATE].live_token)
    if problem is not None:
        pytest.exit(f"harness --live: the live setup does not work:\n{problem}", returncode=3)


@pytest.fixture(scope="session")
def live_unavailable(
    request: pytest.FixtureRequest, harness_settings: HarnessSettings, pytestconfig: pytest.Config
) -> dict[str, str]:
    """Live: the APIs (`responses`, `v1`, `embeddings`) this resource, these settings or the user's proxy
    aliases cannot serve, with the answer as the reason; their cases are n/a live
    (`harness.live.capabilities`). The generated config's aliases need no asking; a recording run's
    proxy calls only inside cases. Offline: none."""
    live = harness_settings.live
    if live is None:
        return {}
    unavailable = probe_capabilities(live, pytestconfig.stash[STATE].live_token)
    if "litellm" in harness_settings.paths and not live.generated_config and not harness_settings.uses_cassettes:
        proxy: RunningProxy = request.getfixturevalue("litellm_proxy")
        unavailable |= probe_proxy(proxy.url, proxy.master_key, live_proxy_models(live), unavailable)
    return unavailable


@pytest.fixture(scope="session")
def harness_settings(pytestconfig: pytest.Config) -> HarnessSettings:
    return pytestconfig.stash[STATE].settings


@pytest.fixture(scope="session")
def divergence_ledger(pytestconfig: pytest.Config) -> Ledger:
    return pytestconfig.stash[STATE].ledger


@pytest.fixture(scope="session")
def emulator_config(harness_settings: HarnessSettings) -> EmulatorConfig:
    """The emulated resource behind the contract suite; override to bring your deployment table. In config
    mode it also has every deployment the team's config names, as the team's resource does."""
    config = EmulatorConfig()
    if harness_settings.team is not None:
        config = team_emulator_config(harness_settings.team, config)
    return config


@pytest.fixture(scope="session")
def upstream_target(
    harness_settings: HarnessSettings, emulator_config: EmulatorConfig, pytestconfig: pytest.Config
) -> Iterator[UpstreamTarget]:
    """What stands where Azure sits: cassette placeholders (replay), the emulated resources, or live
    the user's resource."""
    if harness_settings.live is not None:
        yield azure_upstream(harness_settings.live, pytestconfig.stash[STATE].live_token)
        return
    if harness_settings.upstream == "replay":
        yield replay_upstream()
        return
    with (
        emulator_upstream(emulator_config) as target,
        pytestconfig.stash[STATE].watch.watching(*map(emulator_part, target.emulators)),
    ):
        yield target


@pytest.fixture(scope="session")
def harness_scrubber(
    upstream_target: UpstreamTarget, harness_settings: HarnessSettings, pytestconfig: pytest.Config
) -> Scrubber:
    """Every secret the run hands out, and the real hosts, to keep out of cassettes and logs."""
    scrubber = Scrubber(
        hosts={
            real: PLACEHOLDERS[name]
            for name, real in upstream_target.endpoints.items()
            if name in PLACEHOLDERS and real != PLACEHOLDERS[name]
        }
    )
    scrubber.add_secrets([upstream_target.credentials.api_key])
    pytestconfig.stash[STATE].watch.scrub = scrubber.text
    live = harness_settings.live
    if live is not None:
        scrubber.hosts.update(host_placeholders(live))
        scrubber.add_secrets([*live.secrets(), pytestconfig.stash[STATE].live_token or ""])
        # Recorded live, a cassette names the deployments the replayed setups ask for.
        named = {live.deployment: setup_named(LIVE_SETUP).deployment}
        if live.embeddings_deployment:
            named[live.embeddings_deployment] = setup_named("embeddings").deployment
        for real, offline in named.items():
            scrubber.paths[f"/deployments/{real}/"] = f"/deployments/{offline}/"
            scrubber.models[real] = offline
    return scrubber


@pytest.fixture(scope="session")
def run_credentials(upstream_target: UpstreamTarget, harness_scrubber: Scrubber) -> Credentials:
    """The upstream's credentials, with every minted token registered with the scrubber."""
    creds = upstream_target.credentials

    def mint(kind: str) -> str:
        token = creds.mint_token(kind)
        harness_scrubber.add_secrets([token])
        return token

    return Credentials(api_key=creds.api_key, mint_token=mint)


@pytest.fixture(scope="session")
def upstream_server(
    harness_settings: HarnessSettings,
    upstream_target: UpstreamTarget,
    harness_scrubber: Scrubber,
    pytestconfig: pytest.Config,
) -> Iterator[UpstreamServer | None]:
    """The loopback server the proxy calls in cassette modes (None when it calls the upstream directly)."""
    if not harness_settings.uses_cassettes:
        yield None
        return
    server = UpstreamServer(
        harness_scrubber,
        endpoints=upstream_target.endpoints,
        placeholders=PLACEHOLDERS,
        compress_waits=harness_settings.compress_waits,
    )
    with running_upstream(server), pytestconfig.stash[STATE].watch.watching(upstream_part(server)):
        yield server


@pytest.fixture(scope="session")
def litellm_proxy(
    harness_settings: HarnessSettings,
    upstream_target: UpstreamTarget,
    upstream_server: UpstreamServer | None,
    run_credentials: Credentials,
    harness_scrubber: Scrubber,
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
    worker_id: str,
) -> Iterator[RunningProxy]:
    """The real LiteLLM proxy, one per xdist worker, configured from the deployment matrix."""
    if harness_settings.proxy_url:
        yield RunningProxy(
            url=harness_settings.proxy_url,
            master_key=harness_settings.proxy_key or "",
            version=external_proxy_version(harness_settings.proxy_url, harness_settings.proxy_key or ""),
            startup_s=0.0,
            config_path=Path("(external)"),
            log_path=Path("(external)"),
            pid=0,
        )
        return
    endpoints = dict(upstream_target.endpoints)
    if upstream_server is not None:
        endpoints = {name: upstream_server.api_base(name) for name in endpoints}
    elif harness_settings.compress_waits:
        endpoints.update(upstream_target.proxy_endpoints)  # the emulator's listener whose retry hints say "now"
    live = harness_settings.live
    if live is not None:
        config, env = proxy_config(
            live,
            run_credentials,
            endpoints["public"],
            pytestconfig.stash[STATE].live_env,
            recording=upstream_server is not None,
        )
    else:
        team = harness_settings.team
        lanes = pytestconfig.stash[STATE].lanes
        if team is not None:
            config, env = team_proxy_config(team, run_credentials, endpoints, lanes)
        else:
            config, env = render_proxy_config(SETUPS, run_credentials, endpoints, lanes)
    harness_scrubber.add_secrets(env.values())
    if live is None:
        # Offline, anything the proxy tries to reach beyond loopback goes to a closed local port at once.
        env = {**env, **OFFLINE_PROXY_ENV}
    if harness_settings.compress_waits:
        env = {**env, **waits.PROXY_ENV}
    workdir = tmp_path_factory.mktemp("litellm-proxy")
    try:
        with (
            run_proxy(config, env, workdir, start_deadline_s=harness_settings.proxy_start_timeout_s) as proxy,
            pytestconfig.stash[STATE].watch.watching(proxy_part(proxy)),
        ):
            harness_scrubber.add_secrets([proxy.master_key])
            pytestconfig.stash[STATE].results.proxy_startups[worker_id] = proxy.startup_s
            yield proxy
    except ProxyStartError as exc:
        pytest.exit(str(exc), returncode=3)


@pytest.fixture(scope="session")
def contract_capture(
    harness_settings: HarnessSettings,
    upstream_target: UpstreamTarget,
    upstream_server: UpstreamServer | None,
    harness_scrubber: Scrubber,
) -> Capture:
    if upstream_server is None:
        team = harness_settings.team
        return LiveCapture(
            upstream_target,
            sees_proxy_upstream=harness_settings.proxy_url is None,
            canonical=plan_groups(team).canonical if team is not None else {},
        )
    return CassetteSession(
        root=harness_settings.cassette_dir,
        mode=harness_settings.record_mode,
        source=harness_settings.upstream,
        scrubber=harness_scrubber,
        server=upstream_server,
        litellm_version=litellm_version(),
    )
