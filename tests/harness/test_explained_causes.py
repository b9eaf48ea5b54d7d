"""Every cause a committed ledger names (`caused_by`, found by `python -m harness explain`) is checked by a
run with that setting removed: the divergence is gone, and with the config as written it is there.

The examples' ledgers and the corpus's (tests/configs/) name causes; each is tried in-process
(`harness.runner.config_run`: the real proxy, the emulator, the comparison) on the cases the entry
covers. Run in the slow tier but for one config, in the default run: `foundry-byo-gateway-static-ad-token`,
whose two causes (`allowed_fails` on a cooldown sequence, `rpm` on an answer's headers) take four short
runs. (`ecs-ha-redis-aurora-prod` was that config until its ledger gained a `request_timeout` cause, whose
runs wait past the team's scaled timeouts: 47 s of one worker in the README's command; it runs in the
slow tier with the others.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.contract.ledger import Entry
from harness.contract.ledger_file import load_ledger
from harness.paths.team_config import TeamConfig, load_team_config
from harness.runner.catalogue import contract_items
from harness.runner.config_run import ConfigRun
from harness.runner.explain import Question, trial_config

from .support import ROOT

SHIPPED = ROOT / "tests" / "contract" / "divergences.yaml"


def _explained() -> list[tuple[str, Path, str, Path]]:
    """(name, config, alias, ledger) of every committed team ledger with an entry that names its cause."""
    found = []
    for ledger in sorted([*ROOT.glob("examples/*/divergences.yaml"), *ROOT.glob("tests/configs/*/divergences.yaml")]):
        data = yaml.safe_load(ledger.read_text()) or {}
        if not any(e.get("caused_by") for e in data.get("divergences") or []):
            continue
        folder = ledger.parent
        source = yaml.safe_load((folder / "source.yaml").read_text()) if (folder / "source.yaml").exists() else {}
        config = folder / str(source.get("fixed") or "litellm.config.yaml")
        alias = source.get("alias") or {"production-like": "gpt-4o"}.get(folder.name)
        found.append((folder.name, config, alias, ledger))
    return found


CONFIGS = _explained()
DEFAULT_RUN = "foundry-byo-gateway-static-ad-token"


def _occurs(team: TeamConfig, entry: Entry, tmp_path: Path, name: str, cases_of: TeamConfig) -> bool:
    """Whether the entry's divergence occurs with `team`, on the cases the team's own config makes
    (`cases_of`: a trial without its timeouts makes no timeout cases, which is no answer)."""
    items = [i for key, i in contract_items(ROOT, cases_of).items() if key in entry.cases]
    named = {c for c in entry.cases if c != "fuzz/generated" and "*" not in c}
    assert named <= {i.key for i in items}, f"{entry.id}: cases the contract does not make for this config"
    shipped = load_ledger(SHIPPED)
    with ConfigRun(team, items, tmp_path / name) as run, run.proxy([name], "proxy") as proxy:
        found = run.run_pass(name, [run.runner(proxy, [name], shipped, True)], shipped, seed=0)
    return Question(entry.id, entry, entry.cases).occurs(found, run.version)


@pytest.mark.parametrize(
    "name, config, alias, ledger",
    [pytest.param(*c, marks=() if c[0] == DEFAULT_RUN else pytest.mark.slow_tier, id=c[0]) for c in CONFIGS],
)
def test_each_named_cause_is_the_cause(name: str, config: Path, alias: str, ledger: Path, tmp_path: Path) -> None:
    team = load_team_config(config, alias, {})
    entries = [e for e in load_ledger(ledger).entries if e.caused_by]
    assert entries
    for i, entry in enumerate(entries):
        assert _occurs(team, entry, tmp_path, f"{i}-as-written", team), f"{entry.id} does not occur with {config}"
        trial = trial_config(team, entry.caused_by)
        assert not _occurs(trial, entry, tmp_path, f"{i}-without", team), (
            f"{entry.id}: still there with {', '.join(entry.caused_by)} removed"
        )
