"""pytest plugin: options, fixtures and hooks only. The logic lives in importable modules.

Fixtures are the configuration points: override `harness_settings`, `emulator_config`,
`upstream_target`, `litellm_proxy` or `contract_runner` in your own conftest.py instead of
editing the harness.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.atomic import write_text_atomic
from harness.cassettes import PLACEHOLDERS
from harness.clients import DirectPath, LiteLLMPath
from harness.contract import Case, CaseResult, ContractRunner
from harness.emulator import EmulatorConfig, RunningEmulator, run_emulator
from harness.ledger import Ledger, LedgerError, load_ledger
from harness.matrix import SETUPS, Credentials, render_proxy_config
from harness.netguard import loopback_only
from harness.observe import Observation
from harness.proxy import ProxyStartError, RunningProxy, litellm_version, run_proxy
from harness.recording import Capture, CaseRef, CassetteSession, ForwardingCapture, LiveCapture
from harness.report import cassette_provenance, render_html
from harness.results import PROPERTY, TIMING, RunResults
from harness.scrub import Scrubber
from harness.settings import (
    DEFAULT_CASSETTES,
    DEFAULT_LEDGER,
    PATHS,
    RECORD_MODES,
    UPSTREAMS,
    HarnessSettings,
    SettingsError,
    build_settings,
)
from harness.upstream import UpstreamTarget, emulator_upstream, replay_upstream
from harness.upstream_server import UpstreamServer, running_upstream


@dataclass
class _State:
    settings: HarnessSettings
    ledger: Ledger
    results: RunResults = field(default_factory=RunResults)
    report_path: Path | None = None
    written: list[Path] = field(default_factory=list)
    started: float = field(default_factory=time.time)


_STATE = pytest.StashKey[_State]()
_ITEM = "contract_item"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "LiteLLM-versus-Azure contract suite")
    group.addoption(
        "--record-mode",
        choices=RECORD_MODES,
        default="none",
        help="cassette recording, as pytest-recording names it: none (replay only, the default), once, "
        "new_episodes, all, rewrite",
    )
    group.addoption(
        "--record",
        action="store_const",
        const="rewrite",
        dest="record_mode",
        help="record every case afresh from --upstream (same as --record-mode=rewrite)",
    )
    group.addoption(
        "--cassette-dir",
        metavar="DIR",
        default=str(DEFAULT_CASSETTES),
        help="where cassettes live (default: %(default)s)",
    )
    group.addoption(
        "--upstream",
        choices=UPSTREAMS,
        default="replay",
        help="what stands where Azure sits: replay the recorded cassettes (default, offline), or the bundled "
        "emulator (live, or the source to --record from)",
    )
    group.addoption(
        "--contract-level",
        choices=("auto", "shape", "exact"),
        default="auto",
        help="comparison level; auto = exact offline, shape live (default: %(default)s)",
    )
    group.addoption(
        "--proxy-url",
        metavar="URL",
        default=None,
        help="use this running LiteLLM proxy instead of starting one (needs --proxy-key or "
        "LITELLM_API_KEY); its config must define the harness's setups as model names",
    )
    group.addoption("--proxy-key", metavar="KEY", default=None, help="key for --proxy-url")
    group.addoption(
        "--ledger", metavar="FILE", default=str(DEFAULT_LEDGER), help="divergence ledger (default: %(default)s)"
    )
    group.addoption("--paths", default=",".join(PATHS), help="which paths to run (default: %(default)s)")
    group.addoption(
        "--parity-report",
        metavar="FILE",
        default="parity-report.json",
        help="where to write the run's parity data as JSON, or 'none' (default: %(default)s)",
    )
    group.addoption(
        "--proxy-start-timeout",
        type=float,
        default=90.0,
        metavar="SECONDS",
        help="deadline for the local proxy to become live (default: %(default)s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: a contract case run on both paths (set by the harness)")
    config.addinivalue_line("markers", "slow_upstream: the case waits on a deliberately slow upstream")
    try:
        settings = build_settings(
            upstream=config.getoption("--upstream"),
            level=config.getoption("--contract-level"),
            proxy_url=config.getoption("--proxy-url"),
            proxy_key=config.getoption("--proxy-key"),
            ledger=config.getoption("--ledger"),
            paths=config.getoption("--paths"),
            proxy_start_timeout=config.getoption("--proxy-start-timeout"),
            rootdir=config.rootpath,
            record_mode=config.getoption("record_mode"),
            cassette_dir=config.getoption("--cassette-dir"),
        )
    except SettingsError as exc:
        raise pytest.UsageError(f"harness: {exc}") from None
    explicit = config.getoption("--ledger") != str(DEFAULT_LEDGER)
    if not settings.ledger_path.exists() and not explicit:
        ledger = Ledger(path=settings.ledger_path, entries=())
    else:
        try:
            ledger = load_ledger(settings.ledger_path)
        except LedgerError as exc:
            raise pytest.UsageError(f"harness: {exc}") from None
    report = config.getoption("--parity-report")
    state = _State(
        settings=settings, ledger=ledger, report_path=None if report == "none" else config.rootpath / Path(report)
    )
    config.stash[_STATE] = state
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "load":
        # Both paths of a case on one worker: the direct observation is reused, and a recording's
        # litellm side can be served the answer the direct side just recorded.
        config.option.dist = "loadgroup"
    config.pluginmanager.register(_ContractSession(state), "harness-contract-session")


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash[_STATE]
    s = state.settings
    proxy = s.proxy_url or "local, started per worker"
    return [
        f"contract: upstream={s.upstream} level={s.level} paths={','.join(s.paths)} "
        f"litellm={litellm_version()} proxy={proxy}",
        f"contract ledger: {s.ledger_path} ({len(state.ledger.entries)} entries)",
    ]


@pytest.hookimpl(trylast=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the paths last, so ids read `case-path` (`test_chat[basic-litellm]`)."""
    if "contract_path" in metafunc.fixturenames:
        paths = metafunc.config.stash[_STATE].settings.paths
        metafunc.parametrize("contract_path", paths, ids=list(paths))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        if params is not None and "contract_path" in params.params:
            item.add_marker(pytest.mark.contract)
            case = params.params.get("case")
            group = f"{item.nodeid.split('::', 1)[0]}::{case}" if case is not None else item.nodeid
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def _offline_guard(harness_settings: HarnessSettings) -> Iterator[None]:
    """Offline runs may only talk to loopback; a stray connection fails at once with the fix."""
    with loopback_only("Record new cassettes with --upstream emulator --record, or run live against Azure."):
        yield


