"""Compare two observations at a contract level and report every difference, typed and located.

Levels (DESIGN.md):
- `shape`: same outcome kind, exception class and status; the same fields present with the same
  types; the same finish reasons and stream grammar. Holds live, where two calls get two answers.
- `exact`: `shape`, plus every value equal (content, tool-call arguments, usage, error fields).
  Holds when both paths saw the same upstream answer (emulator, replay).

All differences of a case are collected, then raised together as one `ContractFailure`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar


class Level(StrEnum):
    SHAPE = "shape"
    EXACT = "exact"


# Leaves whose *value* is part of the shape contract, by their last path segment.
SHAPE_VALUE_KEYS = frozenset({"kind", "status", "exception", "finish_reason", "grammar"})


@dataclass(frozen=True)
class Mismatch:
    """One difference: where, what kind, what each path saw, and the level that demanded it."""

    path: str
    kind: str  # missing | extra | type | value | length
    direct: Any
    litellm: Any
    level: Level

    def describe(self) -> str:
        return (
            f"{self.path}: {self.kind} mismatch at level {self.level}\n"
            f"    direct:  {_show(self.direct)}\n    litellm: {_show(self.litellm)}"
        )

    def as_error(self) -> ContractMismatch:
        return _ERRORS[self.kind](self)


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT: Any = _Absent()


def plain(value: Any) -> Any:
    """A mismatch side as JSON can hold it: an absent value becomes the text "(absent)"."""
    return "(absent)" if value is _ABSENT else value


class ContractMismatch(AssertionError):
    """Base of the typed mismatches; each carries its `Mismatch`."""

    title: ClassVar[str] = "mismatch"

    def __init__(self, mismatch: Mismatch) -> None:
        super().__init__(mismatch.describe())
        self.mismatch = mismatch


class MissingField(ContractMismatch):
    title = "field missing on the litellm path"


class ExtraField(ContractMismatch):
    title = "field only on the litellm path"


class TypeMismatch(ContractMismatch):
    title = "different type"


class ValueMismatch(ContractMismatch):
    title = "different value"


class LengthMismatch(ContractMismatch):
    title = "different number of items"


_ERRORS: dict[str, type[ContractMismatch]] = {
    "missing": MissingField,
    "extra": ExtraField,
    "type": TypeMismatch,
    "value": ValueMismatch,
    "length": LengthMismatch,
}


class ContractFailure(AssertionError):
    """All unledgered mismatches of one case, reported together."""

    def __init__(self, case: str, level: Level, mismatches: list[Mismatch], note: str = "") -> None:
        self.case = case
        self.level = level
        self.mismatches = mismatches
        self.errors = [m.as_error() for m in mismatches]
        lines = [
            f"contract {case!r}: {len(mismatches)} distinct failure(s) between direct and litellm "
            f"at level {level}" + (f" ({note})" if note else "")
        ]
        lines += [f"  [{i}] {m.describe()}" for i, m in enumerate(mismatches, 1)]
        super().__init__("\n".join(lines))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _walk(direct: Any, litellm: Any, path: str, level: Level, out: list[Mismatch]) -> None:
    if isinstance(direct, Mapping) and isinstance(litellm, Mapping):
        for key in direct:
            sub = f"{path}.{key}" if path else str(key)
            if key not in litellm:
                out.append(Mismatch(sub, "missing", direct[key], _ABSENT, level))
            else:
                _walk(direct[key], litellm[key], sub, level, out)
        for key in litellm:
            if key not in direct:
                sub = f"{path}.{key}" if path else str(key)
                out.append(Mismatch(sub, "extra", _ABSENT, litellm[key], level))
        return
    last = path.rsplit(".", 1)[-1].split("[", 1)[0]
    value_matters = level is Level.EXACT or last in SHAPE_VALUE_KEYS
    if isinstance(direct, list) and isinstance(litellm, list):
        if last == "grammar":
            _grammar(direct, litellm, path, level, out)
            return
        if len(direct) != len(litellm):
            out.append(Mismatch(path, "length", len(direct), len(litellm), level))
        for i, (a, b) in enumerate(zip(direct, litellm, strict=False)):
            _walk(a, b, f"{path}[{i}]", level, out)
        return
    if _type_name(direct) != _type_name(litellm):
        out.append(Mismatch(path, "type", direct, litellm, level))
    elif value_matters and direct != litellm:
        out.append(Mismatch(path, "value", direct, litellm, level))


def _grammar(direct: list[Any], litellm: list[Any], path: str, level: Level, out: list[Mismatch]) -> None:
    """A stream grammar differs by named steps (`grammar[prompt_filter]` missing), not by position,
    so that a ledger entry can accept one dropped step without accepting any other change."""
    # Align on the kind of step first ("role+" and "role" are the same step, repeated or not), then
    # report a changed repetition as `grammar[role+->role]`.
    bases = ([str(s).rstrip("+") for s in direct], [str(s).rstrip("+") for s in litellm])
    matcher = difflib.SequenceMatcher(a=bases[0], b=bases[1], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            for a, b in zip(direct[a0:a1], litellm[b0:b1], strict=True):
                if a != b:
                    out.append(Mismatch(f"{path}[{a}->{b}]", "value", a, b, level))
        elif op == "delete":
            out.extend(Mismatch(f"{path}[{step}]", "missing", step, _ABSENT, level) for step in direct[a0:a1])
        elif op == "insert":
            out.extend(Mismatch(f"{path}[{step}]", "extra", _ABSENT, step, level) for step in litellm[b0:b1])
        elif op == "replace":
            replaced, added = direct[a0:a1], litellm[b0:b1]
            for i in range(max(len(replaced), len(added))):
                if i < len(replaced) and i < len(added):
                    step = f"{path}[{replaced[i]}->{added[i]}]"
                    out.append(Mismatch(step, "value", replaced[i], added[i], level))
                elif i < len(replaced):
                    out.append(Mismatch(f"{path}[{replaced[i]}]", "missing", replaced[i], _ABSENT, level))
                else:
                    out.append(Mismatch(f"{path}[{added[i]}]", "extra", _ABSENT, added[i], level))


def diff(direct: Mapping[str, Any], litellm: Mapping[str, Any], level: Level) -> list[Mismatch]:
    """Every difference between two observation trees at `level`.

    Outcomes of different kinds (a response against an error) are one mismatch at `kind`, plus the
    status and exception, rather than a cascade of missing fields.
    """
    if direct.get("kind") == litellm.get("kind") == "sequence":
        return _sequence(direct["calls"], litellm["calls"], level)
    if direct.get("kind") != litellm.get("kind"):
        out = [Mismatch("kind", "value", direct.get("kind"), litellm.get("kind"), level)]
        for key in ("status", "exception"):
            if direct.get(key) != litellm.get(key):
                out.append(Mismatch(key, "value", direct.get(key, _ABSENT), litellm.get(key, _ABSENT), level))
        return out
    out: list[Mismatch] = []
    _walk(direct, litellm, "", level, out)
    return out


def _sequence(direct: list[Mapping[str, Any]], litellm: list[Mapping[str, Any]], level: Level) -> list[Mismatch]:
    """Call by call, each compared as an observation of its own, at `calls[i].<path>`."""
    out: list[Mismatch] = []
    if len(direct) != len(litellm):
        out.append(Mismatch("calls", "length", len(direct), len(litellm), level))
    for i, (a, b) in enumerate(zip(direct, litellm, strict=False)):
        out += [Mismatch(f"calls[{i}].{m.path}", m.kind, m.direct, m.litellm, m.level) for m in diff(a, b, level)]
    return out
