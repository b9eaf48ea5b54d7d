"""`python -m harness gate --bisect --good X --bad Y`: the release that made each change.

Users file LiteLLM bugs as "this broke in 1.x.y". The gate between X and Y lists what changed; the
bisect answers, for each change, "first seen in 1.N.M (last without it 1.N.K)", the way `git
bisect` names the first bad commit:

- the releases between X and Y that pip can see, pre-releases left out, known-compromised ones and
  the ones that cannot be installed skipped, each with its reason (`Skip`);
- each change is a predicate over one release's run (`harness.gate.changes`: does this run look
  like Y for it?), searched by halving the releases between the last run without it and the first with;
- a release's suite runs once, however many changes are searched (`Bisector.run_of` caches it), so
  the cost is at most ceil(log2 N) runs per distinct first release, plus the two ends;
- a change that comes and goes between X and Y is reported as such, from every run made;
- with `jobs` > 1 the searches advance in step and the releases they need next run side by side.

Pure logic over plain run data: the release runner is injected (`RunRelease`), so the search is
tested on synthetic reports and driven by `harness.gate.bisect_run` for real.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.version import Version

from harness.contract.entry_course import left_out
from harness.gate.changes import Change, RunData
from harness.gate.found import Found, Skip


class Uninstallable(Exception):
    """A release that pip cannot install; the message is pip's one-line reason."""


class BudgetSpent(Exception):
    """The bisect's time budget is spent: no new release run starts."""


RunRelease = Callable[[str], RunData]
#: several releases' runs made side by side: each one's data, or why it cannot be installed
RunMany = Callable[[Sequence[str]], Mapping[str, "RunData | Uninstallable"]]


