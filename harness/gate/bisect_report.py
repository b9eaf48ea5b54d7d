"""The bisect's answer, for a terminal, as JSON and as a page in the reports' design.

Shaped like `git bisect`'s: per change, the first release that shows it and the last without it,
what was left out and why, and what it cost (suite runs, time per run, against the promised bound).
"""

from __future__ import annotations

import json
from pathlib import Path

from packaging.version import Version

from harness.gate.bisect_run import BisectResult
from harness.gate.found import Found
from harness.replay.atomic import write_text_atomic
from harness.report.page import esc, facts, page


def by_release(found: list[Found]) -> list[tuple[str, str, dict[str, int], list[str]]]:
    """The changes grouped by where they were placed, oldest first: (first seen in, last without,
    count per kind, up to three changes as examples). A real bisect places hundreds of field-level
    changes in a handful of releases, and the releases are what a reader asks for first."""
    groups: dict[tuple[str, str, bool], list[Found]] = {}
    for f in found:
        if f.first:
            groups.setdefault((f.first, f.last_without or "-", not f.exact), []).append(f)
    out = []
    for (first, last, narrowed), members in sorted(groups.items(), key=lambda kv: Version(kv[0][0])):
        kinds: dict[str, int] = {}
        for f in members:
            kinds[f.change.kind] = kinds.get(f.change.kind, 0) + 1
        label = f"by {first}" if narrowed else first
        out.append((label, last, kinds, [one_line(f"{f.change.kind}: {f.change.text}") for f in members[:3]]))
    return out


def one_line(text: str) -> str:
    """A change on one line of the text report: a value that spans lines (an error message) shows `\\n`."""
    return text.replace("\r", "").replace("\n", "\\n")


def in_order(found: list[Found]) -> list[Found]:
    """Every change, by the release that made it (unplaced ones first), then by kind."""
    return sorted(found, key=lambda f: (Version(f.first or "0"), f.change.kind))


def notes(f: Found) -> list[str]:
    """What a reader must know about a change's place besides the two releases (text and HTML alike)."""
    out = []
    if f.came_and_went:
        out.append(f"came and went: also seen differently in {', '.join(f.came_and_went)}")
    if f.open_range:
        undecided = [v for v in f.between if v not in f.unrunnable]
        if undecided or not f.between:
            out.append(f"a range: between them, the runs of {', '.join(undecided) or 'releases'} could not tell")
        if unrunnable := [v for v in f.between if v in f.unrunnable]:
            out.append(f"a range: between them, {', '.join(unrunnable)} cannot run the suite (see 'left out')")
    if f.narrowed_only:
        out.append("narrowed only: the budget ran out; first seen after the last without, by the first")
    return out


def placement(found: list[Found]) -> str:
    """How many changes the bisect placed in one release, and why the others are ranges."""
    exact = sum(f.exact for f in found)
    narrowed = sum(f.narrowed_only for f in found)
    open_between = sum(f.open_range for f in found)
    text = f"{exact} of {len(found)} change(s) placed in one release"
    if narrowed:
        text += f", {narrowed} narrowed only (budget spent)"
    if open_between:
        text += f", {open_between} left between releases whose run could not tell"
    return text


