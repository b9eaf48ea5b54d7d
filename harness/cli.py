"""Command-line tools around the contract suite. Each subcommand reports bad input in one line."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.emulator import EmulatorConfig, EmulatorConfigError, EmulatorStartError, load_deployments
from harness.emulator.asgi import EmulatorApp
from harness.emulator.core import Emulator
from harness.emulator.serving import bind, make_server

if TYPE_CHECKING:
    from harness.doctor import DoctorInputs


def _emulator(args: argparse.Namespace) -> int:
    """Serve the emulator in the foreground until interrupted."""
    config = EmulatorConfig(public_network_access=not args.private_only)
    if args.deployments:
        config.deployments = load_deployments(Path(args.deployments))
    public = bind(args.host, args.port, tool="harness emulator")
    private = bind(args.host, args.private_port, tool="harness emulator")
    app = EmulatorApp(Emulator(config), {private.getsockname()[1]})
    host, port = public.getsockname()[:2]
    print(f"Azure OpenAI emulator listening on http://{host}:{port}", flush=True)
    print(f"  private endpoint listener: http://{host}:{private.getsockname()[1]}")
    print(f"  deployments: {', '.join(config.deployments)}")
    print(f"  api-key: {config.api_key}")
    print("  this key and the token-signing secret are generated per run and live only in this process;")
    print(f"  mint a bearer token: python -m harness token --secret {config.signing_secret} [--kind expired]")
    print("Press Ctrl-C to stop.", flush=True)
    server = make_server(app)
    try:
        asyncio.run(server.serve(sockets=[public, private]))
    except KeyboardInterrupt:
        pass
    finally:
        public.close()
        private.close()
    return 0


def _token(args: argparse.Namespace) -> int:
    from harness.emulator.tokens import mint_token

    print(mint_token(args.secret, args.kind))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    import json
    import os

    from harness.doctor import DoctorInputs, run_doctor
    from harness.live.settings import LiveSettingsError, entra_token, merged_env

    try:
        env = merged_env(os.environ, Path(args.env_file))
        token = entra_token() if args.auth == "entra" else None
    except LiveSettingsError as exc:
        print(f"harness doctor: {exc}", file=sys.stderr)
        return 2
    config = (
        Path(args.config)
        if args.config
        else (Path("litellm.config.yaml") if Path("litellm.config.yaml").exists() else None)
    )
    inputs = DoctorInputs(
        env=env,
        config_path=config,
        proxy_workdir=Path(args.proxy_workdir) if args.proxy_workdir else None,
        litellm_dir=Path(args.litellm_dir) if args.litellm_dir else None,
        auth=args.auth,
        token=token,
        timeout_s=args.timeout,
    )
    if args.fix or args.in_place:
        return _doctor_fix(inputs, args.in_place)
    report = run_doctor(inputs)
    print(json.dumps(report.as_json(), indent=1) if args.json else report.render())
    return 1 if report.failed else 0


def _doctor_fix(inputs: DoctorInputs, in_place: bool) -> int:
    """`doctor --fix`: the static checks' mechanical fixes, written beside the config (or over it)."""
    from harness.doctor.fix import FixError, run_fix

    try:
        result = run_fix(inputs, in_place=in_place)
    except (FixError, OSError) as exc:
        print(f"harness doctor --fix: {exc}", file=sys.stderr)
        return 2
    print(result.render())
    return 0


