"""The upgrade gate's page: two runs side by side, in the parity report's design (`page`).

Failures first (items that broke, new divergences the ledger does not cover, cases that could not
be compared under both versions), then what the application sees differently from one version to
the other (field by field, with both values), then the divergence x case matrix with each cell
marked before-only, after-only or both, then what LiteLLM sends Azure, headers and performance.
Rendered from the comparison's plain data (`GateComparison.as_dict`).
"""

from __future__ import annotations

import json
from typing import Any

from harness.report.page import Column, Row, esc, facts, matrix, page

_VERDICT = {"pass": ("ok", "PASS"), "fail": ("bad", "FAIL"), "incomplete": ("warn", "INCOMPLETE")}


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return '<p class="small">none</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f'<div class="wrap"><table class="matrix"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _divergence_matrix(c: dict[str, Any]) -> str:
    rows: dict[str, Row] = {}
    columns: dict[str, Column] = {}
    for mark, key in (("after", "new_divergences"), ("before", "gone_divergences")):
        for d in c[key]:
            name = d["ledger"] or "NOT IN THE LEDGER"
            row = rows.setdefault(name, Row(name, "", "", "", "", "changed between the versions", {}, marks={}))
            row.hits.setdefault(d["case"], []).append(d["path"])  # type: ignore[union-attr]
            row.marks[d["case"]] = mark  # type: ignore[index]
            columns.setdefault(d["case"], Column(d["case"], d["case"].split("/", 1)[0], "case"))
    if not rows:
        return '<p class="small">no divergence from Azure appeared or went between the versions</p>'
    ordered = sorted(columns.values(), key=lambda col: (col.area, col.case))
    return matrix(list(rows.values()), ordered, ["changed between the versions"])


def render_html(c: dict[str, Any]) -> str:
    b, k = c["baseline"], c["candidate"]
    cls, word = _VERDICT[c["verdict"]]
    tb, tk = c["totals"].get("baseline", {}), c["totals"].get("candidate", {})
    run_facts = [
        ("baseline", b),
        ("candidate", k),
        ("items", f"{tb.get('passed', 0)}/{tb.get('failed', 0)} -> {tk.get('passed', 0)}/{tk.get('failed', 0)} "
         "passed/failed"),
        ("served by the emulator after a replay miss", str(sum(1 for v in c["served_by"].values()
                                                                if "emulator" in v.values()))),
    ]  # fmt: skip
    for role in ("baseline", "candidate"):
        perf = c["performance"].get(role, {})
        if perf.get("proxy_cold_start_s") is not None:
            run_facts.append((f"cold start {c[role]}", f"{perf['proxy_cold_start_s']:.1f} s"))
    failures = ""
    for row in c["broke"]:
        failures += (
            f'<div class="failure" data-failure="{esc(row["nodeid"])}"><b>{esc(row["nodeid"])}</b> passed under '
            f"{esc(b)}, fails under {esc(k)}<pre>{esc(row.get('message', ''))}</pre></div>"
        )
    unledgered = [d for d in c["new_divergences"] if not d["ledger"]]
    if unledgered:
        failures += (
            '<div class="failure"><b>New divergences not in the ledger</b><pre>'
            + esc("\n".join(f"{d['case']}: {d['path']}" for d in unledgered))
            + "</pre></div>"
        )
    if c["compared_once"]:
        failures += (
            '<div class="infra"><b>Not compared under both versions (INCOMPLETE)</b><pre>'
            + esc("\n".join(f"{case}: {which}" for case, which in c["compared_once"].items()))
            + "</pre></div>"
        )
    app = [[ch["case"], ch["path"], ch["kind"], _short(ch["baseline"]), _short(ch["candidate"])]
           for ch in c["application_changes"]]  # fmt: skip
    requests = [[ch["case"], m["path"], _short(m["baseline"]), _short(m["candidate"])]
                for ch in c["upstream_request_changes"] for m in ch["changes"]]  # fmt: skip
    headers = [[h, "added", ", ".join(v[:6])] for h, v in c["headers_added"].items()] + [
        [h, "removed", ", ".join(v[:6])] for h, v in c["headers_removed"].items()
    ]
    body = (
        f'<div class="verdict {cls}" id="verdict">{word}</div>'
        + facts(run_facts)
        + (f"<h2>Failures</h2>{failures}" if failures else "")
        + f"<h2>What the application sees, {esc(b)} against {esc(k)} ({len(app)} fields)</h2>"
        + _table(["case", "field", "change", esc(b), esc(k)], app)
        + "<h2>Divergences from Azure that appeared (&#9650;) or went (&#9675;)</h2>"
        + _divergence_matrix(c)
        + f"<h2>What LiteLLM sends Azure ({len(requests)} fields)</h2>"
        + _table(["case", "field", esc(b), esc(k)], requests)
        + f"<h2>Response headers ({len(headers)})</h2>"
        + _table(["header", "change", "cases"], headers)
        + f"<h2>Flaky: outcomes that changed when rerun ({len(c['flaky'])})</h2>"
        + _table(["item", "first runs", "reruns"], [[f["nodeid"], f["first"], f["rerun"]] for f in c["flaky"]])
    )
    return page(f"LiteLLM upgrade gate: {b} -> {k}", body)
