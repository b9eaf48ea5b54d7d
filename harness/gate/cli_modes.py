"""The gate's modes besides a gate and a bisect: `--probe-oldest`, `--release-run`, `--merge-runs` and
`--atlas` (docs/gate.md). Kept apart from `cli` so that each stays small; each handler imports what it
runs only when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_mode_arguments(gate: Any) -> None:
    gate.add_argument(
        "--probe-oldest",
        action="store_true",
        help="find the oldest release the offline suite runs, halving from --floor to --top (kept runs reused)",
    )
    gate.add_argument("--floor", default="1.60.0", metavar="VERSION", help="--probe-oldest: the oldest release asked")
    gate.add_argument("--top", default="1.80.17", metavar="VERSION", help="--probe-oldest: a release that runs")
    gate.add_argument(
        "--confirm",
        type=int,
        default=3,
        metavar="K",
        help="--probe-oldest: releases below the boundary also tried (1, 2, 4, ... down): a band of broken ones",
    )

    gate.add_argument(
        "--build-ahead",
        type=int,
        default=1,
        metavar="N",
        help="--bisect: build up to N venvs of the releases the searches may ask for next while suites run (0: none)",
    )
    gate.add_argument(
        "--keep-venvs",
        action="store_true",
        help="--bisect, --probe-oldest, --release-run: keep each release's venv after its run is kept (by default "
        "removed then, 400 MB each; the gate's two ends are always kept)",
    )
    gate.add_argument(
        "--plan",
        metavar="N|all",
        help="--bisect: run the gate (or reuse the kept one) and no release; write bisect-plan.json with N releases "
        "(spread over the ranges still open), or all, that the changes still need",
    )
    gate.add_argument(
        "--kept-only",
        action="store_true",
        help="--bisect: run nothing at all: place every change from the gate and release runs kept in --report-dir, "
        "and write bisect-plan.json with what is still needed",
    )
    gate.add_argument(
        "--release-run",
        metavar="VERSION",
        help="make one release's run of the whole suite, kept in --report-dir/bisect-runs (a CI matrix job)",
    )
    gate.add_argument(
        "--merge-runs",
        nargs="+",
        metavar="DIR",
        help="copy the kept runs (and gate) of these report folders into --report-dir (other inputs: named, left out)",
    )
    gate.add_argument(
        "--atlas",
        metavar="REPORT",
        help="write atlas.md and atlas.html (release x divergence) from a bisect-report.json, running nothing",
    )
    gate.add_argument("--atlas-dir", default="docs", metavar="DIR", help="--atlas: where they go (default: docs)")


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_mode(args: argparse.Namespace, repo: Path, pytest_args: list[str], mode_args: list[str]) -> int | None:
    """The exit code of the mode the command line asks for, or None when it asks for none of them."""
    if args.probe_oldest:
        return _probe(args, repo, pytest_args, mode_args)
    if args.atlas:
        return _atlas(Path(args.atlas), Path(args.atlas_dir))
    if args.release_run:
        return _release_run(args, repo, pytest_args, mode_args)
    if args.merge_runs:
        return _merge(args, repo, mode_args)
    return None


def _release_run(args: argparse.Namespace, repo: Path, pytest_args: list[str], mode_args: list[str]) -> int:
    """One release's run of every node id, as the probe and the bisect make it, kept for any machine's bisect."""
    from harness.gate.bisect import Uninstallable
    from harness.gate.bisect_run import release_runner
    from harness.gate.env import GateEnvError, validate_version
    from harness.gate.probe import ProbeError, collect_nodeids

    out = Path(args.report_dir) / "bisect-runs"
    cache = Path(args.cache_dir) if args.cache_dir else None
    try:
        version = validate_version(args.release_run)
        nodeids = collect_nodeids(repo, [a for a in pytest_args if not a.startswith("-")], mode_args)
        keep = ("*",) if args.keep_venvs else ()
        runner, kept = release_runner(repo, out, nodeids, mode_args, cache, args.timeout, _log, keep)
        if kept(version) is None:
            runner(version)
    except Uninstallable as exc:
        print(f"litellm {args.release_run}: skipped, kept as such in {out / args.release_run}: {exc}")
        return 0
    except (GateEnvError, ProbeError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"litellm {version}: its run of {len(nodeids)} items is kept in {out / version}")
    return 0


def _merge(args: argparse.Namespace, repo: Path, mode_args: list[str]) -> int:
    from harness.gate import run_cache
    from harness.gate.bisect_plan import merge_runs

    missing = [d for d in args.merge_runs if not Path(d).is_dir()]
    if missing:
        print(f"harness gate: --merge-runs {missing[0]}: no such folder (expected a --report-dir)", file=sys.stderr)
        return 2
    key = run_cache.fingerprint(repo, mode_args)
    merged = merge_runs([Path(d) for d in args.merge_runs], Path(args.report_dir), key)
    print(f"merged into {Path(args.report_dir) / 'bisect-runs'}: {len(merged.copied)} run(s) copied, "
          f"{len(merged.already)} already there" + (", the kept gate" if merged.gate else ""))  # fmt: skip
    if merged.other_inputs:
        print(f"left out, made from other inputs than this checkout's ({len(merged.other_inputs)}): "
              + ", ".join(merged.other_inputs))  # fmt: skip
    return 0


def _atlas(report: Path, out_dir: Path) -> int:
    import json

    from harness.report.atlas import write_atlas

    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not {"good", "bad", "changes"} <= set(data):
            raise ValueError("expected the keys good, bad and changes")
        outputs = write_atlas(report, out_dir, data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(
            f"harness gate: --atlas {report}: not a bisect report (bisect-report.json from `gate --bisect`): {exc}",
            file=sys.stderr,
        )
        return 2
    print("atlas: " + ", ".join(str(p) for p in outputs))
    return 0


def _probe(args: argparse.Namespace, repo: Path, pytest_args: list[str], mode_args: list[str]) -> int:
    from harness.gate.env import GateEnvError
    from harness.gate.probe import ProbeError, render_text, run_probe, write_report
    from harness.gate.suite import GateError

    selection = [a for a in pytest_args if not a.startswith("-")] or ["tests/contract"]
    try:
        result = run_probe(
            args.floor,
            args.top,
            repo=repo,
            report_dir=Path(args.report_dir),
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            selection=selection,
            mode_args=mode_args,
            deadline_s=args.timeout,
            confirm=args.confirm,
            build_ahead=args.build_ahead > 0,
            keep_venvs=args.keep_venvs,
            log=_log,
        )
    except (ProbeError, GateError, GateEnvError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    outputs = write_report(result, Path(args.report_dir))
    print(render_text(result))
    print("\nprobe report: " + ", ".join(str(p) for p in outputs))
    return 0
