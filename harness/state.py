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
    #: live runs: the merged environment (.env under the process env) and the Entra token, if any;
    #: kept here, never in settings that get printed
    live_env: dict[str, str] = field(default_factory=dict, repr=False)
    live_token: str | None = field(default=None, repr=False)


STATE = pytest.StashKey[RunState]()
ITEM = "contract_item"  # user_properties key: which area and path an item belongs to
