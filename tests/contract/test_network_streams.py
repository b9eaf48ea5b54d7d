"""Contract: streams as the network delivers them (issue 23).

Azure's events reach a reader in whatever pieces TCP, API Management and Front Door produce: several
events in one read, one event across reads, a multi-byte character or a `\\r\\n` torn in two. The
emulator re-cuts its stream with `[[net:...]]` markers (`harness/emulator/network.py`); the bytes stay
the same and the markers never reach the model, so the answer is the unsplit one.

What "the same behaviour" means here:
- **fixed cases**, the splits that break real parsers (inside a multi-byte character, between `\\r`
  and `\\n`, across the `data:` prefix, many events in one write), for chat text, tool-call deltas, a
  Responses event stream and a content-filtered stream: the litellm path equals the direct path as
  in `test_streaming.py`, and each path assembles the exact text or arguments that were sent;
- **the split-point property**: for generated split points, what each path's SDK assembles (content,
  tool-call arguments, usage, finish reasons, the stream's grammar and keys) equals the unsplit run
  of the same path.
A cassette holds a body, not its write boundaries, so these cases run against the emulator even
when the suite replays (`replayable=False`), the proxy's traffic passed through as it arrives.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import Case, Scenario, expect
from harness.contract.compare import Level, diff
from harness.contract.observe import Observation
from harness.plugin.state import item_owner
from harness.replay.recording import CaseRef

from .test_chat import user

#: CJK, a 4-byte emoji with a skin-tone modifier and a 3-byte dash: each torn by `split-utf8`
UNICODE = "こんにちは世界 👋🏽 — 日本語"
GREETING_SCHEMA = {
    "type": "object",
    "properties": {"greeting": {"type": "string", "const": UNICODE}},
    "required": ["greeting"],
    "additionalProperties": False,
}
UNICODE_FORMAT = {"type": "json_schema", "json_schema": {"name": "greeting", "strict": True, "schema": GREETING_SCHEMA}}
GREET_TOOL = {
    "type": "function",
    "function": {
        "name": "greet",
        "description": "Greet someone in their language",
        "parameters": GREETING_SCHEMA,
    },
}
#: a reader's socket reads see the pieces apart when the writer pauses between them
APART = "[[net:gap=0.002]]"


def chat(prompt: str, **params: Any) -> Scenario:
    return Scenario({"messages": user(prompt), **params}, stream=True)


def respond(prompt: str, **params: Any) -> Scenario:
    return Scenario({"input": prompt, **params}, stream=True, setup="responses", api="responses")


def assembles_text(fragment: str) -> expect.Expectation:
    """The stream assembles to text that holds `fragment`, every character whole."""

    def check(obs: Observation) -> None:
        tree = obs.tree()
        if tree["kind"] == "events":
            text = tree["text"]
        else:
            text = "".join(c["content"] or "" for c in tree["assembled"]["choices"])
            text += "".join(t["arguments"] for c in tree["assembled"]["choices"] for t in c["tool_calls"])
        assert fragment in text, f"the stream assembled {text!r}, without {fragment!r}"
        assert "\ufffd" not in text, f"a torn character was replaced: {text!r}"

    return check


#: the splits that break real parsers: (the unsplit call, where its writes end, what each path assembles)
FIXED: list[tuple[Case, str]] = [
    (
        Case(
            "chat-utf8-split",
            chat("Greet the world.", response_format=UNICODE_FORMAT),
            expect.all_of(expect.finish_reason("stop"), assembles_text(UNICODE)),
            doc="Every multi-byte character (CJK, an emoji with its modifier, a dash) arrives in pieces.",
        ),
        f"[[net:split-utf8]] {APART}",
    ),
    (
        Case(
            "chat-crlf-split",
            chat("Greet the world.", response_format=UNICODE_FORMAT),
            expect.all_of(expect.finish_reason("stop"), assembles_text(UNICODE)),
            doc="Lines end with \\r\\n, which the SSE format allows, and every \\r arrives apart from its \\n.",
        ),
        f"[[net:crlf]] [[net:split-crlf]] {APART}",
    ),
    (
        Case(
            "chat-one-write",
            chat("Stream a short answer.", stream_options={"include_usage": True}),
            expect.all_of(expect.finish_reason("stop"), expect.stream_usage()),
            doc="The whole stream, usage chunk and [DONE] included, arrives in one write.",
        ),
        "[[net:coalesce=0]]",
    ),
    (
        Case(
            "tool-deltas-split",
            chat("Greet the world with the greet tool.", tools=[GREET_TOOL], tool_choice="required"),
            expect.all_of(expect.finish_reason("tool_calls"), expect.tool_calls("greet"), assembles_text(UNICODE)),
            doc="Tool-call argument deltas whose characters are torn across reads.",
        ),
        f"[[net:split-utf8]] [[net:split-prefix]] {APART}",
    ),
    (
        Case(
            "responses-split",
            respond("Greet the world.", text={"format": {"type": "json_schema", **UNICODE_FORMAT["json_schema"]}}),
            expect.all_of(expect.event_stream(), assembles_text(UNICODE)),
            doc="A Responses event stream, its `event:` and `data:` lines cut inside their names.",
        ),
        f"[[net:split-prefix]] [[net:split-utf8]] {APART}",
    ),
    (
        Case(
            "filtered-split",
            chat("A violent story [[fault:filter-output=violence]]"),
            expect.finish_reason("content_filter"),
            doc="A stream the content filter cuts, in writes of three events each cut in the middle.",
        ),
        f"[[net:split-middle]] [[net:coalesce=3]] {APART}",
    ),
]
MARKERS = {case.id: markers for case, markers in FIXED}


@pytest.mark.offline_only("the split points are the emulator's; a real resource writes as it writes")
@pytest.mark.parametrize("case", [case for case, _ in FIXED], ids=str)
def test_network_streams(case: Case, contract) -> None:
    """On each path on its own: split where parsers break, the stream assembles the unsplit answer,
    and that answer is what the case is about (a torn character comes out whole)."""
    split = Splits(contract, case).check(MARKERS[case.id])
    assert case.expect is not None
    case.expect(split)


# ----------------------------------------------------------------------------- the property

#: per stream kind and path: few examples, each a real call through the path (the budget of issue 23)
PROPERTY_EXAMPLES = 2

KINDS = [
    Case(
        "property-chat",
        chat("Greet the world.", response_format=UNICODE_FORMAT, stream_options={"include_usage": True}),
        replayable=False,
    ),
    Case("property-tools", chat("Greet with the tool.", tools=[GREET_TOOL], tool_choice="required"), replayable=False),
    Case(
        "property-responses",
        respond("Greet the world.", text={"format": {"type": "json_schema", **UNICODE_FORMAT["json_schema"]}}),
        replayable=False,
    ),
    Case("property-filtered", chat("A violent story [[fault:filter-output=violence]]"), replayable=False),
]


@st.composite
def split_markers(draw: st.DrawFn) -> str:
    """Where the stream's writes end: byte steps, offsets, seeded points, character and field cuts,
    coalesced events, in any combination."""
    markers: list[str] = []
    if draw(st.booleans()):
        markers.append(f"[[net:split={draw(st.integers(7, 400))}]]")
    if draw(st.booleans()):
        offsets = draw(st.lists(st.integers(1, 6000), min_size=1, max_size=6))
        markers.append(f"[[net:split-at={'.'.join(map(str, offsets))}]]")
    if draw(st.booleans()):
        markers.append(
            f"[[net:split-seed={draw(st.integers(0, 2**31))}]] [[net:split-count={draw(st.integers(1, 12))}]]"
        )
    for flag in ("split-utf8", "split-prefix", "split-middle"):
        if draw(st.booleans()):
            markers.append(f"[[net:{flag}]]")
    if draw(st.booleans()):
        markers.append(f"[[net:coalesce={draw(st.integers(0, 5))}]]")
    return " ".join(markers) or "[[net:coalesce=0]]"


def _with_markers(case: Case, markers: str) -> Case:
    params = dict(case.scenario.params)
    if case.scenario.api == "responses":
        params["input"] = f"{params['input']} {markers}"
    else:
        params["messages"] = user(f"{params['messages'][-1]['content']} {markers}")
    scenario = Scenario(params, stream=True, setup=case.scenario.setup, api=case.scenario.api)
    return Case(case.id, scenario, replayable=False)


def _compared(obs: Observation) -> dict[str, Any]:
    """What the application assembles and how the stream is shaped; the headers are the transport's
    business (the proxy's timings differ call by call)."""
    return {k: v for k, v in obs.tree().items() if k != "headers"}


class Splits:
    """One item's stream, observed unsplit once on the item's path, then split as often as asked.

    Why per path and not direct against litellm: when each path's split stream equals its unsplit
    one, the litellm-against-direct difference of a split stream is that of the unsplit stream, which
    `test_streaming.py` and `test_responses.py` hold to the ledger. A split that changes anything shows
    here, on the path it changes."""

    def __init__(self, contract, case: Case) -> None:
        self.contract, self.case, self.runner = contract, case, contract.live()
        self.ref = CaseRef(contract.area, case.id, contract.test_file, lane_owner=item_owner(contract.item) or "")
        self.runner.before_case()
        self.unsplit, _ = self.runner.observe(Case(case.id, case.scenario, replayable=False), self.ref, contract.path)
        tree = self.unsplit.tree()
        assert tree["error"] is None, f"the unsplit stream failed on {contract.path}: {tree}"

    def check(self, markers: str) -> Observation:
        """The stream split by `markers`; it must assemble as the unsplit one did."""
        self.runner.before_case()
        split, _ = self.runner.observe(_with_markers(self.case, markers), self.ref, self.contract.path)
        mismatches = diff(_compared(self.unsplit), _compared(split), Level.EXACT)
        assert not mismatches, f"{self.contract.path}: split with {markers} the stream assembles otherwise:\n" + (
            "\n".join(m.describe() for m in mismatches[:8])
        )
        return split


@pytest.mark.offline_only("the split points are the emulator's; a real resource writes as it writes")
@pytest.mark.parametrize("case", KINDS, ids=str)
def test_a_split_stream_assembles_as_the_unsplit_one(case: Case, contract) -> None:
    """On each path on its own: however the stream is cut, the SDK assembles the unsplit answer."""

    splits = Splits(contract, case)

    @settings(max_examples=PROPERTY_EXAMPLES)
    @given(markers=split_markers())
    def same_answer(markers: str) -> None:
        splits.check(markers)

    same_answer()
