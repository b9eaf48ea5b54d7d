"""`gate --probe-oldest`: the oldest release the suite runs, found by halving, on synthetic releases;
a band of broken releases does not stop it early, and each release is asked once."""

from __future__ import annotations

import pytest

from harness.gate.bisect import Uninstallable
from harness.gate.probe import ProbeError, probe_releases, render_text, search_oldest

RELEASES = [f"1.{i}.0" for i in range(40)]


class Releases:
    """Which synthetic releases run; the others fail with a line naming them."""

    def __init__(self, broken: set[int]) -> None:
        self.broken = broken
        self.asked: list[str] = []

    def __call__(self, version: str) -> str | None:
        self.asked.append(version)
        i = int(version.split(".")[1])
        return f"ModuleNotFoundError: No module named 'x{i}'" if i in self.broken else None


def test_the_boundary_is_found_by_halving_and_named_with_the_error_below_it() -> None:
    releases = Releases(broken=set(range(17)))
    result = search_oldest(RELEASES, releases, confirm=0)
    assert result.oldest == "1.17.0"
    assert result.below is not None and result.below.version == "1.16.0"
    assert result.below.reason == "ModuleNotFoundError: No module named 'x16'"
    assert len(releases.asked) == len(set(releases.asked)), "a release is asked once"
    assert len(releases.asked) <= 2 + 6, "the ends and ceil(log2 40) halvings, not a scan"
    assert "the release below it, 1.16.0, cannot: ModuleNotFoundError" in render_text(result)


def test_a_band_of_broken_releases_above_the_boundary_is_seen_through() -> None:
    """1.95.0 to 1.97.0 do not start while older releases do: halving alone would stop at the band."""
    releases = Releases(broken=set(range(8)) | {18, 19, 20})
    result = search_oldest(RELEASES, releases, confirm=3)
    assert result.oldest == "1.8.0" and result.below is not None and result.below.version == "1.7.0"
    without = search_oldest(RELEASES, Releases(broken=set(range(8)) | {18, 19, 20}), confirm=0)
    assert without.oldest == "1.21.0"  # what halving alone would have said


def test_a_floor_that_runs_is_the_answer_and_says_older_were_not_asked() -> None:
    result = search_oldest(RELEASES, Releases(broken=set()), confirm=3)
    assert result.oldest == "1.0.0" and result.below is None
    assert "older releases were not probed" in render_text(result)


def test_a_top_that_does_not_run_is_one_line() -> None:
    with pytest.raises(ProbeError, match=r"--top 1\.39\.0 does not run either: ModuleNotFoundError"):
        search_oldest(RELEASES, Releases(broken={39}))


def test_a_release_runner_skip_is_its_reason() -> None:
    def runner(version: str) -> dict:
        if version == "1.1.0":
            raise Uninstallable("its suite could not run: NoSuchOption: --port\nmore")
        return {}

    why_not = probe_releases(runner)
    assert why_not("1.1.0") == "its suite could not run: NoSuchOption: --port" and why_not("1.2.0") is None


def test_each_halving_names_the_two_releases_the_next_one_may_ask_for() -> None:
    releases = Releases(broken=set(range(17)))
    told: list[list[str]] = []
    search_oldest(RELEASES, releases, confirm=0, prepare=lambda versions: told.append(list(versions)))
    assert told[0] == ["1.9.0", "1.29.0"]  # the first halving asks 1.19.0; next, 1.9.0 or 1.29.0
    asked_later = set(releases.asked[3:])
    assert all(asked_later & set(t) for t in told[:-1]), "every next release asked was named before"
