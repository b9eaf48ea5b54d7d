"""Azure's two credential schemes and its two 401 envelopes; the private-endpoint 403."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from harness.emulator import RunningEmulator, TokenKind, errors, mint_token, verify_token

from .conftest import API_VERSION, user

INVALID_KEY_BODY = {"error": {"code": "401", "message": errors.INVALID_KEY}}
BAD_TOKEN_BODY = {"statusCode": 401, "message": errors.BAD_TOKEN}


def test_valid_key(raw):
    assert raw(json={"messages": user("x")}).status_code == 200


def test_wrong_key_gets_the_subscription_key_401(raw, make_client):
    response = raw(json={"messages": user("x")}, headers={"api-key": "wrong"})
    assert response.status_code == 401 and response.json() == INVALID_KEY_BODY
    with pytest.raises(openai.AuthenticationError):
        make_client(api_key="wrong").chat.completions.create(model="chat", messages=user("x"))


def test_no_credential_is_a_401(raw):
    response = raw(json={"messages": user("x")}, headers={"api-key": None})
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "401", "message": errors.MISSING_KEY}}


def test_valid_token(make_client, azure_emulator: RunningEmulator):
    client = make_client(azure_ad_token=azure_emulator.mint_token())
    assert client.chat.completions.create(model="chat", messages=user("x")).choices


@pytest.mark.parametrize("kind", [TokenKind.EXPIRED, TokenKind.WRONG_AUDIENCE, TokenKind.FOREIGN_SIGNATURE])
def test_bad_tokens_get_the_audience_envelope(raw, azure_emulator: RunningEmulator, kind):
    token = azure_emulator.mint_token(kind)
    response = raw(json={"messages": user("x")}, headers={"api-key": None, "authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json() == BAD_TOKEN_BODY


def test_a_key_sent_as_bearer_is_the_seed_401(raw, azure_emulator: RunningEmulator, make_client):
    """LiteLLM's classic mistake: the key in an Authorization header."""
    response = raw(
        json={"messages": user("x")}, headers={"api-key": None, "authorization": f"Bearer {azure_emulator.api_key}"}
    )
    assert response.status_code == 401 and response.json() == BAD_TOKEN_BODY
    with pytest.raises(openai.AuthenticationError, match="audience is incorrect"):
        make_client(azure_ad_token=azure_emulator.api_key).chat.completions.create(model="chat", messages=user("x"))


def test_audience_with_or_without_trailing_slash():
    import jwt

    secret = "s" * 32
    now = int(time.time())
    for aud in ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.com/"):
        token = jwt.encode({"aud": aud, "exp": now + 60}, secret, algorithm="HS256")
        assert verify_token(token, secret)
    assert not verify_token(mint_token(secret, TokenKind.WRONG_AUDIENCE), secret)
    assert not verify_token(mint_token(secret, TokenKind.EXPIRED), secret)
    assert not verify_token("not-a-jwt", secret)


def test_private_endpoint(private_azure_emulator: RunningEmulator):
    body = {"messages": user("x")}
    params = {"api-version": API_VERSION}
    headers = {"api-key": private_azure_emulator.api_key}
    path = "/openai/deployments/chat/chat/completions"
    public = httpx.post(private_azure_emulator.url + path, json=body, params=params, headers=headers)
    assert public.status_code == 403
    assert public.json() == {"error": {"code": "403", "message": errors.PUBLIC_ACCESS_DISABLED}}
    private = httpx.post(private_azure_emulator.private_url + path, json=body, params=params, headers=headers)
    assert private.status_code == 200
    with pytest.raises(openai.PermissionDeniedError):
        openai.AzureOpenAI(
            azure_endpoint=private_azure_emulator.url,
            api_key=private_azure_emulator.api_key,
            api_version=API_VERSION,
            max_retries=0,
        ).chat.completions.create(model="chat", messages=user("x"))
