"""Which serial runs warm LiteLLM before collection (harness/plugin/warming.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.plugin.warming import reaches_contract, warms_early

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


def test_an_xdist_worker_never_warms_early() -> None:
    """Its controller did, and the worker forks from that (`harness.paths.zygote.SHARED`)."""
    assert not early([], numprocesses=None, PYTEST_XDIST_WORKER="gw0")
