"""The bisect's search, on synthetic runs: a monotone change, a change that comes and goes, and an
uninstallable release in the middle. Each release's run is made once, however many changes."""

from __future__ import annotations

from typing import Any

import pytest

from harness.gate.bisect import Bisector, Uninstallable, changes_between, runs_bound
from harness.gate.compare import compare_runs

RELEASES = [f"1.{i}" for i in range(10)]
BROKEN_FROM = 5  # t[a-litellm] fails from 1.5 on
HEADER_IN = {2, 3, 7, 8, 9}  # x-new comes in 1.2, goes in 1.4, comes back in 1.7


def run(version: str) -> dict[str, Any]:
    i = int(version.split(".")[1])
    headers = ["x-a"] + (["x-new"] if i in HEADER_IN else [])
    a = "failed" if i >= BROKEN_FROM else "passed"
    b = {
        "case": "x/b",
        "covered": {},
        "unledgered": [],
        "requests": {"litellm": []},
        "header_names": {"litellm": headers},
        "litellm": {"kind": "response", "status": 200},
    }
    return {
        "meta": {"litellm_version": version},
        "outcomes": [
            {"nodeid": "t[a-litellm]", "case": "x/a", "path": "litellm", "outcome": a},
            {"nodeid": "t[b-litellm]", "case": "x/b", "path": "litellm", "outcome": "passed"},
        ],
        "comparisons": [b],
        "divergences": {},
    }


class Runner:
    def __init__(self, uninstallable: frozenset[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.uninstallable = uninstallable

    def __call__(self, version: str) -> dict[str, Any]:
        self.calls.append(version)
        if version in self.uninstallable:
            raise Uninstallable("ERROR: No matching distribution found for litellm-proxy-extras==0.4.9")
        return run(version)


def found_for(bisector: Bisector) -> dict[str, Any]:
    good, bad = run(RELEASES[0]), run(RELEASES[-1])
    changes = changes_between(compare_runs(good, bad), good, bad)
    return {f.change.kind: f for f in bisector.bisect(changes)}


def test_a_monotone_change_is_pinned_to_its_first_release() -> None:
    runner = Runner()
    bisector = Bisector(list(RELEASES), runner)
    found = found_for(bisector)
    broke = found["broke"]
    assert (broke.first, broke.last_without, broke.came_and_went) == ("1.5", "1.4", [])
    assert len(runner.calls) == len(set(runner.calls)), "a release's suite runs once"
    assert len(runner.calls) <= runs_bound(len(RELEASES), distinct_first=2)


def test_a_change_that_comes_and_goes_is_reported_as_such() -> None:
    found = found_for(Bisector(list(RELEASES), Runner()))
    header = found["header added"]
    assert (header.first, header.last_without) == ("1.7", "1.6")  # the transition it found...
    assert header.came_and_went == ["1.3"]  # ...and a run before it that already had the header


def test_an_uninstallable_release_in_the_middle_is_skipped_with_pips_reason() -> None:
    runner = Runner(uninstallable=frozenset({"1.5"}))
    bisector = Bisector(list(RELEASES), runner)
    broke = found_for(bisector)["broke"]
    assert (broke.first, broke.last_without) == ("1.6", "1.4")  # 1.5 could not be tried
    assert [(s.version, s.reason) for s in bisector.skipped] == [
        ("1.5", "ERROR: No matching distribution found for litellm-proxy-extras==0.4.9")
    ]
    assert runner.calls.count("1.5") == 1


def test_an_uninstallable_end_is_an_error() -> None:
    with pytest.raises(Uninstallable, match=r"1\.9 is an end of the range"):
        Bisector(list(RELEASES), Runner(uninstallable=frozenset({"1.9"}))).bisect([])
