"""Run settings, resolved once from the command line (and, for live runs, the environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.contract.compare import Level
from harness.live.settings import LiveSettings
from harness.paths.team_config import TeamConfig

UPSTREAMS = ("replay", "emulator")
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
DEFAULT_CASSETTES = Path("tests/cassettes")
PATHS = ("direct", "litellm")
DEFAULT_LEDGER = Path("tests/contract/divergences.yaml")


class SettingsError(ValueError):
    """A setting the harness cannot use; the message names the option or variable."""


@dataclass(frozen=True)
class HarnessSettings:
    upstream: str = "replay"
    record_mode: str = "none"
    cassette_dir: Path = DEFAULT_CASSETTES
    level: Level = Level.EXACT
    proxy_url: str | None = None
    proxy_key: str | None = None
    ledger_path: Path = DEFAULT_LEDGER
    paths: tuple[str, ...] = PATHS
    proxy_start_timeout_s: float = 90.0
    #: set by `--live`: the real resource and the staging (or local) proxy
    live: LiveSettings | None = None
    #: `--real-waits`: keep the proxy's retry back-off offline (`harness.replay.waits`)
    real_waits: bool = False
    #: config mode (`--litellm-config` offline): the team's own proxy config and the alias under test
    team: TeamConfig | None = None
    #: `--ledger-update`: write unledgered divergences to the ledger for review, remove stale entries
    ledger_update: bool = False

    @property
    def uses_cassettes(self) -> bool:
        """Replay, or recording from a real upstream: both paths' Azure traffic goes through cassettes."""
        return self.upstream == "replay" or self.record_mode != "none"

    @property
    def compress_waits(self) -> bool:
        """Offline (through the loopback upstream server, or against the emulator), the proxy's back-off is
        skipped (`harness.replay.waits`)."""
        offline = self.uses_cassettes or self.upstream == "emulator"
        return offline and self.live is None and not self.real_waits and not self.proxy_url


def resolve_level(option: str, upstream: str) -> Level:
    """`auto` is `exact` where both paths see the same upstream answer, `shape` live."""
    if option == "auto":
        return Level.SHAPE if upstream == "azure" else Level.EXACT
    return Level(option)


def parse_paths(option: str) -> tuple[str, ...]:
    paths = tuple(p.strip() for p in option.split(",") if p.strip())
    unknown = [p for p in paths if p not in PATHS]
    if not paths or unknown:
        raise SettingsError(f"--paths: expected a comma-separated subset of {','.join(PATHS)}, got {option!r}")
    return paths


def build_settings(
    *,
    upstream: str,
    level: str,
    proxy_url: str | None,
    proxy_key: str | None,
    ledger: str,
    paths: str,
    proxy_start_timeout: float,
    rootdir: Path,
    record_mode: str = "none",
    cassette_dir: str = str(DEFAULT_CASSETTES),
    live: LiveSettings | None = None,
    real_waits: bool = False,
    team: TeamConfig | None = None,
    ledger_update: bool = False,
) -> HarnessSettings:
    if live is not None:
        upstream, proxy_url, proxy_key = "azure", live.proxy_url, live.proxy_key
    if proxy_url and not proxy_url.startswith(("http://", "https://")):
        raise SettingsError(f"--proxy-url: expected an http(s) URL, got {proxy_url!r}")
    key = proxy_key or os.environ.get("LITELLM_API_KEY")
    if proxy_url and not key:
        raise SettingsError("--proxy-url needs the proxy's key: pass --proxy-key or set LITELLM_API_KEY")
    if proxy_start_timeout <= 0:
        raise SettingsError(f"--proxy-start-timeout: expected seconds > 0, got {proxy_start_timeout}")
    if record_mode not in RECORD_MODES:
        raise SettingsError(f"--record-mode: expected one of {', '.join(RECORD_MODES)}, got {record_mode!r}")
    if record_mode != "none" and upstream == "replay":
        raise SettingsError(
            f"--record-mode={record_mode} needs something real to record from, but --upstream is 'replay'. "
            "Add --upstream emulator (or --live to record from your Azure resource)"
        )
    if record_mode != "none" and proxy_url:
        raise SettingsError(
            "--record-mode needs the local proxy (its upstream traffic is what gets recorded); drop --proxy-url"
        )
    if upstream == "replay" and proxy_url:
        raise SettingsError(
            "--proxy-url cannot replay cassettes: an external proxy calls its own Azure. "
            "Add --upstream emulator, or drop --proxy-url"
        )
    ledger_path = Path(ledger)
    if not ledger_path.is_absolute():
        ledger_path = rootdir / ledger_path
    cassettes = Path(cassette_dir)
    if not cassettes.is_absolute():
        cassettes = rootdir / cassettes
    return HarnessSettings(
        upstream=upstream,
        record_mode=record_mode,
        cassette_dir=cassettes,
        level=resolve_level(level, upstream),
        proxy_url=proxy_url,
        proxy_key=key,
        ledger_path=ledger_path,
        paths=parse_paths(paths),
        proxy_start_timeout_s=proxy_start_timeout,
        live=live,
        real_waits=real_waits,
        team=team,
        ledger_update=ledger_update,
    )
