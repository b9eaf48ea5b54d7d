"""The chat completions operation: validate, pass the late gates, answer as JSON or SSE.

Shared by the deployment path and `/openai/v1/chat/completions`; only the route differs.
"""

from __future__ import annotations

import uuid

from harness.emulator import completion, errors, filtering, render, text
from harness.emulator.call import Call, admit, delayed, injected
from harness.emulator.validate import validate
from harness.emulator.wire import EmuResponse, json_response


def create(call: Call) -> EmuResponse:
    """Answer one chat completions request (the body is not validated yet)."""
    body, deployment, api_version = call.body, call.deployment, call.api_version
    validate(body, deployment, api_version)
    user = [m for m in body["messages"] if m.get("role") == "user"]
    fault = injected(deployment, text.message_text(user[-1]) if user else "", "messages")
    prompt_tokens = text.prompt_tokens(body)
    max_out = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    if prompt_tokens + max_out > deployment.context_window:
        return errors.context_length_exceeded(
            deployment.context_window, prompt_tokens + max_out, prompt_tokens, max_out
        )
    decision = admit(call, prompt_tokens + (max_out or 16), fault)
    if fault.filter_prompt:
        return errors.from_model(errors.prompt_filtered(filtering.category_results(fault.filter_prompt)))
    answer = completion.complete(body, deployment, fault)
    response_id = "chatcmpl-" + uuid.uuid4().hex[:29]
    created = render.now()
    headers = [
        ("azureml-model-session", call.model_session()),
        ("x-ms-rai-invoked", "true"),
        ("x-ms-deployment-name", deployment.name),
        *decision.headers(deployment),
    ]
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = render.stream_events(answer, api_version, response_id, created, include_usage)
        frames, cut = render.frames(events, fault)
        return EmuResponse(
            status=200,
            # gpt-4o streams carry no Cache-Control (R11, R31; gpt-4 / gpt-35 backends send one)
            headers=[("content-type", "text/event-stream; charset=utf-8"), *headers],
            frames=frames,
            cut=cut,
            cut_delay=fault.cut_delay,
            first_byte_delay=fault.delay,
        )
    return delayed(
        json_response(200, render.body(answer, api_version, response_id, created, v1=call.v1), headers), fault
    )
