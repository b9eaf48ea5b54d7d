"""The upgrade gate's report as Markdown: the comment on a LiteLLM upgrade pull request.

Most severe first, as oasdiff lists breaking changes first: the verdict, what broke, new divergences
the ledger does not cover, what the application sees change (with the release that brought each
change where a bisect placed it), what LiteLLM now sends Azure differently, ledger entries no longer
hit; then, collapsed, what was fixed, header changes and performance. Built from the gate report's
data (`gate-report.json`), never from text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.report.markdown import cell, details, table

Record = Mapping[str, Any]
_INDEX = re.compile(r"\[\d+\]")
_VERDICT = {"pass": "✅ PASS", "fail": "❌ FAIL", "incomplete": "⚠️ INCOMPLETE"}


def _first_seen(placed: Mapping[str, str], case: str, path: str) -> list[str]:
    """The release a bisect placed this change in (a cell), or no cell when no bisect placed any."""
    return [placed.get(f"{case} {path}", "")] if placed else []


def render_gate_markdown(report: Record, placed: Mapping[str, str] | None = None) -> str:
    """`placed` maps "<case> <path>" to the release that brought the change (a bisect report's)."""
    placed = placed or {}
    seen = ["first seen in"] if placed else []  # the column, when a bisect placed the changes
    verdict = str(report.get("verdict", "")).lower()
    parts = [f"## {_VERDICT.get(verdict, verdict.upper())}: LiteLLM {report['baseline']} → {report['candidate']}"]
    broke: Sequence[Record] = report.get("broke") or []
    new = [d for d in report.get("new_divergences") or [] if not d.get("ledger")]
    changes: Sequence[Record] = report.get("application_changes") or []
    requests: Sequence[Record] = report.get("upstream_request_changes") or []
    gone: Sequence[str] = report.get("ledger_entries_no_longer_hit") or []
    parts.append(
        f"{len(broke)} broke · {len(new)} new divergences outside the ledger · {len(changes)} changes the application "
        f"sees · {len(requests)} cases send Azure something else · {len(report.get('fixed') or [])} fixed"
    )
    if broke:
        parts.append(f"### Broke ({len(broke)})\n\n" + table(
            ["item", "baseline", "candidate"],
            [[f"`{b['nodeid']}`", b.get("baseline", ""), b.get("candidate", "")] for b in broke],
        ))  # fmt: skip
    if new:
        parts.append(f"### New divergences, not in the ledger ({len(new)})\n\n" + table(
            ["case", "path", "kind", *seen],
            [[f"`{d['case']}`", f"`{d['path']}`", d.get("kind", ""), *_first_seen(placed, d["case"], d["path"])]
             for d in new],
        ))  # fmt: skip
    unjudged: Sequence[Record] = report.get("unjudged") or []
    if unjudged:
        rows = [[f"`{u['nodeid']}`", ", ".join(f"`{e}`" for e in u.get("entries") or [])] for u in unjudged]
        body = (f"They fail under {report['baseline']} only on divergences the ledger covers from later releases "
                f"(its ranges do not reach back), so they are neither judged nor counted as fixed. Extend the "
                f"ledger:\n\n```\n{report.get('unjudged_command', '')}\n```\n\n"
                + table(["item", "ledger entries from later releases"], rows))  # fmt: skip
        parts.append(details(f"Not judged under {report['baseline']} ({len(unjudged)})", body))
    if changes:
        groups: dict[tuple[str, str], list[Record]] = {}
        for c in changes:
            groups.setdefault((_INDEX.sub("[*]", str(c["path"])), str(c.get("kind", ""))), []).append(c)
        rows = [[f"`{path}`", kind, len(found), cell(found[0].get("baseline")), cell(found[0].get("candidate")),
                 *_first_seen(placed, found[0]["case"], found[0]["path"])]
                for (path, kind), found in sorted(groups.items(), key=lambda g: -len(g[1]))]  # fmt: skip
        body = table(["path", "kind", "cases", f"e.g. {report['baseline']}", report["candidate"], *seen], rows)
        title = f"What the application sees change ({len(changes)} in {len(groups)} paths)"
        parts.append(f"### {title}\n\n{body}" if len(rows) <= 25 else details(title, body))
    if requests:
        rows = [[f"`{r['case']}`", f"`{c['path']}`", cell(c.get("baseline")), cell(c.get("candidate"))]
                for r in requests for c in r.get("changes") or []]  # fmt: skip
        parts.append(details(f"What LiteLLM sends Azure differently ({len(requests)} cases)",
                             table(["case", "path", report["baseline"], report["candidate"]], rows)))  # fmt: skip
    if gone:
        parts.append(f"### Ledger entries no longer hit ({len(gone)})\n\n" + "\n".join(f"- `{g}`" for g in gone))
    fixed: Sequence[Record] = report.get("fixed") or []
    if fixed:
        title = f"Fixed: failed under {report['baseline']}, pass under {report['candidate']} ({len(fixed)})"
        parts.append(details(title, "\n".join(f"- `{f['nodeid']}`" for f in fixed)))
    added, removed = report.get("headers_added") or [], report.get("headers_removed") or []
    if added or removed:
        lines = [*(f"- added `{h}`" for h in added), *(f"- removed `{h}`" for h in removed)]
        parts.append(details(f"Response headers: {len(added)} added, {len(removed)} removed", "\n".join(lines)))
    return fit("\n\n".join(parts) + "\n")


#: a pull request comment's limit on GitHub (characters)
COMMENT_LIMIT = 65_536


def fit(markdown: str, limit: int = COMMENT_LIMIT - 512) -> str:
    """The report cut to fit a pull request comment, saying where the rest is."""
    if len(markdown) <= limit:
        return markdown
    cut = markdown[:limit].rsplit("\n", 1)[0]
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n\n</details>"
    return cut + "\n\n… cut to fit a comment: the whole report is gate-report.md and gate-report.html\n"
