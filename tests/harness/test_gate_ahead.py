"""Venvs built ahead: while a release's suite runs, the venvs of the releases the searches may ask for
next are built beside it; bounded, never a denylisted release, stopped by their process group when
the bisect ends. Fakes of pip and of suite runs stand in where the real ones take minutes."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from harness.gate import env
from harness.gate.ahead import Ahead
from harness.gate.bisect import Bisector
from harness.gate.changes import changes_between
from harness.gate.compare import compare_runs

from .test_gate_bisect import RELEASES, Runner, run


def test_the_next_releases_venvs_are_built_while_a_suite_runs() -> None:
    building = threading.Event()
    built: list[str] = []

    def build(version: str) -> None:
        built.append(version)
        building.set()

    runner = Runner()

    def run_release(version: str) -> dict[str, Any]:
        # the suite run is under way (this call); it ends only once a build ahead has started beside it
        assert building.wait(timeout=60), "no venv was built while the suite ran"
        return runner(version)

    ahead = Ahead(build, limit=1, depth=2)
    good, bad = run(RELEASES[0]), run(RELEASES[-1])
    changes = changes_between(compare_runs(good, bad), good, bad)
    try:
        bisector = Bisector(list(RELEASES), run_release, runs={RELEASES[0]: good, RELEASES[-1]: bad},
                            prepare=ahead.want)  # fmt: skip
        found = bisector.bisect(changes)
    finally:
        ahead.close()
    alone = Bisector(list(RELEASES), Runner(), runs={RELEASES[0]: good, RELEASES[-1]: bad}).bisect(changes)
    assert [(f.first, f.last_without) for f in found] == [(f.first, f.last_without) for f in alone]
    assert set(built) <= set(RELEASES[1:-1]) and set(built) & set(runner.calls), "some builds were the runs' own"
    assert runner.calls[0] == "1.5" and built[0] in ("1.3", "1.7"), "the first run's two next halvings, not itself"


def test_only_the_first_releases_wanted_are_queued_and_a_dropped_one_never_builds() -> None:
    gate = threading.Event()
    started: list[str] = []

    def build(version: str) -> None:
        started.append(version)
        assert gate.wait(timeout=60)

    ahead = Ahead(build, limit=1, depth=2)
    try:
        ahead.want(["1.1", "1.2", "1.3"])  # depth 2: 1.3 is not queued; 1.1 builds, 1.2 waits
        ahead.want(["1.3"])  # 1.2 is no longer wanted: dropped before it starts
        gate.set()
        assert ahead.wait("1.3") is None and ahead.wait("1.2") is None
    finally:
        ahead.close()
    assert started == ["1.1", "1.3"]


def test_a_denylisted_release_is_never_built_ahead() -> None:
    built: list[str] = []
    ahead = Ahead(built.append, limit=2, depth=4)
    try:
        ahead.want(["1.82.7", "1.82.8", "1.83.0"])
        ahead.wait("1.83.0")
    finally:
        ahead.close()
    assert built == ["1.83.0"]


def test_closing_stops_a_build_under_way_by_its_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    running = threading.Event()

    def build(version: str) -> None:
        running.set()
        env._run(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"], f"pip install litellm=={version}", 600)

    ahead = Ahead(build, limit=1, depth=1)
    ahead.want(["1.5"])
    assert running.wait(timeout=60)
    for _ in range(600):  # the shell writes its pid first thing; wait for it, a bounded number of polls
        if pid_file.exists() and pid_file.read_text().strip():
            break
        threading.Event().wait(0.05)
    pid = int(pid_file.read_text())
    ahead.close()
    assert ahead.failed["1.5"] == "harness gate: pip install litellm==1.5 was cancelled"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not env._CANCEL_BUILDS.is_set(), "later builds are allowed again"


def test_a_real_build_that_cannot_install_says_pips_reason_once(tmp_path: Path, monkeypatch) -> None:
    """The real `ensure_env` ahead, against an empty local index (nothing leaves the machine)."""
    empty = tmp_path / "index"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["pyyaml==6.0.4"]\n')
    cache = tmp_path / "cache"
    ahead = Ahead(lambda v: env.ensure_env(v, repo=repo, cache_dir=cache, deadline_s=300), limit=1, depth=1)
    try:
        ahead.want(["1.80.17"])
        reason = ahead.wait("1.80.17")
    finally:
        ahead.close()
    assert reason is not None and "pip install litellm[proxy]==1.80.17 failed" in reason
    assert "No matching distribution" in reason or "Could not find a version" in reason
    assert not any(p.is_dir() for p in cache.glob("litellm-*")), "a half-built venv was left behind"


def test_the_first_releases_venv_is_built_while_the_gate_runs(tmp_path: Path, monkeypatch) -> None:
    """Every search starts at the middle release: its venv builds during the gate's two suite runs."""
    from harness.gate import bisect_plan, bisect_run
    from harness.gate.run import GateResult

    from .support import ROOT
    from .test_gate_plan import PIP

    building = threading.Event()
    builds: list[str] = []

    def build(version: str, **kwargs: Any) -> None:
        builds.append(version)
        building.set()

    def gate(good: str, bad: str, **kwargs: Any) -> GateResult:
        assert building.wait(timeout=60), "no venv was built while the gate ran"
        ends = run(good), run(bad)
        return GateResult(compare_runs(*ends), (None, None), (), ends)  # type: ignore[arg-type]

    monkeypatch.setattr(bisect_run, "ensure_env", build)
    monkeypatch.setattr(bisect_plan, "run_gate", gate)
    monkeypatch.setattr(bisect_run, "release_runner", lambda *args: (run, lambda version: None))
    result = bisect_run.run_bisect("1.0", "1.9", repo=ROOT, report_dir=tmp_path, pip_output=PIP, log=lambda line: None)
    assert builds[0] == "1.5" and result.order[0] == "1.5"
    assert all(f.exact for f in result.found)
