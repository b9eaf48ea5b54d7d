"""What config mode tells a team about its ledger: never to edit the shipped one.

The shipped ledger (`tests/contract/divergences.yaml`) describes LiteLLM with its default settings.
A team's settings make some of its entries not occur (`router_settings.num_retries: 0` and
`proxy-retries-upstream`) and bring divergences of their own. Both belong in a ledger of the team's,
which extends the shipped one; the messages here name the team's setting where the entry says which
settings change it, and give the one command that starts that ledger.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from harness.contract.ledger import Ledger
from harness.paths.team_config import TeamConfig
from harness.paths.team_groups import configured


def bootstrap_command(team: TeamConfig, alias_given: bool) -> str:
    """The command that starts the team's own ledger beside its config."""
    ledger = team.path.parent / "divergences.yaml"
    words = ["pytest", "tests/contract", "--litellm-config", str(team.path)]
    if alias_given:
        words += ["--litellm-model", team.alias]
    return shlex.join([*words, "--ledger", str(ledger), "--ledger-update"])


def stale_advice(team: TeamConfig, ledger: Ledger, shipped: Path, alias_given: bool) -> Callable[[str], str]:
    """What to do about an entry that went stale in config mode."""
    own = ledger.path.resolve() != shipped.resolve()

    def advice(entry_id: str) -> str:
        entry = ledger.get(entry_id)
        settings = configured(team, entry.settings)
        if settings:
            why = f"your config sets {', '.join(settings)}, which changes it"
        elif entry.settings:
            why = f"none of the settings known to change it ({', '.join(entry.settings)}) is set, so another one does"
        else:
            why = "a setting of your config changes it"
        if not own:
            return (
                f"it is LiteLLM's default behaviour (the shipped ledger, {shipped.name}), and with {team.path.name} "
                f"it does not occur: {why}. Do not edit the shipped ledger; start one of your own, which extends it "
                f"and switches this entry off for these cases: {bootstrap_command(team, alias_given)}"
            )
        return f"{why}. `--ledger-update` switches it off for these cases in {ledger.path}" + (
            "" if any(entry_id == e for e in _own_ids(ledger.path)) else " (it is inherited: `disable:`)"
        )

    return advice


def _own_ids(path: Path) -> list[str]:
    """The ids the ledger file itself defines (not those it inherits)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    return [str(e.get("id")) for e in data.get("divergences") or [] if isinstance(e, dict)]


def unledgered_note(team: TeamConfig, shipped_only: bool, alias_given: bool) -> str:
    """The summary's line when a config-mode run without a ledger of its own found divergences the
    shipped ledger does not cover: they come with the team's settings."""
    if not shipped_only:
        return "run with --ledger-update to add them to your ledger for review"
    return (
        f"the shipped ledger describes LiteLLM with its default settings; what {team.path.name} changes belongs "
        f"in a ledger of your own (it extends the shipped one): {bootstrap_command(team, alias_given)}"
    )