# ---------------------------------------------------------------- fixtures: configuration points


@pytest.fixture(scope="session")
def harness_settings(pytestconfig: pytest.Config) -> HarnessSettings:
    return pytestconfig.stash[_STATE].settings


@pytest.fixture(scope="session")
def divergence_ledger(pytestconfig: pytest.Config) -> Ledger:
    return pytestconfig.stash[_STATE].ledger


@pytest.fixture(scope="session")
def emulator_config() -> EmulatorConfig:
    """The emulated resource behind the contract suite; override to bring your deployment table."""
    return EmulatorConfig()


@pytest.fixture(scope="session")
def upstream_target(harness_settings: HarnessSettings, emulator_config: EmulatorConfig) -> Iterator[UpstreamTarget]:
    """What stands where Azure sits: cassette placeholders (replay) or the emulated resources."""
    if harness_settings.upstream == "replay":
        yield replay_upstream()
        return
    with emulator_upstream(emulator_config) as target:
        yield target


@pytest.fixture(scope="session")
def harness_scrubber(upstream_target: UpstreamTarget) -> Scrubber:
    """Every secret the run hands out, and the real hosts, to keep out of cassettes and logs."""
    scrubber = Scrubber(
        hosts={
            real: PLACEHOLDERS[name]
            for name, real in upstream_target.endpoints.items()
            if name in PLACEHOLDERS and real != PLACEHOLDERS[name]
        }
    )
    scrubber.add_secrets([upstream_target.credentials.api_key])
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
    harness_settings: HarnessSettings, upstream_target: UpstreamTarget, harness_scrubber: Scrubber
) -> Iterator[UpstreamServer | None]:
    """The loopback server the proxy calls in cassette modes (None when it calls the upstream directly)."""
    if not harness_settings.uses_cassettes:
        yield None
        return
    server = UpstreamServer(harness_scrubber, endpoints=upstream_target.endpoints, placeholders=PLACEHOLDERS)
    with running_upstream(server):
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
            version="external",
            startup_s=0.0,
            config_path=Path("(external)"),
            log_path=Path("(external)"),
            pid=0,
        )
        return
    endpoints = dict(upstream_target.endpoints)
    if upstream_server is not None:
        endpoints = {name: upstream_server.api_base(name) for name in endpoints}
    config, env = render_proxy_config(SETUPS, run_credentials, endpoints)
    harness_scrubber.add_secrets(env.values())
    # Offline, anything the proxy tries to reach beyond loopback goes to a closed local port at once.
    env = {**env, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    workdir = tmp_path_factory.mktemp("litellm-proxy")
    try:
        with run_proxy(config, env, workdir, start_deadline_s=harness_settings.proxy_start_timeout_s) as proxy:
            harness_scrubber.add_secrets([proxy.master_key])
            pytestconfig.stash[_STATE].results.proxy_startups[worker_id] = proxy.startup_s
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
    paths: dict[str, Any] = {
        "direct": DirectPath(endpoints=upstream_target.endpoints, credentials=run_credentials),
    }
    if "litellm" in harness_settings.paths:  # `--paths direct` never starts a proxy
        proxy: RunningProxy = request.getfixturevalue("litellm_proxy")
        paths["litellm"] = LiteLLMPath(base_url=proxy.url, api_key=proxy.master_key)
    return ContractRunner(
        before_case=upstream_target.reset,
        paths=paths,
        capture=contract_capture,
        ledger=divergence_ledger,
        level=harness_settings.level,
        litellm_version=litellm_version(),
    )


@pytest.fixture(scope="session")
def live_contract_runner(
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
    with ExitStack() as stack:
        target = upstream_target
        if not target.emulators:
            target = stack.enter_context(emulator_upstream(upstream_target.emulator_config))
        paths = dict(contract_runner.paths)
        paths["direct"] = DirectPath(endpoints=target.endpoints, credentials=run_credentials)
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
    ) -> None:
        self.runner, self.live, self.path, self.area, self.item = runner, live, path, area, item
        self.test_file, self.scrubber = test_file, scrubber

    def __repr__(self) -> str:
        return f"<contract area={self.area} path={self.path}>"

    def run(self, case: Case) -> Observation:
        __tracebackhide__ = True
        runner = self.runner if case.replayable else self.live()
        started = time.perf_counter()
        try:
            return runner.run(case, CaseRef(self.area, case.id, self.test_file), self.path, self._record)
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
    request: pytest.FixtureRequest, contract_runner: ContractRunner, contract_path: str, harness_scrubber: Scrubber
) -> BoundContract:
    """Run a `Case` on this item's path: `contract.run(case)` returns the observation."""
    area = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    request.node.user_properties.append((_ITEM, {"area": area, "path": contract_path}))
    test_file = request.node.nodeid.split("::", 1)[0]
    return BoundContract(
        harness_scrubber,
        contract_runner,
        lambda: request.getfixturevalue("live_contract_runner"),
        contract_path,
        area,
        request.node,
        test_file,
    )


