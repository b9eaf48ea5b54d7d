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


def test_a_divergence_at_both_ends_that_went_away_between_holds_its_entry(tmp_path) -> None:
    """The gate compares the ends only: present at both, a divergence is no change to search. A run the
    bisect made between them that compared the case without it shows it came and went; its entry's
    range must not say "present throughout"."""
    from harness.gate.ledger_ranges import Ends, update_ranges
    from harness.gate.reach import absent_between

    ends = {"good": [["x/a", "body.model", "alias"], ["x/b", "body.x", "other"]],
            "bad": [["x/a", "body.model", "alias"], ["x/b", "body.x", "other"]]}  # fmt: skip

    def made(case: str, covered: dict[str, list[str]]) -> dict[str, Any]:
        found = [{"path": p, "kind": "value", "covered_by": e} for e, ps in covered.items() for p in ps]
        return {"comparisons": [{"case": case, "covered": covered, "unledgered_detail": [], "mismatches": found}]}

    runs = {
        "1.90.0": made("x/a", {}),  # compared x/a, and body.model did not diverge there
        "1.85.0": made("x/b", {"other": ["body.x"]}),  # x/b as at the ends
        "1.86.0": made("x/c", {}),  # did not compare x/a: cannot tell
    }
    assert absent_between(ends, runs) == {"alias": ["1.90.0"]}
    ledger = tmp_path / "divergences.yaml"
    ledger.write_text(
        "divergences:\n"
        '  - id: alias\n    what: x\n    litellm: ">=1.95.0"\n    reason: r\n'
        '  - id: other\n    what: y\n    litellm: ">=1.80.17"\n    reason: r\n'
    )
    both = frozenset({"alias", "other"})
    changes, held = update_ranges(ledger, [], Ends("1.74.0", "1.108.7", both, both, True, absent_between(ends, runs)))
    assert [(c.entry, c.after) for c in changes] == [("other", ">=0")]
    assert held == {"alias": "present at 1.74.0 and 1.108.7, absent in the run of 1.90.0: came and went"}
    assert 'litellm: ">=1.95.0"' in ledger.read_text()
