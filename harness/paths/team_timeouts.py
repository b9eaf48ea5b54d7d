"""The team's timeouts, scaled down for the cases that wait past them (config mode, issue 23).

A team's `timeout`, `stream_timeout` and `request_timeout` decide what its application gets when
Azure's first token is slow: a timeout error, a retry (a second paid request), a fallback answer or a
cut stream. `tests/contract/test_timeouts.py` waits just past each one, for real. A configured 30 s
cannot be waited out in a test, so the lanes of those cases get a copy of the timeouts scaled by one
factor, and the run's header says so (`timeouts/...: router_settings.timeout 30 s -> 1 s (x1/30)`).
Every other case keeps the team's config as written.

Which value applies is LiteLLM's precedence on 1.108.7 (`litellm/router.py`, `Router._get_timeout`):
- a stream: the deployment's `stream_timeout`, then `router_settings.stream_timeout`, then
  `litellm_settings.request_timeout`, then the non-stream timeout below;
- otherwise: the deployment's `timeout`, then its `request_timeout`, then
  `litellm_settings.request_timeout`, then `router_settings.timeout`, then
  `litellm.request_timeout` (`DEFAULT_REQUEST_TIMEOUT_SECONDS`, 6000 s, in `litellm/constants.py`).
Each becomes the Azure client's httpx timeout (`litellm/llms/azure/azure.py`), and on the aiohttp
transport `sock_read` (`litellm/llms/custom_httpx/aiohttp_transport.py`): a wait for the next bytes,
not a deadline for the whole answer, so a stream that drips faster than it never times out.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from harness.contract.observe import LANE_MARK
from harness.emulator.latency import Profile, profile_for

#: LiteLLM 1.108.7's `DEFAULT_REQUEST_TIMEOUT_SECONDS` (litellm/constants.py)
LITELLM_DEFAULT_TIMEOUT_S = 6000.0
#: the openai SDK's default client timeout (openai._constants.DEFAULT_TIMEOUT: 600 s read)
SDK_DEFAULT_TIMEOUT_S = 600.0
#: the longest scaled timeout: what a case waits, per attempt
CEILING_S = 1.0
#: the shortest scaled timeout: below it the proxy's own work (routing, logging) on a loaded machine
#: could pass for a slow Azure
FLOOR_S = 0.4
#: the owner prefix of the timeout cases' lanes (`good-key@lane-timeouts-<case>`)
LANE_OWNER = f"{LANE_MARK}timeouts-"


@dataclass(frozen=True)
class Timeouts:
    """What applies to the alias under test, in seconds: None where nothing is configured."""

    timeout: float | None
    stream_timeout: float | None

    @property
    def for_streams(self) -> float | None:
        return self.stream_timeout if self.stream_timeout is not None else self.timeout


@dataclass(frozen=True)
class Scaling:
    """The team's timeouts, the factor, and the scaled ones the timeout cases' lanes get."""

    configured: Timeouts
    factor: float
    notes: tuple[str, ...]

    @property
    def scaled(self) -> Timeouts:
        c = self.configured
        return Timeouts(_times(c.timeout, self.factor), _times(c.stream_timeout, self.factor))

    @property
    def client_timeout(self) -> float:
        """The application's SDK default (600 s), scaled with the proxy's timeouts."""
        return SDK_DEFAULT_TIMEOUT_S * self.factor

    def before_the_application(self, scaled: float | None, past: float) -> bool:
        """Whether a (scaled) proxy timeout can be waited past while the application still waits: Azure
        `past` times later than it must still be `past` times short of the application's own timeout.
        A team's `request_timeout: 600` is the SDK's 600 s: past it both paths give up alike, and which
        gives up first is a race, not a setting (found on three corpus configs)."""
        return scaled is not None and scaled * past * past <= self.client_timeout


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else round(value * factor, 6)


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None  # an `os.environ/` reference or a typo: LiteLLM's own check reports it


def _first(*candidates: tuple[str, Any]) -> tuple[str, float] | None:
    for where, value in candidates:
        number = _number(value)
        if number:  # LiteLLM's precedence uses `or`: a 0 falls through too
            return where, number
    return None


def effective(config: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[tuple[str, float] | None, ...]:
    """(setting, seconds) of the non-stream timeout and the stream timeout of one deployment, by
    LiteLLM's precedence; None where LiteLLM would use its 6000 s default."""
    router = config.get("router_settings") or {}
    settings = config.get("litellm_settings") or {}
    request = ("litellm_settings.request_timeout", settings.get("request_timeout"))
    plain = _first(
        ("litellm_params.timeout", params.get("timeout")),
        ("litellm_params.request_timeout", params.get("request_timeout")),
        request,
        ("router_settings.timeout", router.get("timeout")),
    )
    stream = _first(
        ("litellm_params.stream_timeout", params.get("stream_timeout")),
        ("router_settings.stream_timeout", router.get("stream_timeout")),
        request,
    )
    return plain, stream


