"""`python -m harness gate`: its options and what runs them (the gate, or with `--bisect` the bisect).

Kept apart from `harness.cli` (the other subcommands) because the gate's options are many and its
handlers import the gate's modules only when they run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

#: the gate's exit codes: 0 PASS, 1 FAIL, 2 the gate could not run, 3 INCOMPLETE (never a PASS)
EXIT = {"pass": 0, "fail": 1, "incomplete": 3}


def add_gate_parser(sub: Any) -> None:
    """The `gate` subcommand on `python -m harness`'s subparsers."""
    gate = sub.add_parser(
        "gate",
        help="run the offline contract under two LiteLLM versions and report what changes",
        description="Each version (an exact release, or `current` for this environment's) gets a cached venv; "
        "the offline suite runs in each against the same cassettes (and on the emulator, for both, where a "
        "version's requests miss them). Exit 0 PASS, 1 FAIL (something broke, or a new divergence is not in the "
        "ledger), 2 when the gate could not run, 3 INCOMPLETE (a case could not be compared under both). "
        "Arguments after `--` go to pytest (default: tests/contract).",
    )
    gate.add_argument("--baseline", metavar="VERSION", help="e.g. 1.80.17, or current")
    gate.add_argument("--candidate", metavar="VERSION", help="e.g. 1.108.7, or current")
    gate.add_argument(
        "--bisect",
        action="store_true",
        help="find the release that made each change between --good and --bad (releases pip can see)",
    )
    gate.add_argument("--good", metavar="VERSION", help="--bisect: the older release, e.g. 1.80.17")
    gate.add_argument("--bad", metavar="VERSION", help="--bisect: the newer release, e.g. 1.108.7")
    gate.add_argument(
        "--update-ledger",
        action="store_true",
        help="--bisect: rewrite each ledger entry's litellm range from where its runs saw the entry (a union "
        "where it came and went), and list what changed and what was left as it is",
    )
    gate.add_argument(
        "--apply-bisect-report",
        metavar="FILE",
        help="write the ranges a finished bisect placed (its bisect-report.json) into this checkout's ledger "
        "(or --ledger FILE), without running anything",
    )
    gate.add_argument(
        "--budget",
        type=float,
        metavar="MINUTES",
        help="--bisect: start no new release run after this long (0: the kept runs only); unplaced changes come "
        "back as ranges, and the same command with the same --report-dir continues from the runs kept in it",
    )
    gate.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="--bisect: run up to N releases side by side (the searches advance in step; same answers and runs)",
    )
    from harness.gate.cli_modes import add_mode_arguments

    add_mode_arguments(gate)
    gate.add_argument("--report-dir", default=".", metavar="DIR", help="where gate-report.{json,html,txt} go")
    gate.add_argument("--cache-dir", metavar="DIR", help="venv cache (default: ~/.cache/azure-litellm-contract/gate)")
    gate.add_argument("--gate-examples", type=int, metavar="N", help="differential fuzzing examples per run")
    gate.add_argument(
        "--litellm-config", metavar="FILE", help="compare the versions on your proxy config (config mode)"
    )
    gate.add_argument("--litellm-model", metavar="ALIAS", help="the alias under test in --litellm-config")
    gate.add_argument("--ledger", metavar="FILE", help="your config's divergence ledger")
    gate.add_argument("--timeout", type=float, default=3600.0, metavar="S", help="deadline per suite run")
    gate.add_argument("--repo", default=".", help="the project checkout to run (default: .)")
    gate.add_argument(
        "--baseline-arg", action="append", default=[], metavar="ARG", help="a pytest argument for the baseline run only"
    )
    gate.add_argument(
        "--candidate-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="a pytest argument for the candidate run only",
    )
    gate.add_argument("pytest_args", nargs=argparse.REMAINDER, help="-- then pytest arguments")
    gate.set_defaults(func=run_gate_command)


def run_gate_command(args: argparse.Namespace) -> int:
    """`python -m harness gate`: a gate between two versions, or with `--bisect`, the bisect.

    Interrupted (Ctrl-C, SIGTERM), it says so in one line, after every suite it started has been
    stopped by its process group (`harness.gate.suite`), and exits 130."""
    try:
        return _gate_or_bisect(args)
    except KeyboardInterrupt:
        kept = Path(args.report_dir) / "bisect-runs"
        more = f"; the release runs finished are kept in {kept}: the same command continues" if args.bisect else ""
        print(f"harness gate: interrupted; every suite it started was stopped{more}", file=sys.stderr)
        return 130


