"""`python -m harness explain`: which of your settings brought each divergence of your ledger.

Run after the bootstrap (`pytest tests/contract --litellm-config F --ledger L --ledger-update`). For
each entry still marked REVIEW, and each inherited entry your config switched off (`disable:`), it
runs the cases involved with settings of your config removed (`harness.runner.explain`), writes the
cause into the entry (`reason`, `link`, `caused_by`; entries with one cause become one), and leaves
`impact` for you. Exit 0 when every question got an answer, 1 when some stayed open (budget, or no
setting explains it), 2 on bad input.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_explain_parser(sub: Any) -> None:
    """The subcommand's options; its run (`explain_cli`) is imported only when it is the command given."""
    explain = sub.add_parser(
        "explain",
        help="find which of your config's settings brings each divergence of your ledger",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    explain.add_argument("--litellm-config", required=True, metavar="FILE", help="your proxy's config")
    explain.add_argument("--litellm-model", metavar="ALIAS", help="the alias under test (as for pytest)")
    explain.add_argument("--ledger", required=True, metavar="FILE", help="your bootstrapped ledger, rewritten")
    explain.add_argument("--budget", type=int, default=48, metavar="RUNS", help="trial runs per question")
    explain.add_argument("--fuzz-examples", type=int, default=12, metavar="N", help="as --gate-examples")
    explain.set_defaults(func=_run_explain)


def _run_explain(args: argparse.Namespace) -> int:
    from harness.runner.explain_cli import run_explain

    return run_explain(args)
