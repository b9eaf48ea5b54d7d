"""Which runs start warming LiteLLM before collection, and how early (`harness.paths.zygote`).

The contract's first proxy forks from a warm process whose import takes seconds. Started after
collection, a serial run waited for all of it; started at session start, the import overlaps
collection; started before the conftests are imported (`harness.startup`), it also overlaps importing
the harness. Before collection the run's items are not known, only its arguments, so the choice is
made from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.paths.proxy_env import OFFLINE_PROXY_ENV, proxy_env
from harness.replay import waits


def reaches_contract(args: list[str], invoked_in: Path, root: Path) -> bool:
    """Whether a run's arguments (as pytest holds them: the configured testpaths when none were given)
    reach the contract, whose cases start proxies: a path inside `tests/contract` or a folder holding
    it. A serial run of other tests only (`pytest tests/harness/test_x.py`) pays no LiteLLM import it
    would not use; one whose selection (`-k`, `-m`) leaves no proxy test pays one beside it."""
    contract = (root / "tests" / "contract").resolve()
    for arg in args:
        path = (invoked_in / arg.split("::", 1)[0]).resolve()
        if path == contract or contract in path.parents or path in contract.parents:
            return True
    return False


#: options that make a run's proxies other than the local offline ones (or none): such a run warms, if
#: at all, once its options are known
OTHER_PROXIES = frozenset({"--live", "--proxy-url", "--real-waits", "--upstream", "--paths"})
#: options under which a run runs no test, so starts no proxy: collecting (`harness.gate.probe` does, in
#: each version's venv) or showing the plan, the fixtures, the markers, the help or the version
NO_TESTS = frozenset({"--co", "--collect-only", "--setup-plan", "--fixtures", "--funcargs", "--fixtures-per-test",
                      "--markers", "--help", "-h", "--version", "-V"})  # fmt: skip


def runs_tests(option: object) -> bool:
    """Whether a run whose options are parsed will run tests (the options `NO_TESTS` names that reach
    session start: the others exit before it)."""
    return not (getattr(option, "collectonly", False) or getattr(option, "setupplan", False))


def asks_for_workers(args: list[str]) -> bool:
    """Whether arguments ask xdist for workers (`-n N`, `-nN`, `--numprocesses[=]N`, N not 0), read before
    xdist has registered its option."""
    for i, arg in enumerate(args):
        if arg in ("-n", "--numprocesses"):
            value = args[i + 1] if i + 1 < len(args) else ""
        elif arg.startswith("--numprocesses="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-n") and not arg.startswith("--"):
            value = arg[2:]
        else:
            continue
        return value not in ("", "0")
    return False


def warms_early(
    args: list[str], paths: list[str], invoked_in: Path, root: Path, numprocesses: object, environ: Mapping[str, str]
) -> bool:
    """Whether a pytest process starts warming LiteLLM before its conftests are imported, 2.5 s before
    session start (importing the harness, the openai SDK and hypothesis). Its own options are not known
    yet, only its arguments, so it warms only when session start would, for the proxies it would (`-n`, or
    `paths`, the run's file-or-dir arguments or the configured testpaths, reaching the contract), when it
    runs tests, and when no option changes what its proxies need; an xdist worker never does (its
    controller has). Session start stops a guess the run did not need (`harness.plugin.hooks`)."""
    if environ.get("PYTEST_XDIST_WORKER") or any(arg.split("=", 1)[0] in OTHER_PROXIES | NO_TESTS for arg in args):
        return False
    return bool(numprocesses) or reaches_contract(paths, invoked_in, root)


def prewarm_env(compress_waits: bool, home: Path) -> dict[str, str]:
    """The environment of the local offline proxies a run warms LiteLLM for."""
    return proxy_env({**OFFLINE_PROXY_ENV, **(waits.PROXY_ENV if compress_waits else {})}, "", home)


#: fixtures behind which a LiteLLM proxy starts (`contract` only on an item of the litellm path, or the
#: fallback: `harness.plugin.runners.RUNNERS`)
PROXY_FIXTURES = frozenset({"contract", "litellm_proxy", "contract_runner", "live_contract_runner", "emulator_proxy",
                            "team_proxy", "background_run"})  # fmt: skip


def needs_proxy(item: pytest.Item) -> bool:
    """Whether running `item` starts a proxy, or waits for one: it calls the local proxy outside a case
    (`proxy_lane`, the fuzz), or uses a fixture behind which one starts, but for a contract item on the
    direct path (`harness.plugin.runners.direct_runner`)."""
    if item.get_closest_marker("proxy_lane") is not None:
        return True
    names = PROXY_FIXTURES & set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    if "contract" in names and callspec is not None and callspec.params.get("contract_path") == "direct":
        names = names - {"contract"}
    return bool(names)


def proxy_last(items: list[pytest.Item]) -> list[pytest.Item]:
    """A serial run's order: the items that need no proxy first, then the others, each in the order they
    came (the seed's shuffle). The proxy's start (its warm LiteLLM's import, 7-10 s) then runs beside
    the first group, where the first item to need it used to wait for all of it within the first
    seconds. A stable grouping on top of the shuffle, as pytest-randomly expects of plugins that group
    (pytest-django's): the order stays one per seed, reproducible with `--randomly-seed`.

    What a serial run gives up is a direct item running after a litellm item of another case: the
    upstream's state between cases (the emulator's quota window and journal, reset before each case)
    is then only exercised by `-n` runs, where each worker takes whole cases in the shuffled order."""
    return sorted(items, key=needs_proxy)
