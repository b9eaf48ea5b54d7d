"""The divergence ledger: known, accepted differences between LiteLLM and direct Azure.

`tests/contract/divergences.yaml` is reviewed like code. Each entry says which mismatch paths it
covers (globs where `*` matches anything, and `[*]` any list index), for which cases, observation
kinds and LiteLLM versions, and why. A mismatch covered by an entry passes and is counted; one
that is not fails. An entry is stale when a case it is scoped to (`cases` minus `except_cases`)
ran and the divergence did not occur there: that fails the run, so the ledger stays true across
upgrades (a strict xfail for documentation), for a full run and for any `-k` subset alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.version import Version

from harness.contract.compare import SHAPE_VALUE_KEYS, Level, Mismatch, plain
from harness.contract.pins import Pin, PinnedMismatch
from harness.contract.releases import Releases

REQUIRED = ("id", "what", "paths", "litellm", "reason", "impact", "link")
OPTIONAL = ("kinds", "cases", "except_cases", "observations", "workaround", "pin", "settings", "caused_by")
_KINDS = {"missing", "extra", "type", "value", "length"}
_OBSERVATIONS = {"response", "stream", "error", "sequence", "events", "disclosure"}
#: what an entry without `observations` is about: what the application sees. What the proxy discloses
#: (`harness.contract.disclosure`) is another question, asked only by entries that name it
DEFAULT_OBSERVATIONS = frozenset(_OBSERVATIONS - {"disclosure"})
_INDEX = re.compile(r"\[\d+\]")
_CALL = re.compile(r"^calls\[(\d+)\]\.(.+)$")


class LedgerError(ValueError):
    """The ledger file cannot be used; the message names the file, the entry and the fix."""


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


@dataclass(frozen=True)
class Entry:
    id: str
    what: str
    paths: tuple[str, ...]
    litellm: Releases
    reason: str
    impact: str
    link: str
    kinds: frozenset[str] = frozenset(_KINDS)
    cases: tuple[str, ...] = ("*",)
    observations: frozenset[str] = DEFAULT_OBSERVATIONS
    workaround: str = ""
    _path_res: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    _case_res: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    except_cases: tuple[str, ...] = ()
    _except_res: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    pins: tuple[Pin, ...] = ()
    #: the proxy config settings known to change or remove this divergence (`router_settings.num_retries`,
    #: `litellm_params.max_retries` for any deployment's): named when a team's config makes it go stale
    settings: tuple[str, ...] = ()
    #: a team ledger's entry: the settings of its config found to bring it (`python -m harness explain`)
    caused_by: tuple[str, ...] = ()

    def pin_violation(self, mismatch: Mismatch) -> str | None:
        """Why the litellm value at a covered path breaks a pin, or None."""
        normalized = _INDEX.sub("[*]", mismatch.path)
        value = plain(mismatch.litellm)
        for pin in self.pins:
            rule = _glob(pin.path)
            if (rule.match(normalized) or rule.match(mismatch.path)) and value != "(absent)":
                why = pin.violated_by(value)
                if why is not None:
                    return why
        return None

    def in_scope(self, case: str, observation: str, version: str | Version) -> bool:
        return (
            observation in self.observations
            and (version if isinstance(version, Version) else Version(version)) in self.litellm
            and any(r.match(case) for r in self._case_res)
            and not any(r.match(case) for r in self._except_res)
        )

    @property
    def needs_review(self) -> bool:
        """Written by `--ledger-update` and not yet reviewed: its reason, impact or link still says REVIEW."""
        return any(str(v).startswith("REVIEW:") for v in (self.what, self.reason, self.impact, self.link))

    @property
    def about_requests(self) -> bool:
        return all(p.startswith("upstream_requests") for p in self.paths)

    def observable_at(self, level: Level) -> bool:
        """At `shape` most values are not compared (live, two completions differ): an entry that may
        be about such values (its kinds include `value`) can occur there as a value difference alone,
        which `shape` does not see, so it is not expected to (and is not stale). `error.code` is one:
        Azure's `null` becoming `"400"` is a type difference, its `DeploymentNotFound` becoming `"404"`
        a value difference only. The exact (offline) run is where such entries go stale."""
        if level is Level.EXACT or self.about_requests or "value" not in self.kinds:
            return True
        return any(p.rsplit(".", 1)[-1].split("[", 1)[0] in SHAPE_VALUE_KEYS for p in self.paths)

    def covers(self, mismatch: Mismatch) -> bool:
        """A pattern matches the path with every index as `[*]`, or the path as it is: `calls[1].*`
        names the second call of a sequence only."""
        normalized = _INDEX.sub("[*]", mismatch.path)
        return mismatch.kind in self.kinds and any(
            r.match(normalized) or r.match(mismatch.path) for r in self._path_res
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": self.what,
            "paths": list(self.paths),
            "litellm": str(self.litellm),
            "reason": self.reason,
            "impact": self.impact,
            "link": self.link,
            "workaround": self.workaround,
            **({"settings": list(self.settings)} if self.settings else {}),
            **({"caused_by": list(self.caused_by)} if self.caused_by else {}),
        }


@dataclass(frozen=True)
class Ledger:
    path: Path
    entries: tuple[Entry, ...]

    def split(
        self,
        mismatches: Iterable[Mismatch],
        case: str,
        observation: str,
        version: str,
        calls: Sequence[str] = (),
    ) -> tuple[list[Mismatch], dict[str, list[Mismatch]]]:
        """(unledgered mismatches, {entry id: the mismatches it covers}) for one case.

        In a sequence (`calls`: the kind of each call), `calls[i].<path>` is covered by an entry
        about sequences at the full path, or else by an entry about call i's own kind at `<path>`:
        a wrapped error message is the same divergence on the first call of three as on one call.
        """
        unledgered: list[Mismatch] = []
        covered: dict[str, list[Mismatch]] = {}
        scope = self._scope(case, version)
        for mismatch in mismatches:
            entry, inner = self._cover(mismatch, scope, observation, calls)
            why = entry.pin_violation(inner) if entry is not None else None
            if entry is None:
                unledgered.append(mismatch)
            elif why is not None:
                unledgered.append(PinnedMismatch(**vars(mismatch), entry=entry.id, why=why))
            else:
                covered.setdefault(entry.id, []).append(mismatch)
        return unledgered, covered

    def _scope(self, case: str, version: str) -> Callable[[str], list[Entry]]:
        """The entries in scope for `case` and `version`, per observation kind, each kind's found once per
        comparison: asked per entry for each of a comparison's mismatches, the scope (a version parsed and
        held against each entry's releases) was most of a litellm item's judging."""
        parsed = Version(version)
        found: dict[str, list[Entry]] = {}

        def of(kind: str) -> list[Entry]:
            if kind not in found:
                found[kind] = [e for e in self.entries if e.in_scope(case, kind, parsed)]
            return found[kind]

        return of

    def _candidates(
        self, mismatch: Mismatch, scope: Callable[[str], list[Entry]], observation: str, calls: Sequence[str]
    ) -> Iterator[tuple[Entry, Mismatch]]:
        """Every entry that describes `mismatch`, in ledger order, with the mismatch as that entry sees it:
        entries at the full path first, then, in a sequence, entries about call i's own kind at its path."""
        yield from ((e, mismatch) for e in scope(observation) if e.covers(mismatch))
        inner = _CALL.match(mismatch.path)
        if observation != "sequence" or inner is None or int(inner.group(1)) >= len(calls):
            return
        call = replace(mismatch, path=inner.group(2))
        yield from ((e, call) for e in scope(calls[int(inner.group(1))]) if e.covers(call))

    def _cover(
        self, mismatch: Mismatch, scope: Callable[[str], list[Entry]], observation: str, calls: Sequence[str]
    ) -> tuple[Entry | None, Mismatch]:
        """The entry covering `mismatch` (the first that describes it), and the mismatch as it sees it."""
        return next(self._candidates(mismatch, scope, observation, calls), (None, mismatch))

    def occurring(
        self, mismatches: Iterable[Mismatch], case: str, observation: str, version: str, calls: Sequence[str] = ()
    ) -> list[str]:
        """The entries whose divergence occurred, whether or not an earlier entry claimed the mismatch.

        Staleness asks this, not which entry covered: a team's entry at `calls[*].error.type` claims the
        first call's rewritten `error.type` before the shipped entry that describes it too, and that
        shipped entry did not stop occurring."""
        found: dict[str, None] = {}
        scope = self._scope(case, version)
        for mismatch in mismatches:
            for entry, seen in self._candidates(mismatch, scope, observation, calls):
                if entry.pin_violation(seen) is None:
                    found[entry.id] = None
        return list(found)

    def split_anywhere(
        self, mismatches: Iterable[Mismatch], observation: str, version: str
    ) -> tuple[list[Mismatch], dict[str, list[Mismatch]]]:
        """(mismatches no entry covers, {entry id: what it covers}) for a request that belongs to no case
        (differential fuzzing): an entry counts wherever its observation kind and LiteLLM version apply."""
        scoped = [e for e in self.entries if observation in e.observations and Version(version) in e.litellm]
        unledgered: list[Mismatch] = []
        covered: dict[str, list[Mismatch]] = {}
        for mismatch in mismatches:
            entry = next((e for e in scoped if e.covers(mismatch) and e.pin_violation(mismatch) is None), None)
            if entry is None:
                unledgered.append(mismatch)
            else:
                covered.setdefault(entry.id, []).append(mismatch)
        return unledgered, covered

    def scoped_ids(
        self,
        case: str,
        observation: str,
        version: str,
        *,
        requests_compared: bool = True,
        level: Level = Level.EXACT,
        calls: Sequence[str] = (),
    ) -> list[str]:
        """Entries this comparison could have hit: the basis of stale detection. Entries about the
        upstream requests only count when those requests were compared, and entries about values
        only at a level that compares them. A sequence can hit entries about its calls' kinds."""
        kinds = {observation, *calls}
        return [
            e.id
            for e in self.entries
            if any(e.in_scope(case, kind, version) for kind in kinds)
            and (requests_compared or not e.about_requests)
            and e.observable_at(level)
        ]

    def get(self, entry_id: str) -> Entry:
        return next(e for e in self.entries if e.id == entry_id)
