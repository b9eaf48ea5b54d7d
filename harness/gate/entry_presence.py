"""Where each ledger entry applies, release by release, read from the runs a bisect made.

A ledger entry's `litellm:` range is the releases where any of its divergences is seen. The bisect
searches field-level changes between its two ends; an entry's range follows from them only while the
entry comes once and stays. Seen on the real bisect (1.63.8 -> 1.108.7): `stream-cut-becomes-error`
is present at both ends, gone from 1.81.6 (the proxy ended a cut stream normally instead,
`stream-cut-ends-normally`), back in 1.81.14, gone in 1.82.0 and back in 1.94.0. The two ends agree,
so no change pointed the search there; only the entry's presence in every run made shows it, and its
range is a union, `<1.81.6 || >=1.81.14,<1.82.0 || >=1.94.0`.

So the ranges are read from the entries' presence in every run: each run says, per entry, present or
absent (or nothing, when it did not compare any case the entry was seen in); `Seen` reads it. What
follows from it, where each entry came and went, is `harness.contract.entry_course`; a flip with a
release between its two runs that was not run is searched by the bisect (`bisect_run._place_flips`),
and until then the entry's range is held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from packaging.version import Version

from harness.contract.entry_course import Presence
from harness.contract.ledger import Ledger
from harness.gate.reach import at_end


class Seen:
    """Which entries each run shows, read once per run: reading a run is `reach.at_end` over every
    comparison (a divergence the run's ledger did not reach is read by the entry that would cover it, so
    a range that did not reach a release does not hide it), and a bisect asks again after each round."""

    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger
        self._read: dict[str, tuple[frozenset[str], frozenset[tuple[str, str, str]]]] = {}

    def read(self, version: str, run: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[tuple[str, str, str]]]:
        """(the cases the run compared, its (case, path, entry) rows with an entry)."""
        if version not in self._read:
            compared = frozenset(c["case"] for c in run.get("comparisons", []))
            rows = frozenset((case, path, entry) for case, path, entry in at_end(run, self.ledger) if entry)
            self._read[version] = (compared, rows)
        return self._read[version]

    def presence(self, runs: Mapping[str, Mapping[str, Any]]) -> tuple[Presence, dict[str, set[str]]]:
        """Each entry's presence in each run, and the cases each entry was seen in. A run tells for an
        entry when it compared one of those cases."""
        seen = self.seen_in(runs)
        cases_of = {entry: {case for case, _ in where} for entry, where in seen.items()}
        read = {version: self.read(version, run) for version, run in runs.items()}
        out: Presence = {}
        for entry, cases in sorted(cases_of.items()):
            out[entry] = {
                version: any(e == entry for _, _, e in read[version][1])
                for version in sorted(runs, key=Version)
                if cases & read[version][0]
            }
        return out, cases_of

    def seen_in(self, runs: Mapping[str, Mapping[str, Any]]) -> dict[str, set[tuple[str, str]]]:
        """{entry: every (case, path) it covered in any run}: the atlas's row for an entry that no change
        between the ends points at (it came and went between them)."""
        out: dict[str, set[tuple[str, str]]] = {}
        for version, run in runs.items():
            for case, path, entry in self.read(version, run)[1]:
                out.setdefault(entry, set()).add((case, path))
        return out

    def shows(self, run: Mapping[str, Any], entry: str, cases: Iterable[str]) -> bool | None:
        """Whether one run shows `entry` (None: it compared none of `cases`)."""
        compared, rows = self.read(str(run.get("meta", {}).get("litellm_version", "")), run)
        if not set(cases) & compared:
            return None
        return any(e == entry for _, _, e in rows)


__all__ = ["Presence", "Seen"]
