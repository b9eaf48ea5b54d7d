"""The parity report as Markdown, for where a team reads it: a CI job summary and a pull request comment.

Most severe first, the way oasdiff's PR comment lists breaking changes: the verdict, then what is new
or broken (each unledgered difference with both values), stale ledger entries, then the divergences
the ledger covers (with the setting of the team's config found to cause them, `caused_by`) and what
could not run, long lists collapsed in `<details>`. Built from the report's data (`RunResults.to_json`:
typed mismatch records), never from failure text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

#: GitHub truncates a job summary at 1 MiB; a summary is cut well before that, saying so
SUMMARY_LIMIT = 512 * 1024


def cell(value: Any, limit: int = 80) -> str:
    """A value in a table cell: JSON-ish, short, with the characters Markdown tables break on escaped."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def table(headers: list[str], rows: Iterable[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


Record = Mapping[str, Any]


def _broken(data: Record) -> tuple[list[tuple[Record, Record]], list[Record]]:
    """(failed litellm items with the comparison whose differences the ledger does not cover, other failures)."""
    comparisons = {c["case"]: c for c in data["comparisons"]}
    contract, other = [], []
    for o in data["outcomes"]:
        if o["outcome"] != "failed":
            continue
        c = comparisons.get(o.get("case") or "")
        if o["path"] == "litellm" and c and c.get("unledgered_detail"):
            contract.append((o, c))
        else:
            other.append(o)
    return contract, other


def render_parity_markdown(data: Mapping[str, Any]) -> str:
    meta = data["meta"]
    contract, other = _broken(data)
    stale = list(data.get("stale") or [])
    infra = [o for o in data["outcomes"] if o["outcome"] == "infra"]
    ok = not (contract or other or stale or infra)
    where = f" · config {meta['config']}" if meta.get("config") else ""
    head = (
        f"## {'✅ PASS' if ok else '❌ FAIL'}: LiteLLM {meta.get('litellm_version', '?')} against direct Azure OpenAI"
        f"{where}\n\n"
    )
    counts = {k: sum(o["outcome"] == k for o in data["outcomes"]) for k in ("passed", "failed", "skipped", "infra")}
    head += (
        f"{counts['passed']} passed, {counts['failed']} failed, {len(stale)} stale ledger entries, "
        f"{len(data.get('divergences') or {})} ledgered divergences hit · upstream {meta.get('upstream')} · level "
        f"{meta.get('level')}\n"
    )
    parts = [head]
    if contract:
        rows = [
            [f"`{o['case']}`", f"`{r['path']}`", r["kind"], cell(r["direct"]), cell(r["litellm"]),
             f"pin of `{r['pinned_by']}`" if r.get("pinned_by") else ""]
            for o, c in contract
            for r in c["unledgered_detail"]
        ]  # fmt: skip
        parts.append(
            f"### New divergences, not in the ledger ({len(contract)} items)\n\n"
            + table(["case", "path", "kind", "direct", "litellm", "note"], rows)
        )
    if other:
        parts.append(
            f"### Other failures ({len(other)})\n\n"
            + table(["item", "message"], [[f"`{o['nodeid']}`", cell(o.get("message", ""), 200)] for o in other])
        )
    if stale:
        parts.append(
            f"### Stale ledger entries ({len(stale)})\n\nIn scope but not observed: the proxy no longer diverges "
            "there.\n\n" + "\n".join(f"- `{s}`" for s in stale)
        )
    if infra:
        parts.append(details(f"Not run: a part of the run was down ({len(infra)} items)",
                             cell(infra[0].get("message", ""), 500)))  # fmt: skip
    parts.append(_covered(data))
    na = data.get("not_applicable") or {}
    if na:
        parts.append(details(f"Not applicable ({sum(na.values())} items)",
                             table(["reason", "items"], [[cell(r, 200), n] for r, n in na.items()])))  # fmt: skip
    return "\n\n".join(p for p in parts if p) + "\n"


def _covered(data: Mapping[str, Any]) -> str:
    divergences = data.get("divergences") or {}
    if not divergences:
        return ""
    rows = []
    for ident, entry in sorted(divergences.items(), key=lambda kv: -kv[1].get("hits", 0)):
        cause = ", ".join(f"`{s}`" for s in entry.get("caused_by") or []) or "—"
        rows.append([f"`{ident}`", entry.get("hits", 0), cell(entry.get("what", ""), 120), cause,
                     cell(entry.get("impact", ""), 120)])  # fmt: skip
    return details(
        f"Divergences the ledger covers ({len(rows)})",
        table(["entry", "hits", "what", "caused by", "impact"], rows),
    )


def step_summary(markdown: str, whole: str = "parity-report.md") -> str:
    """The report as a job summary: whole, or cut with a line saying where the rest is (`whole`)."""
    if len(markdown.encode()) <= SUMMARY_LIMIT:
        return markdown
    cut = markdown.encode()[:SUMMARY_LIMIT].decode(errors="ignore")
    return cut + f"\n\n… cut here (the job summary's size limit); the whole report is {whole}\n"


def append_step_summary(markdown: str, whole: str) -> None:
    """On GitHub Actions, the report on the job's summary page (`GITHUB_STEP_SUMMARY`); elsewhere nothing."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(step_summary(markdown, whole))
