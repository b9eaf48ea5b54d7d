"""Ledger pins: what the proxy must send at a path a ledger entry covers.

A ledger entry accepts that LiteLLM differs from Azure at its paths. Where an application branches
on the value (`error.code`, `error.type`, the cooldown 429), that is not enough: an upgrade that
turned `error.code` from "400" into "BadRequest" would still be "covered". A pin names the values
(or the pattern) the proxy must send there, so the contract itself fails when they change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.contract.compare import Mismatch


@dataclass(frozen=True)
class Pin:
    """One of `values`, or a match of `pattern`, at the paths matching the glob `path`."""

    path: str
    values: tuple[Any, ...] = ()
    pattern: str = ""

    def violated_by(self, value: Any) -> str | None:
        if self.values and value not in self.values:
            return f"pinned by the ledger to one of {list(self.values)}"
        if self.pattern and not (isinstance(value, str) and re.search(self.pattern, value)):
            return f"pinned by the ledger to match {self.pattern!r}"
        return None


@dataclass(frozen=True)
class PinnedMismatch(Mismatch):
    """A mismatch a ledger entry covers, except that the litellm value breaks the entry's pin."""

    entry: str = ""
    why: str = ""

    def describe(self) -> str:
        return f"{super().describe()}\n    ledger entry {self.entry!r} covers this path, but the value is {self.why}"


def parse_pins(raw: Any, where: str, error: type[Exception]) -> tuple[Pin, ...]:
    """The entry's `pin:` mapping, checked; `error` is the ledger's own error class."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise error(f"{where}: 'pin' must map paths to {{values: [...]}} or {{pattern: '...'}}")
    pins = []
    for path, rule in raw.items():
        if not isinstance(rule, dict) or not (set(rule) <= {"values", "pattern"}) or not rule:
            raise error(f"{where}: pin {path!r}: expected {{values: [...]}} or {{pattern: '...'}}, got {rule!r}")
        pattern = str(rule.get("pattern", ""))
        try:
            re.compile(pattern)
        except re.error as exc:
            raise error(f"{where}: pin {path!r}: pattern {pattern!r} is not a regular expression ({exc})") from None
        pins.append(Pin(str(path), tuple(rule.get("values") or ()), pattern))
    return tuple(pins)
