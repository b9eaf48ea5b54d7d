"""Which serial runs start warming LiteLLM before collection (`harness.paths.zygote`).

The contract's first proxy forks from a warm process whose import takes seconds. Started after
collection, a serial run waited for all of it; started at session start, the import overlaps
collection. Before collection the run's items are not known, only its arguments, so the choice is
made from them.
"""

from __future__ import annotations

from pathlib import Path


def reaches_contract(args: list[str], invoked_in: Path, root: Path) -> bool:
    """Whether a run's arguments (as pytest holds them: the configured testpaths when none were given)
    reach the contract, whose cases start proxies: a path inside `tests/contract` or a folder holding
    it. A serial run of other tests only (`pytest tests/harness/test_x.py`) pays no LiteLLM import it
    would not use; one whose selection (`-k`, `-m`) leaves no proxy test pays one beside it."""
    contract = (root / "tests" / "contract").resolve()
    for arg in args:
        path = (invoked_in / arg.split("::", 1)[0]).resolve()
        if path == contract or contract in path.parents or path in contract.parents:
            return True
    return False
