"""Command-line tools around the contract suite. Each subcommand reports bad input in one line."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.gate.cli import add_gate_parser
from harness.runner.explain_args import add_explain_parser

if TYPE_CHECKING:
    import socket

    from harness.doctor import DoctorInputs
    from harness.emulator import EmulatorConfig


def _emulator(args: argparse.Namespace) -> int:
    """Serve the emulator in the foreground until interrupted; bad input is one line and exit 2.

    The emulator is imported here, not at the top: each subcommand loads only what it runs (the
    `emulator` command started in 3.1 s, 2.8 s of it importing the SDK and the runner for `explain`)."""
    from harness.emulator import EmulatorConfig, EmulatorConfigError, EmulatorStartError, load_deployments
    from harness.emulator.serving import bind

    try:
        config = EmulatorConfig(public_network_access=not args.private_only)
        if args.deployments:
            config.deployments = load_deployments(Path(args.deployments))
        public = bind(args.host, args.port, tool="harness emulator")
        private = bind(args.host, args.private_port, tool="harness emulator")
    except (EmulatorConfigError, EmulatorStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _serve(config, public, private)


def _serve(config: EmulatorConfig, public: socket.socket, private: socket.socket) -> int:
    from harness.emulator.asgi import EmulatorApp
    from harness.emulator.core import Emulator
    from harness.emulator.serving import make_server

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
    add_gate_parser(sub)
    add_explain_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return int(args.func(args))
