"""`--ledger-update` edits the ledger as a YAML document: any file a team may hand it (new, empty,
comments only, `extends` only, `divergences: []`, hand-edited) comes back as a ledger the next run
loads, with the team's comments and order kept; an interrupted or unreadable write leaves the old file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.contract.ledger_file import is_new_ledger, load_ledger, load_own_ledger
from harness.contract.ledger_update import HEADER, LedgerWriteError, review_entries, updated_ledger
from harness.replay.atomic import write_text_atomic

SHIPPED = """divergences:
  - id: model-is-proxy-alias
    what: the model is the alias
    paths: [body.model]
    litellm: ">=1.0"
    reason: r
    impact: i
    link: l
    cases: ["*"]
  - id: proxy-retries-upstream
    what: retried
    paths: ["upstream_requests[*]"]
    litellm: ">=1.0"
    reason: r
    impact: i
    link: l
"""

SEEN = [
    {
        "case": "chat/basic",
        "observation": "response",
        "unledgered_detail": [
            {"path": "body.choices[0].message.content", "kind": "value", "direct": "a", "litellm": "b"},
            {"path": "body.usage.completion_tokens", "kind": "value", "direct": 3, "litellm": 4},
        ],
    },
    {
        "case": "chat/tools",
        "observation": "response",
        "unledgered_detail": [{"path": "body.choices[1].message.content", "kind": "value", "direct": 1, "litellm": 2}],
    },
]
STALE = {"proxy-retries-upstream": ["errors/rate-limited-429"]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "shipped.yaml").write_text(SHIPPED)
    return tmp_path


def _update(folder: Path, text: str | None) -> tuple[str, Path]:
    path = folder / "team.yaml"
    if text is not None:
        path.write_text(text)
    out, update = updated_ledger(text or "", SEEN, STALE, "1.108.7", base="shipped.yaml")
    write_text_atomic(path, out, verify=load_ledger)
    assert update.added == ["review-body-choices-message-content-value", "review-body-usage-completion-tokens-value"]
    assert update.disabled == {"proxy-retries-upstream": ["errors/rate-limited-429"]}
    return out, path


@pytest.mark.parametrize(
    "text",
    [None, "", "\n\n", "# our ledger\n# reviewed by the platform team\n", "extends: shipped.yaml\n",
     "extends: shipped.yaml\ndivergences: []\n", "extends: shipped.yaml\ndivergences:\n",
     # a team's ledger that only switches off (examples/service-principal): no block sequence to learn the
     # indentation from, which once wrote entries whose keys sat under their dash (not YAML)
     "extends: shipped.yaml\ndisable:\n  model-is-proxy-alias: [chat/other]  # off\ndivergences:\n"],
    ids=["missing", "empty", "blank", "comments-only", "extends-only", "extends-empty-list", "extends-null",
         "disable-only"],
)  # fmt: skip
def test_any_starting_file_becomes_a_ledger_that_loads(folder: Path, text: str | None) -> None:
    out, path = _update(folder, text)
    ledger = load_ledger(path)
    ids = [e.id for e in ledger.entries]
    # inherited from the shipped ledger, proxy-retries-upstream switched off for the case only
    assert ids[:2] == ["model-is-proxy-alias", "proxy-retries-upstream"]
    assert ledger.get("proxy-retries-upstream").except_cases == ("errors/rate-limited-429",)
    assert ids[2:] == ["review-body-choices-message-content-value", "review-body-usage-completion-tokens-value"]
    assert ledger.get("review-body-choices-message-content-value").cases == ("chat/basic", "chat/tools")
    keys = [line.split(":")[0] for line in out.splitlines() if line and line[0].isalpha()]
    assert keys == ["extends", "disable", "divergences"]
    if text and text.startswith("#"):
        assert out.startswith(text)
    if not (text or "").strip():
        assert out.startswith(HEADER)


HAND_WRITTEN = """# Our proxy's ledger. Owner: platform team.
extends: shipped.yaml  # LiteLLM's own

disable:
  model-is-proxy-alias: [chat/streamed]  # we send model through as-is

divergences:
  # the fallback, explained by hand
  - id: fallback-answers
    what: the fallback answers
    paths: [status]
    litellm: ">=1.0"
    reason: fallbacks   # see router_settings
    impact: none
    link: https://docs.litellm.ai/docs/proxy/reliability
  - id: proxy-retries-upstream-own
    what: ours
    paths: [x]
    litellm: ">=1.0"
    reason: r
    impact: i
    link: l
