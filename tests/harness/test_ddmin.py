"""ddmin over a config's settings (`harness.runner.ddmin`): the cause, found by runs, never guessed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harness.runner.ddmin import ddmin

SETTINGS = [f"router_settings.s{i}" for i in range(12)]


def test_one_setting_is_found_with_few_runs() -> None:
    search = ddmin(SETTINGS, lambda kept: "router_settings.s7" in kept)
    assert search.cause == ["router_settings.s7"] and search.minimal and not search.unexplained
    assert len(search.runs) <= 2 * 4 + 2  # log2(12) rounds of two halves, and the empty set


def test_settings_that_act_together_come_back_as_the_set() -> None:
    """A fallback only answers what the retry policy lets fail: neither alone brings the divergence."""
    pair = {"router_settings.fallbacks", "router_settings.retry_policy"}
    names = [*SETTINGS, *sorted(pair)]
    search = ddmin(names, lambda kept: pair <= kept)
    assert set(search.cause) == pair and search.minimal


def test_a_divergence_with_every_setting_removed_is_said_to_be_litellms_own() -> None:
    search = ddmin(SETTINGS, lambda kept: True)
    assert search.unexplained and search.cause == [] and len(search.runs) == 1


def test_a_budget_stops_the_search_with_what_it_narrowed_to() -> None:
    search = ddmin(SETTINGS, lambda kept: {"router_settings.s3", "router_settings.s9"} <= kept, budget=8)
    assert not search.minimal and len(search.runs) == 8
    assert {"router_settings.s3", "router_settings.s9"} <= set(search.cause) < set(SETTINGS)


@given(st.sets(st.sampled_from(SETTINGS), min_size=1, max_size=3), st.booleans())
def test_the_cause_is_1_minimal_and_runs_are_never_repeated(needed: set[str], any_of: bool) -> None:
    """Whatever the cause (all of some settings, or any one of them), what comes back brings the
    divergence, dropping any one setting of it does not, and no set is run twice."""

    def holds(kept: frozenset[str]) -> bool:
        return bool(needed & kept) if any_of else needed <= kept

    search = ddmin(SETTINGS, holds)
    assert holds(frozenset(search.cause)) and search.minimal
    for setting in search.cause:
        assert not holds(frozenset(search.cause) - {setting})
    kept_sets = [kept for kept, _ in search.runs]
    assert len(kept_sets) == len(set(kept_sets))