def plan(config: Mapping[str, Any], alias: str | None, factor: float | None = None) -> Scaling:
    """One factor for the alias's timeouts: the longest becomes `CEILING_S`, unless that takes the
    shortest below `FLOOR_S`; never above 1. Without a config (the generated one) LiteLLM's defaults
    apply: 6000 s, ten times the SDK's 600 s, so the application's own timeout fires first."""
    found = _found(config, alias)
    plain = [p for p, _ in found if p is not None]
    stream = [s for _, s in found if s is not None]
    if not plain and not stream:
        factor = CEILING_S / SDK_DEFAULT_TIMEOUT_S
        note = (
            f"no timeout configured for {alias or 'the generated setups'}: LiteLLM's default "
            f"{LITELLM_DEFAULT_TIMEOUT_S:g} s and the SDK's {SDK_DEFAULT_TIMEOUT_S:g} s, scaled x{factor:.6g}"
        )
        return Scaling(Timeouts(None, None), factor, (note,))
    # several deployments in the group: the longest of each kind applies to some request; cases wait past it
    timeout = max((s for _, s in plain), default=None)
    stream_timeout = max((s for _, s in stream), default=None)
    values = [v for v in (timeout, stream_timeout) if v is not None]
    if factor is None:  # else another config's scale, kept (explain's trials)
        factor = min(1.0, CEILING_S / max(values))
        if min(values) * factor < FLOOR_S:
            factor = min(1.0, FLOOR_S / min(values))
    return Scaling(Timeouts(timeout, stream_timeout), factor, _notes(found, factor))


def _found(config: Mapping[str, Any], alias: str | None) -> list[tuple[tuple[str, float] | None, ...]]:
    entries = [e for e in config.get("model_list") or [] if isinstance(e, Mapping) and e.get("model_name") == alias]
    return [effective(config, e.get("litellm_params") or {}) for e in entries]


def _notes(found: list[tuple[tuple[str, float] | None, ...]], factor: float) -> tuple[str, ...]:
    settings = {s for pair in found for s in pair if s is not None}
    return tuple(
        f"{where} {seconds:g} s -> {seconds * factor:.3g} s (x{factor:.4g}) in the timeout cases' lanes"
        for where, seconds in sorted(settings)
    )


def scale_timeout_lanes(
    config: MutableMapping[str, Any], alias: str, notes: list[str], factor: float | None = None
) -> None:
    """Give every lane of the timeout cases (and the fallback copies they own) its own timeouts,
    scaled by the alias's factor, as the deployment's `timeout` and `stream_timeout`, which LiteLLM
    reads first. The rest of the config is untouched; `notes` gets what was scaled, for the run's
    header. `factor` keeps another config's scale: explain's trials remove settings from the team's
    config, and a trial without one of two timeouts must not rescale the other (the cases' delays were
    set against the team's scale)."""
    scaling = plan(config, alias, factor)
    if scaling.configured == Timeouts(None, None):
        return  # nothing configured: LiteLLM's defaults apply unscaled (see `plan`)
    for entry in config.get("model_list") or []:
        if LANE_OWNER not in str(entry.get("model_name")):
            continue
        params = entry.setdefault("litellm_params", {})
        plain, stream = effective(config, params)
        for key in ("timeout", "request_timeout", "stream_timeout"):
            params.pop(key, None)
        if plain is not None:
            params["timeout"] = _times(plain[1], scaling.factor)
        if stream is not None:
            params["stream_timeout"] = _times(stream[1], scaling.factor)
    notes.extend(f"timeouts: {note}" for note in scaling.notes)


def latency_profile(models: list[str]) -> Profile | None:
    """The measured latency profile of the first of `models` (base model, deployment) that has one:
    the figures a configured timeout is held against (the doctor's `timeout vs latency`)."""
    return next((p for m in models if (p := profile_for(m)) is not None), None)