def _gate(args: argparse.Namespace) -> int:
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
    if args.bisect:
        return _bisect(args, repo, pytest_args, mode_args)
    if not (args.baseline and args.candidate):
        print("harness gate: give --baseline and --candidate (or --bisect --good X --bad Y)", file=sys.stderr)
        return 2
    try:
        result = run_gate(
            args.baseline,
            args.candidate,
            repo=repo,
            report_dir=Path(args.report_dir),
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            pytest_args=pytest_args,
            baseline_args=[*mode_args, *args.baseline_arg],  # a version's own options last: they win
            candidate_args=[*mode_args, *args.candidate_arg],
            deadline_s=args.timeout,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except GateError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(render_text(result.comparison))
    print("\ngate report: " + ", ".join(str(p) for p in result.outputs))
    return EXIT[result.comparison.verdict]


def _bisect(args: argparse.Namespace, repo: Path, pytest_args: list[str], mode_args: list[str]) -> int:
    from harness.gate.bisect import Uninstallable
    from harness.gate.bisect_report import render_text, write_reports
    from harness.gate.bisect_run import run_bisect
    from harness.gate.env import GateEnvError
    from harness.gate.ledger_ranges import update_ranges
    from harness.gate.run import GateError

    if not (args.good and args.bad):
        print("harness gate: --bisect needs --good X (older, without the changes) and --bad Y", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"harness gate: --jobs must be 1 or more (releases run side by side), not {args.jobs}", file=sys.stderr)
        return 2
    try:
        result = run_bisect(
            args.good,
            args.bad,
            repo=repo,
            report_dir=Path(args.report_dir),
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            pytest_args=pytest_args,
            mode_args=mode_args,
            deadline_s=args.timeout,
            budget_s=args.budget * 60 if args.budget is not None else None,  # 0: only the kept runs
            jobs=args.jobs,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (GateError, GateEnvError, Uninstallable) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    outputs = write_reports(result, Path(args.report_dir))
    print(render_text(result, every=False))
    print("\nevery change, one per line: bisect-report.txt")
    if args.update_ledger:
        ledger = repo / "tests" / "contract" / "divergences.yaml"
        changed = update_ranges(ledger, result.found)
        print(f"\nledger ranges updated in {ledger} ({len(changed)}):")
        for c in changed:
            print(f"  {c.entry}: {c.before!r} -> {c.after!r}  ({c.why})")
    print("\nbisect report: " + ", ".join(str(p) for p in outputs))
    return 0


#: the gate's exit codes: 0 PASS, 1 FAIL, 2 the gate could not run, 3 INCOMPLETE (never a PASS)
EXIT = {"pass": 0, "fail": 1, "incomplete": 3}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="serve the Azure OpenAI emulator on loopback")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    emu.add_argument("--private-port", type=int, default=0, help="port of the private-endpoint listener")
    emu.add_argument("--deployments", metavar="FILE", help="YAML/JSON deployment table (default: built-in)")
    emu.add_argument(
        "--private-only",
        action="store_true",
        help="public network access disabled: only the private listener is answered",
    )
    emu.set_defaults(func=_emulator)
    tok = sub.add_parser("token", help="mint an Entra-style bearer token for a running emulator")
    tok.add_argument("--secret", required=True, help="the signing secret the emulator printed")
    tok.add_argument("--kind", default="valid", choices=["valid", "expired", "wrong-audience", "foreign-signature"])
    tok.set_defaults(func=_token)
    doc = sub.add_parser(
        "doctor",
        help="check the direct and the proxy path of a real setup, and name the cause of each failure",
        description="Reads the live settings (environment, then --env-file) and the proxy's config; prints "
        "ok / warn / fail per check with the cause, the fix and where people report it. Exit 1 when a check fails. "
        "--fix applies the mechanical fixes (no network) and prints the diff.",
    )
    doc.add_argument("--env-file", default=".env", help="settings file under the environment (default: .env)")
    doc.add_argument(
        "--config", metavar="FILE", help="the proxy's litellm.config.yaml (default: ./litellm.config.yaml)"
    )
    doc.add_argument("--proxy-workdir", metavar="DIR", help="where the proxy runs (default: the config's directory)")
    doc.add_argument(
        "--litellm-dir",
        metavar="DIR",
        help="the proxy's installed litellm package, for the .env files it loads (default: this environment's)",
    )
    doc.add_argument("--auth", choices=["key", "entra"], default="key", help="the direct path's auth (default: key)")
    doc.add_argument("--timeout", type=float, default=15.0, metavar="S", help="deadline per network call (default: 15)")
    doc.add_argument("--json", action="store_true", help="machine-readable output")
    doc.add_argument(
        "--fix",
        action="store_true",
        help="apply the mechanical fixes (${VAR} -> os.environ/VAR, a stray deployment_id, an unquoted or mis-typed "
        "api_version, a path in api_base, a secret in the config -> os.environ/NAME plus NAME= in .env.example) "
        "to a copy beside the config (NAME.fixed.yaml), print the diff; no network",
    )
    doc.add_argument("--in-place", action="store_true", help="with --fix: rewrite the config itself (atomically)")
    doc.set_defaults(func=_doctor)
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
        help="--bisect: rewrite the litellm ranges of the ledger entries it placed, and list what changed",
    )
    gate.add_argument(
        "--budget",
        type=float,
        metavar="MINUTES",
        help="--bisect: start no new release run after this long; unplaced changes come back as ranges, and "
        "the same command with the same --report-dir continues from the runs kept in it",
    )
    gate.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="--bisect: run up to N releases side by side (the searches advance in step; same answers and runs)",
    )
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
    gate.set_defaults(func=_gate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return int(args.func(args))
    except (EmulatorConfigError, EmulatorStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
