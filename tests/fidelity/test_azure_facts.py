"""Hold the emulator to the fidelity corpus: one test per fact in `azure_facts.yaml`, over raw HTTP.

The emulator is only worth comparing LiteLLM against if it answers like Azure; these facts come from
recorded Azure traffic, not from the emulator's own idea of Azure. A fact the emulator does not meet
yet says so (`emulator_differs`) and runs as a strict xfail, so it cannot be fixed silently or break
silently. The corpus itself is tested too: every fact must cite recordings that say where they come
from, and a malformed file fails with one line naming the fact and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.emulator import RunningEmulator

from . import checks
from .facts import FACTS_FILE, Corpus, Fact, FactsError, load

MIN_RECORDINGS = 25


def _load() -> tuple[Corpus | None, str | None]:
    try:
        return load(), None
    except FactsError as exc:
        return None, str(exc)


CORPUS, LOAD_ERROR = _load()
FACTS = list(CORPUS.facts) if CORPUS else []


def _param(fact: Fact) -> object:
    marks = []
    if fact.emulator_differs:
        marks.append(pytest.mark.xfail(reason=f"emulator differs: {fact.emulator_differs}", strict=True))
    return pytest.param(fact, id=fact.id, marks=marks)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One keep-alive client for the module: the facts make ~150 loopback requests."""
    with httpx.Client(timeout=10) as client:
        yield client


def test_the_facts_file_is_well_formed() -> None:
    if LOAD_ERROR:
        pytest.fail(LOAD_ERROR, pytrace=False)


@pytest.mark.parametrize("fact", [_param(f) for f in FACTS])
def test_emulator_meets_fact(fact: Fact, azure_emulator: RunningEmulator, http: httpx.Client) -> None:
    assert CORPUS is not None
    template = CORPUS.requests[fact.request]
    observed = checks.perform(http, azure_emulator.url, azure_emulator.api_key, CORPUS, template)
    failures = []
    for index, assertion in enumerate(fact.assertions):
        try:
            checks.check(assertion, observed, template.deployment)
        except AssertionError as exc:
            event = f" (event {assertion.event})" if assertion.event else ""
            failures.append(f"{fact.id}: assert[{index}]{event}: {exc}")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


def test_every_fact_cites_recordings_that_say_where_they_come_from() -> None:
    if CORPUS is None:
        pytest.skip("the facts file does not load (test_the_facts_file_is_well_formed says why)")
    for key, recording in CORPUS.recordings.items():
        located = (recording.path and recording.commit) or recording.url
        assert recording.repo and located and recording.api_version and recording.recorded, key
    cited = {source for fact in CORPUS.facts for source in fact.sources}
    assert cited <= set(CORPUS.recordings)
    unused = sorted(set(CORPUS.recordings) - cited)
    assert not unused, f"recordings no fact cites: {unused}"
    recorded = {key for key in cited if CORPUS.recordings[key].commit}
    assert len(recorded) >= MIN_RECORDINGS, f"only {len(recorded)} recordings (with a commit) are cited"


def test_every_kind_of_answer_is_covered() -> None:
    """The issue's list: chat, stream, each error status, embeddings, Responses, v1."""
    if CORPUS is None:
        pytest.skip("the facts file does not load (test_the_facts_file_is_well_formed says why)")
    kinds = {fact.kind for fact in CORPUS.facts}
    for needed in ("chat", "chat-stream", "embeddings", "responses", "responses-stream", "v1-chat"):
        assert needed in kinds, needed
    statuses = {CORPUS.requests[f.request].status for f in CORPUS.facts}
    assert {400, 401, 404, 429} <= statuses


BROKEN = {
    "an unknown request": (
        "request: chat\n",
        "request: no-such-request\n",
        "fact 'chat.headers.always': field 'request'",
    ),
    "a source nobody recorded": (
        "sources: [R1, R9, R12",
        "sources: [R99, R9, R12",
        "field 'sources': no recording 'R99'",
    ),
    "a misspelt assertion": ("- header_present:", "- header_presnet:", "fact 'chat.headers.always': field 'assert[0]'"),
    "a bad regex": (
        "'^[0-9a-f]{8}-",
        "'^[0-9a-f{8}-",
        "fact 'chat.headers.apim-request-id': field 'assert[0].header_matches'",
    ),
    "varies without a pick": ("    emulator_picks: present (2024 on)\n", "", "field 'emulator_picks'"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_malformed_file_names_the_fact_and_field(case: str, tmp_path: Path) -> None:
    if CORPUS is None:
        pytest.skip("the facts file does not load (test_the_facts_file_is_well_formed says why)")
    old, new, expected = BROKEN[case]
    text = FACTS_FILE.read_text(encoding="utf-8")
    assert old in text, f"the fixture text {old!r} is gone from the facts file"
    broken = tmp_path / FACTS_FILE.name
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(FactsError) as caught:
        load(broken)
    message = str(caught.value)
    assert expected in message and "\n" not in message, message
