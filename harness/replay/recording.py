"""How each path's call meets its upstream in a run, and what it sent there.

- `LiveCapture` (emulator or Azure, nothing recorded): calls go straight to the upstream; the
  emulator's journal says what each path sent it.
- `CassetteSession` (replay, or recording from the emulator or Azure): the direct call runs
  inside its vcrpy cassette (active only around that call), the proxy's calls hit the loopback
  upstream server with the case's `litellm.yaml` activated.

Either way a call returns its observation and the upstream requests it caused, as plain summaries
(method, path, api-version, auth scheme, JSON body), so the contract can compare what LiteLLM sent
Azure with what the application itself would have sent.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import vcr.serializers.yamlserializer
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from harness.replay.cassettes import (
    AtomicPersister,
    CassetteError,
    CassetteWriteError,
    Miss,
    ReplayMiss,
    case_dir,
    closest,
    make_vcr,
    matches,
    record_command,
    request_line,
    request_summary,
)
from harness.replay.scrub import Scrubber, scrub_json
from harness.replay.server import Activation, UpstreamServer
from harness.replay.upstream import UpstreamTarget

RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
#: the deployment a request reached, where the router chose among a model group's (not compared)
ROUTED_TO = "routed_to"


@dataclass(frozen=True)
class CaseRef:
    area: str
    case: str
    test_file: str
    #: the test item whose model groups the proxy call uses (`harness.paths.lanes`), where it is not the
    #: case itself: a test that runs several cases, or another test replaying the same case
    lane_owner: str = ""

    @property
    def key(self) -> str:
        return f"{self.area}/{self.case}"

    @property
    def owner(self) -> str:
        """Whose model groups the proxy call uses (`harness.paths.lanes`)."""
        return self.lane_owner or self.key

    @property
    def command(self) -> str:
        return record_command(self.test_file, self.case)


#: what a path's call returns (an observation of `harness.contract.observe`): replay passes it
#: through without looking inside, so it depends on nothing above the upstreams
Observation = Any
Call = Callable[[], Observation]


class Capture(Protocol):
    def observe(self, path: str, ref: CaseRef, call: Call) -> tuple[Observation, list[dict[str, Any]] | None]: ...


@dataclass
class LiveCapture:
    """No cassettes: the upstream answers; the emulator journal (if any) tells what was sent.

    With an external proxy (`--proxy-url`) its upstream traffic is not ours to see: the litellm
    side reports None, and the request comparison is skipped rather than faked.
    """

    target: UpstreamTarget
    sees_proxy_upstream: bool = True
    #: config mode: deployment -> the deployment that stands for its model group. The router may pick any
    #: deployment of a group; the request is compared as sent to the group, and where it went is kept
    #: beside it (`routed_to`), one fact rather than a random path difference
    canonical: Mapping[str, str] = field(default_factory=dict)

    def observe(self, path: str, ref: CaseRef, call: Call) -> tuple[Observation, list[dict[str, Any]] | None]:
        if not self.target.emulators or (path == "litellm" and not self.sees_proxy_upstream):
            return call(), None  # a real resource keeps no journal we can read
        journals = [running.emulator.journal for running in self.target.emulators]
        before = [len(j) for j in journals]
        observation = call()
        sent = [entry for j, n in zip(journals, before, strict=True) for entry in list(j)[n:]]
        return observation, [self._request(e) for e in sent]

    def _request(self, entry: Any) -> dict[str, Any]:
        # the body as a cassette keeps it: a credential LiteLLM puts in a body (its embeddings send the
        # config's `azure_ad_token` in the JSON, litellm#1502's shape) is compared by name, never kept
        out = {"method": entry.method, "path": entry.route, "api-version": entry.api_version,
               "auth": entry.auth_scheme, "body": scrub_json(entry.body)}  # fmt: skip
        group = self.canonical.get(entry.deployment or "")
        if group is not None and group != entry.deployment:
            out["path"] = entry.route.replace(f"/deployments/{entry.deployment}/", f"/deployments/{group}/", 1)
            if isinstance(entry.body, dict) and entry.body.get("model") == entry.deployment:
                out["body"] = {**out["body"], "model": group}  # LiteLLM names the deployment in the body too
        if group is not None:
            out[ROUTED_TO] = entry.deployment
        return out


@dataclass
class CassetteSession:
    """Replay or record both paths' upstream traffic, one cassette pair per contract case."""

    root: Path
    mode: str  # one of RECORD_MODES; "none" is replay only
    source: str  # "emulator" or "azure" when recording; "replay" otherwise
    scrubber: Scrubber
    server: UpstreamServer
    litellm_version: str
    #: direct cassettes written by this session: the only ones a recording litellm path may share
    #: answers with (one left on disk by an earlier recording holds another run's answers)
    recorded_direct: set[Path] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.vcr = make_vcr(self.scrubber)

    def observe(self, path: str, ref: CaseRef, call: Call) -> tuple[Observation, list[dict[str, Any]]]:
        __tracebackhide__ = True
        file = case_dir(self.root, ref.area, ref.case) / f"{path}.yaml"
        if self.mode == "none" and not file.exists():
            raise ReplayMiss(
                f"harness: no cassette {file} for {ref.key} ({path} path); the suite is offline "
                f"and replays recordings. Record it with: {ref.command}",
                {"kind": "no-cassette", "cassette": str(file), "fields": [], "requests": []},
            )
        try:
            if path == "direct":
                return self._direct(file, ref, call)
            return self._litellm(file, ref, call)
        except CassetteWriteError as exc:
            raise CassetteWriteError(f"{exc}: {ref.command}") from None

    # ---------------------------------------------------------------- direct: vcrpy in-process

    def _direct(self, file: Path, ref: CaseRef, call: Call) -> tuple[Observation, list[dict[str, Any]]]:
        __tracebackhide__ = True
        record_mode = {"rewrite": "all"}.get(self.mode, self.mode)
        with self.vcr.use_cassette(
            str(file), record_mode=record_mode, drop_unused_requests=self.mode == "rewrite"
        ) as cassette:
            loaded = len(cassette.data)
            try:
                observation = call()
            except CannotOverwriteExistingCassetteException as exc:
                request = exc.failed_request
                filtered = cassette.filter_request(request)
                miss = Miss(file, filtered, closest(list(cassette.requests), filtered))
                raise miss.error(ref.command, "the direct client") from None
            played = [r for i, (r, _) in enumerate(cassette.data[:loaded]) if cassette.play_counts[i]]
            new = [r for r, _ in cassette.data[loaded:]]
            unused = [r for i, (r, _) in enumerate(cassette.data[:loaded]) if not cassette.play_counts[i]]
        if self.mode == "none" and unused:
            raise _unused(file, unused, ref)
        if self.mode != "none" and (new or self.mode == "rewrite" or not file.exists()):
            if not new:  # the case sends Azure nothing: an empty cassette says so, and replay checks it
                AtomicPersister.save_cassette(file, {"requests": [], "responses": []}, vcr.serializers.yamlserializer)
            self._stamp(file, "direct")
        if self.mode != "none":
            self.recorded_direct.add(file)
        return observation, [request_summary(r) for r in played + new]

    # ---------------------------------------------------------------- litellm: loopback server

    def _litellm(self, file: Path, ref: CaseRef, call: Call) -> tuple[Observation, list[dict[str, Any]]]:
        __tracebackhide__ = True
        record = self.mode in ("new_episodes", "all", "rewrite") or (self.mode == "once" and not file.exists())
        activation = Activation(
            path=file,
            record=record,
            keep_old=self.mode in ("new_episodes", "all"),
            replay_first=self.mode in ("new_episodes", "once"),
        )
        if record:
            direct_file = file.with_name("direct.yaml")
            if direct_file in self.recorded_direct and direct_file.exists():
                requests, responses, *_ = AtomicPersister.load_cassette(direct_file, vcr.serializers.yamlserializer)
                activation.shared = list(zip(requests, responses, strict=True))
        self.server.activate(activation)
        try:
            observation = call()
        finally:
            self.server.deactivate()
        if activation.errors:
            raise CassetteError(
                f"harness: the upstream server failed while serving {ref.key}: " + "; ".join(activation.errors)
            )
        if activation.misses:
            raise activation.misses[0].error(ref.command, "LiteLLM")
        old = (
            list(zip(activation.cassette.requests, activation.cassette.responses, strict=True))
            if activation.cassette is not None
            else []
        )
        cassette = activation.cassette
        unused = [r for i, (r, _) in enumerate(old) if not cassette.play_counts[i]] if cassette is not None else []
        if not record and unused:
            raise _unused(file, unused, ref)
        if record:  # even with nothing recorded: an empty cassette pins "the proxy sent Azure nothing"
            kept = [
                (r, resp)
                for r, resp in old
                if activation.keep_old and not any(matches(r, new) for new, _ in activation.recorded)
            ]
            interactions = kept + activation.recorded
            AtomicPersister.save_cassette(
                file,
                {"requests": [r for r, _ in interactions], "responses": [resp for _, resp in interactions]},
                vcr.serializers.yamlserializer,
            )
            self._stamp(file, "litellm", shared=activation.shared_count)
        sent = activation.played + [r for r, _ in activation.recorded]
        return observation, [request_summary(r) for r in sent]

    # ---------------------------------------------------------------- provenance

    def _stamp(self, file: Path, path: str, shared: int = 0) -> None:
        """Write provenance into the cassette's vcrpy metadata: source, LiteLLM version, api-versions, date."""
        requests, responses, *_ = AtomicPersister.load_cassette(file, vcr.serializers.yamlserializer)
        versions = sorted({s["api-version"] for s in map(request_summary, requests) if s["api-version"]})
        provenance = {
            "source": self.source,
            "path": path,
            "litellm_version": self.litellm_version,
            "api_versions": versions,
            "recorded": datetime.date.today().isoformat(),
        }
        if path == "litellm":
            provenance["answers_shared_with_direct"] = shared
        AtomicPersister.save_cassette(
            file,
            {"requests": requests, "responses": responses, "metadata": {"provenance": provenance}},
            vcr.serializers.yamlserializer,
        )