"""


def test_a_hand_written_ledger_keeps_its_comments_order_and_entries(folder: Path) -> None:
    path = folder / "team.yaml"
    path.write_text(HAND_WRITTEN)
    stale = {**STALE, "proxy-retries-upstream-own": ["chat/basic"], "model-is-proxy-alias": ["chat/basic"]}
    out, update = updated_ledger(HAND_WRITTEN, SEEN, stale, "1.108.7", base="ignored.yaml")
    write_text_atomic(path, out, verify=load_ledger)
    assert update.removed == ["proxy-retries-upstream-own"]  # its own stale entry is cut out
    for kept in ("# Our proxy's ledger. Owner: platform team.", "# LiteLLM's own", "# we send model through as-is",
                 "# the fallback, explained by hand", "reason: fallbacks   # see router_settings"):  # fmt: skip
        assert kept in out
    assert "ignored.yaml" not in out  # an existing file keeps what it extends
    assert "model-is-proxy-alias: [chat/basic, chat/streamed]" in out  # merged, sorted
    ledger = load_ledger(path)
    assert [e.id for e in ledger.entries][2:] == [
        "fallback-answers",
        "review-body-choices-message-content-value",
        "review-body-usage-completion-tokens-value",
    ]
    assert out.index("fallback-answers") < out.index("review-body-choices")


def test_a_second_update_with_nothing_new_changes_nothing(folder: Path) -> None:
    out, _ = _update(folder, None)
    again, update = updated_ledger(out, [], {}, "1.108.7", base="shipped.yaml")
    assert again == out and not update.added and not update.removed and not update.disabled


def test_a_file_that_is_no_mapping_is_refused_and_left_alone(folder: Path) -> None:
    with pytest.raises(LedgerWriteError, match="expected a mapping"):
        updated_ledger("- just\n- a list\n", SEEN, {}, "1.108.7")


def test_a_result_that_does_not_load_back_never_replaces_the_file(folder: Path) -> None:
    path = folder / "team.yaml"
    path.write_text(HAND_WRITTEN)
    broken = HAND_WRITTEN.replace("divergences:\n", "divergences: {}\n", 1)
    with pytest.raises(Exception, match="not valid YAML at line 9"):
        write_text_atomic(path, broken, verify=load_ledger)
    assert path.read_text() == HAND_WRITTEN
    assert sorted(p.name for p in folder.iterdir()) == ["shipped.yaml", "team.yaml"]  # no temporary left


def test_a_write_interrupted_half_way_leaves_the_old_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = folder / "team.yaml"
    path.write_text(HAND_WRITTEN)
    out, _ = updated_ledger(HAND_WRITTEN, SEEN, STALE, "1.108.7")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the new text was written, before it was renamed

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, out, verify=load_ledger)
    assert path.read_text() == HAND_WRITTEN
    assert sorted(p.name for p in folder.iterdir()) == ["shipped.yaml", "team.yaml"]


def test_a_new_ledger_is_judged_as_the_shipped_one_until_it_is_written(folder: Path) -> None:
    shipped = folder / "shipped.yaml"
    for text in (None, "", "# only a comment\n"):
        path = folder / "team.yaml"
        path.unlink(missing_ok=True)
        if text is not None:
            path.write_text(text)
        assert is_new_ledger(path)
        ledger = load_own_ledger(path, shipped)
        assert ledger.path == path
        assert [e.id for e in ledger.entries] == ["model-is-proxy-alias", "proxy-retries-upstream"]
    path.write_text("divergences: []\n")  # a ledger of its own, extending nothing
    assert not is_new_ledger(path) and load_own_ledger(path, shipped).entries == ()


def test_a_sequence_call_keeps_its_position_in_the_entry_written() -> None:
    """After a failing first call, the second and third calls' types are the router's state: the entry
    names `calls[1]` and `calls[2]`, never `calls[*]`, which would claim the first call the shipped ledger
    describes (and the next run would call that entry stale). Other indices are any index."""
    seen = [
        {
            "case": "cooldown/wrong-key",
            "observation": "sequence",
            "unledgered_detail": [
                {"path": f"calls[{i}].error.type", "kind": "type", "direct": None, "litellm": "authentication_error"}
                for i in (1, 2)
            ]
            + [{"path": "calls[2].body.choices[0].message.content", "kind": "value", "direct": "a", "litellm": "b"}],
        }
    ]
    entries = {e["id"]: e for e in review_entries(seen, "1.108.7", set())}
    assert entries["review-calls-error-type-type"]["paths"] == ["calls[1].error.type", "calls[2].error.type"]
    assert entries["review-calls-body-choices-message-content-value"]["paths"] == [
        "calls[2].body.choices[*].message.content"
    ]
