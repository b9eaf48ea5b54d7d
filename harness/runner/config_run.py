"""A team's config through the contract in one process: the path a team takes, without a pytest per run.

`pytest tests/contract --litellm-config F --ledger L --ledger-update`, then the plain run, then a
second plain run in another order with `-n 2`: each is a pytest process that imports and collects
the suite before its proxy starts. Checking that path for every config of a corpus that way costs
minutes per config. The parts that decide the outcome are the same here: the real LiteLLM proxy
with the rendered config, the emulator, the `ContractRunner` with its comparison, ledger and
premises, `--ledger-update`'s writer, and stale detection (`RunResults`). Only the pytest process
around them is left out, so a whole corpus fits in the default run.

A pass runs items (a case on a path) in a given order against one proxy, or splits them between two
proxies the way `-n 2` splits a run's cases between two workers, each with its own proxy state.
Passes on one proxy never share router state: each pass asks for model groups of its own (the lane
owner carries the pass's name).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.contract.case import Case, CaseResult
from harness.contract.compare import Level
from harness.contract.ledger import Ledger
from harness.contract.results import RunResults
from harness.contract.scenario import Scenario
from harness.paths.clients import DirectPath, LiteLLMPath
from harness.paths.lanes import LanePlan
from harness.paths.premises import unmet_premise
from harness.paths.proxy import RunningProxy, litellm_version, run_proxy
from harness.paths.proxy_env import OFFLINE_PROXY_ENV
from harness.paths.team_config import TeamConfig, team_setups
from harness.paths.team_groups import plan_groups, team_emulator_config
from harness.paths.team_render import team_proxy_config
from harness.replay import waits
from harness.replay.recording import CaseRef, LiveCapture
from harness.replay.upstream import UpstreamTarget, emulator_upstream
from harness.runner.runner import ContractRunner

PATHS = ("direct", "litellm")


@dataclass(frozen=True)
class Item:
    """One case of the contract as a test item: its area, case and test file (for its `CaseRef`)."""

    area: str
    case: Case
    test_file: str
    #: make one quick call on the item's own lane first, not compared (the timeout cases: a proxy's first
    #: call must not be what a scaled timeout measures)
    warm_up: bool = False

    @property
    def key(self) -> str:
        return f"{self.area}/{self.case.id}"


@dataclass
class Pass:
    """What one pass found: each item's outcome (`<case>-<path>` -> passed / failed / not applicable),
    the failures' messages, and the results the report and `--ledger-update` read."""

    outcomes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    results: RunResults = field(default_factory=RunResults)

    def mismatches(self) -> dict[str, set[str]]:
        """Per case, every difference found (covered by an entry or not), path and kind: what must be the
        same in two runs of a deterministic config, whichever ledger judged them."""
        return {c["case"]: {f"{m['path']} {m['kind']}" for m in c["mismatches"]} for c in self.results.comparisons}


def _owner(item: Item, tag: str) -> str:
    return f"{item.key}#{tag}"


class ConfigRun:
    """The emulated resource for one team config, and proxies with the config rendered for given passes."""

    def __init__(
        self, team: TeamConfig, items: list[Item], workdir: Path, lanes: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """`lanes`: (owner, setup) model groups beside the items' (the differential fuzz's own)."""
        self.team, self.items, self.workdir, self.lanes = team, items, workdir, lanes
        self.setups = team_setups(team)
        self._stack = contextlib.ExitStack()
        self.target: UpstreamTarget | None = None
        self.version = litellm_version()

    def __enter__(self) -> ConfigRun:
        self.target = self._stack.enter_context(emulator_upstream(team_emulator_config(self.team)))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def plan(self, tags: list[str]) -> LanePlan:
        """Model groups for every item in each of the passes named by `tags`."""
        claims = [(_owner(item, tag), [item.case.scenario.setup]) for item in self.items for tag in tags]
        return LanePlan.from_claims([*claims, *((owner, [setup]) for owner, setup in self.lanes)])

    @contextlib.contextmanager
    def proxy(self, tags: list[str], name: str) -> Iterator[RunningProxy]:
        """A real proxy with the team's config, holding model groups for the passes named by `tags`."""
        assert self.target is not None, "ConfigRun is a context manager"
        endpoints = {**self.target.endpoints, **self.target.proxy_endpoints}  # back-off skipped (`waits`)
        config, env = team_proxy_config(self.team, self.target.credentials, endpoints, self.plan(tags))
        with run_proxy(config, {**env, **OFFLINE_PROXY_ENV, **waits.PROXY_ENV}, self.workdir / name) as proxy:
            yield proxy

    def runner(self, proxy: RunningProxy, tags: list[str], ledger: Ledger, collect: bool) -> ContractRunner:
        assert self.target is not None, "ConfigRun is a context manager"
        direct = DirectPath(endpoints=self.target.endpoints, credentials=self.target.credentials, setups=self.setups)
        litellm = LiteLLMPath(base_url=proxy.url, api_key=proxy.master_key, lanes=self.plan(tags))
        versions = {s.name: s.api_version for s in self.setups}
        return ContractRunner(
            paths={"direct": direct, "litellm": litellm},
            capture=LiveCapture(self.target, canonical=plan_groups(self.team).canonical),
            ledger=ledger,
            level=Level.EXACT,
            litellm_version=proxy.version,
            before_case=self.target.reset,
            settle=self.target.settle,
            received=self.target.received,
            judge_litellm_by_ledger=True,
            collect_unledgered=collect,
            unmet_premise=lambda case: unmet_premise(case, versions.get(case.scenario.setup, "")),
        )

    def run_pass(
        self,
        tag: str,
        runners: list[ContractRunner],
        ledger: Ledger,
        seed: int,
        extra: Callable[[ContractRunner, Pass], None] | None = None,
    ) -> Pass:
        """Every item on both paths in an order shuffled by `seed`, the cases dealt to `runners` in turn
        (one runner: one proxy; two: the split `-n 2` makes, both paths of a case on one worker). `extra`
        runs after the items on the first runner (the differential fuzz)."""
        found = Pass()
        order = [(item, path) for item in self.items for path in PATHS]
        random.Random(seed).shuffle(order)
        worker = {item.key: runners[i % len(runners)] for i, item in enumerate(self.items)}
        for item, path in order:
            self._run_item(worker[item.key], item, path, tag, found)
        if extra is not None:
            extra(runners[0], found)
        found.results.stale(ledger)
        return found

    def _run_item(self, runner: ContractRunner, item: Item, path: str, tag: str, found: Pass) -> None:
        name = f"{item.key}-{path}"
        if path == "litellm" and not item.case.compare:
            found.outcomes[name] = "not applicable"  # as the plugin skips it in config mode
            return
        recorded: list[CaseResult] = []
        ref = CaseRef(item.area, item.case.id, item.test_file, lane_owner=_owner(item, tag))
        outcome, message = "passed", ""
        if item.warm_up:
            warm = {"messages": [{"role": "user", "content": "Warm up."}], "max_tokens": 1}
            quick = Case(item.case.id, Scenario(warm))
            runner.observe(quick, ref, path)
        try:
            runner.run(item.case, ref, path, recorded.append)
        except AssertionError as exc:
            outcome, message = "failed", str(exc)
        found.outcomes[name] = outcome
        if message:
            found.messages[name] = message
        result = recorded[0].as_dict() if recorded else None
        found.results.add(name, item.area, path, outcome, result)
