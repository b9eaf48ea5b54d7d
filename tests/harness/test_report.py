"""The parity report renders in a real headless browser: one row per case, failures visibly marked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.report.parity import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _data() -> dict:
    outcomes = []
    for case, litellm in (("chat/basic", "passed"), ("chat/n-2", "passed"), ("errors/rate-limited-429", "failed")):
        outcomes.append({"nodeid": f"t::{case}-direct", "case": case, "path": "direct", "outcome": "passed"})
        outcomes.append({"nodeid": f"t::{case}-litellm", "case": case, "path": "litellm", "outcome": litellm})
    comparisons = [
        {"case": "chat/basic", "covered": {}, "unledgered": [], "direct": {}, "litellm": {}},
        {
            "case": "chat/n-2",
            "covered": {"model-is-proxy-alias": ["body.model"]},
            "unledgered": [],
            "direct": {"body": {"model": "gpt-4o-2024-08-06"}},
            "litellm": {"body": {"model": "good-key"}},
        },
        {
            "case": "errors/rate-limited-429",
            "covered": {},
            "unledgered": ["headers.retry-after: missing mismatch"],
            "direct": {"headers": {"retry-after": "<present>"}},
            "litellm": {"headers": {}},
        },
    ]
    divergences = {
        "model-is-proxy-alias": {
            "what": "model is the alias",
            "reason": "rewritten",
            "impact": "logs",
            "link": "https://example.invalid/1",
        }
    }
    meta = {
        "litellm_version": "1.108.7",
        "upstream": "replay",
        "level": "exact",
        "wall_s": 12.5,
        "proxy_startups_s": {"master": 9.1},
        "cassettes": {"source": ["emulator"]},
    }
    return {"meta": meta, "outcomes": outcomes, "comparisons": comparisons, "divergences": divergences, "stale": []}


def test_report_is_self_contained():
    page = render_html(_data())
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(", page)
    assert "1.108.7" in page and "replay" in page and "source: emulator" in page and "12.5 s" in page
    assert "model is the alias" in page and "gpt-4o-2024-08-06" in page and "good-key" in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; ./install.sh installs it on Debian")
def test_report_renders_in_headless_chromium(tmp_path: Path):
    page = tmp_path / "parity-report.html"
    page.write_text(render_html(_data()))
    dom = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-ready="1"' in dom, "the page did not finish loading"
    rows = re.findall(r'<tr class="(\w*)" data-case="([^"]+)">', dom)
    assert [case for _, case in rows] == ["chat/basic", "chat/n-2", "errors/rate-limited-429"]
    assert [cls for cls, _ in rows] == ["", "", "fail"]
    failing = re.search(r'data-case="errors/rate-limited-429">.*?</tr>', dom, re.S).group(0)
    assert 'data-status="fail" data-bg="rgb(255, 215, 213)"' in failing  # rendered red
    assert 'data-status="divergence" data-bg="rgb(255, 248, 197)"' in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--window-size=900,700",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
