"""The fixtures that run cases: the contract runner (replayed or live), the one for timing faults a
cassette cannot hold, the `contract` fixture a test module calls, and stand-alone emulators for
the emulator's own tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace

import pytest

from harness.contract.case import Case, CaseResult
from harness.contract.ledger import Ledger
from harness.contract.observe import Observation
from harness.contract.results import NOT_APPLICABLE_CONFIG, NOT_APPLICABLE_LIVE, PROPERTY, TIMING
from harness.emulator import EmulatorConfig, RunningEmulator, run_emulator
from harness.live.run import live_proxy_models, live_setups, not_applicable_live
from harness.paths.clients import DirectPath, LiteLLMPath
from harness.paths.fallback import FallbackPath
from harness.paths.matrix import SETUPS, Setup
from harness.paths.premises import unmet_premise
from harness.paths.proxy import RunningProxy, litellm_version
from harness.paths.team_config import team_setups
from harness.plugin.state import ITEM, STATE, area_of, item_owner
from harness.replay.recording import Capture, CaseRef, ForwardingCapture, LiveCapture
from harness.replay.scrub import Scrubber
from harness.replay.server import UpstreamServer
from harness.replay.upstream import Credentials, UpstreamTarget, emulator_upstream
from harness.runner.parts import emulator_part
from harness.runner.runner import ContractRunner, no_premise
from harness.settings import HarnessSettings


def run_setups(settings: HarnessSettings) -> tuple[Setup, ...]:
    """The deployment matrix this run's direct path uses: live, config mode, or the harness's own."""
    if settings.live is not None:
        return live_setups(settings.live)
    return team_setups(settings.team) if settings.team is not None else SETUPS


def premises_for(setups: tuple[Setup, ...]) -> Callable[[Case], str]:
    """Config mode: a case's premises held against the api-version its setup takes from the team's alias."""
    versions = {s.name: s.api_version for s in setups}
    return lambda case: unmet_premise(case, versions.get(case.scenario.setup, ""))


@pytest.fixture(scope="session")
def direct_runner(
    harness_settings: HarnessSettings,
    divergence_ledger: Ledger,
    upstream_target: UpstreamTarget,
    run_credentials: Credentials,
    contract_capture: Capture,
) -> ContractRunner:
    """The runner of the direct path alone, which needs no proxy: a serial run's direct items go first
    and run while the proxy starts (`harness.plugin.warming.proxy_last`). `contract_runner` adds the
    litellm path to it, sharing its baselines, so a litellm item still judges the direct item's
    observation of its case."""
    setups = run_setups(harness_settings)
    return ContractRunner(
        before_case=upstream_target.reset,
        settle=upstream_target.settle,
        received=upstream_target.received,
        paths={"direct": DirectPath(endpoints=upstream_target.endpoints, credentials=run_credentials, setups=setups)},
        capture=contract_capture,
        ledger=divergence_ledger,
        level=harness_settings.level,
        litellm_version=litellm_version(),
        judge_litellm_by_ledger=harness_settings.team is not None,
        collect_unledgered=harness_settings.ledger_update,
        unmet_premise=premises_for(setups) if harness_settings.team is not None else no_premise,
    )


def with_proxy(request: pytest.FixtureRequest, runner: ContractRunner, settings: HarnessSettings) -> ContractRunner:
    """`runner` with the litellm and fallback paths of this run's proxy (started now, if it is not up
    yet); the same baselines, capture and ledger. `--paths direct` never starts a proxy."""
    if "litellm" not in settings.paths:
        return runner
    proxy: RunningProxy = request.getfixturevalue("litellm_proxy")
    live = settings.live
    models = live_proxy_models(live) if live is not None else {}
    # The local offline proxy's config is ours: each item gets its own model groups. A staging or
    # --proxy-url proxy has the user's aliases, shared as in production.
    own_proxy = live is None and not settings.proxy_url
    lanes = request.config.stash[STATE].lanes if own_proxy else None
    direct = runner.paths["direct"]
    litellm = LiteLLMPath(base_url=proxy.url, api_key=proxy.master_key, models=models, lanes=lanes)
    paths = {**runner.paths, "litellm": litellm, "fallback": FallbackPath(litellm=litellm, direct=direct)}
    return replace(runner, paths=paths, litellm_version=proxy.version)


@pytest.fixture(scope="session")
def contract_runner(
    request: pytest.FixtureRequest, harness_settings: HarnessSettings, direct_runner: ContractRunner
) -> ContractRunner:
    """The runner of both paths: the direct path's, with this run's proxy."""
    return with_proxy(request, direct_runner, harness_settings)


@pytest.fixture(scope="session")
def live_direct_runner(
    request: pytest.FixtureRequest,
    harness_settings: HarnessSettings,
    upstream_target: UpstreamTarget,
    upstream_server: UpstreamServer | None,
    run_credentials: Credentials,
    direct_runner: ContractRunner,
) -> Iterator[ContractRunner]:
    """The direct path's runner for cases a cassette cannot hold (timing faults). Without cassettes it
    is the main one; with them, both paths meet a live in-process emulator that accepts the run's
    credentials, the proxy's calls passing through the upstream server as they arrive."""
    if upstream_server is None:
        yield direct_runner
        return
    if harness_settings.live is not None:  # recording live: the real resource, nothing recorded
        yield ContractRunner(
            paths=direct_runner.paths,
            capture=LiveCapture(upstream_target, sees_proxy_upstream=False),
            ledger=direct_runner.ledger,
            level=direct_runner.level,
            litellm_version=direct_runner.litellm_version,
        )
        return
    with ExitStack() as stack:
        target = upstream_target
        if not target.emulators:
            target = stack.enter_context(emulator_upstream(upstream_target.emulator_config))
            stack.enter_context(request.config.stash[STATE].watch.watching(*map(emulator_part, target.emulators)))
        setups = run_setups(harness_settings)
        yield ContractRunner(
            paths={"direct": DirectPath(endpoints=target.endpoints, credentials=run_credentials, setups=setups)},
            capture=ForwardingCapture(target, upstream_server),
            ledger=direct_runner.ledger,
            level=direct_runner.level,
            litellm_version=direct_runner.litellm_version,
            before_case=target.reset,
            settle=target.settle,
            received=target.received,
            judge_litellm_by_ledger=direct_runner.judge_litellm_by_ledger,
            collect_unledgered=direct_runner.collect_unledgered,
            unmet_premise=direct_runner.unmet_premise,
        )


