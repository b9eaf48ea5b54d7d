"""The bisect's search, on synthetic runs: a monotone change, a change that comes and goes, and an
uninstallable release in the middle. Each release's run is made once, however many changes."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from harness.gate.bisect import Bisector, Uninstallable, runs_bound
from harness.gate.bisect_run import list_releases, run_bisect
from harness.gate.changes import Change, changes_between
from harness.gate.compare import compare_runs
from harness.gate.env import GateEnvError
from harness.gate.found import Found
from harness.gate.ledger_ranges import Ends, update_ranges
from harness.gate.run import GateError

from .support import ROOT

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
        "mismatches": [],
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


def test_a_spent_budget_stops_new_runs_and_narrows_from_the_runs_made() -> None:
    runner = Runner()
    started: list[str] = []

    def may_start() -> bool:  # two new runs, then the budget is spent
        started.append("?")
        return len(started) <= 2

    bisector = Bisector(list(RELEASES), runner, runs={"1.0": run("1.0"), "1.9": run("1.9")}, may_start=may_start)
    broke = found_for(bisector)["broke"]
    assert runner.calls == ["1.5", "1.3"]  # the first halvings, then nothing new
    assert broke.narrowed_only and (broke.last_without, broke.first) == ("1.3", "1.5")
    assert bisector.stopped


def test_runs_kept_by_an_earlier_bisect_are_reused_without_running_or_spending() -> None:
    runner = Runner()
    kept = {v: run(v) for v in RELEASES[1:-1]}
    ends = {v: run(v) for v in (RELEASES[0], RELEASES[-1])}
    bisector = Bisector(list(RELEASES), runner, runs=ends, kept=kept.get, may_start=lambda: False)
    broke = found_for(bisector)["broke"]
    assert runner.calls == [] and not broke.narrowed_only
    assert (broke.first, broke.last_without) == ("1.5", "1.4")
    assert "1.5" in bisector.reused


def test_a_kept_run_is_found_only_under_the_same_inputs(tmp_path) -> None:
    from harness.gate import run_cache

    key = run_cache.fingerprint(ROOT, ["t[a-litellm]"])
    assert key != run_cache.fingerprint(ROOT, ["t[b-litellm]"])
    run_cache.store(tmp_path / "1.5", key, run("1.5"))
    assert run_cache.load(tmp_path / "1.5", key) == run("1.5")
    assert run_cache.load(tmp_path / "1.5", "another checkout") is None
    (tmp_path / "1.5" / run_cache.FILE).write_text("{half a fil")
    assert run_cache.load(tmp_path / "1.5", key) is None  # unreadable: run it again, never guess


def test_an_uninstallable_end_is_an_error() -> None:
    with pytest.raises(Uninstallable, match=r"1\.9 is an end of the range"):
        Bisector(list(RELEASES), Runner(uninstallable=frozenset({"1.9"}))).bisect([])


PIP = "litellm (1.110.2)\nAvailable versions: 1.83.0, 1.82.9, 1.82.8, 1.82.7, 1.82.6, 1.82.5rc1, 1.82.5, 1.81.0\n"


def test_the_releases_pip_sees_leave_out_pre_releases_and_compromised_ones() -> None:
    releases, skipped = list_releases("1.81.0", "1.83.0", PIP)
    assert releases == ["1.81.0", "1.82.5", "1.82.6", "1.82.9", "1.83.0"]
    reasons = {s.version: s.reason for s in skipped}
    assert reasons["1.82.5rc1"] == "a pre-release"
    assert "never installed" in reasons["1.82.7"] and "issues/24512" in reasons["1.82.7"]
    assert "issues/24518" in reasons["1.82.8"]


@pytest.mark.parametrize(
    ("good", "bad", "error"),
    [
        ("1.83.0", "1.81.0", "must be older than"),
        ("1.81.0", "9.9.9", "--bad 9.9.9 is not a LiteLLM release pip can see"),
        ("one", "1.83.0", "is not a LiteLLM version"),
    ],
)
def test_a_bad_range_is_one_line_and_builds_nothing(tmp_path, good: str, bad: str, error: str) -> None:
    with pytest.raises((GateError, GateEnvError), match=re.escape(error)):
        run_bisect(good, bad, repo=ROOT, report_dir=tmp_path, cache_dir=tmp_path / "cache", pip_output=PIP)
    assert not (tmp_path / "cache").exists()


def told(releases: list[str], present: set[str]) -> dict[str, bool]:
    """An entry's presence in the runs of `releases`: present in those of `present`."""
    return {v: v in present for v in releases}


