"""Which serial runs warm LiteLLM before collection (harness/plugin/warming.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.plugin.warming import reaches_contract

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
