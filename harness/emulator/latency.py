"""How long a stream takes, as Azure's do: a slow first byte, a drip between events, a stall.

Reasoning models wait long before their first byte and long answers drip for minutes; a proxy's
`timeout` and `stream_timeout` decide what an application gets then (docs/timeouts.md). The
emulator answers at once unless told otherwise: by explicit values (`[[net:first-byte=S]]`,
`[[net:drip=S]]`, `[[net:stall=S]]` after `[[net:stall-after=N]]` events), or by a named profile
of real figures (`[[net:profile=NAME]]`), scaled with `[[net:scale=F]]` so a test waits
seconds, not minutes.

Every profile figure comes from a recording or a simulator's documented default, cited in `source`;
none is made up. A stall has no measured figure, so no profile has one: cases set it relative to
the timeout under test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.emulator.wire import Frame


@dataclass(frozen=True)
class Profile:
    """Measured timings of one model family: seconds to the first byte, seconds per streamed token."""

    name: str
    first_byte: float
    per_token: float
    source: str


#: aoai-api-simulator's documented default for chat completions: 19 ms per completion token (std dev
#: 6), `LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN`.
_SIMULATOR_PER_TOKEN = (
    "microsoft/aoai-api-simulator docs/config.md @ 0489c3e9912432e1b8a434005aabe592157ea894 "
    "(LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: 19 ms per completion token, std dev 6)"
)

PROFILES: dict[str, Profile] = {
    "gpt-4o": Profile(
        "gpt-4o",
        first_byte=0.068,
        per_token=0.019,
        source=(
            "first byte: x-envoy-upstream-service-time 68 ms on a streamed gpt-4o-2024-08-06 answer, "
            "Azure/azure-sdk-assets net/sdk/openai/Azure.AI.OpenAI/tests/SessionRecords/ChatTests/"
            "ChatCompletionStreaming.json @ 08096253cea2ffc1c7943c2b0a6ac75431ed61f9 (2024-12-05, "
            "tests/fidelity R11); per token: " + _SIMULATOR_PER_TOKEN
        ),
    ),
    "o1": Profile(
        "o1",
        first_byte=26.768,
        per_token=0.019,
        source=(
            "first byte: x-envoy-upstream-service-time 26768 ms on a non-streamed o1-2024-12-17 answer "
            "(reasoning_effort low, 2922 completion tokens, 320 of them reasoning), Azure/azure-sdk-assets "
            "go/sdk/ai/azopenai/testdata/recordings/TestClient_GetChatCompletions_ReasoningEffort/"
            "AzureOpenAI.json @ 11f75c5b86f917ce8c67c689103cf8ab06995567 (2025-03-17, tests/fidelity R8): "
            "what a non-streamed call waits for its first byte; per token: " + _SIMULATOR_PER_TOKEN
        ),
    ),
}


def profile_for(model: str) -> Profile | None:
    """The profile of a model name (`azure/o1-2024-12-17`, `gpt-4o-mini`), or None where the project
    has no figure for its family (a guess would be an invented figure)."""
    name = model.rsplit("/", 1)[-1].lower()
    if name == "o1" or name.startswith("o1-"):
        return PROFILES["o1"]
    if name.startswith("gpt-4o"):
        return PROFILES["gpt-4o"]
    return None


@dataclass(frozen=True)
class Latency:
    """Seconds before the first byte, before each later event, and once after `stall_after` events
    (None: half-way through the stream)."""

    first_byte: float = 0.0
    drip: float = 0.0
    stall: float = 0.0
    stall_after: int | None = None

    @property
    def any(self) -> bool:
        return self != Latency()

    def scaled(self, factor: float) -> Latency:
        return replace(self, first_byte=self.first_byte * factor, drip=self.drip * factor, stall=self.stall * factor)

    @classmethod
    def of(cls, profile: Profile) -> Latency:
        return cls(first_byte=profile.first_byte, drip=profile.per_token)


def pace(frames: list[Frame], latency: Latency) -> list[Frame]:
    """The frames with the drip before every event but the first, and the stall before event
    `stall_after` (the first byte's wait is the response's, `EmuResponse.first_byte_delay`)."""
    if not frames or (not latency.drip and not latency.stall):
        return frames
    stall_at = latency.stall_after if latency.stall_after is not None else len(frames) // 2
    paced = []
    for i, frame in enumerate(frames):
        extra = (latency.drip if i else 0.0) + (latency.stall if i == stall_at else 0.0)
        paced.append(Frame(frame.data, frame.delay + extra))
    return paced
