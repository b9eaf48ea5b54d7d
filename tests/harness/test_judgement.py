"""A comparison's verdict is data (`harness.contract.judgement`): judged again against another ledger it
says what that ledger would have made of it, without running anything (the bootstrap of a new ledger,
another version's ranges)."""

from __future__ import annotations

from pathlib import Path

from harness.contract.compare import Level, diff
from harness.contract.judgement import judge, mismatch_of, record_of, rejudge
from harness.contract.ledger import Ledger
from harness.contract.ledger_file import load_ledger

LEDGER = """divergences:
  - id: model-alias
    what: the model is the alias
    paths: [body.model]
    litellm: ">=1.0"
    reason: r
    impact: i
    link: l
  - id: usage-pinned
    what: usage grows
    paths: [body.usage.total_tokens]
    kinds: [value]
    litellm: ">=1.0"
    pin: {"body.usage.total_tokens": {values: [7]}}
    reason: r
    impact: i
    link: l
"""

DIRECT = {"kind": "response", "status": 200, "body": {"model": "gpt-4o", "usage": {"total_tokens": 5}, "x": None}}
LITELLM = {"kind": "response", "status": 200, "body": {"model": "alias", "usage": {"total_tokens": 9}, "y": 1}}


def _result(ledger: Ledger) -> dict:
    mismatches = diff(DIRECT, LITELLM, Level.EXACT)
    verdict, unledgered = judge(mismatches, ledger, case="chat/basic", observation="response", version="1.108.7",
                                level=Level.EXACT)  # fmt: skip
    assert [m.path for m in unledgered] == [r["path"] for r in verdict["unledgered_detail"]]
    return {"case": "chat/basic", "observation": "response", "level": "exact", **verdict}


def test_a_record_holds_the_mismatch(tmp_path: Path) -> None:
    for m in diff(DIRECT, LITELLM, Level.EXACT):
        assert mismatch_of(record_of(m)) == m  # the absent side included


def test_judged_again_against_the_same_ledger_the_verdict_is_the_same(tmp_path: Path) -> None:
    (tmp_path / "l.yaml").write_text(LEDGER)
    ledger = load_ledger(tmp_path / "l.yaml")
    first = _result(ledger)
    assert first["covered"] == {"model-alias": ["body.model"]}
    # the pin says 7, the proxy said 9: unledgered, naming the entry whose pin broke
    pinned = next(r for r in first["unledgered_detail"] if r["path"] == "body.usage.total_tokens")
    assert pinned["pinned_by"] == "usage-pinned"
    assert rejudge(first, ledger, "1.108.7") == first


def test_judged_against_another_ledger_it_says_what_that_one_makes_of_it(tmp_path: Path) -> None:
    (tmp_path / "l.yaml").write_text(LEDGER)
    ledger = load_ledger(tmp_path / "l.yaml")
    first = _result(ledger)
    empty = rejudge(first, Ledger(path=tmp_path / "none.yaml", entries=()), "1.108.7")
    assert empty["covered"] == {} and empty["scoped"] == []
    assert {r["path"] for r in empty["unledgered_detail"]} == {r["path"] for r in first["mismatches"]}
    assert empty == _result(Ledger(path=tmp_path / "none.yaml", entries=()))
    older = rejudge(first, ledger, "0.9")  # out of every entry's range
    assert older["covered"] == {}


def test_a_broken_pin_is_in_the_records_too(tmp_path: Path) -> None:
    """The records carry what the unledgered list says: a mismatch an entry covers but whose pin it breaks
    names that entry (`pinned_by`), so a comparison judged again keeps it apart from one nothing covers."""
    (tmp_path / "l.yaml").write_text(LEDGER)
    result = _result(load_ledger(tmp_path / "l.yaml"))
    usage = next(r for r in result["mismatches"] if r["path"] == "body.usage.total_tokens")
    assert usage["pinned_by"] == "usage-pinned" and usage["covered_by"] == ""
