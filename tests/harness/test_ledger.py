"""The divergence ledger: validation messages, matching, scope, and stale detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.contract.compare import Level, Mismatch
from harness.contract.ledger import LedgerError
from harness.contract.ledger_file import load_ledger
from harness.contract.results import RunResults

ENTRY = """
  - id: model-alias
    what: model is the alias
    paths: ["body.model", "chunk_values.*.model[*]"]
    kinds: [value]
    cases: ["chat/*"]
    litellm: ">=1.81.7"
    reason: the proxy rewrites it
    impact: logs see the alias
    link: https://example.invalid/1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "divergences.yaml"
    path.write_text(text)
    return path


def test_the_shipped_ledger_is_valid():
    ledger = load_ledger(Path(__file__).resolve().parents[1] / "contract" / "divergences.yaml")
    assert ledger.entries and all(e.reason and e.link and e.impact for e in ledger.entries)


def test_matching_by_path_kind_case_and_version(tmp_path: Path):
    ledger = load_ledger(write(tmp_path, "divergences:" + ENTRY))
    model = Mismatch("body.model", "value", "gpt-4o", "alias", Level.EXACT)
    chunk = Mismatch("chunk_values.content.model[0]", "value", "gpt-4o", "alias", Level.EXACT)
    other = Mismatch("body.usage.total_tokens", "value", 1, 2, Level.EXACT)
    missing = Mismatch("body.model", "missing", "gpt-4o", None, Level.EXACT)
    unledgered, covered = ledger.split([model, chunk, other, missing], "chat/basic", "response", "1.108.7")
    assert unledgered == [other, missing]
    assert covered == {"model-alias": [model, chunk]}
    assert ledger.split([model], "errors/x", "response", "1.108.7")[0] == [model]  # case out of scope
    assert ledger.split([model], "chat/basic", "response", "1.80.0")[0] == [model]  # version out of range


def test_stale_entry_is_reported_per_case(tmp_path: Path):
    ledger = load_ledger(write(tmp_path, "divergences:" + ENTRY))
    results = RunResults()
    results.add(
        "t::b",
        "chat",
        "litellm",
        "passed",
        {"case": "chat/n", "covered": {"model-alias": ["body.model"]}, "scoped": ["model-alias"]},
    )
    assert results.stale(ledger) == []
    results.add("t::a", "chat", "litellm", "passed", {"case": "chat/basic", "covered": {}, "scoped": ["model-alias"]})
    assert results.stale(ledger) == ["model-alias"]  # a hit elsewhere does not excuse chat/basic
    assert results.stale_cases() == {"model-alias": ["chat/basic"]}
    line = next(x for x in results.summary_lines(ledger) if x.startswith("STALE"))
    assert "STALE ledger entry 'model-alias': in scope but not observed in chat/basic" in line


def test_except_cases_take_a_case_out_of_scope(tmp_path: Path):
    ledger = load_ledger(
        write(
            tmp_path,
            "divergences:" + ENTRY.replace('cases: ["chat/*"]', 'cases: ["chat/*"]\n    except_cases: ["chat/x"]'),
        )
    )
    assert ledger.scoped_ids("chat/basic", "response", "1.108.7") == ["model-alias"]
    assert ledger.scoped_ids("chat/x", "response", "1.108.7") == []


