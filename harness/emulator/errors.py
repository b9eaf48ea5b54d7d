"""Azure's error bodies, byte for byte where the wire is known (see shared/AZURE_WIRE.md).

Azure uses two envelopes: the usual `{"error": {...}}` and, for bearer-token failures from its
gateway, `{"statusCode": 401, "message": ...}`. Clients and proxies parse them differently, which
is exactly what the contract suite needs to exercise.
"""

from __future__ import annotations

from typing import Any

from harness.emulator.wire import DEPLOYMENT_LOOKUP, KEY_CHECK, EmuResponse, Frame, json_response

INVALID_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your resource."
)
MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when "
    "making requests to an API."
)
BAD_TOKEN = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect "
    "(https://cognitiveservices.azure.com), or have expired."
)
PUBLIC_ACCESS_DISABLED = "Public access is disabled. Please configure private endpoint."
DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within "
    "the last 5 minutes, please wait a moment and try again."
)
SERVER_ERROR = (
    "The server had an error processing your request. Sorry about that! You can retry your "
    "request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/"
    "?linkid=2213926 if you keep seeing this error. (Please include the request ID {rid} in your "
    "email.)"
)
PROMPT_FILTERED = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management "
    "policy. Please modify your prompt and retry. To learn more about our content filtering "
    "policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)


def azure_error(status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None) -> EmuResponse:
    """The short `{"error": {"code", "message"}}` envelope of Azure's gateway."""
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


def openai_error(
    status: int,
    message: str,
    *,
    type_: str | None = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    extra: dict[str, Any] | None = None,
) -> EmuResponse:
    """The four-field envelope that comes from the model service behind the gateway."""
    error: dict[str, Any] = {"message": message, "type": type_, "param": param, "code": code}
    error.update(extra or {})
    return json_response(status, {"error": error})


def invalid_key() -> EmuResponse:
    response = azure_error(401, "401", INVALID_KEY)
    response.layer = KEY_CHECK
    return response


def missing_credentials() -> EmuResponse:
    """Answered by the same gateway key check as a wrong key (its headers by analogy: no recording)."""
    response = azure_error(401, "401", MISSING_KEY)
    response.layer = KEY_CHECK
    return response


def bad_token() -> EmuResponse:
    return json_response(401, {"statusCode": 401, "message": BAD_TOKEN})


def public_access_disabled() -> EmuResponse:
    return azure_error(403, "403", PUBLIC_ACCESS_DISABLED)


def deployment_not_found() -> EmuResponse:
    response = azure_error(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND)
    response.layer = DEPLOYMENT_LOOKUP
    return response


def resource_not_found() -> EmuResponse:
    """Hand-written JSON in Azure's gateway, space after the second colon included (quoted in
    langchain#13284, autogen#3953): clients that compare bytes see it."""
    return EmuResponse(
        status=404,
        headers=[("content-type", "application/json")],
        body=b'{"error":{"code":"404","message": "Resource not found"}}',
    )


def api_version_not_supported() -> EmuResponse:
    return azure_error(400, "BadRequest", "API version not supported")


def method_not_allowed() -> EmuResponse:
    return azure_error(405, "405", "Method not allowed")


def body_too_large(limit: int) -> EmuResponse:
    return azure_error(413, "RequestEntityTooLarge", f"The request body is larger than {limit} bytes.")


def unsupported_media_type(content_type: str) -> EmuResponse:
    return openai_error(
        415,
        f"Unsupported content type {content_type or '(none)'!r}; send application/json.",
        param=None,
    )


def unparsable_json() -> EmuResponse:
    return openai_error(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent "
        "was not valid JSON. If you have trouble figuring out how to fix this, please contact us "
        "through our help center at help.openai.com.)",
    )


def invalid_param(message: str, param: str | None, code: str | None = None) -> EmuResponse:
    return openai_error(400, message, param=param, code=code)


def context_length_exceeded(window: int, total: int, prompt: int, completion: int) -> EmuResponse:
    return openai_error(
        400,
        f"This model's maximum context length is {window} tokens. However, you requested {total} "
        f"tokens ({prompt} in the messages, {completion} in the completion). Please reduce the "
        "length of the messages or completion.",
        param="messages",
        code="context_length_exceeded",
    )


def prompt_filtered(filter_result: dict[str, Any]) -> EmuResponse:
    """The prompt filter's 400 (recorded 2023-12, R5). Chat adds the model service's headers
    (`from_model`); the Responses API answers without them (no recording of its filter)."""
    return openai_error(
        400,
        PROMPT_FILTERED,
        type_=None,
        param="prompt",
        code="content_filter",
        extra={
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": filter_result},
        },
    )