def test_update_ledger_writes_only_bounds_the_bisect_saw(tmp_path) -> None:
    """A bound is where an entry came or went between two runs, never where the runs started: present at
    the good end, an entry has no lower bound and says how far back it was measured; one whose coming
    has a release between its two runs that was not run is held."""
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(
        "divergences:\n"
        '  - id: alias\n    what: x\n    litellm: ">=1.108.7"  # observed on the pin\n    reason: r\n'
        '  - id: gone\n    what: y\n    litellm: ">=1.80.17,<1.108.7"\n    reason: r\n'
        '  - id: other\n    what: z\n    litellm: ">=1.0"\n    reason: r\n'
        '  - id: steady\n    what: s\n    litellm: ">=1.80.17"  # observed on 1.80.17 and 1.108.7\n    reason: r\n'
        '  - id: uncompared\n    what: u\n    litellm: ">=1.108.7"\n    reason: r\n'
    )
    releases = ["1.74.0", "1.81.6", "1.81.7", "1.90.0", "1.95.1", "1.95.2", "1.108.7"]
    ran = [r for r in releases if r != "1.90.0"]
    presence = {
        "alias": told(ran, {"1.81.7", "1.95.1", "1.95.2", "1.108.7"}),
        "gone": told(ran, {"1.74.0", "1.81.6", "1.81.7", "1.95.1"}),
        "other": told(ran, {"1.95.1", "1.95.2", "1.108.7"}),  # came between 1.81.7 and 1.95.1: 1.90.0 not run
        "steady": told(ran, set(ran)),
    }
    ends = Ends("1.74.0", "1.108.7", presence, releases, frozenset(ran))
    changes, held = update_ranges(ledger, ends)
    assert [(c.entry, c.before, c.after) for c in changes] == [
        ("alias", ">=1.108.7", ">=1.81.7"),
        ("gone", ">=1.80.17,<1.108.7", "<1.95.2"),
        ("steady", ">=1.80.17", ">=0"),
    ]
    assert held == {
        "other": "came between 1.81.7 and 1.95.1, without a run yet of 1.90.0: run the bisect further (or "
        "`--release-run` them) to place it",
        "uncompared": "no run the bisect made saw it (its cases are not compared, or never diverged there)",
    }  # a range left as it is is always said, with why
    text = ledger.read_text()
    assert 'litellm: ">=1.0"' in text and "what: z" in text  # the held entry untouched
    assert 'litellm: "<1.95.2"  # present in 1.74.0, where the bisect started; older releases not bisected' in text
    assert 'litellm: ">=1.81.7"  # placed by the bisect (1.74.0 -> 1.108.7)' in text
    ledger.write_text(text.replace('"<1.95.2"', '">=1.80.17,<1.108.7"'))
    update_ranges(ledger, dataclasses.replace(ends, good_is_oldest=True))
    assert 'litellm: "<1.95.2"  # since before 1.74.0, the oldest release that runs (1.74.0 -> 1.108.7)' in (
        ledger.read_text()
    )


