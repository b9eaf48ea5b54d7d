"""Doctor check `timeout vs latency`: a configured timeout shorter than the model's first byte.

A `timeout` or `stream_timeout` below the time a model takes to its first byte never lets an answer
through: LiteLLM 1.108.7 waits that long, retries (Azure bills each attempt), then answers the
application 408 or falls back (docs/timeouts.md, `tests/contract/test_timeouts.py`). The figures are
the emulator's measured latency profiles (`harness/emulator/latency.py`, reached through
`harness.paths.team_timeouts`), each with its recording; a model family without a measured figure
is not judged (a guessed figure would be an invented one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.doctor.finding import Finding, azure_entries
from harness.paths.team_timeouts import effective, latency_profile

CHECK = "timeout vs latency"
SOURCE = "https://github.com/BerriAI/litellm/issues/24317"


def _model_names(config: Mapping[str, Any], index: int, model: str) -> list[str]:
    """What the entry says its model is: `model_info.base_model`, then the deployment name."""
    entry = (config.get("model_list") or [])[index]
    info = entry.get("model_info") if isinstance(entry, Mapping) else None
    base = info.get("base_model") if isinstance(info, Mapping) else None
    return [str(base), model] if base else [model]


def check_timeouts(config: Mapping[str, Any] | None) -> list[Finding]:
    out: list[Finding] = []
    for entry in azure_entries(config):
        assert config is not None
        profile = latency_profile(_model_names(config, entry.index, entry.model))
        if profile is None:
            continue
        plain, stream = effective(config, entry.params)
        for kind, found in (("a non-streamed call", plain), ("a stream", stream)):
            if found is None or found[1] >= profile.first_byte:
                continue
            where, seconds = found
            out.append(
                Finding(
                    "warn",
                    CHECK,
                    entry.where(where.rsplit(".", 1)[-1]) if where.startswith("litellm_params") else where,
                    f"{where} is {seconds:g} s for {entry.name!r} ({profile.name} family), but {profile.name} took "
                    f"{profile.first_byte:g} s to its first byte ({profile.source}); for {kind} LiteLLM gives up, "
                    "retries (each attempt is billed) and answers 408 or falls back",
                    f"raise {where} above {profile.first_byte:g} s for this model, or route it to an alias whose "
                    "timeouts fit a reasoning model",
                    SOURCE,
                )
            )
    return out
