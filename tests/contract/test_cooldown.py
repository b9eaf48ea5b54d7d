"""Contract: the same failing call three times in a row, as an application's retry loop makes it.

LiteLLM's router remembers failures. After some of them it puts the model group's deployment into
cooldown and answers the next requests itself, without asking Azure. Direct Azure has no such
state: a wrong key gets the same 401 every time. These cases make the call three times from one
client, within the cooldown window (5 s by default, `router_settings.cooldown_time`), and compare
the paths call by call: the exception and status of each call, its error fields at `exact`, and
how many requests reached Azure in all.

Each case runs in a model group of its own (`harness.paths.lanes`), so what one case leaves behind
reaches no other case; the second and third calls here see only what the first one left.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect

from .test_auth import BAD_TOKEN, INVALID_KEY
from .test_chat import user

COOLDOWN = "No deployments available for selected model, Try again in 5 seconds"


def three(setup: str, text: str) -> Scenario:
    return Scenario({"messages": user(text)}, setup=setup, repeat=3)


def cooled(first: expect.Expectation) -> expect.Expectation:
    """Through the proxy: Azure's answer once, then the router's own 429 (ledger: cooldown-after-401-or-404)."""
    in_cooldown = expect.all_of(expect.failure("RateLimitError", 429), expect.message_contains(COOLDOWN))
    return expect.calls(first, in_cooldown, in_cooldown)


CASES = [
    Case(
        "wrong-key",
        three("wrong-key", "Wrong key, again and again."),
        expect_path={
            # BAD_TOKEN: a team's `api_version: v1` alias, whose SDK sends the key as a bearer (test_auth)
            "direct": expect.calls(*[expect.message_contains(INVALID_KEY, BAD_TOKEN)] * 3),
            "litellm": cooled(expect.message_contains(INVALID_KEY, BAD_TOKEN)),
        },
        doc="A bad api-key: Azure answers 401 every time.",
    ),
    Case(
        "wrong-audience-token",
        three("wrong-audience-token", "Wrong audience, again and again."),
        expect_path={
            "direct": expect.calls(*[expect.message_contains(BAD_TOKEN)] * 3),
            "litellm": cooled(expect.message_contains(BAD_TOKEN)),
        },
        doc="The seed's 401: a bearer token for another audience.",
    ),
    Case(
        "unknown-deployment",
        three("unknown-deployment", "Anyone there, again?"),
        expect_path={
            "direct": expect.calls(*[expect.failure("NotFoundError", 404)] * 3),
            "litellm": cooled(expect.failure("NotFoundError", 404)),
        },
        doc="A deployment name Azure does not know: 404 DeploymentNotFound every time.",
    ),
    Case(
        "rate-limited-429",
        three("fault-429", "Too many requests, again."),
        expect=expect.calls(*[expect.failure("RateLimitError", 429)] * 3),
        doc="Azure rate-limits every call.",
    ),
    Case(
        "server-error-500",
        three("fault-500", "Break, again."),
        expect=expect.calls(*[expect.failure("InternalServerError", 500)] * 3),
        doc="Azure fails every call with a 500.",
    ),
    Case(
        "public-access-disabled-403",
        three("private-resource-public-listener", "Public endpoint, again."),
        expect=expect.calls(*[expect.failure("PermissionDeniedError", 403)] * 3),
        doc="A resource with public network access disabled, called on its public endpoint: 403 every time.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cooldown(case: Case, contract) -> None:
    contract.run(case)
