"""The parity report as Markdown (`harness.report.markdown`): the verdict first, what is new or broken with
both values, stale entries, then what the ledger covers collapsed; rendered as GitHub would (CommonMark
with tables) into HTML whose structure is checked. A job summary is cut at GitHub's limit, saying so."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from harness.report.markdown import SUMMARY_LIMIT, render_parity_markdown, step_summary

from .support import ROOT
from .test_report import _data


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_the_verdict_comes_first_then_what_broke_then_what_the_ledger_covers() -> None:
    data = _data()
    data["divergences"]["model-is-proxy-alias"]["caused_by"] = ["router_settings.model_group_alias"]
    data["divergences"]["model-is-proxy-alias"]["hits"] = 1
    markdown = render_parity_markdown(data)
    html = _html(markdown)
    headings = re.findall(r"<h[23]>(.*?)</h[23]>", html)
    assert headings[0].startswith("❌ FAIL: LiteLLM")
    assert headings[1].startswith("New divergences, not in the ledger (1 items)")
    assert html.index("New divergences") < html.index("<details>")  # the covered list is collapsed, last
    row = re.search(r"<tr>\s*<td><code>errors/rate-limited-429</code></td>(.*?)</tr>", html, re.S)
    assert row and "<code>headers.retry-after</code>" in row.group(1) and "missing" in row.group(1)
    assert "<code>router_settings.model_group_alias</code>" in html  # the cause, beside the entry
    assert "<table>" in html


def test_a_green_run_says_pass_and_nothing_is_new() -> None:
    data = _data()
    data["outcomes"] = [{**o, "outcome": "passed"} for o in data["outcomes"]]
    data["stale"] = []
    markdown = render_parity_markdown(data)
    assert markdown.startswith("## ✅ PASS") and "New divergences" not in markdown


def test_a_job_summary_is_cut_at_githubs_limit_and_says_so() -> None:
    long = "x" * (SUMMARY_LIMIT + 10)
    cut = step_summary(long)
    assert len(cut.encode()) < SUMMARY_LIMIT + 200 and cut.rstrip().endswith("the whole report is parity-report.md")
    assert step_summary("short") == "short"


def test_config_mode_reports_show_each_setting_beside_what_it_brings() -> None:
    from harness.report.parity import render_html

    data = _data()
    data["divergences"]["model-is-proxy-alias"]["caused_by"] = ["router_settings.model_group_alias"]
    html = render_html(data)
    section = html[html.index("Your settings and what they change") :]
    row = re.search(r"<tr><th><code>router_settings.model_group_alias</code></th><td>(.*?)</td><td>(.*?)</td>", section)
    assert row and "model-is-proxy-alias" in row.group(1) and row.group(2) == "chat/n-2"
    assert "Your settings" not in render_html(_data())  # default mode: no such view


def test_the_gate_report_as_a_pull_request_comment() -> None:
    """The committed real gate run (1.80.17 -> 1.108.7) as Markdown: the verdict first, changes grouped by
    path (most cases first), long lists collapsed, and small enough for a GitHub comment."""
    import json

    from harness.report.gate_markdown import COMMENT_LIMIT, render_gate_markdown

    report = json.loads((ROOT / "docs" / "gate-example" / "gate-report.json").read_text())
    markdown = render_gate_markdown(report, placed={"auth/entra-token body.model": "1.81.6"})
    assert markdown.startswith("## ✅ PASS: LiteLLM 1.80.17 → 1.108.7") and len(markdown) < COMMENT_LIMIT
    html = _html(markdown)
    first = re.search(
        r"<tr>\s*<td><code>body.model</code></td>\s*<td>value</td>\s*<td>(\d+)</td>(.*?)</tr>", html, re.S
    )
    assert first and int(first.group(1)) >= 20 and "1.81.6" in first.group(2)  # the release that brought it
    assert html.count("<details>") >= 2 and "<table>" in html


def test_items_the_gate_could_not_judge_are_listed_with_the_command_that_extends_the_ledger() -> None:
    from harness.report.gate_markdown import render_gate_markdown

    report = {"baseline": "1.63.8", "candidate": "1.108.7", "verdict": "pass",
              "unjudged": [{"nodeid": "t[a-litellm]", "entries": ["usage-cost-added"]}],
              "unjudged_command": "python -m harness gate --bisect --good 1.63.8 --bad 1.108.7"}  # fmt: skip
    html = _html(render_gate_markdown(report))
    assert "<summary>Not judged under 1.63.8 (1)</summary>" in html
    assert "<code>t[a-litellm]</code>" in html and "<code>usage-cost-added</code>" in html
    assert "python -m harness gate --bisect --good 1.63.8 --bad 1.108.7" in html


def test_the_committed_gate_examples_have_their_markdown() -> None:
    """docs/gate-example's gate reports as the gate writes them now (gate-report.md beside each JSON)."""
    import json

    from harness.report.gate_markdown import render_gate_markdown

    reports = sorted((ROOT / "docs" / "gate-example").rglob("gate-report.json"))
    assert len(reports) >= 2
    for report in reports:
        assert report.with_suffix(".md").read_text() == render_gate_markdown(json.loads(report.read_text())), report
