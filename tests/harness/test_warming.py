"""Which serial runs warm LiteLLM before collection (harness/plugin/warming.py)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.plugin.warming import needs_proxy, proxy_last, reaches_contract, runs_tests, warms_early

from .support import ROOT as REPO
from .support import clean_env, run

ROOT = Path("/repo")


@pytest.mark.parametrize(
    ("args", "invoked_in"),
    [
        (["tests"], ROOT),  # no arguments: the configured testpaths
        (["tests/contract"], ROOT),
        (["tests/contract/test_errors.py::test_errors[slow-upstream-timeout-litellm]"], ROOT),
        (["."], ROOT),
        (["test_chat.py"], ROOT / "tests" / "contract"),
        (["tests/harness/test_house.py", "tests/contract/test_chat.py"], ROOT),
    ],
)
def test_a_run_that_reaches_the_contract_warms_early(args, invoked_in):
    assert reaches_contract(args, invoked_in, ROOT)


@pytest.mark.parametrize(
    "args",
    [["tests/harness/test_house.py"], ["tests/harness"], ["tests/contract_helpers"], ["/elsewhere/tests"]],
)
def test_a_run_of_other_tests_does_not(args):
    assert not reaches_contract(args, ROOT, ROOT)


def early(args: list[str], paths: list[str] | None = None, numprocesses: object = None, **environ: str) -> bool:
    return warms_early(args, ["tests"] if paths is None else paths, ROOT, ROOT, numprocesses, environ)


def test_a_run_warms_before_its_conftests_when_session_start_would() -> None:
    assert early([])  # the configured testpaths reach the contract
    assert early(["tests/contract/test_chat.py"], paths=["tests/contract/test_chat.py"])
    assert early(["-n", "2", "tests/harness"], paths=["tests/harness"], numprocesses=2)
    assert not early(["tests/harness/test_house.py"], paths=["tests/harness/test_house.py"])


@pytest.mark.parametrize(
    "option", ["--live", "--proxy-url=http://127.0.0.1:4000", "--real-waits", "--upstream", "--paths"]
)
def test_an_option_that_changes_the_proxies_leaves_it_to_session_start(option: str) -> None:
    """Its options are not parsed yet: any of these may ask for other proxies (or none), so it does not guess."""
    assert not early([option, "tests/contract"], paths=["tests/contract"])


@pytest.mark.parametrize("option", ["--co", "--collect-only", "--setup-plan", "--fixtures", "--markers", "--help"])
def test_a_run_that_runs_no_test_does_not_warm(option: str) -> None:
    """The gate's probe collects in each version's venv: a LiteLLM import beside it would be thrown away."""
    assert not early([option, "tests/contract"], paths=["tests/contract"])
    assert not early([option, "-n", "2"], numprocesses=2)


def test_session_start_does_not_warm_for_a_run_that_runs_no_test() -> None:
    assert runs_tests(type("Options", (), {"collectonly": False, "setupplan": False})())
    assert not runs_tests(type("Options", (), {"collectonly": True})())
    assert not runs_tests(type("Options", (), {"setupplan": True})())


def test_an_xdist_worker_never_warms_early() -> None:
    """Its controller did, and the worker forks from that (`harness.paths.zygote.SHARED`)."""
    assert not early([], numprocesses=None, PYTEST_XDIST_WORKER="gw0")


@dataclass
class Item:
    """What `needs_proxy` reads of a collected item: its fixtures, its parameters, its markers."""

    name: str
    fixturenames: tuple[str, ...] = ()
    params: dict[str, Any] | None = None
    markers: tuple[str, ...] = ()
    callspec: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.params is not None:
            self.callspec = type("CallSpec", (), {"params": self.params})()

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


def contract_item(name: str, path: str) -> Item:
    return Item(name, ("contract", "contract_path", "harness_scrubber"), {"case": name, "contract_path": path})


def test_a_serial_run_puts_the_items_that_need_no_proxy_first_in_their_shuffled_order() -> None:
    items = [
        contract_item("a-litellm", "litellm"),
        Item("house"),
        contract_item("b-direct", "direct"),
        Item("fuzz", ("request",), markers=("proxy_lane",)),
        contract_item("a-direct", "direct"),
        contract_item("b-fallback", "fallback"),
        Item("team", ("team_proxy",)),
        Item("emulator-only", ("azure_emulator",)),
    ]
    ordered = [item.name for item in proxy_last(items)]  # type: ignore[arg-type]
    assert ordered == ["house", "b-direct", "a-direct", "emulator-only", "a-litellm", "fuzz", "b-fallback", "team"]


def test_a_contract_item_on_the_direct_path_needs_no_proxy_and_any_other_does() -> None:
    assert not needs_proxy(contract_item("x", "direct"))  # type: ignore[arg-type]
    assert needs_proxy(contract_item("x", "litellm"))  # type: ignore[arg-type]
    assert needs_proxy(Item("auth", ("contract_runner", "litellm_proxy")))  # type: ignore[arg-type]


def collected(*args: str) -> list[str]:
    """The order a serial run of the contract would run its items in (`--co`, no proxy started)."""
    done = run([sys.executable, "-m", "pytest", "tests/contract", "--co", "-q", "-p", "no:cacheprovider", *args],
               clean_env({"HARNESS_NO_BYTECODE_CACHE": ""}), cwd=REPO)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_order_is_still_the_seeds_and_only_grouped() -> None:
    """The real collection: every direct item before every litellm one, in an order that still differs
    between seeds (`proxy_last` is a stable sort on a fixed key: one order per seed, as before)."""
    first, other = (collected("-p", "randomly", f"--randomly-seed={seed}") for seed in (11, 12))
    assert first != other and sorted(first) == sorted(other)
    litellm = [i for i, nodeid in enumerate(first) if re.search(r"-(litellm|fallback)\]$", nodeid)]
    direct = [i for i, nodeid in enumerate(first) if nodeid.endswith("-direct]")]
    assert litellm and direct and max(direct) < min(litellm)


def test_a_direct_item_runs_without_a_proxy() -> None:
    """`--setup-show` names every fixture set up, those a fixture requests as it runs included: a direct
    item's runner starts no proxy, so it can run while the proxy's LiteLLM is still importing."""
    done = run([sys.executable, "-m", "pytest", "tests/contract/test_chat.py::test_chat[basic-direct]", "--setup-show",
                "-p", "no:cacheprovider", "-p", "no:randomly"], clean_env(), cwd=REPO)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "direct_runner" in done.stdout
    assert "litellm_proxy" not in done.stdout and "contract_runner" not in done.stdout