def test_releases_whose_run_cannot_tell_leave_a_range_never_a_release() -> None:
    """A case that did not run under some releases (its test failed before it) cannot say there
    whether the change is present. The search goes round them; if the transition lies next to them,
    the change is a range, said so in the report, and never written to the ledger as a release."""
    from harness.gate.bisect_report import one_line, placement

    def present(run: dict[str, Any]) -> bool | None:
        i = int(run["meta"]["litellm_version"].split(".")[1])
        return None if i in (4, 5) else i >= 6

    change = Change("new x/a p", "new divergence", "p in x/a [entry]", present, ("x/a",))
    steady = Change("new x/b q", "new divergence", "q in x/b [entry]", lambda r: present(r) or False, ("x/b",))
    found = Bisector(list(RELEASES), Runner()).bisect([change, steady])
    assert (found[0].first, found[0].last_without, found[0].between) == ("1.6", "1.3", ["1.4", "1.5"])
    assert not found[0].exact and found[0].as_dict()["exact"] is False
    for one in found:  # a report read back says what the bisect found (`--apply-bisect-report`)
        assert Found.from_dict(one.as_dict()).as_dict() == one.as_dict()
    assert found[1].exact and (found[1].first, found[1].last_without) == ("1.6", "1.5")
    assert one_line("error.message: a\nb -> c") == "error.message: a\\nb -> c"  # one change, one line
    assert placement(found) == (
        "1 of 2 change(s) placed in one release, 1 left between releases whose run could not tell"
    )


def test_a_band_of_releases_that_cannot_tell_is_not_scanned() -> None:
    """Across a band of releases where the case does not run, each is undecided; going round them one
    by one would cost a run per release. After `undecided_limit` the search stops with a range."""

    def present(run: dict[str, Any]) -> bool | None:
        i = int(run["meta"]["litellm_version"].split(".")[1])
        return None if 1 <= i <= 7 else i >= 8

    runner = Runner()
    change = Change("new x/a p", "new divergence", "p in x/a [entry]", present, ("x/a",))
    (found,) = Bisector(list(RELEASES), runner, undecided_limit=2).bisect([change])
    assert len(runner.calls) == 2 + 2, "the two ends and two releases that could not tell"
    assert found.left_open and not found.exact and len(found.between) == 2
    assert (found.last_without, found.first) == ("1.0", "1.9")
    # the runs made for other changes narrow it, as when the budget runs out
    made = {v: run(v) for v in ("1.0", "1.8", "1.9")}
    (found,) = Bisector(list(RELEASES), Runner(), runs=made, undecided_limit=2).bisect([change])
    assert found.left_open and (found.last_without, found.first) == ("1.0", "1.8") and not found.exact


def test_the_report_leads_with_the_releases_and_marks_what_is_only_narrowed() -> None:
    from harness.gate.bisect_report import by_release, render_html, render_text
    from harness.gate.bisect_run import BisectResult

    runner = Runner()
    bisector = Bisector(list(RELEASES), runner)
    found = list(found_for(bisector).values())
    result = BisectResult("1.0", "1.9", bisector.releases, [], found, {v: 1.0 for v in runner.calls}, runner.calls)
    groups = by_release(found)
    assert [g[0] for g in groups] == sorted({f.first for f in found}, key=lambda v: int(v.split(".")[1]))
    assert any(g[0] == "1.5" and g[2].get("broke") == 1 for g in groups)
    terminal, full = render_text(result, every=False), render_text(result)
    assert "every change:" not in terminal and "every change:" in full
    assert "1.5            1.4           1 broke" in terminal
    found[0].narrowed_only = True
    assert f"by {found[0].first}" in render_text(result) and "narrowed only" in render_html(result)


