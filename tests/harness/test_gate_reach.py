"""The gate explains what it cannot judge: an item failing under the baseline only on divergences the
ledger covers from later releases is "not judged", with the command that extends the ledger, never
"fixed". The bisect's ends are read the same way (`at_end`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.gate.compare import compare_runs
from harness.gate.reach import at_end, run_ledger
from harness.gate.report import render_text
from harness.gate.run import set_unjudged

LEDGER = """divergences:
  - id: model-is-proxy-alias
    what: model is the alias
    paths: ["body.model"]
    litellm: ">=1.80.17"
    reason: r
    impact: i
    link: https://example.invalid/1
  - id: code-pinned
    what: error.code is a status
    paths: ["error.code"]
    litellm: ">=1.80.17"
    reason: r
    impact: i
    link: https://example.invalid/2
    pin:
      "error.code": {pattern: "^[0-9]{3}$"}
"""


def detail(path: str, direct: Any, litellm: Any, pinned_by: str = "") -> dict[str, Any]:
    return {"path": path, "kind": "value", "direct": direct, "litellm": litellm, "pinned_by": pinned_by}


def parity(version: str, ledger: Path, cases: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A run of one litellm item per case; a case with unledgered mismatches fails, as the runner makes it."""
    outcomes, comparisons = [], []
    for case, unledgered in cases.items():
        nodeid = f"tests/contract/test_x.py::test_x[{case.split('/')[1]}-litellm]"
        outcomes.append(
            {"nodeid": nodeid, "case": case, "path": "litellm", "outcome": "failed" if unledgered else "passed"}
        )
        covered = {} if unledgered else {"model-is-proxy-alias": ["body.model"]}
        comparisons.append({"case": case, "observation": "response", "covered": covered,
                            "unledgered": [f"{d['path']}: value mismatch at level exact" for d in unledgered],
                            "unledgered_detail": unledgered, "direct": {}, "litellm": {},
                            "mismatches": [{**d, "covered_by": ""} for d in unledgered]
                            + [{"path": "body.model", "kind": "value", "covered_by": e} for e in covered]})  # fmt: skip
    return {"meta": {"litellm_version": version, "ledger": str(ledger)}, "outcomes": outcomes,
            "comparisons": comparisons, "divergences": {}}  # fmt: skip


def test_an_item_failing_only_where_the_ledger_does_not_reach_is_not_judged_and_never_fixed(tmp_path) -> None:
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(LEDGER)
    baseline = parity(
        "1.78.5",
        ledger,
        {
            "chat/basic": [detail("body.model", "gpt-4o-2024-08-06", "basic")],  # the ledger has it, from 1.80.17
            "chat/tools": [detail("body.model", "gpt-4o", "tools"), detail("body.id", "a", "b")],  # body.id: no entry
            "errors/x": [detail("error.code", None, "BadRequest", pinned_by="code-pinned")],  # breaks the pin
        },
    )
    candidate = parity("1.108.7", ledger, {"chat/basic": [], "chat/tools": [], "errors/x": []})
    comparison = compare_runs(baseline, candidate)
    assert len(comparison.fixed) == 3
    set_unjudged(comparison, baseline, tmp_path)
    assert [(r["nodeid"], r["entries"]) for r in comparison.unjudged] == [
        ("tests/contract/test_x.py::test_x[basic-litellm]", ["model-is-proxy-alias"])
    ]
    assert [r["nodeid"] for r in comparison.fixed] == [
        "tests/contract/test_x.py::test_x[tools-litellm]",
        "tests/contract/test_x.py::test_x[x-litellm]",
    ]
    text = render_text(comparison)
    assert "fixed (2): failed under 1.78.5" in text
    assert "not judged under 1.78.5 (1): they fail there only on divergences the ledger covers from later" in text
    assert "test_x[basic-litellm]  [model-is-proxy-alias]" in text
    assert (
        "extend the ledger to 1.78.5: python -m harness gate --bisect --good 1.78.5 --bad 1.108.7 --jobs 2 "
        "--report-dir gate-bisect --update-ledger"
    ) in text
    assert comparison.as_dict()["unjudged"] == comparison.unjudged
    assert comparison.verdict == "pass"  # nothing broke: what it cannot judge is said, not failed


