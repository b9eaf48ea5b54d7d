"""Contract: what the application gets when Azure is slow, past each timeout (issue 23).

A team's `timeout`, `stream_timeout` and `request_timeout`, and the retries and fallbacks behind
them, decide what happens when the first token is slow: the direct SDK (600 s by default) waits; the
proxy may retry (Azure is paid again), fall back, answer a timeout error or cut the stream. Each case
puts Azure's slowness just past (or, for the drip, under) the timeout that applies, and both paths
are compared as everywhere, the upstream requests included: their count is what Azure billed.

- **config mode** (`--litellm-config`): the timeouts are the team's, read with LiteLLM's precedence
  (`harness/paths/team_timeouts.py`); the cases' lanes get them scaled by one factor, which the run's
  header reports, and the application's SDK default (600 s) is scaled with them;
- **default mode**: LiteLLM's own default (6000 s) is ten times the SDK's (600 s), so the
  application's timeout always fires first and nothing of the proxy's is ever past; the cases say so
  and skip (a slow first byte past the application's timeout is `errors/slow-upstream-timeout`).
The waits are real: the timeout is the behaviour under test. What the proxy does differently is in
the ledger (the team's own ledger in config mode); docs/timeouts.md writes it up.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect
from harness.paths.team_config import TeamConfig
from harness.paths.team_timeouts import LITELLM_DEFAULT_TIMEOUT_S, SDK_DEFAULT_TIMEOUT_S, Scaling, plan
from harness.plugin.state import item_owner
from harness.replay.recording import CaseRef
from harness.settings import HarnessSettings

from .test_chat import user

#: how far past a timeout a case waits: enough that a loaded machine's jitter cannot hide it
PAST = 1.2
#: a drip's gap against the timeout: well under it
UNDER = 0.3
#: the prompt filter, the role, 3 tokens (`max_tokens: 3`) and the finish chunk: the stall comes before
#: `[DONE]`, once everything the application reads has been sent
STALL_AFTER = 6

CASES = [
    Case("first-byte-past-timeout", Scenario({"messages": user("Think hard.")}), replayable=False),
    Case("stream-first-byte-past-timeout", Scenario({"messages": user("Think hard.")}, stream=True), replayable=False),
    Case(
        "stall-past-timeout",
        Scenario({"messages": user("Stream, then stall."), "max_tokens": 3}, stream=True),
        replayable=False,
        doc="Three tokens and the finish chunk arrive, then Azure stalls before `data: [DONE]`.",
    ),
    Case(
        "drip-under-timeout",
        Scenario({"messages": user("Drip slowly."), "max_tokens": 3}, stream=True),
        replayable=False,
    ),
]


def scaling_of(settings: HarnessSettings) -> Scaling | None:
    """The team's timeouts and their scale, or None in default mode."""
    team = settings.team
    if team is None:
        return None
    scaling = plan(team.raw, team.alias)
    return None if scaling.configured.timeout is None and scaling.configured.stream_timeout is None else scaling


def not_applicable(case: Case, scaling: Scaling) -> str | None:
    """Why the config's timeouts give this case nothing to show, or None: the timeout it waits past must
    end clearly before the application's own (`Scaling.before_the_application`)."""
    stream = case.scenario.stream
    scaled = scaling.scaled.for_streams if stream else scaling.scaled.timeout
    configured = scaling.configured.for_streams if stream else scaling.configured.timeout
    if case.id == "drip-under-timeout" and scaled is not None:
        return None  # a drip under the stream timeout shows whether the proxy cuts it, whatever its length
    if scaling.before_the_application(scaled, PAST):
        return None
    kind = "stream timeout" if stream else "non-stream timeout"
    if configured is None:
        what = f"the config sets no {kind} for this alias, so LiteLLM's {LITELLM_DEFAULT_TIMEOUT_S:g} s applies"
    else:
        what = f"the config's {kind} ({configured:g} s) is not clearly shorter than the application's own"
    return (
        f"{what}: past it the application's own timeout (the SDK's {SDK_DEFAULT_TIMEOUT_S:g} s) ends the call on both "
        "paths alike, so nothing of the proxy's is past; errors/slow-upstream-timeout is a slow first byte past "
        "the application's timeout"
    )


def concrete(case: Case, scaling: Scaling) -> Case:
    """The case with Azure's delay set against the (scaled) timeout that applies to it. Directly, the
    SDK's default 600 s (scaled alike) is far off: the application waits and gets its answer."""
    client = scaling.client_timeout
    plain = scaling.scaled.timeout or client
    stream = scaling.scaled.for_streams or client
    marker = {
        "first-byte-past-timeout": f"[[net:first-byte={PAST * plain:.3f}]]",
        "stream-first-byte-past-timeout": f"[[net:first-byte={PAST * stream:.3f}]]",
        "stall-past-timeout": f"[[net:stall={PAST * stream:.3f}]] [[net:stall-after={STALL_AFTER}]]",
        "drip-under-timeout": f"[[net:drip={UNDER * stream:.3f}]]",
    }[case.id]
    params = dict(case.scenario.params)
    params["messages"] = user(f"{params['messages'][-1]['content']} {marker}")
    scenario = Scenario(params, stream=case.scenario.stream, timeout_s=client)
    # a proxy whose retries outlast the application's timeout goes on asking Azure after the call ended: the
    # case waits until no attempt could still be under way (the next one starts a timeout after the last)
    settle = PAST * (stream if case.scenario.stream else plain)
    return Case(
        case.id, scenario, expect.all_of(expect.succeeds(), expect.has_text()), replayable=False, settle_s=settle
    )


def catalogue_cases(team: TeamConfig) -> list[Case]:
    """The cases as a config-mode run makes them, for tools that run cases outside pytest
    (`harness.runner.catalogue`: `python -m harness explain`); none where the config sets no timeout."""
    scaling = plan(team.raw, team.alias)
    if scaling.configured.timeout is None and scaling.configured.stream_timeout is None:
        return []
    return [concrete(case, scaling) for case in CASES if not_applicable(case, scaling) is None]


@pytest.mark.offline_only("the delays are the emulator's; a real resource is as slow as it is")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_timeouts(case: Case, contract, harness_settings: HarnessSettings) -> None:
    scaling = scaling_of(harness_settings)
    if scaling is None:
        pytest.skip(
            "no timeout configured: LiteLLM's default (6000 s) never fires before the application's own (the "
            "SDK's 600 s), so nothing of the proxy's is past; errors/slow-upstream-timeout is a slow first byte "
            "past the application's timeout. Run with a config that sets timeouts (--litellm-config) for this case."
        )
    reason = not_applicable(case, scaling)
    if reason is not None:
        pytest.skip(reason)
    warm_up(contract, case)
    contract.run(concrete(case, scaling))


def warm_up(contract, case: Case) -> None:
    """One quick call on the item's own lane first, not compared: a proxy's first call of a run
    (imports, clients, a token fetch) can take longer than a scaled timeout, and the case is about
    Azure's slowness, not the proxy's cold start."""
    ref = CaseRef(contract.area, case.id, contract.test_file, lane_owner=item_owner(contract.item) or "")
    quick = Case(case.id, Scenario({"messages": user("Warm up."), "max_tokens": 1}), replayable=False)
    contract.live().observe(quick, ref, contract.path)