def test_a_release_whose_suite_cannot_run_is_skipped_with_its_error_and_remembered(tmp_path, monkeypatch) -> None:
    """LiteLLM 1.96.0's proxy does not start (`No module named 'proxy_server'`): the bisect goes on."""
    from harness.gate import bisect_run, release_runs, run_cache

    def no_proxy(env, repo, out, *, pytest_args, deadline_s):
        raise GateError(
            f"harness gate: the suite under litellm {env.version} exited 3 without a parity report (log: x):\n"
            '  File "proxy_cli.py", line 1018, in run_server\n'
            "  ModuleNotFoundError: No module named 'proxy_server'\n  fix: run `litellm --config ...` by hand"
        )

    monkeypatch.setattr(
        release_runs,
        "ensure_env",
        lambda version, **kw: type("Env", (), {"version": version, "cached": True, "build_s": 0.0})(),
    )
    monkeypatch.setattr(release_runs, "run_suite", no_proxy)
    out = tmp_path / "bisect-runs"
    runner, kept = bisect_run.release_runner(ROOT, out, ["t[a-litellm]"], [], None, 60.0, lambda line: None)
    bisector = Bisector(["1.0", "1.5", "1.9"], runner, runs={"1.0": run("1.0"), "1.9": run("1.9")}, kept=kept)
    broke = found_for(bisector)["broke"]
    assert (broke.first, broke.last_without) == ("1.9", "1.0")
    assert [(s.version, s.reason.split(" (log")[0]) for s in bisector.skipped] == [
        ("1.5", "its suite could not run: ModuleNotFoundError: No module named 'proxy_server'")
    ]
    again = Bisector(["1.0", "1.5", "1.9"], lambda v: pytest.fail("ran again"), runs=dict(bisector.runs), kept=kept)
    found_for(again)  # the skip was kept: a second bisect does not try the release again
    assert [s.version for s in again.skipped] == ["1.5"]
    assert run_cache.UNUSABLE in (out / "1.5" / run_cache.FILE).read_text()
    venv = json.loads((out / "1.5" / release_runs.VENV).read_text())  # what the venv cost the run
    assert venv["version"] == "1.5" and venv["cached"] is True and venv["waited_s"] >= 0