@dataclass
class Bisector:
    """Searches every change over `releases` (oldest first, X first and Y last), running each release once."""

    releases: list[str]
    run_release: RunRelease
    runs: dict[str, RunData] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # releases in the order their suite ran
    #: a release's run kept by an earlier bisect (None: not kept); free, so the budget does not apply
    kept: Callable[[str], RunData | None] = lambda version: None
    #: whether a new release run may start (the budget); once False, searches stop where they are
    may_start: Callable[[], bool] = lambda: True
    reused: list[str] = field(default_factory=list)
    stopped: bool = False
    #: how several new runs are made at once (`bisect(jobs=...)`); None: one after the other
    run_many: RunMany | None = None
    #: releases whose run cannot tell after which a search stops with a range (None: ceil(log2 N)). Where a
    #: case does not run across a band of releases, every one of them is undecided, and going round them
    #: one by one would turn the halving into a scan
    undecided_limit: int | None = None
    #: told, before each batch of new runs, the releases the searches may ask for next (`harness.gate.ahead`
    #: builds their venvs meanwhile); the searches' answers do not depend on it
    prepare: Callable[[Sequence[str]], None] = lambda versions: None
    _upcoming: dict[str, None] = field(default_factory=dict)
    #: the runs there when `bisect` began: each search starts from the range they leave, the same with
    #: one job or several (a search never narrows on a run another search made meanwhile)
    _known: frozenset[str] = frozenset()

    def _undecided_limit(self) -> int:
        if self.undecided_limit is not None:
            return self.undecided_limit
        return math.ceil(math.log2(max(len(self.releases), 2)))

    def _settled(self, version: str) -> bool:
        """Whether `run_of(version)` answers without a new suite run: made, kept, skipped, or no budget."""
        if version in self.runs or self.stopped or any(s.version == version for s in self.skipped):
            return True
        try:
            data = self.kept(version)
        except Uninstallable as exc:
            self._skip(version, exc)
            return True
        if data is not None:
            self.runs[version] = data
            self.reused.append(version)
        return data is not None

    def _skip(self, version: str, exc: Uninstallable) -> None:
        self.skipped.append(Skip(version, str(exc).strip().splitlines()[0] if str(exc).strip() else "uninstallable"))
        self.releases.remove(version)

    def _run_batch(self, versions: Sequence[str]) -> None:
        """New runs of `versions` (at most `jobs`, as many as the budget lets start), made side by side."""
        starting: list[str] = []
        for version in versions:
            if self.stopped or not self.may_start():
                self.stopped = True
                break
            starting.append(version)
        if not starting:
            return
        self.prepare([v for v in self._upcoming if v not in starting])
        self._upcoming.clear()
        made = self.run_many(starting) if self.run_many is not None else run_each(self.run_release, starting)
        for version in starting:  # recorded in the order asked, whatever order they finished in
            outcome = made[version]
            if isinstance(outcome, Uninstallable):
                self._skip(version, outcome)
                continue
            self.runs[version] = outcome
            self.order.append(version)

    def load_kept(self) -> None:
        """Every kept run of the releases in range, loaded now (`--kept-only`): a search that stops for
        want of a run is narrowed from all of them, not only from the ones it asked for."""
        for version in list(self.releases):
            self._settled(version)

    def run_of(self, version: str) -> RunData | None:
        if not self._settled(version):
            self._run_batch([version])
        if version in self.runs:
            return self.runs[version]
        if any(s.version == version for s in self.skipped):
            return None
        raise BudgetSpent(version)

    def _search(self, change: Change, lo: str | None = None, hi: str | None = None) -> Generator[str, None, Found]:
        """One change's halving, between `lo` (without it) and `hi` (with it), the two ends unless given.
        It yields each release it needs a new run of before asking for it, so a driver may make several
        searches' runs side by side (`bisect(jobs=...)`); driven alone, the release simply runs when asked."""
        lo, hi = lo or self.releases[0], hi or self.releases[-1]
        if self._known:  # the runs there before any search (kept by earlier sittings) narrow it first
            lo, hi = self._narrowest(change, lo, hi, self._known)
        undecided: list[str] = []
        narrowed = left_open = False
        while True:
            i, j = self.releases.index(lo), self.releases.index(hi)
            between = [r for r in self.releases[i + 1 : j] if r not in undecided]
            if not between:
                break
            mid = between[len(between) // 2]
            if not self._settled(mid):
                for lo_, hi_ in ((lo, mid), (mid, hi)):  # where the search goes next, whatever mid shows
                    nxt = [r for r in self.releases[self.releases.index(lo_) + 1 : self.releases.index(hi_)]
                           if r not in undecided]  # fmt: skip
                    if nxt:
                        self._upcoming[nxt[len(nxt) // 2]] = None
                yield mid
            try:
                data = self.run_of(mid)
            except BudgetSpent:
                narrowed = True
                break
            if data is None:
                continue  # skipped: the list shrank, search again
            verdict = change.present(data)
            if verdict is None:
                undecided.append(mid)
                if len(undecided) >= self._undecided_limit():
                    left_open = True  # a band of releases that cannot tell: scanning it costs a run each
                    break
            elif verdict:
                hi = mid
            else:
                lo = mid
        if narrowed or left_open:
            lo, hi = self._narrowest(change, lo, hi)
        return Found(change, hi, lo, undecided=undecided, narrowed_only=narrowed, left_open=left_open,
                     unrunnable=self._left_out_between(lo, hi))  # fmt: skip

    def _left_out_between(self, lo: str, hi: str) -> list[str]:
        """Releases strictly between `lo` and `hi` that were left out (their suite could not run, or the
        denylist forbids them; pre-releases are not releases a team pins): a change placed across them
        may have come in any of them, so it is a range, not a place."""
        low, high = Version(lo), Version(hi)
        left = left_out(s.version for s in self.skipped)
        return sorted((v for v in left if low < Version(v) < high), key=Version)

    def search(self, change: Change) -> Found:
        steps = self._search(change)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def _came_and_went(self, found: Found) -> None:
        """Runs that contradict the single transition found: with it before `last_without`, or
        without it from `first` on. Read from every run the bisect made, once all searches ended."""
        if found.first is None or found.last_without is None:
            return
        i, j = self.releases.index(found.last_without), self.releases.index(found.first)
        for version in sorted((v for v in self.runs if v in self.releases), key=self.releases.index):
            k = self.releases.index(version)
            verdict = found.change.present(self.runs[version])
            if verdict is not None and ((k <= i and verdict) or (k >= j and not verdict)):
                found.came_and_went.append(version)

    def _narrowest(self, change: Change, lo: str, hi: str, among: Collection[str] | None = None) -> tuple[str, str]:
        """The tightest (last without, first with) the runs made so far allow (`among`: only those runs):
        where the budget was spent, and before a search starts, from the runs kept by earlier sittings."""
        i, j = self.releases.index(lo), self.releases.index(hi)
        known = self.runs if among is None else among
        verdicts = [
            (r, change.present(self.runs[r])) for r in self.releases[i + 1 : j] if r in known and r in self.runs
        ]
        first = next((r for r, v in verdicts if v), hi)
        last = max((r for r, v in verdicts if v is False and self.releases.index(r) < self.releases.index(first)),
                   key=self.releases.index, default=lo)  # fmt: skip
        return last, first

    def bisect(self, changes: Sequence[Change], jobs: int = 1) -> list[Found]:
        """Every change searched. With `jobs` > 1 the searches advance in step: the releases they
        need next (distinct, the earliest-listed change's first) run up to `jobs` at a time. Each
        search takes the same halvings either way, so the answers and the runs made are the same;
        only the wall time differs."""
        ends = (self.releases[0], self.releases[-1])
        self._run_batch([end for end in ends if not self._settled(end)])
        for end in ends:
            if self.run_of(end) is None:
                raise Uninstallable(f"{end} is an end of the range and cannot be installed: {self.skipped[-1].reason}")
        self._known = frozenset(self.runs)
        found = [self.search(change) for change in changes] if jobs <= 1 else self._in_step(changes, jobs)
        for one in found:
            self._came_and_went(one)
        return found

    def within(self, searches: Sequence[tuple[Change, str, str]], jobs: int = 1) -> list[Found]:
        """Each change searched between its own two releases (the last run without it, the first with):
        a ledger entry that came or went between two runs the bisect made for other changes
        (`harness.gate.entry_presence`). Side by side as `bisect` does."""
        return self._in_step([c for c, _, _ in searches], max(jobs, 1), [(lo, hi) for _, lo, hi in searches])

    def _in_step(
        self, changes: Sequence[Change], jobs: int, spans: Sequence[tuple[str | None, str | None]] = ()
    ) -> list[Found]:
        spans = list(spans) or [(None, None)] * len(changes)
        searches = [self._search(change, lo, hi) for change, (lo, hi) in zip(changes, spans, strict=True)]
        wanted: dict[int, str] = {}
        found: dict[int, Found] = {}

        def advance(index: int) -> None:
            try:
                wanted[index] = next(searches[index])
            except StopIteration as done:
                wanted.pop(index, None)
                found[index] = done.value

        for index in range(len(searches)):
            advance(index)
        while wanted:
            batch = list(dict.fromkeys(wanted.values()))[:jobs]
            self._run_batch(batch)
            for index, version in list(wanted.items()):
                if version in batch or self._settled(version):
                    advance(index)
        return [found[index] for index in range(len(changes))]


def run_each(run_release: RunRelease, versions: Sequence[str]) -> dict[str, RunData | Uninstallable]:
    """One release after the other (what `jobs=1` does): each one's run, or why it cannot be installed."""
    made: dict[str, RunData | Uninstallable] = {}
    for version in versions:
        try:
            made[version] = run_release(version)
        except Uninstallable as exc:
            made[version] = exc
    return made


def runs_bound(installable: int, distinct_first: int) -> int:
    """The promised cost: ceil(log2 N) runs per distinct first release, plus the two ends."""
    return distinct_first * math.ceil(math.log2(max(installable, 2))) + 2
