"""Where each ledger entry applies, read from a bisect's runs: a union range for an entry that came and
went, bounds that cover releases that cannot tell, and the bisect's own search of each place an entry
came or went between two runs it had made for other changes."""

from __future__ import annotations

from typing import Any

import pytest

from harness.contract.entry_course import course, courses, left_out, unplaced
from harness.contract.ledger import LedgerError
from harness.contract.ledger_file import load_ledger
from harness.contract.releases import Releases
from harness.gate.bisect import Bisector
from harness.gate.bisect_run import _place_flips
from harness.gate.entry_presence import Seen
from harness.gate.found import Skip

RELEASES = [f"1.{i}" for i in range(10)]
#: `cut` is present in 1.0-1.2 and 1.6-1.9, gone in 1.3-1.5: the ends agree, so no change points there
CUT_IN = {0, 1, 2, 6, 7, 8, 9}


def run(version: str) -> dict[str, Any]:
    i = int(version.split(".")[1])
    covered = {"cut": ["error"]} if i in CUT_IN else {"ends-normally": ["grammar[finish]"]}
    return {"meta": {"litellm_version": version}, "comparisons": [{"case": "errors/cut", "covered": covered}]}


class Runner:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, version: str) -> dict[str, Any]:
        self.calls.append(version)
        return run(version)


def test_a_range_may_be_a_union_and_a_bad_one_names_the_entry(tmp_path) -> None:
    cut = Releases("<1.81.6 || >=1.94.0")
    assert [v in cut for v in ("1.63.8", "1.81.5", "1.81.6", "1.93.9", "1.94.0")] == [True, True, False, False, True]
    assert str(cut) == "<1.81.6 || >=1.94.0" and Releases(str(cut)) == cut
    assert "1.2.3" in Releases("")  # no bound at all
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(
        'divergences:\n  - id: cut\n    what: w\n    paths: [error]\n    litellm: ">=1.0 ||"\n'
        "    reason: r\n    impact: i\n    link: l\n"
    )
    with pytest.raises(LedgerError, match=r"divergences\[0\]: 'litellm' '>=1.0 \|\|' is not a version range"):
        load_ledger(ledger)


def test_the_bisect_searches_where_an_entry_went_and_came_back() -> None:
    """Runs at the ends and in the middle show the entry went somewhere in 1.1-1.4 and came back in
    1.6-1.8. Each place is searched down to two neighbouring releases, each release run once."""
    runner = Runner()
    bisector = Bisector(list(RELEASES), runner, runs={v: run(v) for v in ("1.0", "1.5", "1.9")})
    told, entries = _place_flips(bisector, Seen(None), jobs=2, log=lambda line: None)
    cut = next(c for c in entries if c.entry == "cut")
    assert [(f.before, f.after, f.came) for f in cut.flips] == [("1.2", "1.3", False), ("1.5", "1.6", True)]
    assert cut.blocks() == [(None, "1.3"), ("1.6", None)] and not unplaced(entries)
    assert len(runner.calls) == len(set(runner.calls)) and len(runner.calls) <= 2 * 3  # ceil(log2 4) per place
    assert told["cut"]["1.2"] is True and told["cut"]["1.3"] is False


def test_a_bound_covers_releases_that_cannot_tell_and_an_unrun_one_leaves_the_place_open() -> None:
    """1.95.0 and 1.96.0 cannot run the suite (left out); the case did not run under 1.97.0: the entry
    came somewhere after 1.94.3, so its range starts at 1.95.0 and says why. With 1.97.1 not run either,
    the place is not known yet."""
    releases = ["1.94.3", "1.96.1", "1.97.0", "1.97.1", "1.98.0"]  # listed: left-out ones removed
    left_out = ["1.95.0", "1.96.0"]
    told = {"1.94.3": False, "1.96.1": False, "1.98.0": True}
    ran = {"1.94.3", "1.96.1", "1.97.0", "1.97.1", "1.98.0"}
    placed = course("usage-added", told, releases, ran, left_out)
    assert placed is not None and placed.placed
    assert [(f.before, f.after, f.untold) for f in placed.flips] == [("1.96.1", "1.98.0", ("1.97.0", "1.97.1"))]
    assert placed.blocks() == [("1.97.0", None)]
    gap = course("usage-added", {"1.94.3": False, "1.98.0": True}, releases, ran - {"1.97.1"}, left_out)
    assert gap is not None and not gap.placed
    assert gap.flips[0].untold == ("1.95.0", "1.96.0", "1.96.1", "1.97.0") and gap.flips[0].unrun == ("1.97.1",)
    went = course("gone", {"1.94.3": True, "1.96.1": True, "1.98.0": False}, releases, ran, left_out)
    assert went is not None and went.blocks() == [(None, "1.98.0")]  # present until, at most, 1.97.1
    assert "could not tell, so the range covers them" in went.flips[0].text()


def test_a_left_out_release_between_two_runs_is_covered_not_skipped_over() -> None:
    """A release whose suite cannot run is taken out of the list the search halves; the entry's range
    still covers it, for the entry may have come there."""
    bisector = Bisector(["1.0", "1.2", "1.3"], Runner(), runs={v: run(v) for v in ("1.0", "1.2", "1.3")},
                        skipped=[Skip("1.1", "its suite could not run: x")])  # fmt: skip
    told, cases = Seen(None).presence(bisector.runs)
    entries = courses(told, bisector.releases, bisector.runs, ["1.1"])
    cut = next(c for c in entries if c.entry == "cut")
    assert cases["cut"] == {"errors/cut"}
    assert [(f.before, f.after, f.untold) for f in cut.flips] == [("1.2", "1.3", ())]
    normal = next(c for c in entries if c.entry == "ends-normally")
    assert normal.blocks() == [("1.3", None)]
    moved = course("x", {"1.0": False, "1.2": True}, bisector.releases, bisector.runs, ["1.1"])
    assert moved is not None and moved.blocks() == [("1.1", None)] and moved.placed


def test_a_skipped_pre_release_is_not_left_out():
    """A team pins releases: a skipped rc between two runs leaves a change placed, a skipped release
    makes it a range (the one rule the bisect, the ledger ranges and the atlas share)."""
    assert left_out(["1.95.0", "1.96.0rc1", "1.103.11", "1.80.0.dev2"]) == ["1.95.0", "1.103.11"]