def _gate_or_bisect(args: argparse.Namespace) -> int:
    from harness.gate.report import render_text
    from harness.gate.run import GateError, run_gate

    repo = Path(args.repo).resolve()
    if not (repo / "pyproject.toml").exists() or not (repo / "tests" / "contract").is_dir():
        print(
            f"harness gate: {repo} is not this project's checkout (no pyproject.toml or tests/contract)",
            file=sys.stderr,
        )
        return 2
    pytest_args = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    pytest_args = pytest_args or ["tests/contract"]
    if args.gate_examples is not None:
        pytest_args = [*pytest_args, f"--gate-examples={args.gate_examples}"]
    # the team's own config and ledger, under both versions (config mode): given to every suite run,
    # the reruns of a selection included, so they are kept apart from the user's pytest arguments
    mode_args: list[str] = []
    if args.litellm_config:
        mode_args += ["--litellm-config", str(Path(args.litellm_config).resolve())]
    if args.litellm_model:
        mode_args += ["--litellm-model", args.litellm_model]
    if args.ledger:
        mode_args += ["--ledger", str(Path(args.ledger).resolve())]
    if args.apply_bisect_report:
        return _apply_report(args, repo)
    from harness.gate.cli_modes import run_mode

    mode = run_mode(args, repo, pytest_args, mode_args)
    if mode is not None:
        return mode
    if args.bisect:
        return _bisect(args, repo, pytest_args, mode_args)
    if not (args.baseline and args.candidate):
        print("harness gate: give --baseline and --candidate (or --bisect --good X --bad Y)", file=sys.stderr)
        return 2
    try:
        result = run_gate(
            args.baseline,
            args.candidate,
            baseline_args=[*mode_args, *args.baseline_arg],  # a version's own options last: they win
            candidate_args=[*mode_args, *args.candidate_arg],
            **_common(args, repo, pytest_args),
        )
    except GateError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(render_text(result.comparison))
    print("\ngate report: " + ", ".join(str(p) for p in result.outputs))
    return EXIT[result.comparison.verdict]


def _common(args: argparse.Namespace, repo: Path, pytest_args: list[str]) -> dict[str, Any]:
    """What the gate and the bisect both take from the command line."""
    return {
        "repo": repo,
        "report_dir": Path(args.report_dir),
        "cache_dir": Path(args.cache_dir) if args.cache_dir else None,
        "pytest_args": pytest_args,
        "deadline_s": args.timeout,
        "log": lambda line: print(line, file=sys.stderr, flush=True),
    }


def _bisect(args: argparse.Namespace, repo: Path, pytest_args: list[str], mode_args: list[str]) -> int:
    from harness.gate.bisect import Uninstallable
    from harness.gate.bisect_report import render_text, write_reports
    from harness.gate.bisect_run import run_bisect
    from harness.gate.env import GateEnvError
    from harness.gate.run import GateError

    if not (args.good and args.bad):
        print("harness gate: --bisect needs --good X (older, without the changes) and --bad Y", file=sys.stderr)
        return 2
    try:
        plan_width = None if args.plan in (None, "all") else int(args.plan)
        if plan_width is not None and plan_width < 1:
            raise ValueError
    except ValueError:
        print(
            f"harness gate: --plan takes a number of releases (1 or more) or `all`, not {args.plan!r}", file=sys.stderr
        )
        return 2
    if args.jobs < 1:
        print(f"harness gate: --jobs must be 1 or more (releases run side by side), not {args.jobs}", file=sys.stderr)
        return 2
    try:
        result = run_bisect(
            args.good,
            args.bad,
            mode_args=mode_args,
            budget_s=0.0 if args.plan else (args.budget * 60 if args.budget is not None else None),  # 0: kept runs
            jobs=args.jobs,
            kept_only=args.kept_only,
            plan_width=plan_width,
            build_ahead=args.build_ahead,
            keep_venvs=args.keep_venvs,
            **_common(args, repo, pytest_args),
        )
    except (GateError, GateEnvError, Uninstallable) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    outputs = write_reports(result, Path(args.report_dir))
    print(render_text(result, every=False))
    if args.plan or args.kept_only:
        from harness.gate.bisect_plan import write_plan

        plan = write_plan(Path(args.report_dir), args.good, args.bad, result.needed)
        print(f"\nreleases still needed ({len(result.needed)}): {' '.join(result.needed) or 'none'}; the plan: {plan}")
    print("\nevery change, one per line: bisect-report.txt")
    if args.update_ledger:
        from harness.gate.ledger_ranges import Ends, ReportError

        try:
            ends = Ends.from_report(result.as_dict())
        except (ReportError, KeyError) as exc:
            print(f"harness gate: the ledger was not written: {exc}", file=sys.stderr)
            return 2
        _write_ranges(_ledger(args, repo), ends)
    print("\nbisect report: " + ", ".join(str(p) for p in outputs))
    return 0


def _ledger(args: argparse.Namespace, repo: Path) -> Path:
    """The ledger whose ranges a bisect writes: the team's (`--ledger`, config mode), or the project's."""
    return Path(args.ledger).resolve() if args.ledger else repo / "tests" / "contract" / "divergences.yaml"


def _write_ranges(ledger: Path, ends: Any) -> None:
    from harness.gate.ledger_ranges import update_ranges

    changed, held = update_ranges(ledger, ends)
    print(f"\nledger ranges updated in {ledger} ({len(changed)}):")
    for c in changed:
        print(f"  {c.entry}: {c.before!r} -> {c.after!r}  ({c.why})")
    if held:
        print(f"left as they are ({len(held)}):")
        for entry, why in held.items():
            print(f"  {entry}: {why}")


def _apply_report(args: argparse.Namespace, repo: Path) -> int:
    """`--apply-bisect-report FILE`: a finished bisect's placed ranges written into this checkout's ledger."""
    from harness.gate.ledger_ranges import ReportError, ends_from_report

    ledger = _ledger(args, repo)
    if not ledger.is_file():
        print(f"harness gate: no ledger at {ledger} (give --ledger FILE)", file=sys.stderr)
        return 2
    try:
        ends = ends_from_report(Path(args.apply_bisect_report))
    except ReportError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    _write_ranges(ledger, ends)
    return 0
