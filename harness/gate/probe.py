"""`python -m harness gate --probe-oldest`: the oldest LiteLLM release the offline suite can run.

Teams lag LiteLLM by months; the ledger's ranges and the atlas must reach back to their pins, and no
further than the suite can see. Old releases differ where the harness starts them (the proxy CLI, its
config, the cost map, the `proxy` extra's packages, Python 3.11); a release that cannot run offline
gives the one line that says why, as the bisect's skips do.

The search halves the releases between `--floor` and `--top` (one that runs) on "does the suite run
under it": ceil(log2 N) release runs, not N. A run is the bisect's own (`release_runner`) over every
node id of the suite, kept in `REPORT_DIR/bisect-runs/`, so a later bisect over the same inputs reuses
each one it needs (`run_cache`: a run of more items answers a question about fewer). Halving assumes
one boundary; a band of broken releases in between (1.95.0 to 1.97.0 do not start) would stop it
early, so the releases just below the boundary found are tried too (`confirm`), spaced 1, 2, 4, ...
apart, and a search that finds one of them running goes on below it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.gate import run_cache
from harness.gate.bisect import Uninstallable
from harness.gate.found import Skip
from harness.replay.atomic import write_text_atomic

FILE = "probe-report.json"


class ProbeError(RuntimeError):
    """The probe could not start (a bad range, a top release that does not run); one line says why."""


@dataclass(frozen=True)
class Probe:
    version: str
    reason: str | None  # None: the suite ran under it; else why not (pip's line, or the suite's error)

    @property
    def runs(self) -> bool:
        return self.reason is None


@dataclass
class ProbeResult:
    floor: str
    top: str
    releases: list[str]
    left_out: list[Skip]
    probes: list[Probe] = field(default_factory=list)  # in the order they ran
    oldest: str | None = None
    below: Probe | None = None  # the release under `oldest` that cannot run (None: `oldest` is the floor)

    def as_dict(self) -> dict[str, Any]:
        return {
            "floor": self.floor,
            "top": self.top,
            "candidates": len(self.releases),
            "oldest_runnable": self.oldest,
            "below": None if self.below is None else {"version": self.below.version, "reason": self.below.reason},
            "probes": [{"version": p.version, "runs": p.runs, "reason": p.reason} for p in self.probes],
            "left_out": [{"version": s.version, "reason": s.reason} for s in self.left_out],
        }


def search_oldest(
    releases: Sequence[str],
    why_not: Callable[[str], str | None],
    confirm: int = 3,
    prepare: Callable[[Sequence[str]], None] = lambda versions: None,
) -> ProbeResult:
    """The oldest of `releases` (oldest first, the last one runs) under which the suite runs.

    `why_not(version)` runs a release and says why it cannot run (None: it runs); each release is
    asked once. After the halving, up to `confirm` releases below the boundary are tried, 1, 2, 4, ...
    releases down; one that runs means the boundary was a band of broken releases, and the search
    goes on below it. `prepare` is told, before each halving's run, the two releases the next one may
    ask for (their venvs are built meanwhile, `harness.gate.ahead`)."""
    result = ProbeResult(releases[0], releases[-1], list(releases), [])
    seen: dict[str, Probe] = {}

    def probe(index: int) -> Probe:
        version = releases[index]
        if version not in seen:
            seen[version] = Probe(version, why_not(version))
            result.probes.append(seen[version])
        return seen[version]

    hi = len(releases) - 1
    if not probe(hi).runs:
        raise ProbeError(f"harness gate: --top {releases[hi]} does not run either: {seen[releases[hi]].reason}")
    lo = 0
    while True:
        if probe(lo).runs:
            hi = lo  # the floor runs: nothing older was asked
            break
        while hi - lo > 1:
            mid = (lo + hi) // 2
            prepare([releases[i] for i in ((lo + mid) // 2, (mid + hi) // 2) if i not in (lo, mid, hi)])
            if probe(mid).runs:
                hi = mid
            else:
                lo = mid
        below = [lo - step for step in (2**k for k in range(confirm)) if lo - step > 0]
        again = next((i for i in below if probe(i).runs), None)
        if again is None:
            break
        hi, lo = again, 0  # a band of broken releases: the boundary is further down
    result.oldest = releases[hi]
    result.below = seen[releases[hi - 1]] if hi > 0 and releases[hi - 1] in seen else None
    return result


def collect_nodeids(
    repo: Path, selection: Sequence[str], mode_args: Sequence[str], python: str = sys.executable
) -> list[str]:
    """Every node id the suite has (pytest's collection, in this environment): the probe runs them all,
    as explicit node ids, so its runs serve a bisect that asks for any of them."""
    command = [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *selection, *mode_args]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600, check=False)
    nodeids = [line.strip() for line in done.stdout.splitlines() if "::" in line and not line.startswith(" ")]
    if done.returncode != 0 or not nodeids:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        raise ProbeError(
            f"harness gate: collecting {' '.join(selection)} failed (exit {done.returncode}): {' | '.join(tail)}"
        )
    return nodeids


def probe_releases(runner: Callable[[str], Any]) -> Callable[[str], str | None]:
    """`why_not` from a release runner (`bisect_run.release_runner`): its skip reason, or None once it ran."""

    def why_not(version: str) -> str | None:
        try:
            runner(version)
        except Uninstallable as exc:
            return (str(exc).strip().splitlines() or ["uninstallable"])[0]
        return None

    return why_not


def render_text(result: ProbeResult) -> str:
    lines = [f"LiteLLM probe: the oldest release the offline suite runs, between {result.floor} and {result.top}: "
             f"{result.oldest} ({len(result.probes)} of {len(result.releases)} releases asked)"]  # fmt: skip
    if result.below is not None:
        lines.append(f"the release below it, {result.below.version}, cannot: {result.below.reason}")
    elif result.oldest == result.floor:
        lines.append(f"{result.floor} is the floor given: older releases were not probed (lower --floor)")
    lines += ["", "probed, in order:"]
    lines += [f"  {p.version:<14}{'runs' if p.runs else 'cannot run: ' + str(p.reason)}" for p in result.probes]
    if result.left_out:
        lines += ["", f"left out ({len(result.left_out)}): " + ", ".join(s.version for s in result.left_out)]
    return "\n".join(lines)


def write_report(result: ProbeResult, report_dir: Path) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, text_path = report_dir / FILE, report_dir / "probe-report.txt"
    write_text_atomic(json_path, json.dumps(result.as_dict(), indent=1))
    write_text_atomic(text_path, render_text(result) + "\n")
    return json_path, text_path


def oldest_runnable(report_dir: Path) -> dict[str, Any] | None:
    """What a probe in `report_dir` found (`probe-report.json`), for the bisect's report; None without one."""
    try:
        data = json.loads((report_dir / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("oldest_runnable") else None


def run_probe(
    floor: str,
    top: str,
    *,
    repo: Path,
    report_dir: Path,
    cache_dir: Path | None = None,
    selection: Sequence[str] = ("tests/contract",),
    mode_args: Sequence[str] = (),
    deadline_s: float = 3600.0,
    confirm: int = 3,
    pip_output: str | None = None,
    build_ahead: bool = True,
    keep_venvs: bool = False,
    log: Any = print,
) -> ProbeResult:
    """The probe for real: pip's releases from `floor` to `top`, each asked release run as the bisect
    runs it and kept in `report_dir/bisect-runs` (a kept one is reused, so a second probe is free)."""
    from packaging.version import Version

    from harness.gate.bisect_run import list_releases, pip_versions, release_runner
    from harness.gate.env import validate_version

    for text in (floor, top):
        validate_version(text)
    if Version(floor) >= Version(top):
        raise ProbeError(f"harness gate: --floor {floor} must be older than --top {top}")
    releases, left_out = list_releases(floor, top, pip_output if pip_output is not None else pip_versions())
    nodeids = collect_nodeids(repo, selection, mode_args)
    log(f"harness gate: probing {len(releases)} releases from {floor} to {top} with {len(nodeids)} items each")
    keep = ("*",) if keep_venvs else (top,)
    runs = report_dir / "bisect-runs"
    runner, kept = release_runner(repo, runs, nodeids, mode_args, cache_dir, deadline_s, log, keep)
    fresh = probe_releases(runner)

    def why_not(version: str) -> str | None:
        try:
            if kept(version) is not None:
                return None
        except Uninstallable as exc:
            return (str(exc).strip().splitlines() or ["uninstallable"])[0]
        return fresh(version)

    from harness.gate.ahead import Ahead
    from harness.gate.env import ensure_env

    ahead = Ahead(lambda v: ensure_env(v, repo=repo, cache_dir=cache_dir), limit=1, depth=2) if build_ahead else None

    def want(versions: Sequence[str]) -> None:
        if ahead is not None:
            ahead.want([v for v in versions if not (runs / v / run_cache.FILE).exists()])

    try:
        result = search_oldest(releases, why_not, confirm, want)
    finally:
        if ahead is not None:
            ahead.close()
    result.left_out = left_out
    return result
