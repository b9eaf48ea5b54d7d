"""The emulator's embeddings: Azure's body, encodings, dimensions and errors, raw and via the SDK."""

from __future__ import annotations

import asyncio
import base64
import math
import struct
from pathlib import Path

import openai
import pytest

from harness.emulator import EmulatorConfigError, RunningEmulator, errors, load_deployments

PATH = "/openai/deployments/{}/embeddings"
SIMILAR = ("The quick brown fox jumps over the lazy dog", "The quick brown fox jumped over the lazy dog")
UNRELATED = "Quarterly revenue grew by twelve percent in the northern region"


def embed(raw, deployment: str = "embeddings", **body):
    return raw(PATH.format(deployment), json=body)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def f32(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def v1_client(azure_emulator: RunningEmulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=azure_emulator.url + "/openai/v1/", api_key=azure_emulator.api_key, max_retries=0)


@pytest.mark.parametrize(
    ("deployment", "model", "length"),
    [
        ("embeddings", "text-embedding-3-small", 1536),
        ("embeddings-large", "text-embedding-3-large", 3072),
        ("ada", "ada", 1536),
    ],
)
def test_body_is_exactly_azures_and_model_is_the_model_name(raw, client, deployment, model, length):
    response = embed(raw, deployment, input="hello world")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["object", "data", "model", "usage"]
    assert body["object"] == "list" and body["model"] == model
    assert body["data"][0].keys() == {"object", "index", "embedding"}
    assert body["data"][0]["object"] == "embedding" and body["data"][0]["index"] == 0
    assert len(body["data"][0]["embedding"]) == length
    assert body["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    assert abs(sum(v * v for v in body["data"][0]["embedding"]) - 1) < 1e-5
    sdk = client.embeddings.create(model=deployment, input="hello world")
    assert sdk.model == model and len(sdk.data[0].embedding) == length
    assert sdk.usage.prompt_tokens == 2 and sdk.usage.total_tokens == 2


def test_success_headers(raw):
    headers = embed(raw, input="x").headers
    for name in (
        "apim-request-id",
        "x-request-id",
        "azureml-model-session",
        "x-ms-region",
        "x-ms-client-request-id",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens",
    ):
        assert headers.get(name), name


def test_base64_decodes_to_the_float_encoding(raw, client):
    floats = embed(raw, input="encode me").json()["data"][0]["embedding"]
    encoded = embed(raw, input="encode me", encoding_format="base64").json()["data"][0]["embedding"]
    assert isinstance(encoded, str)
    assert base64.b64decode(encoded) == f32(floats)  # the same float32 values, little-endian
    sdk_base64 = client.embeddings.create(model="embeddings", input="encode me", encoding_format="base64")
    assert sdk_base64.data[0].embedding == encoded
    sdk_default = client.embeddings.create(model="embeddings", input="encode me")  # the SDK asks for base64
    assert f32(sdk_default.data[0].embedding) == f32(floats)
    sdk_float = client.embeddings.create(model="embeddings", input="encode me", encoding_format="float")
    assert f32(sdk_float.data[0].embedding) == f32(floats)


def test_one_dimension_is_plus_or_minus_one_and_encodes_like_azure(raw):
    value = embed(raw, input="a", dimensions=1).json()["data"][0]["embedding"]
    encoded = embed(raw, input="a", dimensions=1, encoding_format="base64").json()["data"][0]["embedding"]
    assert value in ([1.0], [-1.0])
    assert encoded == {1.0: "AACAPw==", -1.0: "AACAvw=="}[value[0]]


@pytest.mark.parametrize("dimensions", [256, 1000])
def test_dimensions_give_a_renormalized_prefix(raw, client, dimensions):
    full = embed(raw, "embeddings-large", input="matryoshka").json()["data"][0]["embedding"]
    short = embed(raw, "embeddings-large", input="matryoshka", dimensions=dimensions).json()["data"][0]["embedding"]
    assert len(short) == dimensions
    assert abs(sum(v * v for v in short) - 1) < 1e-5
    assert cosine(short, full[:dimensions]) > 0.99999
    sdk = client.embeddings.create(model="embeddings-large", input="matryoshka", dimensions=dimensions)
    assert len(sdk.data[0].embedding) == dimensions


def test_ada_refuses_dimensions(raw, client):
    response = embed(raw, "ada", input="x", dimensions=256)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "This model does not support specifying dimensions.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.BadRequestError, match="does not support specifying dimensions"):
        client.embeddings.create(model="ada", input="x", dimensions=256)


def test_batch_keeps_order_and_indices(raw, client):
    texts = ["first", "second input", "third one here"]
    body = embed(raw, input=texts).json()
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    singles = [embed(raw, input=t).json()["data"][0]["embedding"] for t in texts]
    assert [item["embedding"] for item in body["data"]] == singles
    assert body["usage"]["prompt_tokens"] == 1 + 2 + 3
    sdk = client.embeddings.create(model="embeddings", input=texts)
    assert [d.index for d in sdk.data] == [0, 1, 2]
    assert [f32(d.embedding) for d in sdk.data] == [f32(s) for s in singles]


def test_token_arrays_are_accepted(raw, client):
    one = embed(raw, input=[101, 2023, 2003])
    many = embed(raw, input=[[101, 2023, 2003], [7, 8]])
    assert one.status_code == many.status_code == 200
    assert one.json()["usage"]["prompt_tokens"] == 3 and many.json()["usage"]["prompt_tokens"] == 5
    assert many.json()["data"][0]["embedding"] == one.json()["data"][0]["embedding"]
    assert len(client.embeddings.create(model="embeddings", input=[[1, 2, 3]]).data) == 1


def test_deterministic_and_similarity_follows_the_text(raw, client):
    first = embed(raw, input=[*SIMILAR, UNRELATED]).json()["data"]
    again = embed(raw, input=[*SIMILAR, UNRELATED]).json()["data"]
    assert first == again
    a, b, c = (item["embedding"] for item in first)
    assert cosine(a, b) > cosine(a, c) + 0.3 and cosine(a, b) > cosine(b, c) + 0.3
    sdk = [d.embedding for d in client.embeddings.create(model="embeddings", input=[*SIMILAR, UNRELATED]).data]
    assert cosine(sdk[0], sdk[1]) > cosine(sdk[0], sdk[2])
    other_model = embed(raw, "ada", input=SIMILAR[0]).json()["data"][0]["embedding"]
    assert other_model != a


@pytest.mark.parametrize("bad", [True, None, 3, "", [], [""], ["ok", 5], [[1, "x"]], {"text": "x"}])
def test_bad_input_is_the_recorded_model_error(raw, client, bad):
    response = embed(raw, input=bad)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": errors.EMBEDDINGS_INPUT_INVALID,
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    assert response.headers["ms-azureml-model-error-reason"] == "model_error"
    assert response.headers["ms-azureml-model-error-statuscode"] == "400"
    if bad is True:
        with pytest.raises(openai.BadRequestError, match=r"'\$\.input' is invalid"):
            client.embeddings.create(model="embeddings", input=True)  # type: ignore[arg-type]


def test_unknown_deployment_and_bad_key(raw, client, make_client):
    missing = embed(raw, "nope", input="x")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "DeploymentNotFound", "message": errors.DEPLOYMENT_NOT_FOUND}}
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="nope", input="x")
    denied = raw(PATH.format("embeddings"), json={"input": "x"}, headers={"api-key": "wrong"})
    assert denied.status_code == 401
    assert denied.json() == {"error": {"code": "401", "message": errors.INVALID_KEY}}
    with pytest.raises(openai.AuthenticationError):
        make_client(api_key="wrong").embeddings.create(model="embeddings", input="x")


