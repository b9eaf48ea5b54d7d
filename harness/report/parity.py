"""The parity report of one run: what a reader needs first, first.

1. The run's facts: LiteLLM version, upstream, level, cold start, time, cassette provenance.
2. Every unledgered failure, with the two observations side by side and the differing paths
   highlighted; then the other failures (an expectation, a cassette miss), then the items that could
   not run because a part of the run was down (infrastructure, not a contract verdict).
3. The divergence x case matrix: one row per ledger entry that hit, grouped by where the
   application feels it, with its impact and workaround beside it; one column per case, grouped by
   area; filters by area and by kind of observation.
4. Stale ledger entries.

Built from the run's JSON (`RunResults.to_json`), so a report can be rendered again from a saved JSON.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from harness.report.page import Column, Row, esc, facts, matrix, page, side_by_side

_PROVENANCE = re.compile(r"^\s+(source|litellm_version|recorded): '?([^'\n]+)'?$", re.MULTILINE)

#: where the application feels a divergence, by the first segment of the paths an entry covers
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Router state across calls: retries and cooldowns", ("calls",)),
    ("Error handling: exception class, status, code, type, message", ("error", "kind", "exception", "status")),
    (
        "Streams: chunks and events, grammar, what a stream adds up to",
        ("grammar", "chunk_keys", "chunk_values", "assembled", "event_keys", "sequence", "text", "final"),
    ),
    ("Response bodies", ("body",)),
    ("Headers", ("headers",)),
    ("What Azure receives: requests, attempts, billing", ("upstream_requests",)),
    ("What the proxy tells any client: its URL, deployment, spend, version", ("disclosed",)),
)
OTHER = "Other"


def group_of(paths: list[str]) -> str:
    first = re.split(r"[.\[]", paths[0], maxsplit=1)[0] if paths else ""
    return next((name for name, heads in GROUPS if first in heads), OTHER)


def cassette_provenance(root: Path) -> dict[str, list[str]]:
    """Distinct sources, LiteLLM versions and dates recorded in the cassettes (read from metadata)."""
    found: dict[str, set[str]] = {"source": set(), "litellm_version": set(), "recorded": set()}
    for file in root.rglob("*.yaml"):
        tail = file.read_text(encoding="utf-8", errors="replace").rsplit("metadata:", 1)[-1]
        for key, value in _PROVENANCE.findall(tail):
            found[key].add(value.strip())
    return {k: sorted(v) for k, v in found.items()}


def run_facts(data: dict[str, Any]) -> list[tuple[str, str]]:
    meta = data["meta"]
    outcomes = data["outcomes"]
    counted = {o: sum(x["outcome"] == o for x in outcomes) for o in ("passed", "failed", "infra", "skipped")}
    provenance = meta.get("cassettes") or {}
    starts = meta.get("proxy_startups_s") or {}
    return [
        ("LiteLLM", str(meta.get("litellm_version", "?"))),
        ("upstream", str(meta.get("upstream", "?"))),
        ("level", str(meta.get("level", "?"))),
        ("items", f"{counted['passed']} passed, {counted['failed']} failed, {counted['infra']} infra"),
        ("proxy cold start", ", ".join(f"{k} {v:.1f} s" for k, v in starts.items()) or "-"),
        ("time", f"{meta.get('wall_s', 0):.1f} s"),
        ("cassettes", ", ".join(f"{k} {'/'.join(v)}" for k, v in provenance.items()) or "none (live upstream)"),
        ("ledger", Path(str(meta.get("ledger", "?"))).name),
        *([("config mode", str(meta["config"]))] if meta.get("config") else []),
    ]


def _failures(data: dict[str, Any]) -> str:
    comparisons = {c["case"]: c for c in data["comparisons"]}
    parts = []
    contract, other, infra = [], [], []
    for o in data["outcomes"]:
        if o["outcome"] == "infra":
            infra.append(o)
        elif o["outcome"] == "failed":
            comparison = comparisons.get(o.get("case") or "")
            (contract if o["path"] == "litellm" and comparison and comparison["unledgered"] else other).append(o)
    for o in contract:
        c = comparisons[o["case"]]
        diffs = "\n".join(c["unledgered"])
        parts.append(
            f'<div class="failure" data-failure="{esc(o["case"])}"><b>{esc(o["nodeid"])}</b>: '
            f"{len(c['unledgered'])} difference(s) the ledger does not cover<pre>{esc(diffs)}</pre>"
            f"{side_by_side(c['direct'], c['litellm'], {r['path'] for r in c['unledgered_detail']})}</div>"
        )
    for o in other:
        parts.append(
            f'<div class="failure" data-failure="{esc(o.get("case") or o["nodeid"])}"><b>{esc(o["nodeid"])}</b>'
            f"<pre>{esc(o.get('message', ''))}</pre></div>"
        )
    head = f"<h2>Failures ({len(contract) + len(other)})</h2>" if contract or other else ""
    infra_html = ""
    if infra:
        first = infra[0].get("message", "")
        infra_html = (
            f"<h2>Not run: a part of the run was down ({len(infra)} items)</h2>"
            f'<div class="infra"><pre>{esc(first)}</pre><p class="small">'
            + ", ".join(esc(o["nodeid"].split("::")[-1]) for o in infra)
            + "</p></div>"
        )
    return head + "".join(parts) + infra_html


def divergence_matrix(data: dict[str, Any]) -> str:
    comparisons = data["comparisons"]
    failed = {o.get("case") for o in data["outcomes"] if o["outcome"] == "failed"}
    columns = {}
    for o in data["outcomes"]:
        case = o.get("case")
        if case and case not in columns:
            columns[case] = Column(case, o.get("area") or case.split("/", 1)[0], "response")
    for c in comparisons:
        area = c["case"].split("/", 1)[0]
        columns[c["case"]] = Column(c["case"], columns.get(c["case"], Column("", area, "")).area, c["observation"])
    rows = []
    for entry_id, entry in data["divergences"].items():
        hits = {c["case"]: c["covered"][entry_id] for c in comparisons if entry_id in c["covered"]}
        if not hits:
            continue
        paths = entry.get("paths") or next(iter(hits.values()))
        rows.append(
            Row(entry_id, entry.get("what", ""), entry.get("impact", ""), entry.get("workaround", ""),
                entry.get("link", ""), group_of(list(paths)), hits, failing=set(hits) & failed)
        )  # fmt: skip
    ordered = sorted(columns.values(), key=lambda c: (c.area, c.case))
    if not rows:
        return "<h2>Divergences</h2><p>None: the litellm path matched the direct one everywhere.</p>"
    return f"<h2>Divergences: {len(rows)} ledger entries hit, across {len(ordered)} cases</h2>" + matrix(
        rows, ordered, [name for name, _ in GROUPS] + [OTHER]
    )


def settings_view(data: dict[str, Any]) -> str:
    """Config mode: the team's settings x the divergences they bring (the ledger's `caused_by`, found by
    `python -m harness explain`), with the cases each one changed in this run."""
    by_setting: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for entry_id, entry in (data.get("divergences") or {}).items():
        for setting in entry.get("caused_by") or []:
            by_setting.setdefault(setting, []).append((entry_id, entry))
    if not by_setting:
        return ""
    hits: dict[str, set[str]] = {}
    for c in data["comparisons"]:
        for entry_id in c["covered"]:
            hits.setdefault(entry_id, set()).add(c["case"])
    rows = "".join(
        f"<tr><th><code>{esc(setting)}</code></th><td>"
        + "<br>".join(f"<b>{esc(i)}</b>: {esc(e.get('what', ''))}" for i, e in entries)
        + "</td><td>"
        + esc(", ".join(sorted({c for i, _ in entries for c in hits.get(i, ())})))
        + "</td></tr>"
        for setting, entries in sorted(by_setting.items())
    )
    return (
        '<h2>Your settings and what they change</h2><p class="small">Each setting of the config found to bring a '
        "divergence (removing it removes it; <code>python -m harness explain</code>), the ledger entries it brings, "
        'and the cases where it showed in this run.</p><table class="settings"><tr><th>setting</th><th>divergences'
        "</th><th>cases</th></tr>" + rows + "</table>"
    )


def render_html(data: dict[str, Any]) -> str:
    failures = [o for o in data["outcomes"] if o["outcome"] in ("failed", "infra")]
    stale = data.get("stale") or []
    verdict = (
        '<div class="verdict bad">FAILED</div>'
        if failures or stale
        else '<div class="verdict ok">the litellm path matches direct Azure, up to the ledger</div>'
    )
    stale_html = (
        "<h2>Stale ledger entries</h2><p>In scope but not observed: LiteLLM no longer diverges there. "
        + esc(", ".join(stale))
        + "</p>"
        if stale
        else ""
    )
    body = verdict + facts(run_facts(data)) + _failures(data) + settings_view(data) + divergence_matrix(data)
    body += stale_html
    return page("LiteLLM vs direct Azure OpenAI: parity report", body)