def render_text(r: BisectResult, *, every: bool = True) -> str:
    """The report; `every=False` (the terminal) stops after the per-release summary and the costs."""
    data = r.as_dict()
    runs = data["suite_runs"]
    lines = [
        f"LiteLLM bisect: {r.good} -> {r.bad}: {placement(r.found)}; {data['installable_releases']} "
        f"installable releases, {len(runs)} suite runs (bound {data['runs_bound']})",
        "",
        f"{'first seen in':<15}{'last without':<14}changes",
    ]
    for first, last, kinds, examples in by_release(r.found):
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        lines.append(f"{first:<15}{last:<14}{counts}")
        lines += [f"{'':<29}e.g. {example}" for example in examples]
    if every and r.entry_flips:
        lines += ["", "ledger entries, where each came or went (their ranges: `--update-ledger`):"]
        lines += [f"  {entry}: {'; '.join(flips)}" for entry, flips in sorted(r.entry_flips.items())]
    if every:
        lines += ["", "every change:", f"{'first seen in':<15}{'last without':<14}change"]
    for f in in_order(r.found) if every else ():
        note = "".join(f"  ({n})" for n in notes(f))
        text = one_line(f"{f.change.kind}: {f.change.text}")
        lines.append(f"{f.first or '-':<15}{f.last_without or '-':<14}{text}{note}")
    if r.skipped:
        lines += ["", f"left out ({len(r.skipped)}):"]
        lines += [f"  {s.version}: {s.reason}" for s in r.skipped]
    if data["reused_runs"]:
        lines += ["", "runs kept by an earlier bisect, reused: " + ", ".join(data["reused_runs"])]
    if data["budget_spent"]:
        narrowed = sum(f.narrowed_only for f in r.found)
        lines += ["", f"budget spent: {narrowed} narrowed only; the same command continues from the kept runs"]
    if runs:
        lines += ["", "suite runs, in order: " + ", ".join(f"{x['version']} {x['wall_s'] or 0:.0f} s" for x in runs)]
    return "\n".join(lines)


def render_html(r: BisectResult) -> str:
    data = r.as_dict()
    rows = "".join(
        f"<tr><td>{esc(f.first or '-')}</td><td>{esc(f.last_without or '-')}</td><td>{esc(f.change.kind)}</td>"
        f"<td>{esc(f.change.text)}</td><td>{esc('; '.join(notes(f)))}</td></tr>"
        for f in in_order(r.found)
    )
    summary = "".join(
        f"<tr><td>{esc(first)}</td><td>{esc(last)}</td>"
        f"<td>{esc(', '.join(f'{n} {kind}' for kind, n in kinds.items()))}</td>"
        f"<td>{'<br>'.join(esc(e) for e in examples)}</td></tr>"
        for first, last, kinds, examples in by_release(r.found)
    )
    skipped = "".join(f"<tr><td>{esc(s.version)}</td><td>{esc(s.reason)}</td></tr>" for s in r.skipped)
    body = (
        facts(
            [
                ("good", r.good),
                ("bad", r.bad),
                ("installable releases", str(data["installable_releases"])),
                ("changes", placement(r.found)),
                ("suite runs", f"{len(data['suite_runs'])} (bound {data['runs_bound']})"),
                ("reused runs", str(len(data["reused_runs"]))),
                ("budget", "spent: changes narrowed only are marked" if data["budget_spent"] else "not spent"),
            ]
        )
        + '<h2>By release</h2><div class="wrap"><table class="matrix"><thead><tr><th>first seen in</th>'
        + "<th>last without</th><th>changes</th><th>for example</th>"
        + f"</tr></thead><tbody>{summary}</tbody></table></div>"
        + '<h2>Every change and the release that made it</h2><div class="wrap"><table class="matrix"><thead><tr>'
        + "<th>first seen in</th><th>last without</th><th>kind</th><th>change</th><th>notes</th></tr>"
        + f"</thead><tbody>{rows}</tbody></table></div>"
        + '<h2>Left out</h2><div class="wrap"><table class="matrix"><thead><tr><th>release</th><th>why</th></tr>'
        + f"</thead><tbody>{skipped}</tbody></table></div>"
    )
    return page(f"LiteLLM bisect: {r.good} -> {r.bad}", body)


def write_reports(r: BisectResult, report_dir: Path) -> tuple[Path, ...]:
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = tuple(report_dir / f"bisect-report.{ext}" for ext in ("json", "html", "txt"))
    write_text_atomic(paths[0], json.dumps(r.as_dict(), indent=1, default=str))
    write_text_atomic(paths[1], render_html(r))
    write_text_atomic(paths[2], render_text(r) + "\n")
    return paths