def test_input_too_long(raw, client):
    response = embed(raw, input=["short", "word " * 9000])
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "This model's maximum context length is 8192 tokens, however you requested 9000 tokens "
        "(9000 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.BadRequestError, match="maximum context length is 8192"):
        client.embeddings.create(model="embeddings", input="word " * 8193)


def test_more_than_2048_inputs(raw, client):
    assert embed(raw, input=["x"] * 2048).status_code == 200
    response = embed(raw, input=["x"] * 2049)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("Too many inputs. The max number of inputs is 2048.")
    assert error["param"] is None and error["code"] is None
    with pytest.raises(openai.BadRequestError, match="Too many inputs"):
        client.embeddings.create(model="embeddings", input=["x"] * 2049)


def test_operation_not_supported_both_ways(raw, client):
    on_chat = embed(raw, "chat", input="x")
    assert on_chat.status_code == 400
    assert on_chat.json()["error"]["code"] == "OperationNotSupported"
    assert on_chat.json()["error"]["message"].startswith(
        "The embeddings operation does not work with the specified model, gpt-4o. Please choose different model"
    )
    chat_on_embeddings = raw("/openai/deployments/ada/chat/completions", json={"messages": [{"role": "user"}]})
    assert chat_on_embeddings.status_code == 400
    assert chat_on_embeddings.json()["error"]["message"].startswith(
        "The chatCompletion operation does not work with the specified model, text-embedding-ada-002."
    )
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="gpt-4o-mini", input="x")
    assert caught.value.code == "OperationNotSupported"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="embeddings", messages=[{"role": "user", "content": "x"}])


def test_unknown_parameter_and_encoding(raw):
    unknown = embed(raw, input="x", temperature=1)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "Unrecognized request argument supplied: temperature"
    assert embed(raw, input="x", encoding_format="int8").json()["error"]["param"] == "encoding_format"


def test_quota_fault_names_the_embeddings_operation(raw):
    response = embed(raw, input="[[fault:429]] hello")
    assert response.status_code == 429 and response.headers["retry-after"] == "2"
    assert "Embeddings_Create Operation" in response.json()["error"]["message"]


def test_v1_path_takes_the_deployment_from_model(raw, azure_emulator):
    response = raw("/openai/v1/embeddings", json={"model": "embeddings-large", "input": "v1"}, params={})
    assert response.status_code == 200 and response.headers["api-supported-versions"] == "1"
    assert response.json()["model"] == "text-embedding-3-large"
    sdk = v1_client(azure_emulator).embeddings.create(model="ada", input=["v1", "path"])
    assert sdk.model == "ada" and len(sdk.data) == 2
    with pytest.raises(openai.NotFoundError):
        v1_client(azure_emulator).embeddings.create(model="missing", input="x")


def test_async_client(azure_emulator: RunningEmulator):
    async def call() -> int:
        client = openai.AsyncAzureOpenAI(
            azure_endpoint=azure_emulator.url,
            api_version="2024-10-21",
            azure_ad_token=azure_emulator.mint_token(),
            max_retries=0,
        )
        async with client:
            response = await client.embeddings.create(model="embeddings", input="async", dimensions=512)
            return len(response.data[0].embedding)

    assert asyncio.run(call()) == 512


def test_deployment_kind_in_a_table(tmp_path: Path):
    path = tmp_path / "deployments.yaml"
    path.write_text("deployments:\n  - name: vec\n    model: text-embedding-3-small\n    kind: embeddings\n")
    assert load_deployments(path)["vec"].kind == "embeddings"
    path.write_text("deployments:\n  - name: vec\n    kind: vision\n")
    with pytest.raises(EmulatorConfigError, match=r"deployments\[0\]\.kind: expected one of chat, embeddings"):
        load_deployments(path)