@pytest.fixture(scope="session")
def live_contract_runner(
    request: pytest.FixtureRequest, harness_settings: HarnessSettings, live_direct_runner: ContractRunner
) -> ContractRunner:
    """The runner for cases a cassette cannot hold, on both paths: the live direct one's, with the proxy."""
    return with_proxy(request, live_direct_runner, harness_settings)


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


#: the fixtures of the runners of an item on the litellm path (or the fallback): they start the proxy
RUNNERS = ("contract_runner", "live_contract_runner")


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
        unavailable: dict[str, str] | None = None,
    ) -> None:
        self.runner, self.live, self.path, self.area, self.item = runner, live, path, area, item
        self.test_file, self.scrubber, self.is_live = test_file, scrubber, is_live
        #: live: the APIs the resource does not offer, and why (`harness.live.capabilities`)
        self.unavailable = unavailable or {}

    def __repr__(self) -> str:
        return f"<contract area={self.area} path={self.path}>"

    def judged_by_comparison(self, case: Case, *observed: Observation) -> bool:
        """Whether a test's own per-path property does not apply to what this item observed: config mode's
        litellm path, where a failure is the team's proxy's answer and the comparison with the direct
        path (and the team's ledger) has judged it; or a case whose premises the team's api-version
        lacks (`harness.paths.premises`). The property still holds wherever both paths succeed."""
        if self.runner.unmet_premise(case):
            return True
        litellm = self.runner.judge_litellm_by_ledger and self.path == "litellm"
        return litellm and any(o.kind == "error" for o in observed)

    def run(self, case: Case) -> Observation:
        __tracebackhide__ = True
        if self.is_live and (reason := not_applicable_live(case, self.unavailable)):
            pytest.skip(f"{NOT_APPLICABLE_LIVE}: {reason}")
        if self.runner.judge_litellm_by_ledger and self.path == "litellm" and not case.compare:
            pytest.skip(
                f"{NOT_APPLICABLE_CONFIG}: the case pins what the harness's own broken setup answers, with no "
                "direct twin to compare; your config's routing (fallbacks, retries) decides that answer here"
            )
        runner = self.runner if case.replayable else self.live()
        started = time.perf_counter()
        try:
            ref = CaseRef(self.area, case.id, self.test_file, lane_owner=item_owner(self.item) or "")
            return runner.run(case, ref, self.path, self._record)
        except AssertionError as exc:
            # A failure message quotes observations; a secret echoed by an upstream must not reach the terminal.
            hints = self.item.config.stash[STATE].config_hints if self.path == "litellm" else []
            why = "\n  what your config does here:\n    " + "\n    ".join(hints) if hints else ""
            exc.args = (self.scrubber.text(str(exc) + why),)
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
        record_result(self.item, self.scrubber, result)


def record_result(item: pytest.Item, scrubber: Scrubber, result: CaseResult) -> None:
    """Results travel to the controller and into the report: known secrets are replaced first."""
    scrubbed = json.loads(scrubber.text(json.dumps(result.as_dict(), default=str)))
    item.user_properties.append((PROPERTY, scrubbed))


@pytest.fixture
def record_contract_result(request: pytest.FixtureRequest, harness_scrubber: Scrubber) -> Callable[[CaseResult], None]:
    """For a test that judges outside a `Case` (the differential fuzz): its comparison joins the run's
    results, the report and `--ledger-update`, like a case's."""
    return lambda result: record_result(request.node, harness_scrubber, result)


@pytest.fixture
def contract(
    request: pytest.FixtureRequest,
    contract_path: str,
    harness_scrubber: Scrubber,
    harness_settings: HarnessSettings,
) -> BoundContract:
    """Run a `Case` on this item's path: `contract.run(case)` returns the observation."""
    area = area_of(request.node)
    request.node.user_properties.append((ITEM, {"area": area, "path": contract_path}))
    test_file = request.node.nodeid.split("::", 1)[0]
    # a direct item's runner needs no proxy (`direct_runner`); the others' start it, or wait for it
    runner, live = ("direct_runner", "live_direct_runner") if contract_path == "direct" else RUNNERS
    return BoundContract(
        harness_scrubber,
        request.getfixturevalue(runner),
        lambda: request.getfixturevalue(live),
        contract_path,
        area,
        request.node,
        test_file,
        is_live=harness_settings.live is not None,
        unavailable=request.getfixturevalue("live_unavailable") if harness_settings.live is not None else None,
    )
