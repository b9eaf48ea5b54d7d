"""The run's shared state: settings, ledger and results, kept on the pytest config's stash.

Shared by the plugin's hooks (`harness.plugin`) and its fixtures (`harness.fixtures`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.ledger import Ledger
from harness.results import RunResults
from harness.settings import HarnessSettings


@dataclass
class RunState:
    settings: HarnessSettings
    ledger: Ledger
    results: RunResults = field(default_factory=RunResults)
    report_path: Path | None = None
    written: list[Path] = field(default_factory=list)
    started: float = field(default_factory=time.time)


STATE = pytest.StashKey[RunState]()
ITEM = "contract_item"  # user_properties key: which area and path an item belongs to
