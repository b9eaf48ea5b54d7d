"""A bisect beyond one machine: its gate kept, the releases it needs planned, runs from many folders merged.

A bisect over 250 releases is more release runs than one machine makes in a sitting. The kept runs
are keyed by the suite's inputs (`run_cache`), so any machine with the same checkout can make any
release's run. What a CI workflow needs besides (docs/ci/atlas.yml):

- the gate between the ends, kept in `REPORT_DIR/bisect-gate.json` under the same kind of key, so
  that a later sitting, or a merge job, does not run it again (`gate_between`);
- a plan: which releases the unplaced changes still need (`next_releases`), `width` of them spread
  evenly over the ranges still open (a `width`-ary search round), or all of them;
- a merge of the kept runs made in separate folders into one (`merge_runs`), refusing none silently:
  a run made from other inputs is named and left out.

Then `gate --bisect --kept-only` places every change from the kept runs without running anything.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from harness.gate import run_cache
from harness.gate.compare import Divergence, GateComparison, compare_runs
from harness.gate.found import Found
from harness.gate.run import run_gate, set_unjudged
from harness.gate.suite import GateError
from harness.replay.atomic import write_text_atomic

GATE_FILE = "bisect-gate.json"
PLAN_FILE = "bisect-plan.json"


def comparison_from_dict(data: Mapping[str, Any]) -> GateComparison:
    """A gate's comparison read back from `GateComparison.as_dict` (what the bisect searches)."""
    c = GateComparison(data["baseline"], data["candidate"])
    c.broke, c.fixed, c.flaky = list(data["broke"]), list(data["fixed"]), list(data.get("flaky", []))
    c.unjudged = list(data.get("unjudged", []))
    c.entries_gone = list(data["ledger_entries_no_longer_hit"])
    c.new_divergences = [Divergence(**d) for d in data["new_divergences"]]
    c.gone_divergences = [Divergence(**d) for d in data["gone_divergences"]]
    c.request_changes = list(data["upstream_request_changes"])
    c.headers_added, c.headers_removed = dict(data["headers_added"]), dict(data["headers_removed"])
    c.app_changes = list(data["application_changes"])
    c.compared_once, c.served_by = dict(data["compared_once"]), dict(data["served_by"])
    c.performance, c.totals, c.environments = data["performance"], data["totals"], data["environments"]
    return c


def gate_key(repo: Path, good: str, bad: str, pytest_args: Sequence[str], mode_args: Sequence[str]) -> str:
    return run_cache.fingerprint(repo, [*pytest_args, *mode_args, f"--good={good}", f"--bad={bad}"])


def keep_gate(report_dir: Path, key: str, comparison: GateComparison, good: Any, bad: Any) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    kept = {"key": key, "comparison": comparison.as_dict(), "good": good, "bad": bad}
    write_text_atomic(report_dir / GATE_FILE, json.dumps(kept))


