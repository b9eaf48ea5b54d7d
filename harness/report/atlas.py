"""The atlas: for each LiteLLM release, what an application sees that differs from direct Azure.

Teams pinned months behind ask "what changes if we upgrade from X?". A bisect report
(`bisect-report.json`) holds the answer as transitions: each divergence from Azure first seen in a
release (or gone from one), and, since the report keeps its ends, the divergences present throughout.
The atlas turns them into a matrix, one row per divergence (a ledger entry, or a path no entry
covers), grouped by where the application feels it as in the parity report, one column per release
that changes something (each column holds until the next one). A cell counts the cases where the
divergence is present in that release; `?` where a change was left between releases that could not
tell.

Rendered from the report alone, so the committed atlas is exactly what one command makes of the
committed report (`python -m harness gate --atlas REPORT`): `atlas.md` (an HTML table GitHub renders)
and a self-contained `atlas.html` in the reports' design.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from harness.contract.entry_course import courses, left_out
from harness.report.page import esc, facts, page
from harness.report.parity import GROUPS, OTHER, group_of

_CHANGE = re.compile(r"^(?P<path>.+?) in (?P<case>\S+)(?: \[(?P<entry>[^\]]+)\])?$")
_DIVERGENCE = ("new divergence", "gone divergence")
UNLEDGERED = "no ledger entry"


@dataclass
class Row:
    """One divergence: a ledger entry, or a path no entry covers; per (case, path) when it is present."""

    name: str
    group: str
    #: (case, path) -> spans (present from, present until, unsure after, unsure before); None: no bound
    spans: dict[tuple[str, str], list[tuple[str | None, ...]]] = field(default_factory=dict)
    #: for a ledger entry, the releases where the runs saw it at all, as (from, until, sure from, sure until)
    #: blocks (None: no bound; `Course.spans`); outside them no case has it, whatever its changes say, and
    #: where a block is not sure (releases that could not tell) its cases are unsure
    blocks: list[tuple[str | None, ...]] | None = None

    def present(self, release: Version) -> tuple[set[str], set[str]]:
        """The cases where it is present in `release`, and those where the report cannot tell."""
        there, unsure = self._spans_present(release)
        if self.blocks is None:
            return there, unsure
        inside = [b for b in self.blocks if _within(release, b[0], b[1])]
        if not inside:
            return set(), set()
        if any(not _within(release, b[2], b[3]) for b in inside):
            return set(), there | unsure
        return there, unsure

    def _spans_present(self, release: Version) -> tuple[set[str], set[str]]:
        there, unsure = set(), set()
        for (case, _path), spans in self.spans.items():
            for since, until, after, before in spans:
                if after and before and Version(after) < release < Version(before):
                    unsure.add(case)
                elif (since is None or release >= Version(since)) and (until is None or release < Version(until)):
                    there.add(case)
        return there, unsure - there


def _within(release: Version, low: str | None, high: str | None) -> bool:
    return (low is None or release >= Version(low)) and (high is None or release < Version(high))


def entry_blocks(report: Mapping[str, Any]) -> dict[str, list[tuple[str | None, ...]]]:
    """Each ledger entry's blocks of presence, from the report's runs (`entry_presence`), for the
    entries whose every coming and going is placed; {} for a report made before it."""
    if "entry_presence" not in report:
        return {}
    left = left_out(s["version"] for s in report.get("skipped") or [])
    found = courses(report["entry_presence"], report["releases"], report["runs_made"], left)
    return {c.entry: c.spans() for c in found if c.placed}


@dataclass
class Atlas:
    good: str
    bad: str
    columns: list[str]
    rows: list[Row]
    changes: dict[str, dict[str, int]]  # release -> kind -> count
    skipped: list[Mapping[str, str]]
    open_ranges: int
    oldest: Mapping[str, Any] | None
    ends_known: bool = True
    #: release -> the ledger entries that came or went in it, read from the runs (`entry_blocks`)
    entries: dict[str, list[str]] = field(default_factory=dict)


def _row(rows: dict[str, Row], entry: str | None, path: str) -> Row:
    """A ledger entry's row, or for a path no entry covers, the row of its first two steps
    (`chunk_keys.role.*`): one row per field of a stream chunk would bury the entries."""
    if entry and entry != "not in the ledger":
        name = entry
    else:
        steps = [s for s in re.sub(r"\[[^\]]*\]", "", path).split(".") if s]
        name = f"{UNLEDGERED}: " + ".".join(steps[:2]) + (".*" if len(steps) > 2 else "")
    return rows.setdefault(name, Row(name, group_of([path])))


def build(report: Mapping[str, Any]) -> Atlas:
    good, bad = report["good"], report["bad"]
    rows: dict[str, Row] = {}
    changed: set[tuple[str, str]] = set()
    changes: dict[str, dict[str, int]] = {}
    for c in report["changes"]:
        first = c.get("first_seen_in")
        if first:
            kinds = changes.setdefault(first, {})
            kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
        m = _CHANGE.match(c["change"])
        if c["kind"] not in _DIVERGENCE or m is None or not first:
            continue
        unsure = (None, None) if c.get("exact") else (c.get("last_without"), first)
        span = (first, None, *unsure) if c["kind"] == "new divergence" else (None, first, *unsure)
        _row(rows, m["entry"], m["path"]).spans.setdefault((m["case"], m["path"]), []).append(span)
        changed.add((m["case"], m["path"]))
    for case, path, entry in (report.get("at_ends") or {}).get("good", []):
        if (case, path) not in changed:  # present at the good end and unchanged: present where its entry is
            _row(rows, entry or None, path).spans.setdefault((case, path), []).append((None, None, None, None))
    blocks = entry_blocks(report)
    for entry, where in (report.get("entry_cases") or {}).items():
        if entry in blocks and entry not in rows:  # came and went between the ends: no change points at it
            for case, path in where:
                _row(rows, entry, path).spans.setdefault((case, path), []).append((None, None, None, None))
    for entry, spans in blocks.items():
        if entry in rows:
            rows[entry].blocks = spans
    bounds = {b for spans in blocks.values() for span in spans for b in span if b}
    columns = sorted({good, *changes, *(b for b in bounds if Version(good) < Version(b) <= Version(bad))}, key=Version)
    order = [name for name, _ in GROUPS] + [OTHER]
    ordered = sorted(rows.values(), key=lambda r: (order.index(r.group), r.name.startswith(UNLEDGERED), r.name))
    open_ranges = sum(1 for c in report["changes"] if not c.get("exact"))
    entries: dict[str, list[str]] = {}
    for entry, spans in sorted(blocks.items()):
        for low, high, sure_low, sure_high in spans:
            came = "came" if low == sure_low else f"may have come (by {sure_low}; the releases between cannot tell)"
            went = "went" if high == sure_high else f"went by {high} (from {sure_high} the releases cannot tell)"
            for release, word in ((low, came), (high, went)):
                if release and Version(good) < Version(release) <= Version(bad):
                    entries.setdefault(release, []).append(f"{entry} {word}")
    return Atlas(good, bad, columns, ordered, changes, report.get("skipped", []), open_ranges,
                 report.get("oldest_runnable"), "at_ends" in report, entries)  # fmt: skip


def _cell(row: Row, release: str, styled: bool) -> str:
    there, unsure = row.present(Version(release))
    text = (str(len(there)) if there else "") + ("?" if unsure else "")
    title = esc(f"{row.name} in {release}: " + (", ".join(sorted(there)) or "none") +
                (f"; cannot tell: {', '.join(sorted(unsure))}" if unsure else ""))  # fmt: skip
    if not styled:  # GitHub's page: the counts only, the names of the cases are in atlas.html
        return f"<td>{text}</td>"
    cls = "hit" + (" fail" if unsure and not there else "") if text else ""
    return f'<td class="{cls}" title="{title}">{text}</td>'


def _table(atlas: Atlas, styled: bool) -> str:
    head = "".join(f"<th>{esc(r)}</th>" for r in atlas.columns)
    body = []
    for group in [name for name, _ in GROUPS] + [OTHER]:
        members = [r for r in atlas.rows if r.group == group]
        if not members:
            continue
        body.append(f'<tr class="group"><td colspan="{len(atlas.columns) + 1}"><b>{esc(group)}</b></td></tr>')
        for r in members:
            cells = "".join(_cell(r, release, styled) for release in atlas.columns)
            label = f'<td class="entry">{esc(r.name)}</td>' if styled else f"<td>{esc(r.name)}</td>"
            body.append(f"<tr data-row>{label}{cells}</tr>")
    cls = ' class="matrix"' if styled else ""
    return f"<table{cls}><thead><tr><th>divergence</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary(atlas: Atlas) -> list[str]:
    lines = ["| release | what changed in it | ledger entries that came or went |", "|---|---|---|"]
    for release in atlas.columns[1:]:
        kinds = atlas.changes.get(release, {})
        counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        lines.append(f"| {release} | {counts} | {', '.join(atlas.entries.get(release, []))} |")
    return lines


def render_html(atlas: Atlas) -> str:
    oldest = atlas.oldest or {}
    body = (
        facts(
            [
                ("from", atlas.good + (" (the oldest release that runs)" if oldest.get("version") else "")),
                ("to", atlas.bad),
                ("releases that change something", str(len(atlas.columns) - 1)),
                ("divergences", str(len(atlas.rows))),
                ("changes left between releases that could not tell", str(atlas.open_ranges)),
            ]
        )
        + '<p class="small">A column holds from its release until the next column. A cell counts the cases where the '
        "divergence is present; <b>?</b>: a change the bisect left between releases whose run could not tell.</p>"
        + f'<div class="wrap">{_table(atlas, styled=True)}</div>'
    )
    return page(f"The atlas: LiteLLM {atlas.good} -> {atlas.bad} against direct Azure", body)


def render_markdown(atlas: Atlas, report: Path, out_dir: Path) -> str:
    source = Path(os.path.relpath(report.resolve(), out_dir.resolve())).as_posix()
    root = out_dir.resolve().parent  # the command as run from the folder above the atlas (the checkout)
    command = f"{Path(os.path.relpath(report.resolve(), root)).as_posix()} --atlas-dir {out_dir.resolve().name}"
    oldest = atlas.oldest or {}
    below = oldest.get("below") or {}
    reach = (
        f"{atlas.good} is the oldest release the suite runs ({below.get('version')} cannot: "
        f"{str(below.get('reason')).split(' (log:')[0]})."
        if oldest.get("version")
        else f"Releases before {atlas.good} were not bisected; `gate --probe-oldest` finds how far back it can go."
    )
    ordered = sorted(atlas.skipped, key=lambda s: Version(s["version"]))
    skipped = [f"- {s['version']}: {s['reason'].split(' (log:')[0]}" for s in ordered]
    if not atlas.ends_known:
        reach += (
            " This report does not keep what its ends showed (made before `at_ends`): a divergence present "
            "throughout, unchanged, has no row here."
        )
    return "\n".join(
        [
            "# The atlas: what each LiteLLM release changes for an application",
            "",
            f"<!-- generated by `python -m harness gate --atlas {command}`; do not edit by hand -->",
            "",
            f"What an application sees through the LiteLLM proxy that differs from direct Azure, release by release, "
            f"from {atlas.good} to {atlas.bad}, read from the bisect report [`{source}`]({source}). {reach}",
            "",
            " ".join(
                [
                    "**What changes if we upgrade from X to Y:** find the column at or before X and the one at or",
                    "before Y; the rows whose cells differ are what changes. A column holds from its release until the",
                    "next; a cell counts the cases where the divergence is present, `?` where the bisect left a change",
                    "between releases whose run could not tell. Rows are grouped by where the application feels them,",
                    "as in the parity report; a row is a ledger entry",
                    "([the ledger](../tests/contract/divergences.yaml) says why and what to do) or a path no entry",
                    "covers. The same matrix in the reports' design:",
                    "[atlas.html](atlas.html). How it is made and kept up: [the gate](gate.md#the-atlas).",
                ]
            ),
            "",
            _table(atlas, styled=False),
            "",
            "## What each release changed",
            "",
            *_summary(atlas),
            "",
            f"## Left out ({len(atlas.skipped)})",
            "",
            *(skipped or ["none"]),
            "",
        ]
    )


def render_atlas(report: Path, out_dir: Path, data: Mapping[str, Any]) -> dict[str, str]:
    """{file name: text} of the atlas in `out_dir`, from the bisect report `data` read from `report`."""
    atlas = build(data)
    return {"atlas.md": render_markdown(atlas, report, out_dir), "atlas.html": render_html(atlas) + "\n"}


def write_atlas(report: Path, out_dir: Path, data: Mapping[str, Any]) -> Sequence[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_atlas(report, out_dir, data).items():
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written
