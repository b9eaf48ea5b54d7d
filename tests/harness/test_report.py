"""The parity report: self-contained, failures first with the differing paths highlighted, a
divergence x case matrix that filters by area and observation kind, checked in headless Chromium."""

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
    for case, litellm in (
        ("chat/basic", "passed"),
        ("chat/n-2", "passed"),
        ("streaming/text", "passed"),
        ("errors/rate-limited-429", "failed"),
        ("errors/server-error-500", "infra"),
    ):
        area = case.split("/")[0]
        outcomes.append(
            {"nodeid": f"t::{case}-direct", "case": case, "area": area, "path": "direct", "outcome": "passed"}
        )
        outcomes.append(
            {"nodeid": f"t::{case}-litellm", "case": case, "area": area, "path": "litellm", "outcome": litellm,
             "message": "harness: the LiteLLM proxy (pid 7) was killed by SIGKILL" if litellm == "infra" else ""}
        )  # fmt: skip
    comparisons = [
        {"case": "chat/basic", "observation": "response", "covered": {}, "unledgered": [], "direct": {}, "litellm": {}},
        {
            "case": "chat/n-2",
            "observation": "response",
            "covered": {"model-is-proxy-alias": ["body.model"]},
            "unledgered": [],
            "direct": {"body": {"model": "gpt-4o-2024-08-06"}},
            "litellm": {"body": {"model": "good-key"}},
        },
        {
            "case": "streaming/text",
            "observation": "stream",
            "covered": {"stream-prompt-filter-chunk-dropped": ["grammar[prompt_filter]"]},
            "unledgered": [],
            "direct": {"grammar": ["prompt_filter", "role", "content+", "finish"]},
            "litellm": {"grammar": ["role", "content+", "finish"]},
        },
        {
            "case": "errors/rate-limited-429",
            "observation": "error",
            "covered": {},
            "unledgered": ['headers.retry-after: missing mismatch at level exact\n    direct:  "<present>"'],
            "unledgered_detail": [
                {"path": "headers.retry-after", "kind": "missing", "direct": "<present>", "litellm": "(absent)"}
            ],
            "direct": {"kind": "error", "headers": {"retry-after": "<present>"}},
            "litellm": {"kind": "error", "headers": {}},
        },
    ]
    divergences = {
        "model-is-proxy-alias": {
            "what": "model is the alias",
            "reason": "rewritten",
            "impact": "logs see the alias",
            "workaround": "map aliases",
            "link": "https://example.invalid/1",
            "paths": ["body.model"],
        },
        "stream-prompt-filter-chunk-dropped": {
            "what": "first chunk dropped",
            "reason": "r",
            "impact": "no prompt filter verdict",
            "link": "https://example.invalid/2",
            "paths": ["grammar[prompt_filter]"],
        },
    }
    meta = {
        "litellm_version": "1.108.7",
        "upstream": "replay",
        "level": "exact",
        "wall_s": 12.5,
        "proxy_startups_s": {"master": 9.1},
        "cassettes": {"source": ["emulator"]},
        "ledger": "tests/contract/divergences.yaml",
    }
    return {"meta": meta, "outcomes": outcomes, "comparisons": comparisons, "divergences": divergences, "stale": []}


def test_report_is_self_contained_and_puts_failures_first():
    page = render_html(_data())
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(", page)
    assert "1.108.7" in page and "replay" in page and "source emulator" in page and "12.5 s" in page
    failures, matrix = page.index("Failures (1)"), page.index("Divergences: 2 ledger entries hit")
    assert failures < matrix
    assert page.index("Not run: a part of the run was down (1 items)") < matrix
    # the unledgered failure: both observations, the differing header highlighted on each side
    block = page[failures:matrix]
    assert block.count('<span class="hit">&quot;&lt;present&gt;&quot;</span>') == 1
    assert "logs see the alias" in page and "map aliases" in page  # impact and workaround beside the row
    assert "Response bodies" in page and "Streams: chunks and events, grammar" in page  # grouped by where it is felt


def test_the_new_areas_and_event_streams_are_grouped_where_they_are_felt():
    """Responses event streams land with the other streams; embeddings and v1 areas are filterable."""
    data = _data()
    for case in ("embeddings/single-text", "responses/stream-text"):
        area = case.split("/")[0]
        for path in ("direct", "litellm"):
            data["outcomes"].append(
                {"nodeid": f"t::{case}-{path}", "case": case, "area": area, "path": path, "outcome": "passed"}
            )
    data["comparisons"].append(
        {
            "case": "responses/stream-text",
            "observation": "events",
            "covered": {"responses-stream-events-carry-model": ["event_keys.response.created.model"]},
            "unledgered": [],
            "direct": {"kind": "events", "event_keys": {"response.created": {}}},
            "litellm": {"kind": "events", "event_keys": {"response.created": {"model": "<present>"}}},
        }
    )
    data["divergences"]["responses-stream-events-carry-model"] = {
        "what": "every event gains model",
        "reason": "r",
        "impact": "strict parsers see an unknown key",
        "link": "https://github.com/BerriAI/litellm/pull/19943",
        "paths": ["event_keys.*.model"],
    }
    page = render_html(data)
    streams = page.index("Streams: chunks and events")
    assert streams < page.index("every event gains model") < page.index("Response bodies", streams)
    assert 'data-area="embeddings"' in page and 'data-area="responses"' in page


def _chromium(page: Path, tmp_path: Path, *args: str) -> str:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000", *args],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; ./install.sh installs it on Debian")
def test_report_renders_and_filters_in_headless_chromium(tmp_path: Path):
    page = tmp_path / "parity-report.html"
    page.write_text(render_html(_data()))
    dom = _chromium(page, tmp_path, "--dump-dom", page.as_uri())
    assert 'data-ready="1"' in dom, "the page did not finish loading"
    rows = dict(re.findall(r'<tr data-entry="([^"]+)"[^>]*data-visible="(\d)"', dom))
    assert rows == {"model-is-proxy-alias": "1", "stream-prompt-filter-chunk-dropped": "1"}
    # filtered from the URL: only streams; the response-only entry's row disappears
    filtered = _chromium(page, tmp_path, "--dump-dom", page.as_uri() + "#kind=stream")
    rows = dict(re.findall(r'<tr data-entry="([^"]+)"[^>]*data-visible="(\d)"', filtered))
    assert rows == {"model-is-proxy-alias": "0", "stream-prompt-filter-chunk-dropped": "1"}
    assert re.search(r'class="case hidden"[^>]*title="chat/n-2"', filtered)
    shot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'p2'}", "--window-size=1200,900", f"--screenshot={shot}",
         page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
