"""The parity report: one self-contained HTML page (no external scripts, styles or fonts).

A matrix of case x path (pass, ledgered divergence, failure), then, for every case where the paths
differ, the two observations side by side with the ledger entries that explain them. Built from
the run's JSON (`RunResults.to_json`), so a report can be re-rendered from a saved JSON.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

_PROVENANCE = re.compile(r"^\s+(source|litellm_version|recorded): '?([^'\n]+)'?$", re.MULTILINE)

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #c9d1d9;padding:.35rem .6rem;text-align:left}
th{background:#f0f3f6}td.pass{background:#dafbe1}td.divergence{background:#fff8c5}td.fail{background:#ffd7d5;font-weight:600}
td.missing{background:#eaeef2;color:#57606a}tr.fail td:first-child{border-left:6px solid #cf222e}
.meta td:first-child{font-weight:600}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:24rem;font-size:.8rem}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.entry{border-left:4px solid #bf8700;padding-left:.6rem}
.unledgered{border-left:4px solid #cf222e;padding-left:.6rem}
"""

# Marks every row with its rendered background, so a headless browser's DOM dump proves the colours.
PROBE = """
window.addEventListener('load',()=>{for(const td of document.querySelectorAll('td[data-status]')){
td.setAttribute('data-bg',getComputedStyle(td).backgroundColor)}document.body.setAttribute('data-ready','1')});
"""


def cassette_provenance(root: Path) -> dict[str, list[str]]:
    """Distinct sources, LiteLLM versions and dates recorded in the cassettes (read from metadata)."""
    found: dict[str, set[str]] = {"source": set(), "litellm_version": set(), "recorded": set()}
    for file in root.rglob("*.yaml"):
        tail = file.read_text(encoding="utf-8", errors="replace").rsplit("metadata:", 1)[-1]
        for key, value in _PROVENANCE.findall(tail):
            found[key].add(value.strip())
    return {k: sorted(v) for k, v in found.items()}


def _cell_status(outcomes: list[dict[str, Any]], comparisons: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str]:
    status: dict[tuple[str, str], str] = {}
    for outcome in outcomes:
        case = outcome.get("case") or outcome["nodeid"]
        key = (case, outcome["path"])
        if outcome["outcome"] != "passed":
            status[key] = "fail"
        elif outcome["path"] == "litellm" and comparisons.get(case, {}).get("covered"):
            status[key] = "divergence"
        else:
            status.setdefault(key, "pass")
    return status


def render_html(data: dict[str, Any]) -> str:
    meta = data["meta"]
    comparisons = {c["case"]: c for c in data["comparisons"]}
    status = _cell_status(data["outcomes"], comparisons)
    cases = sorted({case for case, _ in status})
    paths = ["direct", "litellm"]
    esc = html.escape
    rows = []
    for case in cases:
        cells = []
        for path in paths:
            state = status.get((case, path), "missing")
            label = {"pass": "pass", "divergence": "ledgered divergence", "fail": "FAIL", "missing": "not run"}[state]
            cells.append(f'<td class="{state}" data-status="{state}">{label}</td>')
        row_class = "fail" if any(status.get((case, p)) == "fail" for p in paths) else ""
        rows.append(f'<tr class="{row_class}" data-case="{esc(case)}"><td>{esc(case)}</td>{"".join(cells)}</tr>')
    details = []
    for case in cases:
        comparison = comparisons.get(case)
        if not comparison or not (comparison["covered"] or comparison["unledgered"]):
            continue
        entries = "".join(
            f'<div class="entry"><b>{esc(eid)}</b>: {esc(data["divergences"].get(eid, {}).get("what", ""))}<br>'
            f"why: {esc(data['divergences'].get(eid, {}).get('reason', ''))}<br>"
            f"impact: {esc(data['divergences'].get(eid, {}).get('impact', ''))}<br>"
            f"fields: {esc(', '.join(paths_))}<br>"
            f'<a href="{esc(data["divergences"].get(eid, {}).get("link", ""))}">link</a></div>'
            for eid, paths_ in comparison["covered"].items()
        )
        unledgered = "".join(f'<div class="unledgered"><pre>{esc(u)}</pre></div>' for u in comparison["unledgered"])
        details.append(
            f'<h2 id="{esc(case)}">{esc(case)}</h2>{unledgered}{entries}<div class="side">'
            f"<div><h3>direct</h3><pre>{esc(json.dumps(comparison['direct'], indent=1))}</pre></div>"
            f"<div><h3>litellm</h3><pre>{esc(json.dumps(comparison['litellm'], indent=1))}</pre></div></div>"
        )
    provenance = meta.get("cassettes", {})
    meta_rows = [
        ("LiteLLM version", meta.get("litellm_version")),
        ("upstream", meta.get("upstream")),
        ("level", meta.get("level")),
        ("cassettes", ", ".join(f"{k}: {'/'.join(v)}" for k, v in provenance.items()) or "none (live upstream)"),
        ("time taken", f"{meta.get('wall_s', 0):.1f} s"),
        ("proxy cold start", ", ".join(f"{k} {v:.1f} s" for k, v in meta.get("proxy_startups_s", {}).items())),
        ("stale ledger entries", ", ".join(data.get("stale", [])) or "none"),
    ]
    counts = {s: sum(1 for v in status.values() if v == s) for s in ("pass", "divergence", "fail")}
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>LiteLLM vs Azure parity report</title>"
        f"<style>{STYLE}</style><script>{PROBE}</script></head><body>"
        f"<h1>LiteLLM vs direct Azure OpenAI: parity report</h1>"
        f'<table class="meta">{"".join(f"<tr><td>{esc(k)}</td><td>{esc(str(v))}</td></tr>" for k, v in meta_rows)}'
        "</table>"
        f"<p>{counts['pass']} pass, {counts['divergence']} ledgered divergences, {counts['fail']} failures, "
        f"{len(cases)} cases.</p>"
        f'<table class="matrix"><thead><tr><th>case</th><th>direct</th><th>litellm</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{''.join(details)}</body></html>"
    )