def rate_limited(
    api_version: str, retry_after_s: int, headers: list[tuple[str, str]], operation: str = "ChatCompletions_Create"
) -> EmuResponse:
    """The 429 of the quota gate; the message names the operation (`Embeddings_Create`, ...)."""
    message = (
        f"Requests to the {operation} Operation under Azure OpenAI API version {api_version} "
        "have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after "
        f"{retry_after_s} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to "
        "further increase the default rate limit."
    )
    return azure_error(429, "429", message, headers)


def server_error(status: int, request_id: str) -> EmuResponse:
    if status == 503:
        return openai_error(
            503,
            "The service is temporarily unable to process your request. Please try again later.",
            type_="server_error",
        )
    return openai_error(500, SERVER_ERROR.format(rid=request_id), type_="server_error")


OPERATION_NOT_SUPPORTED = (
    "The {operation} operation does not work with the specified model, {model}. Please choose different "
    "model and try again. You can learn more about which models can be used with each operation here: "
    "https://go.microsoft.com/fwlink/?linkid=2197993."
)


def operation_not_supported(operation: str, model: str) -> EmuResponse:
    """A chat model asked for embeddings, or the reverse: the gateway's 400, quoted in public bug
    reports (`OperationNotSupported`, the base model name without its version date)."""
    return azure_error(400, "OperationNotSupported", OPERATION_NOT_SUPPORTED.format(operation=operation, model=model))


def invalid_url(method: str, backend_path: str) -> EmuResponse:
    """The model service's 404 for a path its api-version does not serve (seen for /responses with
    an api-version older than 2025-03-01-preview)."""
    return openai_error(404, f"Invalid URL ({method} {backend_path})")


def missed_model_deployment() -> EmuResponse:
    """The recorded 400 for a Responses request without `model` (R15): no content type, chunked, and
    a pretty-printed body with only a message."""
    body = b'{\n  "error": {\n    "message": "Missed model deployment"\n  }\n}'
    return EmuResponse(status=400, frames=[Frame(body)])


def unknown_parameter(name: str) -> EmuResponse:
    """The Responses API's answer to a parameter it does not know (recorded on Azure, e.g. LiteLLM
    #28553: `stream_options.include_usage`)."""
    return openai_error(400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")


def moved_parameter(name: str, moved_to: str) -> EmuResponse:
    """A Chat Completions parameter sent to the Responses API (recorded for `messages`)."""
    return openai_error(
        400,
        f"Unsupported parameter: '{name}'. In the Responses API, this parameter has moved to '{moved_to}'. "
        "Try again with the new parameter. See the API documentation for more information: "
        "https://platform.openai.com/docs/api-reference/responses/create.",
        code="unsupported_parameter",
    )


def previous_response_not_found(response_id: str) -> EmuResponse:
    """Azure answers 400 (not 404) for an unknown `previous_response_id` (recorded in 2026)."""
    return openai_error(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def response_not_found(response_id: str) -> EmuResponse:
    return openai_error(404, f"Response with id '{response_id}' not found.")


def from_model(response: EmuResponse) -> EmuResponse:
    """Mark an error as the model service's: Azure adds these headers to the model's 4xx (recorded
    on the embeddings 400 R27, the prompt-filter 400 R5 and the unrecognized-argument 404 R19)."""
    response.headers += [
        ("ms-azureml-model-error-reason", "model_error"),
        ("ms-azureml-model-error-statuscode", str(response.status)),
    ]
    return response


def embeddings_error(message: str) -> EmuResponse:
    """A 400 from the embeddings model: the four-field envelope with null param and code."""
    return from_model(openai_error(400, message))


def unrecognized_argument(name: str) -> EmuResponse:
    """A parameter the model (or the api-version) does not take: the model service's answer (R19;
    Azure says 404 for old models without tools, the emulator 400 for the api-version's gate)."""
    return from_model(openai_error(400, f"Unrecognized request argument supplied: {name}"))


EMBEDDINGS_INPUT_INVALID = (
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
)


def embeddings_context_exceeded(window: int, tokens: int) -> EmuResponse:
    return embeddings_error(
        f"This model's maximum context length is {window} tokens, however you requested {tokens} tokens "
        f"({tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length."
    )


def too_many_inputs(limit: int) -> EmuResponse:
    return embeddings_error(
        f"Too many inputs. The max number of inputs is {limit}.  We hope to increase the number of inputs per "
        "request soon. Please contact us through an Azure support request at: "
        "https://go.microsoft.com/fwlink/?linkid=2213926 for further questions."
    )
