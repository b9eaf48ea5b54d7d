"""Contract: embeddings, as the application gets them.

What "the same behaviour" means here:
- the same body at `exact`: `object`, each vector (compared by its length and digest: the same floats,
  or the same base64 bytes), its `index`, `model`, and `usage` (prompt and total tokens, no completion
  tokens on Azure);
- a batch keeps its order and indices; `dimensions` shortens a `-3-` model's vectors; `base64` is
  little-endian float32;
- errors with the same SDK exception and status: a bad input, an unknown deployment, a wrong key, an
  input too long, and embeddings asked of a chat deployment (the reverse is in test_errors.py);
- what each path sent Azure (the proxy asks for base64 and decodes it itself).
Vectors are deterministic: each path also checks that similar texts embed closer than unrelated ones.
"""

from __future__ import annotations

import pytest

from harness import Case, Scenario, expect

DIMS = 1536


def embed(params: dict, setup: str = "embeddings", **kw) -> Scenario:
    return Scenario(params, setup=setup, api="embeddings", **kw)


CASES = [
    Case("single-text", embed({"input": "The proxy sits in front of Azure."}), expect.embeddings(1, DIMS)),
    Case(
        "batch-keeps-order",
        embed({"input": ["first text", "second text", "third text"]}),
        expect.embeddings(3, DIMS),
    ),
    Case(
        "similar-texts-are-closer",
        embed({"input": ["a cat sat on the mat", "a cat sat on a mat", "quarterly revenue grew strongly"]}),
        expect.all_of(expect.embeddings(3, DIMS), expect.closer(0, 1, than=2)),
    ),
    Case(
        "dimensions",
        embed({"input": "shorter vectors", "dimensions": 256}),
        expect.embeddings(1, 256),
    ),
    Case(
        "base64-encoding",
        embed({"input": "encoded as base64", "encoding_format": "base64", "dimensions": 8}),
        expect.embeddings(1, 8),
        doc="The application asks for base64 itself: it gets a base64 string of little-endian float32.",
    ),
    Case(
        "ada-model-name",
        embed({"input": "an older model"}, setup="embeddings-ada"),
        expect.embeddings(1, DIMS),
        doc="Azure names text-embedding-ada-002 'ada' in `model`.",
    ),
    Case(
        "async-client",
        embed({"input": ["async one", "async two"]}, use_async=True),
        expect.embeddings(2, DIMS),
    ),
    Case(
        "bad-input-type",
        embed({"input": [[]]}),
        expect_path={
            "direct": expect.failure("BadRequestError", 400),
            "litellm": expect.failure("InternalServerError", 500),  # ledger: embeddings-bad-input-answered-by-the-proxy
        },
        doc="An input Azure cannot read: 400 with Azure's `'$.input' is invalid` message.",
    ),
    Case(
        "input-too-long",
        embed({"input": " ".join(["token"] * 9000)}),
        expect.failure("BadRequestError", 400),
    ),
    Case(
        "unknown-deployment",
        embed({"input": "anyone there?"}, setup="unknown-deployment"),
        expect.failure("NotFoundError", 404),
    ),
    Case(
        "wrong-key",
        embed({"input": "wrong key"}, setup="embeddings-wrong-key"),
        expect.failure("AuthenticationError", 401),
    ),
    Case(
        "entra-token",
        embed({"input": "a token, not a key"}, setup="embeddings-entra-token"),
        expect_path={
            "direct": expect.embeddings(1, DIMS),
            "litellm": expect.failure("BadRequestError", 400),  # ledger: embeddings-entra-token-sent-in-the-body
        },
        doc="An Entra token (`azure_ad_token`) instead of a key: the SDK sends it as `Authorization: Bearer`.",
    ),
    Case(
        "embeddings-of-a-chat-deployment",
        embed({"input": "a chat model cannot embed"}, setup="good-key"),
        expect.failure("BadRequestError", 400),
        doc="Embeddings asked of a chat deployment: Azure's 400 OperationNotSupported.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_embeddings(case: Case, contract) -> None:
    contract.run(case)
