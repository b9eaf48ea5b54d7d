"""The plugin's collection and reporting hooks: the paths as the last parameter, contract and
offline-only markers, each item's own model groups planned before the proxy starts, and a part
that is down reported as an infrastructure failure.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from harness.contract.results import NOT_APPLICABLE_CONFIG, NOT_APPLICABLE_LIVE
from harness.paths import zygote
from harness.paths.lanes import LanePlan
from harness.plugin.state import INFRA, REPLAY_MISS, STATE, lane_claims
from harness.plugin.warming import PROXY_FIXTURES, prewarm_env, proxy_last, reaches_contract, runs_tests
from harness.replay.cassettes import ReplayMiss
from harness.runner.parts import PartDown
from harness.startup import EARLY_WARM


@pytest.hookimpl(trylast=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the paths last, so ids read `case-path` (`test_chat[basic-litellm]`)."""
    if "contract_path" in metafunc.fixturenames:
        paths = metafunc.config.stash[STATE].settings.paths
        metafunc.parametrize("contract_path", paths, ids=list(paths))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash[STATE].settings
    live, team = settings.live is not None, settings.team is not None
    for item in items:
        marker = item.get_closest_marker("offline_only")
        if live and marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "offline only")
            item.add_marker(pytest.mark.skip(reason=f"{NOT_APPLICABLE_LIVE}: {reason}"))
        marker = item.get_closest_marker("generated_config_only")
        if team and marker is not None:
            reason = marker.args[0] if marker.args else "needs the harness's own proxy config"
            item.add_marker(pytest.mark.skip(reason=f"{NOT_APPLICABLE_CONFIG}: {reason}"))
        params = getattr(item, "callspec", None)
        if params is not None and "contract_path" in params.params:
            item.add_marker(pytest.mark.contract)
            case = params.params.get("case")
            group = f"{item.nodeid.split('::', 1)[0]}::{case}" if case is not None else item.nodeid
            item.add_marker(pytest.mark.xdist_group(group))
    if not (hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None)):
        items[:] = proxy_last(items)  # serial: the proxy starts while the items that need none run


def pytest_collection_finish(session: pytest.Session) -> None:
    """Plan each item's own model groups now, before the proxy (started lazily) renders its config; and
    start warming LiteLLM for the proxies the collected tests will start (`harness.paths.zygote`)."""
    state = session.config.stash[STATE]
    state.lanes = LanePlan.from_claims(lane_claims(session.items))
    settings = state.settings
    if hasattr(session.config, "workerinput") or settings.live is not None or settings.proxy_url:
        return
    if session.config.stash.get(_PREWARMED, False) or not runs_tests(session.config.option):
        return
    if any(PROXY_FIXTURES & set(getattr(item, "fixturenames", ())) for item in session.items):
        _prewarm(session.config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, the controller starts warming LiteLLM before it starts the workers (xdist does that in
    its own, trylast, `pytest_sessionstart`): they inherit the shared folder (`zygote.SHARED`) and fork
    their proxies from one warm process, instead of each importing LiteLLM after its own collection, on
    the same two cores. The controller collects nothing, so it cannot tell whether a proxy will be
    needed: a `-n` run of tests that need none pays one import beside them, on a core of its own. A serial
    run whose arguments reach the contract starts it here too, so the import overlaps collection (the
    contract's first proxy waited for it after collection: `reaches_contract`). Either may already run,
    started before the conftests were imported (`harness.startup`): `_prewarm` finds it (same import-time
    environment, same owner); a guess the run does not use is stopped here."""
    config = session.config
    settings = config.stash[STATE].settings
    warming = None
    own = not (hasattr(config, "workerinput") or settings.live is not None or settings.proxy_url)
    if (
        own
        and runs_tests(config.option)
        and (
            getattr(config.option, "numprocesses", None)
            or reaches_contract(config.args, config.invocation_params.dir, config.rootpath)
        )
    ):
        warming = _prewarm(config)
        config.stash[_PREWARMED] = True
    early = config.stash.get(EARLY_WARM, None)  # started before the conftests (`harness.startup`)
    if early is not None and early != warming:
        zygote.stop(early)  # a guess this run does not use: its options asked for other proxies, or none


_PREWARMED = pytest.StashKey[bool]()


def _prewarm(config: pytest.Config) -> str | None:
    folder = config._tmp_path_factory.mktemp("warm-litellm")  # type: ignore[attr-defined]
    return zygote.prewarm(sys.executable, prewarm_env(config.stash[STATE].settings.compress_waits, folder), folder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A part that is down makes an infrastructure failure: reported with the part's one message,
    apart from contract failures. After any other failure each part is probed, so the item during
    which a part died says so, instead of showing only its symptom (a connection error)."""
    report: pytest.TestReport = yield
    if not report.failed:
        return report
    watch = item.config.stash[STATE].watch
    miss = call.excinfo.value if call.excinfo is not None else None
    if isinstance(miss, ReplayMiss):  # typed, for the gate: never parsed back out of the message
        report.user_properties.append((REPLAY_MISS, json.loads(watch.scrub(json.dumps(miss.record, default=str)))))
    down = call.excinfo.value if call.excinfo is not None and call.excinfo.errisinstance(PartDown) else None
    if down is None and watch.parts and watch.down is None:
        try:
            watch.check(item.nodeid, probe=True)
        except PartDown as exc:
            down = exc
    if down is not None:
        report.longrepr = str(down)
        report.user_properties.append((INFRA, str(down).splitlines()[0]))
    return report
