"""Delta debugging (Zeller and Hildebrandt's ddmin) over a config's settings.

The question is the bisect's, asked of a config instead of a release history: which of the team's
settings brings this divergence? `holds(kept)` runs the affected cases with only the settings in
`kept` (every other one removed, so LiteLLM's default applies) and says whether the divergence
occurs. ddmin finds a 1-minimal set of settings that still brings it: keeping only that set makes it
occur, and dropping any one of them makes it go away. Settings that act together (a fallback only
answers what the retry policy lets fail) come back as the set, never as one of them.

Each `holds` is a run of the proxy, so runs are memoized by the set kept, and a budget stops the search
with what it narrowed the cause to so far (as the gate's bisect does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Search:
    """The outcome of one search: the settings found, whether the search finished (`minimal`: no smaller
    subset was left untried), and each run it made."""

    cause: list[str]
    minimal: bool
    runs: list[tuple[frozenset[str], bool]] = field(default_factory=list)
    #: the divergence occurs with every setting removed: no setting brings it
    unexplained: bool = False


class Budget(Exception):
    """No run left: the search stops with what it narrowed the cause to."""


def ddmin(settings: Sequence[str], holds: Callable[[frozenset[str]], bool], budget: int = 64) -> Search:
    """A 1-minimal subset of `settings` for which `holds` is true, given that it holds for all of them.

    `budget` is the number of runs (calls of `holds` not answered from the memo) the search may make."""
    memo: dict[frozenset[str], bool] = {}
    search = Search(cause=list(settings), minimal=False)

    def test(kept: Sequence[str]) -> bool:
        key = frozenset(kept)
        if key not in memo:
            if len(search.runs) >= budget:
                raise Budget
            memo[key] = holds(key)
            search.runs.append((key, memo[key]))
        return memo[key]

    current = list(settings)
    try:
        if test([]):
            search.cause, search.minimal, search.unexplained = [], True, True
            return search
        n = 2
        while len(current) >= 2:
            chunks = _split(current, n)
            reduced = False
            for chunk in chunks:  # a chunk alone brings it
                if test(chunk):
                    current, n, reduced = chunk, 2, True
                    break
            if not reduced and n > 2:
                for chunk in chunks:  # the rest without a chunk still brings it
                    rest = [s for s in current if s not in chunk]
                    if test(rest):
                        current, n, reduced = rest, max(n - 1, 2), True
                        break
            if not reduced:
                if n >= len(current):
                    break
                n = min(len(current), 2 * n)
            search.cause = list(current)
        search.cause, search.minimal = list(current), True
    except Budget:
        search.cause = list(current)
    return search


def _split(items: list[str], n: int) -> list[list[str]]:
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        if end > start:
            out.append(items[start:end])
        start = end
    return out
