"""The upgrade gate's comparison for a terminal (the HTML page is `harness.report.gate`)."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.gate.compare import Divergence, GateComparison, extend_command

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
    lines = [f"LiteLLM upgrade gate: {b} -> {k}: {c.verdict.upper()}", ""]
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
    lines += unjudged_lines(c)
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
        lines.append(f"NOT COMPARED under both versions ({len(once)}): {_cases(once, 6)}")
    emulated = sorted(case for case, by in c.served_by.items() if "emulator" in by.values())
    if emulated:
        lines.append(
            f"served by the emulator under both versions after a replay miss ({len(emulated)}): {_cases(emulated, 6)}"
        )
    lines.append("")
    lines.append(f"what the application sees, {b} against {k} ({len(c.app_changes)} fields in "
                 f"{len({ch['case'] for ch in c.app_changes})} cases)")  # fmt: skip
    for ch in c.app_changes[:_LIMIT]:
        lines.append(f"  {ch['path']}: {_short(ch['baseline'], 40)} -> {_short(ch['candidate'], 40)}  in {ch['case']}")
    if c.flaky:
        lines.append(f"flaky: the outcome changed when rerun, so neither broke nor fixed ({len(c.flaky)})")
        lines += [f"  {f['nodeid']}: first {f['first']}, rerun {f['rerun']}" for f in c.flaky]
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
    if c.verdict == "incomplete":
        lines.append(f"verdict: INCOMPLETE: {len(c.compared_once)} case(s) could not be compared under both versions")
    elif c.failed:
        why = []
        if c.broke:
            why.append(f"{len(c.broke)} item(s) broke")
        if c.unledgered_new:
            why.append(f"{len(c.unledgered_new)} new divergence(s) are not in the ledger for {k}")
        lines.append("verdict: FAIL: " + "; ".join(why))
    else:
        lines.append(f"verdict: PASS: nothing broke, and every new divergence is in the ledger for {k}")
    return "\n".join(lines)


def unjudged_lines(c: GateComparison) -> list[str]:
    """Items failing under the baseline only where the ledger's ranges start later: not judged, not fixed."""
    if not c.unjudged:
        return []
    b, k = c.baseline, c.candidate
    lines = [
        f"not judged under {b} ({len(c.unjudged)}): they fail there only on divergences the ledger covers from "
        f"later releases (its ranges do not reach back to {b}), so they are not listed as fixed"
    ]
    for row in c.unjudged[:_LIMIT]:
        lines.append(f"  {row['nodeid']}  [{', '.join(row['entries'])}]")
    if len(c.unjudged) > _LIMIT:
        lines.append(f"  (+{len(c.unjudged) - _LIMIT} more in gate-report.json)")
    lines.append(f"  extend the ledger to {b}: {extend_command(b, k)}")
    return lines
