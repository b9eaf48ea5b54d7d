"""The harness's fixtures: each one a configuration point a conftest.py can override."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from harness import waits
from harness.cassettes import PLACEHOLDERS
from harness.clients import DirectPath, FallbackPath, LiteLLMPath
from harness.contract import Case, CaseResult, ContractRunner
from harness.emulator import EmulatorConfig, RunningEmulator, run_emulator
from harness.ledger import Ledger
from harness.live import (
    LIVE_SETUP,
    azure_upstream,
    host_placeholders,
    live_setups,
    not_applicable_live,
    preflight,
    proxy_config,
)
from harness.matrix import SETUPS, Credentials, render_proxy_config, setup_named
from harness.netguard import loopback_only
from harness.observe import Observation
from harness.parts import emulator_part, proxy_part, upstream_part
from harness.proxy import ProxyStartError, RunningProxy, external_proxy_version, litellm_version, run_proxy
from harness.recording import Capture, CaseRef, CassetteSession, ForwardingCapture, LiveCapture
from harness.results import NOT_APPLICABLE_LIVE, PROPERTY, TIMING
from harness.scrub import Scrubber
from harness.settings import HarnessSettings
from harness.state import ITEM, STATE, area_of, item_owner
from harness.upstream import UpstreamTarget, emulator_upstream, replay_upstream
from harness.upstream_server import UpstreamServer, running_upstream


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
    (`harness.parts`); after that, every item fails at once with a reference to it."""
    request.config.stash[STATE].watch.check(request.node.nodeid)


@pytest.fixture(scope="session", autouse=True)
def _live_preflight(harness_settings: HarnessSettings, pytestconfig: pytest.Config) -> None:
    """Live: check both endpoints answer and accept their keys before the first case."""
    if harness_settings.live is None:
        return
    problem = preflight(harness_settings.live, pytestconfig.stash[STATE].live_token)
    if problem is not None:
        pytest.exit(f"harness --live: the live setup does not work:\n{problem}", returncode=3)


# ---------------------------------------------------------------- fixtures: configuration points


@pytest.fixture(scope="session")
def harness_settings(pytestconfig: pytest.Config) -> HarnessSettings:
    return pytestconfig.stash[STATE].settings


@pytest.fixture(scope="session")
def divergence_ledger(pytestconfig: pytest.Config) -> Ledger:
    return pytestconfig.stash[STATE].ledger


