"""The run's results: each item's outcome collected into the contract summary, the parity report
written at the end, and the terminal summary. Registered once per process by `options`.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from harness.contract.ledger import LedgerError
from harness.contract.ledger_file import load_ledger
from harness.contract.ledger_update import LedgerWriteError, updated_ledger
from harness.contract.results import NOT_APPLICABLE, PROPERTY, TIMING
from harness.paths.proxy import litellm_version
from harness.paths.team_ledger import stale_advice, unledgered_note
from harness.plugin.state import INFRA, ITEM, REPLAY_MISS, RunState
from harness.replay.atomic import write_text_atomic
from harness.report.markdown import append_step_summary, render_parity_markdown
from harness.report.parity import cassette_provenance, render_html
from harness.settings import DEFAULT_LEDGER


def failure_message(report: pytest.TestReport, limit: int = 4000) -> str:
    """The failure's own message (a contract diff, a cassette miss), for the report and the gate."""
    if not report.failed:
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:limit]


def skip_reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return ""


def _loads_back(written: Path) -> None:
    """The updated ledger, read as the next run will read it (raises `LedgerError`)."""
    try:
        load_ledger(written)
    except LedgerError as exc:
        raise LedgerError(str(exc).replace(str(written), "the updated ledger")) from None


class ContractSession:
    """Hooks that need the run's state; registered once per process in `pytest_configure`."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        item = props.get(ITEM)
        reason = skip_reason(report)
        infra = props.get(INFRA)
        if item is None and (reason.startswith(NOT_APPLICABLE) or infra):  # stopped before any fixture
            item = {"area": report.nodeid.split("::")[0].rsplit("/", 1)[-1].removeprefix("test_").removesuffix(".py")}
            item["path"] = "direct" if report.nodeid.endswith("-direct]") else "litellm"
        if item is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        self.state.results.add(
            report.nodeid,
            item["area"],
            item["path"],
            "infra" if infra else report.outcome,
            props.get(PROPERTY),
            props.get(TIMING),
            report.duration,
            reason,
            failure_message(report),
            props.get(REPLAY_MISS),
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: collect each worker's proxy start-up time."""
        startups = json.loads(getattr(node, "workeroutput", {}).get("proxy_startups", "{}"))
        self.state.results.proxy_startups.update(startups)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["proxy_startups"] = json.dumps(self.state.results.proxy_startups)
            return
        if self.state.settings.ledger_update:
            self._update_ledger(session.config.rootpath)
            if self.state.ledger_error and session.exitstatus == 0:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif self.state.results.stale(self.state.ledger) and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        report = self.state.report_path
        if report is not None and self.state.results.areas:
            s = self.state.settings
            meta = {
                "litellm_version": litellm_version(),
                "upstream": s.upstream,
                "record_mode": s.record_mode,
                "level": str(s.level),
                "ledger": str(s.ledger_path),
                "wall_s": time.time() - self.state.started,
                "finished": datetime.datetime.now().isoformat(),
                "cassettes": cassette_provenance(s.cassette_dir) if s.uses_cassettes else {},
                # config mode: whose proxy config this run judged
                **({"config": f"{s.team.path.name}, alias {s.team.alias}"} if s.team is not None else {}),
            }
            data = self.state.results.to_json(self.state.ledger, meta)
            write_text_atomic(report, json.dumps(data, indent=1, default=str))
            plain = json.loads(json.dumps(data, default=str))
            write_text_atomic(report.with_suffix(".html"), render_html(plain))
            markdown = render_parity_markdown(plain)
            write_text_atomic(report.with_suffix(".md"), markdown)
            self.state.written = [report, report.with_suffix(".html"), report.with_suffix(".md")]
            append_step_summary(markdown, report.with_suffix(".md").name)  # GitHub Actions: the job's summary

    def _update_ledger(self, rootdir: Path) -> None:
        """`--ledger-update`: the run's unledgered divergences written for review, stale entries removed.
        A new ledger extends the shipped one; the result is loaded back before it replaces the file."""
        path = self.state.ledger.path
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        missing = self.state.results.stale_cases()
        stale = {i: missing[i] for i in self.state.results.stale(self.state.ledger)}
        shipped = (rootdir / DEFAULT_LEDGER).resolve()
        base = None if path.resolve() == shipped else os.path.relpath(shipped, path.resolve().parent)
        try:
            new_text, self.state.ledger_changes = updated_ledger(
                text, self.state.results.comparisons, stale, litellm_version(), base
            )
            if new_text != text:
                write_text_atomic(path, new_text, verify=_loads_back)
        except (LedgerWriteError, LedgerError) as exc:
            self.state.ledger_error = (
                f"harness --ledger-update: {path} was left as it was: the update could not be written ({exc}). "
                "Fix the file by hand, or move it aside and run --ledger-update again to start a new one."
            )

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        results = self.state.results
        changes = self.state.ledger_changes
        if self.state.ledger_error:
            terminalreporter.section("ledger update")
            terminalreporter.write_line(self.state.ledger_error, red=True)
        elif changes is not None:
            terminalreporter.section("ledger update")
            where = self.state.ledger.path
            terminalreporter.write_line(
                f"{where}: {len(changes.added)} entries added for review, {len(changes.removed)} stale entries "
                f"removed, {len(changes.disabled)} inherited entries switched off"
            )
            for ident in changes.added:
                terminalreporter.write_line(f"  + {ident} (REVIEW: fill in reason, impact and link)")
            for ident in changes.removed:
                terminalreporter.write_line(f"  - {ident} (stale: no longer observed)")
            for ident, cases in changes.disabled.items():
                shown = ", ".join(cases[:4]) + (f" and {len(cases) - 4} more" if len(cases) > 4 else "")
                terminalreporter.write_line(f"  ~ {ident} (inherited, switched off with this config for {shown})")
        if not results.areas:
            return
        terminalreporter.section("contract summary")
        team, advice = self.state.settings.team, None
        shipped = config.rootpath / DEFAULT_LEDGER
        alias_given = config.getoption("--litellm-model") is not None
        if team is not None:
            advice = stale_advice(team, self.state.ledger, shipped, alias_given)
        updating = self.state.settings.ledger_update  # the ledger update above said what it did
        for line in results.summary_lines(self.state.ledger, advice):
            if not (updating and line.startswith("STALE")):
                terminalreporter.write_line(line, red=line.startswith("STALE"))
        if team is not None and not updating and any(c["unledgered"] for c in results.comparisons):
            shipped_only = self.state.ledger.path.resolve() == shipped.resolve()
            terminalreporter.write_line(
                "unledgered divergences in config mode: " + unledgered_note(team, shipped_only, alias_given), red=True
            )
        if self.state.written:
            terminalreporter.write_line("parity report: " + ", ".join(str(p) for p in self.state.written))
