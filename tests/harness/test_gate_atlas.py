"""The atlas (release x divergence): the committed docs/atlas.md and docs/atlas.html are exactly what
`gate --atlas` makes of the committed bisect report; cells follow the report's placements; the page is
self-contained and renders in headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from harness.report.atlas import build, render_atlas, render_html

from .support import ROOT
from .test_report import CHROMIUM, _chromium

REPORT = ROOT / "docs" / "gate-example" / "bisect-report.json"


def test_the_committed_atlas_is_what_the_command_makes_of_the_committed_report() -> None:
    expected = render_atlas(REPORT, ROOT / "docs", json.loads(REPORT.read_text()))
    for name, text in expected.items():
        committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert committed == text, (
            f"docs/{name} is not what the bisect report makes: run "
            "`python -m harness gate --atlas docs/gate-example/bisect-report.json`"
        )


def change(kind: str, text: str, first: str, last: str, exact: bool = True) -> dict[str, Any]:
    return {"kind": kind, "change": text, "first_seen_in": first, "last_without": last, "exact": exact}


REPORT_DATA: dict[str, Any] = {
    "good": "1.0.0",
    "bad": "1.9.0",
    "skipped": [{"version": "1.5.0", "reason": "its suite could not run: ModuleNotFoundError: x (log: /tmp/a)"}],
    "changes": [
        change("new divergence", "body.model in chat/basic [model-is-proxy-alias]", "1.3.0", "1.2.0"),
        change("new divergence", "body.model in chat/n-2 [model-is-proxy-alias]", "1.6.0", "1.2.0", exact=False),
        change("gone divergence", "grammar[prompt_filter] in streaming/text [prompt-chunk-dropped]", "1.6.0", "1.4.0"),
        change("gone divergence", "upstream_requests[0].body.x in chat/basic", "1.3.0", "1.2.0"),
        change("what the application sees", "body.model: a -> b in chat/basic", "1.3.0", "1.2.0"),
    ],
    "at_ends": {
        "good": [
            ["chat/basic", "headers.x", "azure-headers-prefixed"],
            ["streaming/text", "grammar[prompt_filter]", "prompt-chunk-dropped"],
        ],
        "bad": [["chat/basic", "headers.x", "azure-headers-prefixed"]],
    },
    "oldest_runnable": {"version": "1.0.0", "below": {"version": "0.9.0", "reason": "NoSuchOption: --port"}},
}


def test_each_cell_counts_the_cases_where_the_divergence_is_present_in_that_release() -> None:
    atlas = build(REPORT_DATA)
    assert atlas.columns == ["1.0.0", "1.3.0", "1.6.0"]  # the good end, then each release that changed something
    rows = {r.name: r for r in atlas.rows}
    assert [r.name for r in atlas.rows] == [
        "prompt-chunk-dropped",  # streams before bodies, as the parity report groups them
        "model-is-proxy-alias",
        "azure-headers-prefixed",
        "no ledger entry: upstream_requests.body.*",
    ]

    def cells(name: str) -> list[tuple[int, int]]:
        out = []
        for release in atlas.columns:
            there, unsure = rows[name].present(Version(release))
            out.append((len(there), len(unsure)))
        return out

    assert cells("model-is-proxy-alias") == [(0, 0), (1, 1), (2, 0)]  # n-2's change is a range: 1.3.0 cannot tell
    assert cells("prompt-chunk-dropped") == [(1, 0), (1, 0), (0, 0)]
    assert cells("azure-headers-prefixed") == [(1, 0), (1, 0), (1, 0)]  # present at both ends: throughout
    assert cells("no ledger entry: upstream_requests.body.*") == [(1, 0), (0, 0), (0, 0)]


def test_an_entry_that_came_and_went_between_the_ends_is_absent_where_the_runs_saw_it_nowhere() -> None:
    """Present at both ends and unchanged, a divergence is no change the bisect searched; the report's
    runs say where its entry was (`entry_presence`). The atlas shows it absent there, gives the release
    where it went and came back a column, and a row to an entry seen only between the ends."""
    runs = ["1.0.0", "1.2.0", "1.3.0", "1.4.0", "1.6.0", "1.9.0"]
    data = {
        **REPORT_DATA,
        "releases": runs,
        "runs_made": runs,
        "entry_presence": {
            "azure-headers-prefixed": {v: v not in ("1.3.0", "1.4.0") for v in runs},
            "stream-cut-ends-normally": {v: v in ("1.3.0", "1.4.0") for v in runs},
        },
        "entry_cases": {"stream-cut-ends-normally": [["errors/cut", "grammar[finish]"]]},
    }
    atlas = build(data)
    rows = {r.name: r for r in atlas.rows}
    headers = [len(rows["azure-headers-prefixed"].present(Version(v))[0]) for v in atlas.columns]
    assert atlas.columns == ["1.0.0", "1.3.0", "1.5.0", "1.6.0"]  # 1.5.0 cannot run: either may have changed there
    assert headers == [1, 0, 0, 1]  # went in 1.3.0, back in 1.5.0 or 1.6.0
    assert len(rows["azure-headers-prefixed"].present(Version("1.5.0"))[1]) == 1  # unsure there
    assert [len(rows["stream-cut-ends-normally"].present(Version(v))[0]) for v in atlas.columns] == [0, 1, 0, 0]
    assert atlas.entries["1.3.0"] == ["azure-headers-prefixed went", "stream-cut-ends-normally came"]
    assert atlas.entries["1.5.0"] == [
        "azure-headers-prefixed may have come (by 1.6.0; the releases between cannot tell)"
    ]
    assert atlas.entries["1.6.0"] == ["stream-cut-ends-normally went by 1.6.0 (from 1.5.0 the releases cannot tell)"]


def test_the_markdown_says_how_far_back_it_reaches_and_what_was_left_out(tmp_path: Path) -> None:
    texts = render_atlas(tmp_path / "r" / "bisect-report.json", tmp_path / "docs", REPORT_DATA)
    md = texts["atlas.md"]
    assert "1.0.0 is the oldest release the suite runs (0.9.0 cannot: NoSuchOption: --port)" in md
    assert "[`../r/bisect-report.json`](../r/bisect-report.json)" in md
    assert "- 1.5.0: its suite could not run: ModuleNotFoundError: x\n" in md  # the log's path is this machine's
    assert "| 1.3.0 | 1 new divergence, 1 gone divergence, 1 what the application sees |" in md
    assert "<td>1?</td>" in md and "made before `at_ends`" not in md


def test_the_page_is_self_contained() -> None:
    page = render_html(build(REPORT_DATA))
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(|https?://", page)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; ./install.sh installs it on Debian")
def test_the_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "atlas.html"
    page.write_text(render_html(build(REPORT_DATA)))
    dom = _chromium(page, tmp_path, "--dump-dom", page.as_uri())
    assert 'data-ready="1"' in dom, "the page did not finish loading"
    assert len(re.findall(r"<tr data-row", dom)) == 4
    assert 'title="model-is-proxy-alias in 1.3.0: chat/basic; cannot tell: chat/n-2"' in dom


def test_a_file_that_is_not_a_bisect_report_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "gate-report.json"
    bad.write_text('{"verdict": "pass"}')
    command = [sys.executable, "-m", "harness", "gate", "--atlas", str(bad), "--atlas-dir", str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"harness gate: --atlas {bad}: not a bisect report (bisect-report.json from `gate --bisect`): "
        "expected the keys good, bad and changes"
    ]
    assert not (tmp_path / "out").exists()