@pytest.fixture(scope="session")
def emulator_config() -> EmulatorConfig:
    """The emulated resource behind the contract suite; override to bring your deployment table."""
    return EmulatorConfig()


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
        # Recorded live, a cassette names the deployment the replayed `good-key` setup asks for.
        offline = setup_named(LIVE_SETUP).deployment
        scrubber.paths[f"/deployments/{live.deployment}/"] = f"/deployments/{offline}/"
        scrubber.models[live.deployment] = offline
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
        config, env = render_proxy_config(SETUPS, run_credentials, endpoints, pytestconfig.stash[STATE].lanes)
    harness_scrubber.add_secrets(env.values())
    if live is None:
        # Offline, anything the proxy tries to reach beyond loopback goes to a closed local port at once.
        env = {**env, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
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
        return LiveCapture(upstream_target, sees_proxy_upstream=harness_settings.proxy_url is None)
    return CassetteSession(
        root=harness_settings.cassette_dir,
        mode=harness_settings.record_mode,
        source=harness_settings.upstream,
        scrubber=harness_scrubber,
        server=upstream_server,
        litellm_version=litellm_version(),
    )


@pytest.fixture(scope="session")
def contract_runner(
    request: pytest.FixtureRequest,
    harness_settings: HarnessSettings,
    divergence_ledger: Ledger,
    upstream_target: UpstreamTarget,
    run_credentials: Credentials,
    contract_capture: Capture,
) -> ContractRunner:
    live = harness_settings.live
    setups = live_setups(live) if live is not None else SETUPS
    models = {LIVE_SETUP: live.proxy_model} if live is not None else {}
    # The local offline proxy's config is ours: each item gets its own model groups. A staging or
    # --proxy-url proxy has the user's aliases, shared as in production.
    own_proxy = live is None and not harness_settings.proxy_url
    lanes = request.config.stash[STATE].lanes if own_proxy else None
    paths: dict[str, Any] = {
        "direct": DirectPath(endpoints=upstream_target.endpoints, credentials=run_credentials, setups=setups),
    }
    version = litellm_version()
    if "litellm" in harness_settings.paths:  # `--paths direct` never starts a proxy
        proxy: RunningProxy = request.getfixturevalue("litellm_proxy")
        paths["litellm"] = LiteLLMPath(base_url=proxy.url, api_key=proxy.master_key, models=models, lanes=lanes)
        paths["fallback"] = FallbackPath(litellm=paths["litellm"], direct=paths["direct"])
        version = proxy.version
    return ContractRunner(
        before_case=upstream_target.reset,
        paths=paths,
        capture=contract_capture,
        ledger=divergence_ledger,
        level=harness_settings.level,
        litellm_version=version,
    )


@pytest.fixture(scope="session")
def live_contract_runner(
    request: pytest.FixtureRequest,
    harness_settings: HarnessSettings,
    upstream_target: UpstreamTarget,
    upstream_server: UpstreamServer | None,
    run_credentials: Credentials,
    contract_runner: ContractRunner,
) -> Iterator[ContractRunner]:
    """The runner for cases a cassette cannot hold (timing faults). Without cassettes it is the
    main runner; with them, both paths meet a live in-process emulator that accepts the run's
    credentials, the proxy's calls passing through the upstream server as they arrive."""
    if upstream_server is None:
        yield contract_runner
        return
    if harness_settings.live is not None:  # recording live: the real resource, nothing recorded
        yield ContractRunner(
            paths=contract_runner.paths,
            capture=LiveCapture(upstream_target, sees_proxy_upstream=False),
            ledger=contract_runner.ledger,
            level=contract_runner.level,
            litellm_version=contract_runner.litellm_version,
        )
        return
    with ExitStack() as stack:
        target = upstream_target
        if not target.emulators:
            target = stack.enter_context(emulator_upstream(upstream_target.emulator_config))
            stack.enter_context(request.config.stash[STATE].watch.watching(*map(emulator_part, target.emulators)))
        paths = dict(contract_runner.paths)
        paths["direct"] = DirectPath(endpoints=target.endpoints, credentials=run_credentials)
        if "litellm" in paths:
            paths["fallback"] = FallbackPath(litellm=paths["litellm"], direct=paths["direct"])
        yield ContractRunner(
            paths=paths,
            capture=ForwardingCapture(target, upstream_server),
            ledger=contract_runner.ledger,
            level=contract_runner.level,
            litellm_version=contract_runner.litellm_version,
            before_case=target.reset,
        )


@pytest.fixture(scope="session")
def azure_emulator_session() -> Iterator[RunningEmulator]:
    """A stand-alone emulated resource for emulator self-tests (the contract uses `upstream_target`)."""
    with run_emulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture
def azure_emulator(azure_emulator_session: RunningEmulator) -> RunningEmulator:
    """The session emulator with its quota window and journal cleared for this test."""
    azure_emulator_session.emulator.reset()
    return azure_emulator_session


@pytest.fixture(scope="session")
def private_azure_emulator() -> Iterator[RunningEmulator]:
    """A resource with public network access disabled: only its private listener answers."""
    with run_emulator(EmulatorConfig(public_network_access=False)) as running:
        yield running


class BoundContract:
    """The `contract` fixture: runs a case on this item's path and records the comparison."""

    def __init__(
        self,
        scrubber: Scrubber,
        runner: ContractRunner,
        live: Callable[[], ContractRunner],
        path: str,
        area: str,
        item: pytest.Item,
        test_file: str,
        is_live: bool = False,
    ) -> None:
        self.runner, self.live, self.path, self.area, self.item = runner, live, path, area, item
        self.test_file, self.scrubber, self.is_live = test_file, scrubber, is_live

    def __repr__(self) -> str:
        return f"<contract area={self.area} path={self.path}>"

    def run(self, case: Case) -> Observation:
        __tracebackhide__ = True
        if self.is_live and (reason := not_applicable_live(case)):
            pytest.skip(f"{NOT_APPLICABLE_LIVE}: {reason}")
        runner = self.runner if case.replayable else self.live()
        started = time.perf_counter()
        try:
            ref = CaseRef(self.area, case.id, self.test_file, lane_owner=item_owner(self.item) or "")
            return runner.run(case, ref, self.path, self._record)
        except AssertionError as exc:
            # A failure message quotes observations; a secret echoed by an upstream must not reach the terminal.
            exc.args = (self.scrubber.text(str(exc)),)
            raise
        finally:
            total = time.perf_counter() - started
            calls = dict(runner.call_seconds)
            self.item.user_properties.append(
                (
                    TIMING,
                    {
                        "case": f"{self.area}/{case.id}",
                        "path": self.path,
                        "total_s": total,
                        "calls_s": calls,
                        "overhead_s": max(0.0, total - sum(calls.values())),
                    },
                )
            )

    def _record(self, result: CaseResult) -> None:
        """Results travel to the controller and into the report: known secrets are replaced first."""
        scrubbed = json.loads(self.scrubber.text(json.dumps(result.as_dict(), default=str)))
        self.item.user_properties.append((PROPERTY, scrubbed))


@pytest.fixture
def contract(
    request: pytest.FixtureRequest,
    contract_runner: ContractRunner,
    contract_path: str,
    harness_scrubber: Scrubber,
    harness_settings: HarnessSettings,
) -> BoundContract:
    """Run a `Case` on this item's path: `contract.run(case)` returns the observation."""
    area = area_of(request.node)
    request.node.user_properties.append((ITEM, {"area": area, "path": contract_path}))
    test_file = request.node.nodeid.split("::", 1)[0]
    return BoundContract(
        harness_scrubber,
        contract_runner,
        lambda: request.getfixturevalue("live_contract_runner"),
        contract_path,
        area,
        request.node,
        test_file,
        is_live=harness_settings.live is not None,
    )