def test_an_entry_out_of_scope_is_not_stale(tmp_path: Path):
    ledger = load_ledger(write(tmp_path, "divergences:" + ENTRY))
    results = RunResults()
    results.add("t::a", "errors", "litellm", "passed", {"case": "errors/x", "covered": {}, "scoped": []})
    assert results.stale(ledger) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("divergences: [\n", "not valid YAML at line"),
        ("entries: []\n", "expected a mapping with 'divergences' (a list)"),
        ("divergences:" + ENTRY.replace("    reason: the proxy rewrites it\n", ""), "'reason' is required"),
        (
            "divergences:" + ENTRY.replace("    impact: logs see the alias\n", "    impact: logs\n    colour: red\n"),
            "unknown key 'colour'",
        ),
        ("divergences:" + ENTRY.replace('">=1.81.7"', '"newest"'), "is not a version range"),
        ("divergences:" + ENTRY.replace("kinds: [value]", "kinds: [different]"), "'kinds' must be among"),
        ("divergences:" + ENTRY + ENTRY, "duplicate id 'model-alias'"),
    ],
)
def test_broken_ledgers_name_file_entry_and_fix(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_ledger_file(tmp_path: Path):
    with pytest.raises(LedgerError, match="cannot read the divergence ledger"):
        load_ledger(tmp_path / "nope.yaml")


PINNED = """
  - id: code-is-status
    what: error.code is the status
    paths: ["error.code"]
    kinds: [value, type]
    litellm: ">=1.0"
    reason: the proxy's envelope
    impact: branching on code
    link: https://example.invalid/2
    pin:
      "error.code": {pattern: "^[0-9]{3}$"}
  - id: cooled
    what: the router answers
    paths: ["calls[1].*"]
    observations: [sequence]
    litellm: ">=1.0"
    reason: cooldown
    impact: 429s
    link: https://example.invalid/3
    pin:
      "calls[*].status": {values: [429]}
"""


def test_a_pin_catches_a_value_change_inside_a_covered_path(tmp_path: Path):
    ledger = load_ledger(write(tmp_path, "divergences:" + PINNED))
    ok = Mismatch("error.code", "value", "DeploymentNotFound", "404", Level.EXACT)
    changed = Mismatch("error.code", "value", "DeploymentNotFound", "NotFound", Level.EXACT)
    unledgered, covered = ledger.split([ok, changed], "errors/x", "error", "1.108.7")
    assert covered == {"code-is-status": [ok]}
    assert [m.path for m in unledgered] == ["error.code"]
    assert "ledger entry 'code-is-status' covers this path, but the value is pinned by the ledger to match" in (
        unledgered[0].describe()
    )
    # in a sequence, the pin applies to the call's own path too
    cooled = Mismatch("calls[1].status", "value", 401, 429, Level.EXACT)
    other = Mismatch("calls[1].status", "value", 401, 503, Level.EXACT)
    unledgered, covered = ledger.split([cooled, other], "cooldown/x", "sequence", "1.108.7", calls=["error"] * 3)
    assert covered == {"cooled": [cooled]} and unledgered[0].litellm == 503


def test_a_malformed_pin_is_one_line_naming_the_entry(tmp_path: Path):
    bad = PINNED.replace('{pattern: "^[0-9]{3}$"}', '{pattern: "(["}')
    with pytest.raises(LedgerError, match=r"divergences\[0\]: pin 'error.code': pattern '\(\[' is not a regular"):
        load_ledger(write(tmp_path, "divergences:" + bad))


SHADOWED = """
  - id: type-rewritten
    what: error.type is the proxy's
    paths: ["error.type"]
    kinds: [type]
    observations: [error]
    litellm: ">=1.0"
    reason: its exception class
    impact: e.type
    link: https://example.invalid/4
  - id: team-sequence
    what: the team's config keeps every call's 401
    paths: ["calls[*].error.type"]
    kinds: [type]
    observations: [sequence]
    litellm: ">=1.0"
    reason: allowed_fails
    impact: the real cause
    link: https://example.invalid/5
"""


def test_an_entry_another_entry_claims_first_still_occurred(tmp_path: Path):
    """A team's `calls[*]` entry claims the first call's rewritten type before the shipped entry about an
    error's own type: the shipped one is not stale, its divergence occurred (found bootstrapping a real
    config with `allowed_fails`: the next plain run called it stale)."""
    ledger = load_ledger(write(tmp_path, "divergences:" + SHADOWED))
    first = Mismatch("calls[0].error.type", "type", None, "authentication_error", Level.EXACT)
    _, covered = ledger.split([first], "cooldown/x", "sequence", "1.108.7", calls=["error"] * 3)
    assert covered == {"team-sequence": [first]}
    assert ledger.occurring([first], "cooldown/x", "sequence", "1.108.7", calls=["error"] * 3) == [
        "team-sequence",
        "type-rewritten",
    ]
    assert ledger.occurring([first], "cooldown/x", "sequence", "1.108.7", calls=[]) == ["team-sequence"]