def test_the_gates_own_code_is_not_an_input_of_a_kept_run(tmp_path) -> None:
    from harness.gate import run_cache

    for name in ("harness/gate/bisect.py", "harness/contract/compare.py", "tests/contract/test_chat.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    before = run_cache.fingerprint(tmp_path, ["n"])
    (tmp_path / "harness/gate/bisect.py").write_text("x = 2  # a fix to the bisect itself\n")
    assert run_cache.fingerprint(tmp_path, ["n"]) == before
    (tmp_path / "harness/contract/compare.py").write_text("x = 2\n")
    assert run_cache.fingerprint(tmp_path, ["n"]) != before  # what the suite runs: another answer


def test_pips_reason_is_the_line_that_says_why_not_a_notice() -> None:
    """pip prints notices as ERROR lines before the reason (seen on LiteLLM 1.103.11)."""
    from harness.gate.bisect_run import _one_line

    output = (
        "harness gate: pip install litellm[proxy]==1.103.11 failed:\n"
        "ERROR: Ignored the following versions that require a different python version: 0.0.0 Requires-Python >=3.14\n"
        "ERROR: Could not find a version that satisfies the requirement litellm-proxy-extras==0.4.100.post2 "
        "(from versions: 0.1.0, 0.4.110)\n"
        "ERROR: No matching distribution found for litellm-proxy-extras==0.4.100.post2 (from litellm[proxy])\n"
    )
    assert _one_line(output) == (
        "ERROR: No matching distribution found for litellm-proxy-extras==0.4.100.post2 (from litellm[proxy])"
    )


def test_a_finished_bisects_report_writes_its_ranges_into_another_checkouts_ledger(tmp_path, capsys) -> None:
    """Bisected in one checkout (its ledger must stay as it was for its kept runs), applied in another:
    the same ranges as --update-ledger would write, and a report that is not one is a line and exit 2."""
    import signal

    from harness import cli
    from harness.gate.bisect_report import write_reports
    from harness.gate.bisect_run import BisectResult

    text = (
        "divergences:\n"
        '  - id: alias\n    what: x\n    litellm: ">=1.108.7"\n    reason: r\n'
        '  - id: other\n    what: z\n    litellm: ">=1.0"\n    reason: r\n'
    )
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(text)
    releases = ["1.80.17", "1.81.5", "1.81.6", "1.90.0", "1.108.7"]
    ran = [r for r in releases if r != "1.90.0"]
    alias = Found(Change("k", "new divergence", "p in x/a [alias]", lambda run: None), "1.81.6", "1.81.5")
    result = BisectResult("1.80.17", "1.108.7", releases, [], [alias])
    result.runs_made = ran
    result.entry_presence = {"alias": told(ran, {"1.81.6", "1.108.7"}), "other": told(ran, {"1.108.7"})}
    write_reports(result, tmp_path)
    (tmp_path / "broken.json").write_text('{"changes": [{"kind": 1}]}')
    old = json.loads((tmp_path / "bisect-report.json").read_text())
    del old["entry_presence"]  # a report from before it: where each entry was seen is not in it
    (tmp_path / "old.json").write_text(json.dumps(old))

    def gate(*args: str) -> int:
        handler = signal.getsignal(signal.SIGTERM)
        try:
            return cli.main(["gate", "--ledger", str(ledger), *args])
        finally:
            signal.signal(signal.SIGTERM, handler)

    assert gate("--apply-bisect-report", str(tmp_path / "broken.json")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a bisect report" in err[0] and ledger.read_text() == text
    assert gate("--apply-bisect-report", str(tmp_path / "old.json")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not say where each ledger entry was seen" in err[0] and "--kept-only" in err[0]
    assert ledger.read_text() == text
    assert gate("--apply-bisect-report", str(tmp_path / "bisect-report.json")) == 0
    out = capsys.readouterr().out
    assert "alias: '>=1.108.7' -> '>=1.81.6'" in out
    assert "other: came between 1.81.6 and 1.108.7, without a run yet of 1.90.0" in out
    assert 'litellm: ">=1.81.6"' in ledger.read_text() and 'litellm: ">=1.0"' in ledger.read_text()


def test_a_kept_run_of_more_items_answers_a_bisect_that_asks_for_fewer(tmp_path) -> None:
    """The probe and a CI matrix job run the whole suite; a later bisect asks for the involved items only."""
    from harness.gate import run_cache

    key = run_cache.fingerprint(ROOT, [])
    run_cache.store(tmp_path / "1.5", key, run("1.5"), ["t[a-litellm]", "t[b-litellm]"])
    assert run_cache.load(tmp_path / "1.5", key, ["t[a-litellm]"]) == run("1.5")
    assert run_cache.load(tmp_path / "1.5", key, ["t[a-litellm]", "t[b-litellm]"]) == run("1.5")
    assert run_cache.load(tmp_path / "1.5", key, ["t[a-litellm]", "t[c-litellm]"]) is None  # it never ran c


def test_the_projects_ledger_loads_after_every_range_is_rewritten(tmp_path) -> None:
    """Every entry present at both ends (no bound at all): the ledger still loads, its entries all kept."""
    from harness.contract.ledger_file import load_ledger

    ledger = tmp_path / "divergences.yaml"
    ledger.write_text((ROOT / "tests" / "contract" / "divergences.yaml").read_text())
    ids = frozenset(e.id for e in load_ledger(ledger).entries)
    ends = ("1.74.0", "1.108.7")
    presence = {entry: told(list(ends), set(ends)) for entry in ids}
    changes, held = update_ranges(ledger, Ends(*ends, presence, ends, frozenset(ends), good_is_oldest=True))
    assert held == {} and {c.entry for c in changes} <= ids
    assert {str(e.litellm) for e in load_ledger(ledger).entries} == {">=0"}
    assert "# since before 1.74.0, the oldest release that runs (1.74.0 -> 1.108.7)" in ledger.read_text()


def test_a_proxy_that_fails_at_startup_is_named_by_its_exception_not_uvicorns_closing_line() -> None:
    """Seen on LiteLLM 1.60.0: the router builds Azure clients at startup, and the last line is uvicorn's."""
    from harness.gate.bisect_run import _failure_line

    tail = (
        "harness gate: the suite under litellm 1.60.0 exited 3 without a parity report (log: x):\n"
        '  File "openai/lib/azure.py", line 690, in __init__\n'
        "    raise OpenAIError(\n"
        "  openai.OpenAIError: Missing credentials. Please pass one of `api_key`, `azure_ad_token`\n"
        "  ERROR:    Application startup failed. Exiting.\n"
        "  fix: run `litellm --config c.yaml --port 0` by hand to see the error\n"
    )
    assert (
        _failure_line(tail) == "openai.OpenAIError: Missing credentials. Please pass one of `api_key`, `azure_ad_token`"
    )
    assert _failure_line("x\nERROR:    Application startup failed. Exiting.\nfix: y") == (
        "ERROR:    Application startup failed. Exiting."
    )


def test_a_bound_beyond_the_releases_the_bisect_ran_stays(tmp_path) -> None:
    """A bisect 1.63.8 -> 1.63.14 says nothing about 1.94.0: an upper bound there stays, while the lower
    bound it contradicts (present at 1.63.8, the range said from 1.80.17) goes."""
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(
        "divergences:\n"
        '  - id: cut\n    what: x\n    litellm: ">=1.80.17,<1.94.0"\n    reason: r\n'
        '  - id: early\n    what: y\n    litellm: ">=1.60.0"  # from an older bisect\n    reason: r\n'
    )
    text = ledger.read_text()
    both = ["1.63.8", "1.63.14"]
    ends = Ends(*both, {"cut": told(both, set(both)), "early": told(both, set(both))}, both, frozenset(both))
    changes, _ = update_ranges(ledger, ends)
    assert [(c.entry, c.after) for c in changes] == [("cut", "<1.94.0"), ("early", ">=1.60.0")]
    ledger.write_text(text)  # the good end is the oldest release that runs: nothing before it was seen
    changes, _ = update_ranges(ledger, dataclasses.replace(ends, good_is_oldest=True))
    assert [(c.entry, c.after) for c in changes] == [("cut", "<1.94.0"), ("early", ">=0")]


def test_each_run_is_read_once_however_many_changes_ask_it(monkeypatch) -> None:
    """A bisect asks every change of every run it made; a run's divergences are worked out once."""
    import harness.gate.changes as changes_module

    calls: list[int] = []
    real = changes_module.divergences

    def counted(run: Any) -> Any:
        calls.append(id(run))
        return real(run)

    monkeypatch.setattr(changes_module, "divergences", counted)
    good, bad = run(RELEASES[0]), run(RELEASES[-1])
    good["comparisons"][0]["mismatches"] = [{"path": "body.a", "kind": "value"}]
    changes = [
        c
        for c in changes_between(compare_runs(good, bad), good, bad)
        if c.kind in ("new divergence", "gone divergence")
    ]
    assert changes, "the runs differ in a divergence"
    middle = run(RELEASES[4])
    for change in changes * 3:
        change.present(middle)
        change.present(good)
    assert sorted(calls) == sorted({id(middle), id(good)}), "a run's divergences are read once"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_search_starts_from_the_range_the_kept_runs_leave(jobs: int) -> None:
    """Runs kept by an earlier sitting narrow every search before it asks for a new run, with one job or
    several alike: with 1.4 and 1.6 kept, `broke` (from 1.5) needs one run, the header (back in 1.7) two."""
    runner = Runner()
    bisector = Bisector(list(RELEASES), runner, kept=lambda v: run(v) if v in ("1.4", "1.6") else None)
    bisector.load_kept()
    found = found_for_jobs(bisector, jobs)
    assert (found["broke"].first, found["broke"].last_without) == ("1.5", "1.4")
    assert (found["header added"].first, found["header added"].last_without) == ("1.7", "1.6")
    assert sorted(runner.calls) == ["1.0", "1.5", "1.7", "1.8", "1.9"]


def found_for_jobs(bisector: Bisector, jobs: int) -> dict[str, Any]:
    good, bad = run(RELEASES[0]), run(RELEASES[-1])
    changes = changes_between(compare_runs(good, bad), good, bad)
    return {f.change.kind: f for f in bisector.bisect(changes, jobs=jobs)}
