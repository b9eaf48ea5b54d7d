"""What `python -m harness explain` costs: trial runs and wall time per explained divergence, against one
whole config-mode run of the same config.

Bootstraps a new ledger for the config on the areas given (one whole config-mode run of them, timed),
then runs `explain` on it and reads its count of questions and runs. Prints the figures; asserts
nothing.

    python benchmarks/explain_cost.py [--config examples/production-like/litellm.config.yaml]
        [--alias gpt-4o] [--areas errors cooldown auth]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=7200, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="examples/production-like/litellm.config.yaml")
    parser.add_argument("--alias", default="gpt-4o")
    parser.add_argument("--areas", nargs="+", default=["errors", "cooldown", "auth"])
    args = parser.parse_args()
    files = [f"tests/contract/test_{a}.py" for a in args.areas]
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "divergences.yaml"
        common = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider", "--parity-report", "none",
                  "--litellm-config", args.config, "--litellm-model", args.alias, "--ledger", str(ledger)]  # fmt: skip
        plain_s, _ = timed([*common, "--ledger-update"])  # the bootstrap: one whole config-mode run
        explain_s, out = timed([sys.executable, "-m", "harness", "explain", "--litellm-config", args.config,
                                "--litellm-model", args.alias, "--ledger", str(ledger)])  # fmt: skip
    found = re.search(r"(\d+) questions, (\d+) runs, (\d+) s", out)
    if not found:
        print(out[-3000:])
        raise SystemExit("explain did not finish")
    questions, runs = int(found.group(1)), int(found.group(2))
    print("\n".join(line for line in out.splitlines() if line.startswith("  ")))  # each question's answer
    print(f"config: {args.config} (alias {args.alias}), areas {', '.join(args.areas)}")
    print(f"one whole config-mode run of those areas (the bootstrap): {plain_s:7.1f} s")
    print(f"explain: {questions} questions (entries to explain and inherited ones switched off), {runs} trial runs")
    print(f"explain wall:                                      {explain_s:7.1f} s")
    print(f"per explained divergence: {runs / questions:.1f} runs, {explain_s / questions:.1f} s "
          f"= {explain_s / questions / plain_s:.2f} x one whole config-mode run")  # fmt: skip


if __name__ == "__main__":
    main()
