"""The contract's cases as items, read from the suite itself (`tests/contract/test_<area>.py`).

The explainer and the in-process corpus runs need the cases by key (`errors/rate-limited-429`),
without pytest collecting them: each contract module lists its `CASES`; the stream-assembly test
runs each of its `ASSEMBLY` cases twice (`<id>-whole` and `<id>-streamed`), and the differential fuzz
is one item of its own (`fuzz/generated`), run by `fuzz_extra`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.contract.case import Case
from harness.contract.scenario import Scenario
from harness.paths.team_config import TeamConfig
from harness.runner.config_run import Item, Pass
from harness.runner.fuzz import CASE as FUZZ_CASE
from harness.runner.fuzz import FuzzFindings
from harness.runner.runner import ContractRunner


def _module(root: Path, area: str) -> Any:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(f"tests.contract.test_{area}")


def contract_items(root: Path, team: TeamConfig | None = None) -> dict[str, Item]:
    """Every case of the contract by key, as an item. A module whose cases are made from the run's config
    (`catalogue_cases(team)`: the timeout cases, set against the config's timeouts) gives them for `team`,
    and none without one."""
    items: dict[str, Item] = {}
    for path in sorted((root / "tests" / "contract").glob("test_*.py")):
        area = path.stem.removeprefix("test_")
        module = _module(root, area)
        test_file = f"tests/contract/{path.name}"
        made = getattr(module, "catalogue_cases", None)
        cases = (made(team) if team is not None else []) if made is not None else getattr(module, "CASES", [])
        for case in cases:
            items[f"{area}/{case.id}"] = Item(area, case, test_file, warm_up=made is not None)
        for case in getattr(module, "ASSEMBLY", []):  # test_stream_assembles_to_the_non_stream_answer
            whole = Case(f"{case.id}-whole", case.scenario)
            streamed = Case(f"{case.id}-streamed", Scenario(dict(case.scenario.params), stream=True))
            items[f"{area}/{whole.id}"] = Item(area, whole, test_file)
            items[f"{area}/{streamed.id}"] = Item(area, streamed, test_file)
    return items


def fuzz_extra(root: Path, examples: int) -> Callable[[ContractRunner, Pass], None]:
    """The differential fuzz as a pass's extra: the same derandomized requests as `test_fuzz.py` with
    `--gate-examples N`, its findings one comparison of `fuzz/generated`."""
    from harness.hypothesis_profiles import load

    load()  # outside pytest too: the root conftest's profiles (no deadline on a loaded machine)
    fuzz = _module(root, "fuzz")

    def run(runner: ContractRunner, found: Pass) -> None:
        findings = FuzzFindings(runner.ledger, runner.litellm_version)
        outcome = "passed"
        try:
            fuzz.fuzz(runner, findings, examples)
        except AssertionError as exc:
            outcome, found.messages[FUZZ_CASE] = "failed", str(exc)
        found.outcomes[FUZZ_CASE] = outcome
        found.results.add(FUZZ_CASE, "fuzz", "litellm", outcome, findings.result().as_dict())

    return run
