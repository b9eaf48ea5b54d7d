"""Contract: authentication, to Azure and to the proxy.

What "the same behaviour" means here:
- a setup that authenticates directly authenticates through the proxy, and one that fails fails
  with the same SDK exception class and status (`AuthenticationError` 401, `PermissionDeniedError`
  403); at `exact` the same error code and message;
- Azure's two 401s stay distinguishable through the proxy: "invalid subscription key" (a bad
  `api-key`) versus "Access token is missing, invalid, audience is incorrect" (a bad bearer token);
- what each path sent Azure, including the auth *scheme* (`api-key` or bearer; never the value).
The proxy's own key has no direct twin: those cases assert that the direct call works and what the
proxy answers. The seed's `${AZURE_OPENAI_API_KEY}` config only breaks the proxy, so it too is
asserted per path. Known, accepted differences are in `divergences.yaml`.
"""

from __future__ import annotations

import time

import httpx
import pytest

from harness import Case, Scenario, expect
from harness.replay.recording import CaseRef

from .test_chat import user

INVALID_KEY = "Access denied due to invalid subscription key or wrong API endpoint"
BAD_TOKEN = "Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com)"

CASES = [
    Case("valid-key", Scenario({"messages": user("Authenticated hello.")}, setup="good-key"), expect.succeeds()),
    Case(
        "wrong-key",
        Scenario({"messages": user("Wrong key hello.")}, setup="wrong-key"),
        # On Azure's v1 surface (a team's `api_version: v1` alias in config mode) the SDK sends the key as
        # a bearer, and Azure answers a wrong one with its token text.
        expect.all_of(expect.failure("AuthenticationError", 401), expect.message_contains(INVALID_KEY, BAD_TOKEN)),
    ),
    Case(
        "no-key",
        Scenario({"messages": user("No key hello.")}, setup="no-key"),
        compare=False,
        expect_path={
            "direct": expect.failure("OpenAIError", None),
            "litellm": expect.failure("InternalServerError", 500),
        },
        doc="Directly, the SDK refuses to build a client without a key ('Missing credentials'); the request is "
        "never sent. Through the proxy, LiteLLM fails the same way inside, and the application sees a 500.",
    ),
    Case("entra-token", Scenario({"messages": user("Token hello.")}, setup="entra-token"), expect.succeeds()),
    Case(
        "wrong-audience-token",
        Scenario({"messages": user("Wrong audience.")}, setup="wrong-audience-token"),
        expect.all_of(expect.failure("AuthenticationError", 401), expect.message_contains(BAD_TOKEN)),
    ),
    Case(
        "expired-token",
        Scenario({"messages": user("Expired token.")}, setup="expired-token"),
        expect.all_of(expect.failure("AuthenticationError", 401), expect.message_contains(BAD_TOKEN)),
    ),
    Case(
        "seed-literal-var",
        Scenario({"messages": user("The seed config.")}, setup="seed-literal-var"),
        compare=False,
        expect_path={
            "direct": expect.succeeds(),
            "litellm": expect.all_of(expect.failure("AuthenticationError", 401), expect.message_contains(INVALID_KEY)),
        },
        doc="The seed: `api_key: ${AZURE_OPENAI_API_KEY}` in the proxy config is sent literally, so Azure "
        "answers 401 'invalid subscription key' through the proxy while the application's direct call "
        "(which reads the variable itself) works. Fix: `api_key: os.environ/AZURE_OPENAI_API_KEY`.",
    ),
    Case(
        "key-as-bearer",
        Scenario({"messages": user("Key as bearer.")}, setup="key-as-bearer"),
        expect.all_of(expect.failure("AuthenticationError", 401), expect.message_contains(BAD_TOKEN)),
        doc="A key handed over as a bearer token (`azure_ad_token`) gets the 'audience is incorrect' 401.",
    ),
    Case(
        "private-endpoint",
        Scenario({"messages": user("Through the private endpoint.")}, setup="private-endpoint"),
        expect.succeeds(),
    ),
    Case(
        "private-resource-public-listener",
        Scenario({"messages": user("Through the public endpoint.")}, setup="private-resource-public-listener"),
        expect.failure("PermissionDeniedError", 403),
    ),
    Case(
        "proxy-key-wrong",
        Scenario({"messages": user("Wrong proxy key.")}, extra={"proxy_key": "sk-not-the-key"}),
        compare=False,
        expect_path={
            "direct": expect.succeeds(),
            "litellm": expect.all_of(
                expect.failure("BadRequestError", 400), expect.message_contains("No connected db")
            ),
        },
        doc="A wrong proxy key, with a master key and no database, is a 400 'No connected db.' in 1.108.7, "
        "not a 401 (ledger: proxy-wrong-key-400).",
        offline_only="pins the local proxy's answer without a database (400 'No connected db.'); a staging "
        "proxy with a database answers 401",
    ),
    Case(
        "proxy-key-missing",
        Scenario({"messages": user("No proxy key.")}, extra={"proxy_key": ""}),
        compare=False,
        expect_path={
            "direct": expect.succeeds(),
            "litellm": expect.all_of(
                expect.failure("OpenAIError", None), expect.message_contains("Missing credentials")
            ),
        },
        doc="Without a proxy key the SDK refuses to build the client: the proxy is never asked.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_auth(case: Case, contract) -> None:
    contract.run(case)


@pytest.mark.offline_only("needs a wrong-audience token minted by the emulator, and the local proxy's log")
@pytest.mark.proxy_lane("auth/wrong-audience-token#proxy-log", "wrong-audience-token")
@pytest.mark.generated_config_only(
    "reads the generated setup's 401 in the proxy log; a team's fallbacks may answer instead"
)
def test_the_seeds_audience_401_reaches_the_proxy_log(contract_runner, litellm_proxy) -> None:
    """The seed's exact 401 text appears in the proxy's log, where an operator looks first. The case's
    own cassette, in a model group of this test's own: the case's litellm item may have just put its
    group into cooldown."""
    case = next(c for c in CASES if c.id == "wrong-audience-token")
    ref = CaseRef("auth", case.id, "tests/contract/test_auth.py", lane_owner="auth/wrong-audience-token#proxy-log")
    observation, _ = contract_runner.observe(case, ref, "litellm")
    assert BAD_TOKEN in str(observation.tree()["error"]["message"])
    # The proxy may write its error log line just after it has answered: wait for it, with a deadline.
    deadline = time.monotonic() + 10
    while BAD_TOKEN not in litellm_proxy.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert BAD_TOKEN in litellm_proxy.log_text()


@pytest.mark.offline_only("pins the local proxy's no-database setup; a staging proxy may have one")
def test_virtual_keys_need_a_database(litellm_proxy) -> None:
    """This setup has a master key and no database: the proxy refuses to mint virtual keys, so the
    'valid virtual key' case cannot exist here. Pinned, so that a setup with a DB shows up."""
    response = httpx.post(
        litellm_proxy.url + "/key/generate",
        headers={"Authorization": f"Bearer {litellm_proxy.master_key}"},
        json={"models": ["good-key"]},
        timeout=30,
    )
    assert response.status_code == 500, response.text
    assert "No module named 'prisma'" in litellm_proxy.log_text()  # the database client is not even installed