def test_an_unreadable_ledger_judges_nothing_away(tmp_path) -> None:
    baseline = parity("1.78.5", tmp_path / "missing.yaml", {"chat/basic": [detail("body.model", "a", "b")]})
    comparison = compare_runs(baseline, parity("1.108.7", tmp_path / "missing.yaml", {"chat/basic": []}))
    set_unjudged(comparison, baseline, tmp_path)
    assert comparison.unjudged == [] and len(comparison.fixed) == 1
    assert run_ledger(baseline, tmp_path) is None


def test_a_bisects_end_names_the_entry_of_every_divergence_in_or_out_of_range(tmp_path) -> None:
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(LEDGER)
    run = parity("1.78.5", ledger, {"chat/basic": [detail("body.model", "a", "b"), detail("body.choices[0].x", 1, 2)]})
    run["comparisons"].append({"case": "chat/n-2", "observation": "response", "unledgered_detail": [],
                               "covered": {"model-is-proxy-alias": ["body.model"]},
                               "mismatches": [{"path": "body.model", "kind": "value",
                                               "covered_by": "model-is-proxy-alias"}]})  # fmt: skip
    assert at_end(run, run_ledger(run, tmp_path)) == [
        ["chat/basic", "body.choices[*].x", ""],
        ["chat/basic", "body.model", "model-is-proxy-alias"],
        ["chat/n-2", "body.model", "model-is-proxy-alias"],
    ]


def test_an_entry_at_both_ends_that_went_away_between_gets_a_union(tmp_path) -> None:
    """The gate compares the ends only: present at both, a divergence is no change to search. The runs
    the bisect made between them show the entry went and came back; its range says so, as a union, and
    a run where one of its divergences is missing but another still shows is no gap."""
    from harness.contract.ledger_file import load_ledger
    from harness.gate.entry_presence import Seen
    from harness.gate.ledger_ranges import Ends, update_ranges

    def made(version: str, covered: dict[str, list[str]], case: str = "x/a") -> dict[str, Any]:
        return {"meta": {"litellm_version": version}, "comparisons": [{"case": case, "covered": covered}]}

    runs = {
        "1.74.0": made("1.74.0", {"alias": ["body.model"], "other": ["body.x"]}),
        "1.85.0": made("1.85.0", {"alias": ["headers.x"], "other": ["body.x"]}),  # another of its divergences
        "1.90.0": made("1.90.0", {"other": ["body.x"]}),  # compared x/a, and alias showed nowhere
        "1.95.0": made("1.95.0", {"alias": ["body.model"], "other": ["body.x"]}),
        "1.96.0": made("1.96.0", {}, case="x/c"),  # did not compare x/a: cannot tell
        "1.108.7": made("1.108.7", {"alias": ["body.model"], "other": ["body.x"]}),
    }
    presence, cases = Seen(None).presence(runs)
    assert presence["alias"] == {"1.74.0": True, "1.85.0": True, "1.90.0": False, "1.95.0": True, "1.108.7": True}
    assert cases == {"alias": {"x/a"}, "other": {"x/a"}}
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(
        "divergences:\n"
        '  - id: alias\n    what: x\n    paths: [body.model]\n    litellm: ">=1.95.0"\n'
        "    reason: r\n    impact: i\n    link: l\n"
        '  - id: other\n    what: y\n    paths: [body.x]\n    litellm: ">=1.80.17"\n'
        "    reason: r\n    impact: i\n    link: l\n"
    )
    ends = Ends("1.74.0", "1.108.7", presence, list(runs), frozenset(runs), good_is_oldest=True)
    changes, held = update_ranges(ledger, ends)
    assert held == {}
    assert [(c.entry, c.after) for c in changes] == [("alias", "<1.90.0 || >=1.95.0"), ("other", ">=0")]
    assert (
        "# since before 1.74.0, the oldest release that runs; came and went (1.74.0 -> 1.108.7)" in ledger.read_text()
    )
    alias = next(e for e in load_ledger(ledger).entries if e.id == "alias")
    assert [v in alias.litellm for v in ("1.74.0", "1.89.0", "1.90.0", "1.94.9", "1.95.0", "1.110.0")] == [
        True, True, False, False, True, True,
    ]  # fmt: skip
