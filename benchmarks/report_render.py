"""How fast the parity report renders for a large run: 500 cases, from a real run's JSON repeated.

Prints the time Python takes to write the page and the time headless Chromium takes from start
to the page's `load` handler having run (filters applied), read from the page itself.
Target: under 1 s for 500 cases.

    python benchmarks/report_render.py [parity-report.json]
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.report.parity import render_html

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def scaled(data: dict, cases: int) -> dict:
    """The run's comparisons and outcomes copied under new case names until there are `cases`."""
    out = copy.deepcopy(data)
    base = {c["case"]: c for c in data["comparisons"]}
    outcomes = [o for o in data["outcomes"] if o.get("case") in base]
    i = 0
    while len({o["case"] for o in out["outcomes"] if o.get("case")}) < cases:
        i += 1
        for o in outcomes:
            copy_o = {**o, "case": f"{o['case']}-{i}", "nodeid": f"{o['nodeid']}-{i}"}
            out["outcomes"].append(copy_o)
        out["comparisons"] += [{**c, "case": f"{c['case']}-{i}"} for c in base.values()]
    return out


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "parity-report.json"
    if not source.exists():
        raise SystemExit(f"benchmark: {source} not found; run `pytest tests/contract` first, or pass a report JSON")
    data = scaled(json.loads(source.read_text()), 500)
    cases = len({o["case"] for o in data["outcomes"] if o.get("case")})
    started = time.perf_counter()
    page = render_html(data)
    python_s = time.perf_counter() - started
    print(f"{cases} cases, {len(data['divergences'])} ledger entries: page {len(page) / 1e6:.1f} MB")
    print(f"  python render:   {python_s * 1000:7.1f} ms")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("  browser render:  (chromium not installed)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(page)
        dom = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={tmp}/profile", "--virtual-time-budget=5000", "--dump-dom",
             html.as_uri()],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
    found = re.search(r'data-load-ms="(\d+)"', dom)
    print(f"  browser render:  {int(found.group(1)) if found else -1:7d} ms to the load handler (filters applied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
