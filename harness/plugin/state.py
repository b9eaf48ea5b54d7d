"""The run's shared state: settings, ledger and results, kept on the pytest config's stash.

Shared by the plugin's hooks (`harness.plugin`) and its fixtures (`harness.plugin.fixtures`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.contract.ledger import Ledger
from harness.contract.ledger_update import Update
from harness.contract.results import RunResults
from harness.paths.lanes import LanePlan
from harness.runner.parts import Watch
from harness.settings import HarnessSettings


@dataclass
class RunState:
    settings: HarnessSettings
    ledger: Ledger
    results: RunResults = field(default_factory=RunResults)
    report_path: Path | None = None
    #: why the report goes elsewhere than asked (another run in this checkout holds that path)
    report_note: str = ""
    written: list[Path] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    #: live runs: the merged environment (.env under the process env) and the Entra token, if any;
    #: kept here, never in settings that get printed
    live_env: dict[str, str] = field(default_factory=dict, repr=False)
    live_token: str | None = field(default=None, repr=False)
    #: each collected item's own model groups on the local proxy (planned at collection)
    lanes: LanePlan = field(default_factory=LanePlan)
    #: the proxy, upstream server and emulator of this process, watched (`harness.runner.parts`)
    watch: Watch = field(default_factory=Watch)
    #: config mode: what the doctor's lint says about the alias under test, appended to a failing case
    config_hints: list[str] = field(default_factory=list)
    #: `--ledger-update`: what was added and removed, for the summary
    ledger_changes: Update | None = None
    #: `--ledger-update` could not write the ledger: why (the file was left as it was)
    ledger_error: str = ""


STATE = pytest.StashKey[RunState]()
ITEM = "contract_item"  # user_properties key: which area and path an item belongs to
INFRA = "contract_infra"  # user_properties key: the item failed because a part of the run is down
REPLAY_MISS = "contract_replay_miss"  # user_properties key: the replay could not serve it (a typed record)


def area_of(item: pytest.Item) -> str:
    """A contract item's area: its module's name without `test_` (`test_auth.py` -> `auth`)."""
    return item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py").removeprefix("test_")


def lane_claims(items: list[pytest.Item]) -> list[tuple[str, list[str]]]:
    """Which model groups each collected item needs on the local proxy: a contract case's litellm
    item its case's setup, and any test its `proxy_lane(owner, *setups)` marker."""
    claims: list[tuple[str, list[str]]] = []
    for item in items:
        for marker in item.iter_markers("proxy_lane"):
            owner, *setups = marker.args
            claims.append((str(owner), [str(s) for s in setups]))
        params = getattr(getattr(item, "callspec", None), "params", {})
        owner = item_owner(item)
        if params.get("contract_path") == "litellm" and owner is not None:
            claims.append((owner, [params["case"].scenario.setup]))
    return claims


def item_owner(item: pytest.Item) -> str | None:
    """The model-group owner of a contract item: `<area>/<case id>` of its `case` parameter. Every
    case the item runs (a test may run derived ones) uses that case's lanes."""
    case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
    if getattr(case, "scenario", None) is None:
        return None
    return f"{area_of(item)}/{case.id}"