def _unused(file: Path, unused: list[Request], ref: CaseRef) -> ReplayMiss:
    shown = "; ".join(
        f"{s['method']} {s['path']} api-version={s['api-version']}" for s in map(request_summary, unused[:3])
    )
    return ReplayMiss(
        f"harness: {len(unused)} recorded interaction(s) in {file} were never requested ({shown}); the case now "
        f"makes fewer upstream calls than when it was recorded. Re-record: {ref.command}",
        {"kind": "unused", "cassette": str(file), "fields": [], "requests": [request_line(r) for r in unused]},
    )


@dataclass
class ForwardingCapture:
    """Timing-fault cases while the suite records or replays: both paths meet a live emulator.

    The direct client calls it straight; the proxy's calls pass through the upstream server,
    which forwards them as they arrive (no cassette). The emulator's journal says what was sent.
    """

    target: UpstreamTarget
    server: UpstreamServer

    def observe(self, path: str, ref: CaseRef, call: Call) -> tuple[Observation, list[dict[str, Any]] | None]:
        __tracebackhide__ = True
        journal = LiveCapture(self.target)
        if path == "direct":
            return journal.observe(path, ref, call)
        activation = Activation(
            path=None, record=False, keep_old=False, replay_first=False, forward_to=self.target.endpoints
        )
        self.server.activate(activation)
        try:
            return journal.observe(path, ref, call)
        finally:
            self.server.deactivate()
