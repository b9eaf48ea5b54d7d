"""The page every report shares: one self-contained HTML file (no external script, style or font),
with the run's facts at the top, failures before anything else, a divergence x case matrix that
filters by area and by kind of observation, and observations side by side with the differing
paths highlighted.

The parity report (`parity`) and the upgrade gate's report (`harness.gate.report`) are both made of
these pieces, so a reader who knows one knows the other.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

esc = html.escape

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem 2rem;color:#1b1f24;font-size:14px}
h1{font-size:1.35rem;margin:0 0 .6rem}h2{font-size:1.1rem;margin:1.8rem 0 .5rem}
h3{font-size:.95rem;margin:.8rem 0 .3rem}
.facts{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;margin:.2rem 0 1rem;color:#424a53}.facts b{color:#1b1f24}
.verdict{display:inline-block;padding:.25rem .7rem;border-radius:1rem;font-weight:600;margin-bottom:.6rem}
.verdict.ok{background:#dafbe1;color:#116329}.verdict.bad{background:#ffd7d5;color:#a40e26}
.verdict.warn{background:#fff8c5;color:#7d4e00}
.failure{border-left:6px solid #cf222e;background:#fff5f5;padding:.5rem .8rem;margin:.6rem 0}
.infra{border-left:6px solid #8250df;background:#fbf8ff;padding:.5rem .8rem;margin:.6rem 0}
.failure pre,.infra pre{white-space:pre-wrap}
.side{display:grid;grid-template-columns:1fr 1fr;gap:.8rem}.side>div{min-width:0}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:26rem;font-size:12px;margin:.2rem 0}
.tree .hit{background:#ffd7d5;outline:1px solid #cf222e}
.filters{margin:.4rem 0 .6rem;display:flex;flex-wrap:wrap;gap:.3rem 1rem}.filters label{white-space:nowrap}
.wrap{overflow:auto;max-height:80vh;border:1px solid #d0d7de}
table.matrix{border-collapse:separate;border-spacing:0;font-size:12px}
.matrix th,.matrix td{border-right:1px solid #eaeef2;border-bottom:1px solid #eaeef2;padding:.2rem .35rem}
.matrix thead th{position:sticky;top:0;background:#f6f8fa;z-index:2}
.matrix th.case{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:500;height:11rem}
.matrix th.area{text-align:left;background:#eef1f4}
.matrix td.entry{position:sticky;left:0;background:#fff;z-index:1;min-width:16rem;max-width:16rem}
.matrix td.note{min-width:17rem;max-width:17rem;color:#424a53}
.clamp{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.matrix tr.group td{background:#eef1f4;font-weight:600;position:sticky;left:0}
.matrix td.hit{background:#fff8c5;text-align:center}.matrix td.hit.fail{background:#ffd7d5}
.matrix td.out{background:#ffd7d5}
.matrix td.hit.before{background:#ddf4ff}.matrix td.hit.after{background:#ffebe9}
.hidden{display:none}
.small{color:#57606a;font-size:12px}
"""

# Filters (areas and observation kinds), applied from the checkboxes or from the URL hash
# (`#area=chat,errors&kind=stream`), so a headless browser can load a filtered page. The probe
# marks the page ready and each visible row, so a DOM dump proves what a reader sees.
SCRIPT = """
function applyFilters(){
 const on=n=>[...document.querySelectorAll('input[data-filter="'+n+'"]')].filter(i=>i.checked).map(i=>i.value);
 const areas=new Set(on('area')),kinds=new Set(on('kind'));
 for(const c of document.querySelectorAll('[data-col]')){
  const show=areas.has(c.dataset.area)&&kinds.has(c.dataset.kind);c.classList.toggle('hidden',!show)}
 for(const r of document.querySelectorAll('tr[data-entry]')){
  const any=[...r.querySelectorAll('td.hit')].some(td=>!td.classList.contains('hidden'));
  r.classList.toggle('hidden',!any);r.dataset.visible=any?'1':'0'}
}
function fromHash(){
 const h=new URLSearchParams(location.hash.slice(1));
 for(const n of ['area','kind']){if(!h.has(n))continue;const want=new Set(h.get(n).split(','));
  for(const i of document.querySelectorAll('input[data-filter="'+n+'"]'))i.checked=want.has(i.value)}
}
window.addEventListener('load',()=>{fromHash();applyFilters();
 for(const i of document.querySelectorAll('input[data-filter]'))i.addEventListener('change',applyFilters);
 for(const pre of document.querySelectorAll('pre.tree')){const h=pre.querySelector('.hit');
  if(h)pre.scrollTop=Math.max(0,h.offsetTop-pre.offsetTop-60)}
 document.body.setAttribute('data-load-ms',String(Math.round(performance.now())));
 document.body.setAttribute('data-ready','1')});
"""


@dataclass
class Column:
    """A case in the matrix: its key, area and kind of observation."""

    case: str
    area: str
    kind: str


