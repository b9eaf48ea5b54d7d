"""The embeddings operation: Azure's body, headers and 400s for `/embeddings`.

The wire facts (shared/AZURE_WIRE.md, "Embeddings") come from SDK test recordings. Where no
recording exists the choices are marked "(chosen)" and follow the model service's recorded style:
the four-field envelope with null `param` and `code`, plus its `ms-azureml-model-error-*` headers.
"""

from __future__ import annotations

from typing import Any

from harness.emulator import errors, text, vectors
from harness.emulator.call import Call, admit, delayed, injected
from harness.emulator.validate import Rejected
from harness.emulator.wire import EmuResponse, dumps

MAX_INPUTS = 2048  # Azure's reported cap on an input array
KNOWN_PARAMS = frozenset({"input", "model", "encoding_format", "dimensions", "user", "input_type"})


def _invalid_input() -> Rejected:
    return Rejected(errors.embeddings_error(errors.EMBEDDINGS_INPUT_INVALID))


def _is_tokens(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(type(t) is int and t >= 0 for t in value)


def parse_input(value: Any) -> list[vectors.Input]:
    """The inputs as strings or token tuples; anything else (and empty ones) is `'$.input' is invalid`.

    A missing or empty input gets the same recorded answer as a wrongly typed one (chosen).
    """
    if isinstance(value, str):
        if not value:
            raise _invalid_input()
        return [value]
    if _is_tokens(value):
        return [tuple(value)]
    if not isinstance(value, list) or not value:
        raise _invalid_input()
    items: list[vectors.Input] = []
    for item in value:
        if isinstance(item, str) and item:
            items.append(item)
        elif _is_tokens(item):
            items.append(tuple(item))
        else:
            raise _invalid_input()
    return items


def _dimensions(body: dict[str, Any], model: str) -> int:
    native = vectors.native_dimensions(model)
    dimensions = body.get("dimensions")
    if dimensions is None:
        return native
    if not vectors.supports_dimensions(model):
        raise Rejected(errors.embeddings_error("This model does not support specifying dimensions."))
    if type(dimensions) is not int or not 1 <= dimensions <= native:
        # (chosen) no recording of this message; the range is the model's documented one.
        raise Rejected(
            errors.embeddings_error(f"Invalid value for 'dimensions' = {dimensions!r}. Must be between 1 and {native}.")
        )
    return dimensions


def _encoding(body: dict[str, Any]) -> str:
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise Rejected(
            errors.invalid_param(
                f"Invalid value: {encoding!r}. Supported values are: 'float' and 'base64'.",
                "encoding_format",
                "invalid_value",
            )
        )
    return str(encoding)


def _tokens(item: vectors.Input) -> int:
    return len(item) if isinstance(item, tuple) else text.count_tokens(item)


def create(call: Call) -> EmuResponse:
    """Answer one embeddings request."""
    body, deployment = call.body, call.deployment
    for name in body:
        if name not in KNOWN_PARAMS:
            return errors.unrecognized_argument(name)
    items = parse_input(body.get("input"))
    if len(items) > MAX_INPUTS:
        return errors.too_many_inputs(MAX_INPUTS)
    dimensions = _dimensions(body, deployment.model)
    encoding = _encoding(body)
    counts = [_tokens(item) for item in items]
    too_long = next((n for n in counts if n > deployment.context_window), None)
    if too_long is not None:
        return errors.embeddings_context_exceeded(deployment.context_window, too_long)
    fault = injected(deployment, " ".join(i for i in items if isinstance(i, str)), "input")
    total = sum(counts)
    decision = admit(call, total, fault, "Embeddings_Create")
    data = ",".join(
        f'{{"object":"embedding","index":{index},"embedding":'
        f"{vectors.render(deployment.model, item, dimensions, encoding)}}}"
        for index, item in enumerate(items)
    )
    model = dumps(vectors.reported_model(deployment.model)).decode()
    payload = (
        f'{{"object":"list","data":[{data}],"model":{model},'
        f'"usage":{{"prompt_tokens":{total},"total_tokens":{total}}}}}'
    )
    remaining = [(k, v) for k, v in decision.headers(deployment) if k.startswith("x-ratelimit-remaining-")]
    # The embeddings backend adds Access-Control-Allow-Origin (R4, R16, R34); chat on gpt-4o does not.
    headers = [
        ("content-type", "application/json"),
        ("access-control-allow-origin", "*"),
        ("azureml-model-session", call.model_session()),
        *remaining,
    ]
    return delayed(EmuResponse(status=200, headers=headers, body=payload.encode()), fault)
