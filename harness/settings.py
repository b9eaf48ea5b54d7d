"""Run settings, resolved once from the command line (and, for live runs, the environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.compare import Level

UPSTREAMS = ("emulator",)
PATHS = ("direct", "litellm")
DEFAULT_LEDGER = Path("tests/contract/divergences.yaml")


class SettingsError(ValueError):
    """A setting the harness cannot use; the message names the option or variable."""


@dataclass(frozen=True)
class HarnessSettings:
    upstream: str = "emulator"
    level: Level = Level.EXACT
    proxy_url: str | None = None
    proxy_key: str | None = None
    ledger_path: Path = DEFAULT_LEDGER
    paths: tuple[str, ...] = PATHS
    proxy_start_timeout_s: float = 90.0


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
) -> HarnessSettings:
    if proxy_url and not proxy_url.startswith(("http://", "https://")):
        raise SettingsError(f"--proxy-url: expected an http(s) URL, got {proxy_url!r}")
    key = proxy_key or os.environ.get("LITELLM_API_KEY")
    if proxy_url and not key:
        raise SettingsError("--proxy-url needs the proxy's key: pass --proxy-key or set LITELLM_API_KEY")
    if proxy_start_timeout <= 0:
        raise SettingsError(f"--proxy-start-timeout: expected seconds > 0, got {proxy_start_timeout}")
    ledger_path = Path(ledger)
    if not ledger_path.is_absolute():
        ledger_path = rootdir / ledger_path
    return HarnessSettings(
        upstream=upstream,
        level=resolve_level(level, upstream),
        proxy_url=proxy_url,
        proxy_key=key,
        ledger_path=ledger_path,
        paths=parse_paths(paths),
        proxy_start_timeout_s=proxy_start_timeout,
    )
