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
    return None


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
            log=_log,
        )
    except (ProbeError, GateError, GateEnvError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    outputs = write_report(result, Path(args.report_dir))
    print(render_text(result))
    print("\nprobe report: " + ", ".join(str(p) for p in outputs))
    return 0
