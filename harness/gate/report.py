"""The upgrade gate's comparison, for a terminal and as one self-contained HTML page."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from harness.gate.compare import Divergence, GateComparison

_LIMIT = 40  # rows per section in the terminal; the JSON and HTML have them all


def _fmt_s(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.1f} s"


def _group(divs: list[Divergence]) -> dict[tuple[str, str], list[str]]:
    """Divergences by (path, ledger entry), with the cases where they occur."""
    groups: dict[tuple[str, str], list[str]] = {}
    for d in divs:
        groups.setdefault((d.path, d.ledger or "NOT IN THE LEDGER"), []).append(d.case)
    return groups


def _cases(cases: list[str], limit: int = 4) -> str:
    return ", ".join(cases[:limit]) + (f" (+{len(cases) - limit} more)" if len(cases) > limit else "")


def _short(value: Any, limit: int = 70) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_text(c: GateComparison) -> str:
    b, k = c.baseline, c.candidate
    lines = [f"LiteLLM upgrade gate: {b} -> {k}: {'FAIL' if c.failed else 'PASS'}", ""]
    tb, tk = c.totals.get("baseline", {}), c.totals.get("candidate", {})
    lines.append(
        f"items: baseline {tb.get('passed', 0)} passed / {tb.get('failed', 0)} failed; "
        f"candidate {tk.get('passed', 0)} passed / {tk.get('failed', 0)} failed"
    )
    lines.append("")
    lines.append(f"broke ({len(c.broke)}): passed under {b}, fail under {k}")
    for row in c.broke[:_LIMIT]:
        message = [line.strip()[:150] for line in (row.get("message") or "").strip().splitlines()[:4]]
        lines.append(f"  {row['nodeid']}" + "".join(f"\n      {line}" for line in message))
    lines.append(f"fixed ({len(c.fixed)}): failed under {b}, pass under {k}")
    for row in c.fixed[:_LIMIT]:
        lines.append(f"  {row['nodeid']}")
    if c.entries_gone:
        lines.append(f"ledger entries no longer hit under {k}: {', '.join(c.entries_gone)}")
    lines.append("")
    groups = _group(c.new_divergences)
    lines.append(
        f"new divergences from Azure under {k} ({len(c.new_divergences)} in {len(groups)} groups; "
        f"{len(c.unledgered_new)} not in the ledger)"
    )
    for (path, entry), cases in list(groups.items())[:_LIMIT]:
        lines.append(f"  {path}  [{entry}]  in {_cases(cases)}")
    gone = _group(c.gone_divergences)
    lines.append(f"divergences gone under {k} ({len(c.gone_divergences)} in {len(gone)} groups)")
    for (path, entry), cases in list(gone.items())[:_LIMIT]:
        lines.append(f"  {path}  [{entry}]  in {_cases(cases)}")
    if c.compared_once:
        once = sorted(c.compared_once)
        lines.append(f"compared under one version only, so not diffed ({len(once)}): {_cases(once, 6)}")
    lines.append("")
    lines.append(f"upstream requests that changed: what LiteLLM sends Azure ({len(c.request_changes)} cases)")
    fields: dict[str, list[str]] = {}
    for change in c.request_changes:
        for m in change["changes"]:
            path = re.sub(r"^upstream_requests\[\d+\]\.", "", m["path"])
            key = f"{path}: {_short(m['baseline'], 40)} -> {_short(m['candidate'], 40)}"
            fields.setdefault(key, []).append(change["case"])
    for key, cases in list(fields.items())[:_LIMIT]:
        lines.append(f"  {key}  in {_cases(cases)}")
    lines.append("")
    for verb, headers in (("added", c.headers_added), ("removed", c.headers_removed)):
        lines.append(f"response headers {verb} under {k} ({len(headers)}):")
        for name, cases in list(headers.items())[:_LIMIT]:
            lines.append(f"  {name}  in {len(cases)} case(s): {_cases(cases, 3)}")
    lines.append("")
    pb, pk = c.performance.get("baseline", {}), c.performance.get("candidate", {})
    lines.append(f"{'':<32}{b:>14}{k:>14}")
    for label, key in (
        ("proxy cold start", "proxy_cold_start_s"),
        ("median request, litellm path", "median_litellm_request_s"),
        ("median request, direct path", "median_direct_request_s"),
        ("median proxy overhead", "median_proxy_overhead_s"),
        ("suite wall time", "suite_wall_s"),
    ):
        lines.append(f"{label:<32}{_fmt_s(pb.get(key)):>14}{_fmt_s(pk.get(key)):>14}")
    eb, ek = c.environments.get("baseline", {}), c.environments.get("candidate", {})
    differing = [n for n in sorted(eb.keys() | ek.keys()) if eb.get(n) != ek.get(n) and n != "litellm"]
    if differing:
        lines.append("")
        lines.append(
            "other packages that differ between the two environments (the older LiteLLM pins them): "
            + ", ".join(f"{n} {eb.get(n, '-')} -> {ek.get(n, '-')}" for n in differing)
        )
    lines.append("")
    if c.failed:
        why = []
        if c.broke:
            why.append(f"{len(c.broke)} item(s) broke")
        if c.unledgered_new:
            why.append(f"{len(c.unledgered_new)} new divergence(s) are not in the ledger for {k}")
        lines.append("verdict: FAIL: " + "; ".join(why))
    else:
        lines.append(f"verdict: PASS: nothing broke, and every new divergence is in the ledger for {k}")
    return "\n".join(lines)


def _rows(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p class=none>none</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(c: GateComparison) -> str:
    b, k = html.escape(c.baseline), html.escape(c.candidate)
    verdict = "FAIL" if c.failed else "PASS"
    sections = [
        (
            f"Broke ({len(c.broke)})",
            _rows(["item", "message"], [[r["nodeid"], (r.get("message") or "")[:600]] for r in c.broke]),
        ),
        (
            f"Fixed ({len(c.fixed)})",
            _rows(["item", "baseline", "candidate"], [[r["nodeid"], r["baseline"], r["candidate"]] for r in c.fixed]),
        ),
        ("Ledger entries no longer hit", _rows(["entry"], [[e] for e in c.entries_gone])),
        (
            f"New divergences ({len(c.new_divergences)})",
            _rows(
                ["case", "path", "ledger"],
                [[d.case, d.path, d.ledger or "NOT IN THE LEDGER"] for d in c.new_divergences],
            ),
        ),
        (
            f"Divergences gone ({len(c.gone_divergences)})",
            _rows(
                ["case", "path", "ledger (baseline)"], [[d.case, d.path, d.ledger or "-"] for d in c.gone_divergences]
            ),
        ),
        (
            f"Upstream requests that changed ({len(c.request_changes)} cases)",
            _rows(
                ["case", "field", "baseline", "candidate"],
                [
                    [ch["case"], m["path"], _short(m["baseline"], 200), _short(m["candidate"], 200)]
                    for ch in c.request_changes
                    for m in ch["changes"]
                ],
            ),
        ),
        (
            "Response headers",
            _rows(
                ["header", "change", "cases"],
                [[h, "added", _cases(v, 6)] for h, v in c.headers_added.items()]
                + [[h, "removed", _cases(v, 6)] for h, v in c.headers_removed.items()],
            ),
        ),
        (
            "Performance",
            _rows(
                ["figure", c.baseline, c.candidate],
                [
                    [
                        key,
                        _fmt_s(c.performance.get("baseline", {}).get(key)),
                        _fmt_s(c.performance.get("candidate", {}).get(key)),
                    ]
                    for key in (
                        "proxy_cold_start_s",
                        "median_litellm_request_s",
                        "median_direct_request_s",
                        "median_proxy_overhead_s",
                        "suite_wall_s",
                    )
                ],
            ),
        ),
        (
            "Environments",
            _rows(
                ["package", c.baseline, c.candidate],
                [
                    [n, c.environments.get("baseline", {}).get(n, "-"), c.environments.get("candidate", {}).get(n, "-")]
                    for n in sorted(
                        c.environments.get("baseline", {}).keys() | c.environments.get("candidate", {}).keys()
                    )
                ],
            ),
        ),
    ]
    body = "".join(f"<h2>{html.escape(title)}</h2>{content}" for title, content in sections)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LiteLLM upgrade gate {b} to {k}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; font-size: 13px; }}
td {{ font-family: ui-monospace, monospace; white-space: pre-wrap; max-width: 60em; }}
.verdict {{ display: inline-block; padding: .2em .6em; border-radius: 4px; color: #fff;
  background: {"#b00020" if c.failed else "#1b7f3b"}; }}
.none {{ color: #777; }}
</style></head><body>
<h1>LiteLLM upgrade gate: {b} &rarr; {k} <span class="verdict" id="verdict">{verdict}</span></h1>
<p>The same offline contract suite, the same cassettes, under each version. The gate fails when an item
that passed under {b} fails under {k}, or when {k} diverges from Azure somewhere the ledger does not cover.</p>
{body}
</body></html>
"""