@dataclass
class Row:
    """A ledger entry in the matrix: the cases it hit, and which of them failed anyway."""

    entry: str
    what: str
    impact: str
    workaround: str
    link: str
    group: str
    hits: Mapping[str, Sequence[str]]  # case -> the mismatch paths the entry covered there
    failing: set[str] = field(default_factory=set)
    #: two runs side by side (the gate): case -> "before" | "after" | "both", drawn apart
    marks: Mapping[str, str] = field(default_factory=dict)


def facts(items: Iterable[tuple[str, str]]) -> str:
    return '<div class="facts">' + "".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in items) + "</div>"


def matrix(rows: Sequence[Row], columns: Sequence[Column], groups: Sequence[str]) -> str:
    """Rows grouped (in `groups` order), columns grouped by area; impact and workaround beside each row."""
    areas = list(dict.fromkeys(c.area for c in columns))
    kinds = sorted({c.kind for c in columns})
    checks = "".join(
        f"<b>{label}:</b>"
        + "".join(
            f'<label><input type="checkbox" data-filter="{name}" value="{esc(v)}" checked> {esc(v)}</label>'
            for v in values
        )
        for name, label, values in (("area", "area", areas), ("kind", "observation", kinds))
    )
    ordered = [c for area in areas for c in columns if c.area == area]
    head_areas = "".join(f'<th class="area" colspan="{sum(c.area == a for c in ordered)}">{esc(a)}</th>' for a in areas)
    attrs = [f'data-col data-area="{esc(c.area)}" data-kind="{esc(c.kind)}"' for c in ordered]
    head_cases = "".join(
        f'<th class="case" {a} title="{esc(c.case)}">{esc(c.case.split("/", 1)[-1])}</th>'
        for c, a in zip(ordered, attrs, strict=True)
    )
    body = []
    for group in groups:
        members = [r for r in rows if r.group == group]
        if not members:
            continue
        body.append(f'<tr class="group"><td colspan="3">{esc(group)}</td><td colspan="{len(ordered)}"></td></tr>')
        for r in members:
            cells = []
            for c, a in zip(ordered, attrs, strict=True):
                if c.case in r.hits:
                    mark = r.marks.get(c.case, "")
                    cls = "hit fail" if c.case in r.failing else f"hit {mark}".strip()
                    title = esc(f"{c.case}: " + ", ".join(r.hits[c.case]) + (f" ({mark})" if mark else ""))
                    glyph = {"before": "&#9675;", "after": "&#9650;"}.get(mark, "&#9679;")
                    cells.append(f'<td class="{cls}" {a} title="{title}">{glyph}</td>')
                else:
                    cells.append(f"<td {a}></td>")
            link = f' <a href="{esc(r.link)}">link</a>' if r.link else ""
            body.append(
                f'<tr data-entry="{esc(r.entry)}"><td class="entry" title="{esc(r.what)}"><b>{esc(r.entry)}</b>{link}'
                f'<div class="small clamp">{esc(r.what)}</div></td>'
                f'<td class="note" title="{esc(r.impact)}"><div class="clamp">{esc(r.impact)}</div></td>'
                f'<td class="note" title="{esc(r.workaround)}"><div class="clamp">{esc(r.workaround or "-")}</div></td>'
                + "".join(cells)
                + "</tr>"
            )
    return (
        f'<div class="filters">{checks}</div><div class="wrap"><table class="matrix"><thead>'
        f'<tr><th rowspan="2">divergence</th><th rowspan="2">impact on the application</th>'
        f'<th rowspan="2">workaround</th>{head_areas}</tr><tr>{head_cases}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _render_tree(value: Any, path: str, hits: set[str], indent: int) -> str:
    pad = " " * indent
    mark = path in hits
    if isinstance(value, Mapping):
        if not value:
            out = "{}"
        else:
            inner = ",\n".join(
                f"{pad} {esc(json.dumps(k))}: {_render_tree(v, f'{path}.{k}' if path else str(k), hits, indent + 1)}"
                for k, v in value.items()
            )
            out = "{\n" + inner + "\n" + pad + "}"
    elif isinstance(value, list):
        if not value:
            out = "[]"
        else:
            inner = ",\n".join(
                f"{pad} {_render_tree(v, f'{path}[{i}]', hits, indent + 1)}" for i, v in enumerate(value)
            )
            out = "[\n" + inner + "\n" + pad + "]"
    else:
        out = esc(json.dumps(value, ensure_ascii=False))
    return f'<span class="hit">{out}</span>' if mark else out


_NAMED_STEP = re.compile(r"\[[^\]\d][^\]]*\]$")


def side_by_side(left: Any, right: Any, paths: set[str], labels: tuple[str, str] = ("direct", "litellm")) -> str:
    """Two observations, each as JSON, with the values at `paths` highlighted on both sides. A path
    naming a stream step (`grammar[prompt_filter]`) highlights the whole grammar."""
    paths = paths | {_NAMED_STEP.sub("", p) for p in paths}
    cols = "".join(
        f'<div><h3>{esc(label)}</h3><pre class="tree">{_render_tree(tree, "", paths, 0)}</pre></div>'
        for label, tree in zip(labels, (left, right), strict=True)
    )
    return f'<div class="side">{cols}</div>'


def page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{esc(title)}</title>"
        f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body><h1>{esc(title)}</h1>{body}</body></html>"
    )