# ---------------------------------------------------------------- hooks: results and summary


class _ContractSession:
    """Hooks that need the run's state; registered once per process in `pytest_configure`."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        item = props.get(_ITEM)
        if item is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        self.state.results.add(
            report.nodeid,
            item["area"],
            item["path"],
            report.outcome,
            props.get(PROPERTY),
            props.get(TIMING),
            report.duration,
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: collect each worker's proxy start-up time."""
        startups = json.loads(getattr(node, "workeroutput", {}).get("proxy_startups", "{}"))
        self.state.results.proxy_startups.update(startups)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["proxy_startups"] = json.dumps(self.state.results.proxy_startups)
            return
        if self.state.results.stale(self.state.ledger) and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        report = self.state.report_path
        if report is not None and self.state.results.areas:
            s = self.state.settings
            meta = {
                "litellm_version": litellm_version(),
                "upstream": s.upstream,
                "record_mode": s.record_mode,
                "level": str(s.level),
                "ledger": str(s.ledger_path),
                "wall_s": time.time() - self.state.started,
                "finished": datetime.datetime.now().isoformat(),
                "cassettes": cassette_provenance(s.cassette_dir) if s.uses_cassettes else {},
            }
            data = self.state.results.to_json(self.state.ledger, meta)
            write_text_atomic(report, json.dumps(data, indent=1, default=str))
            write_text_atomic(report.with_suffix(".html"), render_html(json.loads(json.dumps(data, default=str))))
            self.state.written = [report, report.with_suffix(".html")]

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        results = self.state.results
        if not results.areas:
            return
        terminalreporter.section("contract summary")
        for line in results.summary_lines(self.state.ledger):
            terminalreporter.write_line(line, red=line.startswith("STALE"))
        if self.state.written:
            terminalreporter.write_line("parity report: " + ", ".join(str(p) for p in self.state.written))
