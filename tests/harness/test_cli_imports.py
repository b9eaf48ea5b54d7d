"""`python -m harness` loads only what the command given runs.

Every command used to import the SDK and the runner (for `explain`'s options) before parsing its
arguments: 2.8 s of a 3.1 s `emulator` start on a loaded 2-core machine, paid again by each of the
self-tests' dozens of command-line runs. Checked in a fresh interpreter, as a user's command starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .support import ROOT

HEAVY = ("openai", "vcr", "harness.runner.config_run", "harness.runner.explain", "harness.doctor", "litellm")


def run_in_a_fresh_interpreter(call: str) -> tuple[object, list[str], str]:
    """`call`'s value, the heavy modules present after it, and stderr, from a new Python process."""
    script = (
        "import json, sys\n"
        "from harness.cli import build_parser, main\n"
        f"value = {call}\n"
        f"print(json.dumps([value, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    value, heavy = json.loads(done.stdout.splitlines()[-1])
    return value, heavy, done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["emulator"],
        ["token", "--secret", "s"],
        ["doctor"],
        ["gate", "--atlas", "bisect-report.json"],
        ["explain", "--litellm-config", "c.yaml", "--ledger", "l.yaml"],
    ],
    ids=lambda argv: argv[0],
)
def test_parsing_a_command_line_loads_no_heavy_module(argv: list[str]) -> None:
    _, heavy, _ = run_in_a_fresh_interpreter(f"build_parser().parse_args({argv!r}) and None")
    assert heavy == []


def test_the_emulator_command_runs_without_the_sdk(tmp_path: Path) -> None:
    """A bad deployments file: one line, exit 2, and the command never loaded the SDK or the runner."""
    code, heavy, stderr = run_in_a_fresh_interpreter(
        f"main(['emulator', '--deployments', {str(tmp_path / 'nope.yaml')!r}])"
    )
    assert code == 2 and heavy == [] and "cannot read deployments file" in stderr
