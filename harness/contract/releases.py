"""A ledger entry's `litellm:` range: PEP 440 version specifiers, or several joined by `||`.

Most divergences come in one release and stay, and `">=1.81.6"` says so. Some come and go: the
proxy's answer to a cut stream was an error event up to 1.81.5, a normal end from 1.81.6 (but for
1.81.14 to 1.81.16), an error event again from 1.94.0. One specifier set is one interval and cannot
say that; `packaging` has no "or". So a range is a union, `"<1.81.6 || >=1.81.14,<1.82.0 || >=1.94.0"`,
each side a specifier set as before (written by `gate --update-ledger` from the bisect's runs,
`harness.gate.entry_presence`).
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

OR = "||"


class Releases:
    """The releases a ledger entry applies to: any of its specifier sets contains the version."""

    def __init__(self, text: str = "") -> None:
        parts = text.split(OR)
        if len(parts) > 1 and any(not p.strip() for p in parts):
            raise InvalidSpecifier(f"an empty side of {OR!r} in {text!r}")
        self.sets = tuple(SpecifierSet(p.strip()) for p in parts)

    def __contains__(self, version: Version | str) -> bool:
        return any(version in s for s in self.sets)

    def __str__(self) -> str:
        return f" {OR} ".join(str(s) for s in self.sets)

    def __repr__(self) -> str:
        return f"Releases({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Releases) and self.sets == other.sets

    def __hash__(self) -> int:
        return hash(self.sets)


__all__ = ["OR", "Releases"]