def kept_gate(report_dir: Path, key: str, repo: Path) -> tuple[GateComparison, dict[str, Any], dict[str, Any]] | None:
    """The gate kept in `report_dir` under `key`; None when there is none, another's, or unreadable.

    The key fingerprints what the suite ran, not the gate's own code, so the two runs are compared
    again by this checkout's gate; what only the gate's own suite runs knew is taken as kept: the
    replay misses' request changes, which upstream served each case, the items found flaky."""
    try:
        kept = json.loads((report_dir / GATE_FILE).read_text(encoding="utf-8"))
        if kept.get("key") != key:
            return None
        stored, good, bad = comparison_from_dict(kept["comparison"]), kept["good"], kept["bad"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    fresh = compare_runs(good, bad)
    fresh.request_changes += [c for c in stored.request_changes if "source" in c]
    fresh.served_by, fresh.flaky = stored.served_by, stored.flaky
    flaky = {row["nodeid"] for row in stored.flaky}
    fresh.broke = [row for row in fresh.broke if row["nodeid"] not in flaky]
    fresh.fixed = [row for row in fresh.fixed if row["nodeid"] not in flaky]
    fresh.baseline, fresh.candidate = stored.baseline, stored.candidate
    fresh.performance, fresh.environments = stored.performance, stored.environments
    set_unjudged(fresh, good, repo)
    return fresh, good, bad


def gate_between(
    good: str,
    bad: str,
    repo: Path,
    report_dir: Path,
    cache_dir: Path | None,
    pytest_args: Sequence[str],
    mode_args: Sequence[str],
    deadline_s: float,
    kept_only: bool,
    log: Any,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The gate between the ends (its comparison and both runs): kept in `report_dir` by an earlier
    sitting with the same inputs, or run now and kept; with `kept_only`, kept or an error."""
    key = gate_key(repo, good, bad, pytest_args, mode_args)
    kept = kept_gate(report_dir, key, repo)
    if kept is not None:
        log(f"harness gate: the gate {good} -> {bad} kept in {report_dir / GATE_FILE} (same inputs)")
        return kept
    if kept_only:
        raise GateError(
            f"harness gate: --kept-only: no gate {good} -> {bad} is kept in {report_dir / GATE_FILE} for this "
            f"checkout's inputs; make it first: python -m harness gate --bisect --good {good} --bad {bad} "
            f"--report-dir {report_dir} --plan N"
        )
    gate = run_gate(good, bad, repo=repo, report_dir=report_dir, cache_dir=cache_dir, pytest_args=pytest_args,
                    baseline_args=mode_args, candidate_args=mode_args, deadline_s=deadline_s, log=log)  # fmt: skip
    keep_gate(report_dir, key, gate.comparison, *gate.data)
    return gate.comparison, gate.data[0], gate.data[1]


def next_releases(found: Iterable[Found], releases: Sequence[str], settled: set[str], width: int | None) -> list[str]:
    """The releases the unplaced changes still need, oldest first: every release without a run inside
    the ranges their searches stopped at (`width` None), or `width` of them spread evenly."""
    open_ranges = {(f.last_without, f.first) for f in found if f.narrowed_only and f.first and f.last_without}
    inside = {
        r
        for lo, hi in open_ranges
        for r in releases
        if Version(lo) < Version(r) < Version(hi) and r not in settled  # type: ignore[arg-type]
    }
    wanted = sorted(inside, key=Version)
    if width is None or len(wanted) <= width:
        return wanted
    return sorted({wanted[(i + 1) * len(wanted) // (width + 1)] for i in range(width)}, key=Version)


def write_plan(report_dir: Path, good: str, bad: str, releases: Sequence[str]) -> Path:
    """`bisect-plan.json`: the releases a matrix of CI jobs makes runs of next ([] when every change is placed)."""
    path = report_dir / PLAN_FILE
    write_text_atomic(path, json.dumps({"good": good, "bad": bad, "releases": list(releases)}))
    return path


@dataclass
class Merged:
    copied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # the same release's run was there, with the same key
    other_inputs: list[str] = field(default_factory=list)  # "folder/version": made from another checkout
    gate: bool = False


def _version(name: str) -> bool:
    try:
        Version(name)
    except InvalidVersion:
        return False
    return True


def merge_runs(sources: Sequence[Path], report_dir: Path, key: str) -> Merged:
    """Copy the kept runs (and a kept gate) of `sources` (report folders) into `report_dir`. Only runs
    under `key`, this checkout's inputs, are taken; where both hold a release's run, the one that ran
    more items stays."""
    out = Merged()
    target = report_dir / "bisect-runs"
    for source in sources:
        for folder in sorted(p for p in (source / "bisect-runs").glob("*") if p.is_dir() and _version(p.name)):
            kept = _read(folder)
            if kept is None or kept.get("key") != key:
                out.other_inputs.append(f"{source}/{folder.name}")
                continue
            there = _read(target / folder.name)
            ran, has = set(kept.get("nodeids") or []), set((there or {}).get("nodeids") or [])
            if there is not None and there.get("key") == key and ran <= has:
                out.already.append(folder.name)
                continue
            shutil.rmtree(target / folder.name, ignore_errors=True)
            shutil.copytree(folder, target / folder.name)
            out.copied.append(folder.name)
        if (source / GATE_FILE).is_file() and not (report_dir / GATE_FILE).is_file():
            report_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / GATE_FILE, report_dir / GATE_FILE)
            out.gate = True
    return out


def _read(folder: Path) -> dict[str, Any] | None:
    try:
        kept = json.loads((folder / run_cache.FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return kept if isinstance(kept, dict) and isinstance(kept.get("nodeids", []), list) else None
