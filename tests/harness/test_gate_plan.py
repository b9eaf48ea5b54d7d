"""A bisect beyond one machine (docs/ci/atlas.yml): the gate kept, the releases planned, runs made in
separate folders merged, and `--kept-only` placing every change without running anything: the same
report as when every run was made in one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.gate import run_cache
from harness.gate.bisect_plan import gate_key, keep_gate, merge_runs, next_releases
from harness.gate.bisect_run import run_bisect
from harness.gate.compare import compare_runs
from harness.gate.run import GateError

from .support import ROOT
from .test_gate_bisect import RELEASES, run

PIP = "litellm (1.9)\nAvailable versions: " + ", ".join(reversed(RELEASES)) + "\n"
NODEIDS = ["t[a-litellm]", "t[b-litellm]"]
ARGS = ["tests/contract"]


def report_folder(folder: Path, versions: list[str], gate: bool = True) -> Path:
    """A report folder as a plan job (the gate) and matrix jobs (release runs) leave it."""
    if gate:
        good, bad = run(RELEASES[0]), run(RELEASES[-1])
        keep_gate(folder, gate_key(ROOT, RELEASES[0], RELEASES[-1], ARGS, []), compare_runs(good, bad), good, bad)
    for version in versions:
        run_cache.store(folder / "bisect-runs" / version, run_cache.fingerprint(ROOT, []), run(version), NODEIDS)
    return folder


@pytest.fixture(autouse=True)
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """No venv, no suite, no gate: what --kept-only promises."""
    from harness.gate import bisect_plan, bisect_run, release_runs

    def ran(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("--kept-only ran something")

    for module, name in ((bisect_run, "ensure_env"), (release_runs, "ensure_env"), (release_runs, "run_suite"),
                         (bisect_plan, "run_gate")):  # fmt: skip
        monkeypatch.setattr(module, name, ran)


def kept_only(folder: Path, width: int | None = None) -> Any:
    return run_bisect(RELEASES[0], RELEASES[-1], repo=ROOT, report_dir=folder, pip_output=PIP, kept_only=True,
                      plan_width=width, log=lambda line: None)  # fmt: skip


def test_runs_merged_from_separate_folders_give_the_report_of_one_folder(tmp_path: Path) -> None:
    middle = RELEASES[1:-1]
    one = kept_only(report_folder(tmp_path / "one", middle))
    assert all(f.exact for f in one.found) and one.needed == [] and one.order == []
    first = report_folder(tmp_path / "job-a", middle[::2])  # the plan job's folder holds the gate
    second = report_folder(tmp_path / "job-b", middle[1::2], gate=False)
    merged = merge_runs([first, second], tmp_path / "merged", run_cache.fingerprint(ROOT, []))
    assert sorted(merged.copied) == sorted(middle) and merged.gate and merged.other_inputs == []
    assert kept_only(tmp_path / "merged").as_dict() == one.as_dict()


def test_a_run_from_other_inputs_is_named_and_left_out(tmp_path: Path) -> None:
    source = report_folder(tmp_path / "job", ["1.5"])
    run_cache.store(source / "bisect-runs" / "1.6", "another checkout", run("1.6"), NODEIDS)
    merged = merge_runs([source], tmp_path / "merged", run_cache.fingerprint(ROOT, []))
    assert merged.copied == ["1.5"] and merged.other_inputs == [f"{source}/1.6"]


def test_with_runs_missing_the_plan_names_what_the_changes_still_need(tmp_path: Path) -> None:
    result = kept_only(report_folder(tmp_path / "r", ["1.3", "1.7"]))
    assert not all(f.exact for f in result.found)
    assert result.needed and not {"1.0", "1.3", "1.7", "1.9"} & set(result.needed)
    spread = kept_only(tmp_path / "r", width=2)
    assert len(spread.needed) == 2 and set(spread.needed) <= set(result.needed)
    complete = report_folder(tmp_path / "r", result.needed, gate=False)
    assert kept_only(complete).needed == [] and all(f.exact for f in kept_only(complete).found)


def test_kept_only_without_a_kept_gate_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"--kept-only: no gate 1\.0 -> 1\.9 is kept in .*--plan N$"):
        kept_only(tmp_path)


def test_a_round_spreads_its_releases_over_the_ranges_still_open() -> None:
    from harness.gate.changes import Change
    from harness.gate.found import Found

    releases = [f"1.{i}" for i in range(20)]
    open_range = Found(Change("k", "new divergence", "p in x/a [e]", lambda r: None), "1.19", "1.0")
    open_range.narrowed_only = True
    placed = Found(Change("j", "new divergence", "q in x/a [e]", lambda r: None), "1.5", "1.4")
    assert next_releases([open_range, placed], releases, {"1.0", "1.19"}, None) == releases[1:-1]
    assert next_releases([open_range, placed], releases, {"1.0", "1.19"}, 3) == ["1.5", "1.10", "1.14"]
    assert next_releases([placed], releases, set(), 3) == []


def test_the_ci_workflow_calls_the_gate_with_options_it_has() -> None:
    """docs/ci/atlas.yml is an example users copy: every `harness gate` option it uses must exist."""
    import argparse
    import re

    import yaml

    from harness.gate.cli import add_gate_parser

    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "atlas.yml").read_text())
    assert set(workflow["jobs"]) == {"plan", "runs", "merge"}
    parser = argparse.ArgumentParser()
    add_gate_parser(parser.add_subparsers())
    known = {
        o for action in parser._subparsers._group_actions[0].choices["gate"]._actions for o in action.option_strings
    }
    commands = [
        " ".join(step["run"].split())
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "harness gate" in step.get("run", "")
    ]
    used = {o for command in commands for o in re.findall(r"(?<=\s)--[a-z-]+", command.split("harness gate", 1)[1])}
    assert {"--plan", "--release-run", "--merge-runs", "--kept-only", "--atlas"} <= used
    assert used <= known, f"options the gate does not have: {sorted(used - known)}"


def test_budget_0_with_a_kept_gate_runs_nothing_and_narrows_from_every_kept_run(tmp_path: Path) -> None:
    """`--budget 0` used to run the gate's two suites every sitting; the gate is kept now, so it means
    "the kept runs only" as `--kept-only` does (which also refuses to run the gate when none is kept)."""
    folder = report_folder(tmp_path / "r", ["1.3", "1.7"])
    result = run_bisect(RELEASES[0], RELEASES[-1], repo=ROOT, report_dir=folder, pip_output=PIP, budget_s=0.0,
                        log=lambda line: None)  # fmt: skip
    assert result.order == [] and sorted(result.reused) == ["1.3", "1.7"]
    assert result.as_dict()["changes"] == kept_only(folder).as_dict()["changes"]


def test_a_kept_gate_is_compared_again_by_this_checkouts_gate(tmp_path: Path) -> None:
    """Its key is what the suite ran, not the gate's code: a kept comparison made by an older gate (here
    with a change the current one does not see) is made again; what only its suite runs knew stays."""
    from harness.gate.bisect_plan import kept_gate

    good, bad = run(RELEASES[0]), run(RELEASES[-1])
    stale = compare_runs(good, bad)
    stale.app_changes.append({"case": "x/b", "path": "error.message", "kind": "value", "baseline": 1, "candidate": 2})
    stale.flaky = [{"nodeid": "t[a-litellm]", "first": "passed / failed", "rerun": "passed / passed"}]
    key = gate_key(ROOT, RELEASES[0], RELEASES[-1], ARGS, [])
    keep_gate(tmp_path, key, stale, good, bad)
    fresh, _, _ = kept_gate(tmp_path, key, ROOT)  # type: ignore[misc]
    assert fresh.app_changes == compare_runs(good, bad).app_changes
    assert fresh.flaky == stale.flaky and fresh.broke == []  # t[a-litellm] broke, but its rerun said flaky
    assert kept_gate(tmp_path, "another checkout", ROOT) is None
