"""The plugin's options, and the run's settings and state made from them once, at configure time.

Options live in two groups (`contract`, `contract-live`); every value is checked here, so a bad one
is a usage error (exit 4) naming the option before anything is collected.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.contract.ledger import Ledger, LedgerError
from harness.contract.ledger_file import load_own_ledger
from harness.doctor.configlint import explain
from harness.live.run import settings_for_run
from harness.live.settings import (
    AUTH_MODES,
    LiveSettings,
    LiveSettingsError,
)
from harness.paths.proxy import litellm_version
from harness.paths.team_config import TeamConfig, TeamConfigError, load_team_config, team_upstream
from harness.paths.team_render import team_notes
from harness.plugin.machine import TempFolderError, check_temp_folder, claim_report
from harness.plugin.session import ContractSession
from harness.plugin.state import STATE, RunState
from harness.settings import (
    DEFAULT_CASSETTES,
    DEFAULT_LEDGER,
    PATHS,
    RECORD_MODES,
    UPSTREAMS,
    SettingsError,
    build_settings,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "LiteLLM-versus-Azure contract suite")
    group.addoption(
        "--record-mode",
        choices=RECORD_MODES,
        default="none",
        help="cassette recording, as pytest-recording names it: none (replay only, the default), once, "
        "new_episodes, all, rewrite",
    )
    group.addoption(
        "--record",
        action="store_const",
        const="rewrite",
        dest="record_mode",
        help="record every case afresh from --upstream (same as --record-mode=rewrite)",
    )
    group.addoption(
        "--cassette-dir",
        metavar="DIR",
        default=str(DEFAULT_CASSETTES),
        help="where cassettes live (default: %(default)s)",
    )
    group.addoption(
        "--upstream",
        choices=UPSTREAMS,
        default="replay",
        help="what stands where Azure sits: replay the recorded cassettes (default, offline), or the bundled "
        "emulator (live, or the source to --record from)",
    )
    group.addoption(
        "--contract-level",
        choices=("auto", "shape", "exact"),
        default="auto",
        help="comparison level; auto = exact offline, shape live (default: %(default)s)",
    )
    group.addoption(
        "--proxy-url",
        metavar="URL",
        default=None,
        help="use this running LiteLLM proxy instead of starting one (needs --proxy-key or "
        "LITELLM_API_KEY); its config must define the harness's setups as model names",
    )
    group.addoption("--proxy-key", metavar="KEY", default=None, help="key for --proxy-url")
    group.addoption(
        "--ledger", metavar="FILE", default=str(DEFAULT_LEDGER), help="divergence ledger (default: %(default)s)"
    )
    group.addoption("--paths", default=",".join(PATHS), help="which paths to run (default: %(default)s)")
    group.addoption(
        "--parity-report",
        metavar="FILE",
        default="parity-report.json",
        help="where to write the run's parity data as JSON, or 'none' (default: %(default)s)",
    )
    live = parser.getgroup("contract-live", "live mode: the real Azure resource and your staging proxy")
    live.addoption(
        "--live",
        action="store_true",
        help="run against the real resource (AZURE_OPENAI_*) and the staging proxy (LITELLM_API_BASE, or a "
        "local proxy when unset); settings from the environment and .env; comparison level shape",
    )
    live.addoption(
        "--auth",
        choices=AUTH_MODES,
        default="key",
        help="live direct-path auth: key, or entra (DefaultAzureCredential; needs the `live` extra)",
    )
    live.addoption("--env-file", metavar="FILE", default=".env", help="live settings file (default: %(default)s)")
    live.addoption("--azure-endpoint", metavar="URL", help="overrides AZURE_OPENAI_API_BASE")
    live.addoption("--azure-deployment", metavar="NAME", help="overrides AZURE_OPENAI_DEPLOYMENT")
    live.addoption("--azure-api-version", metavar="VERSION", help="overrides AZURE_OPENAI_API_VERSION")
    group.addoption(
        "--litellm-config",
        metavar="FILE",
        help="your proxy's config: offline, the suite runs the real proxy with it against the emulator (config "
        "mode, docs/config-mode.md); live without a staging proxy, the local proxy uses it",
    )
    group.addoption(
        "--litellm-model",
        metavar="ALIAS",
        help="the alias under test in --litellm-config (default: LITELLM_MODEL, or the config's only Azure alias)",
    )
    group.addoption(
        "--gate-examples",
        type=int,
        default=None,
        metavar="N",
        help="differential fuzzing: examples per run (default: a modest budget; the upgrade gate raises it)",
    )
    group.addoption(
        "--ledger-update",
        action="store_true",
        help="write each unledgered divergence to --ledger as an entry marked for review (reason/impact/link "
        "'REVIEW: ...'; a marked entry fails later runs until reviewed), and remove stale entries; lists both",
    )
    group.addoption(
        "--real-waits",
        action="store_true",
        help="offline, keep the proxy's retry back-off as a real deployment has it (default: skipped, since "
        "waiting against a recorded answer changes nothing the contract compares; see harness/waits.py)",
    )
    group.addoption(
        "--proxy-start-timeout",
        type=float,
        default=90.0,
        metavar="SECONDS",
        help="deadline for the local proxy to become live (default: %(default)s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: a contract case run on both paths (set by the harness)")
    config.addinivalue_line("markers", "slow_upstream: the case waits on a deliberately slow upstream")
    config.addinivalue_line(
        "markers", "offline_only(reason): the test needs what only the emulator or the local proxy stages"
    )
    config.addinivalue_line(
        "markers",
        "generated_config_only(reason): the test pins the harness's generated proxy config; in config mode "
        "(--litellm-config) it is not applicable",
    )
    config.addinivalue_line(
        "markers",
        "proxy_lane(owner, *setups): the test calls the local proxy as `owner` outside a contract case; it gets "
        "model groups of its own for these setups (harness.paths.lanes)",
    )
    try:
        check_temp_folder(os.environ, config.option.basetemp)
    except TempFolderError as exc:
        raise pytest.UsageError(str(exc)) from None
    live, live_env, token = _live_settings(config)
    team, upstream = _team_settings(config, live)
    try:
        settings = build_settings(
            upstream=upstream,
            level=config.getoption("--contract-level"),
            proxy_url=config.getoption("--proxy-url"),
            proxy_key=config.getoption("--proxy-key"),
            ledger=config.getoption("--ledger"),
            paths=config.getoption("--paths"),
            proxy_start_timeout=config.getoption("--proxy-start-timeout"),
            rootdir=config.rootpath,
            record_mode=config.getoption("record_mode"),
            cassette_dir=config.getoption("--cassette-dir"),
            live=live,
            real_waits=config.getoption("--real-waits"),
            team=team,
            ledger_update=config.getoption("--ledger-update"),
        )
    except SettingsError as exc:
        raise pytest.UsageError(f"harness: {exc}") from None
    explicit = config.getoption("--ledger") != str(DEFAULT_LEDGER)
    shipped = config.rootpath / DEFAULT_LEDGER
    try:
        if not explicit and not settings.ledger_path.exists():
            ledger = Ledger(path=settings.ledger_path, entries=())
        elif explicit and not settings.ledger_path.exists() and not settings.ledger_update:
            raise LedgerError(
                f"{settings.ledger_path}: no such ledger; start one with --ledger-update (it extends the "
                f"shipped {DEFAULT_LEDGER} and adds what your config changes)"
            )
        else:
            ledger = load_own_ledger(settings.ledger_path, shipped)
    except LedgerError as exc:
        raise pytest.UsageError(f"harness: {exc}") from None
    unreviewed = [e.id for e in ledger.entries if e.needs_review]
    if unreviewed and not settings.ledger_update:
        raise pytest.UsageError(
            f"harness: {settings.ledger_path}: {len(unreviewed)} entries are still marked for review "
            f"({', '.join(unreviewed[:5])}{' ...' if len(unreviewed) > 5 else ''}): write their reason, impact and "
            "link in place of 'REVIEW: ...', then run again. Nothing is accepted unread."
        )
    report = config.getoption("--parity-report")
    report_path = None if report == "none" else config.rootpath / Path(report)
    report_note = ""
    if report_path is not None and not hasattr(config, "workerinput"):  # xdist workers write no report
        claim = claim_report(report_path)
        config.add_cleanup(claim.release)
        report_path, report_note = claim.path, claim.note
    state = RunState(
        settings=settings,
        ledger=ledger,
        report_path=report_path,
        report_note=report_note,
        live_env=live_env,
        live_token=token,
    )
    if settings.team is not None:
        state.config_hints = explain(settings.team.raw, settings.team.alias, os.environ)
    seed = getattr(config.option, "randomly_seed", None)
    state.watch.rerun = "pytest" + (f" -p randomly -p no:cacheprovider --randomly-seed={seed}" if seed else "")
    config.stash[STATE] = state
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "load":
        # Both paths of a case on one worker: the direct observation is reused, and a recording's
        # litellm side can be served the answer the direct side just recorded.
        config.option.dist = "loadgroup"
    config.pluginmanager.register(ContractSession(state), "harness-contract-session")


def _team_settings(config: pytest.Config, live: LiveSettings | None) -> tuple[TeamConfig | None, str]:
    """Config mode: `--litellm-config` without `--live` runs the offline suite with the team's config
    (never silently the generated one). A bad file or alias is one line, exit 4, before any proxy."""
    path = config.getoption("--litellm-config")
    upstream = config.getoption("--upstream")
    if path is None or live is not None:
        return None, upstream
    try:
        team = load_team_config(Path(path), config.getoption("--litellm-model"))
        upstream = team_upstream(
            upstream, config.getoption("record_mode"), config.getoption("--cassette-dir"), str(DEFAULT_CASSETTES)
        )
    except TeamConfigError as exc:
        raise pytest.UsageError(f"harness --litellm-config: {exc}") from None
    return team, upstream


def _live_settings(config: pytest.Config) -> tuple[LiveSettings | None, dict[str, str], str | None]:
    """`--live`: every setting resolved and checked now, so a missing one stops the run (exit 4)
    before anything is collected, with all of them named."""
    if not config.getoption("--live"):
        return None, {}, None
    if config.getoption("--upstream") != "replay":
        raise pytest.UsageError("harness: --live sets the upstream to your Azure resource; drop --upstream")
    env_file = Path(config.getoption("--env-file"))
    litellm_config = config.getoption("--litellm-config")
    try:
        return settings_for_run(
            os.environ,
            env_file=env_file if env_file.is_absolute() else config.rootpath / env_file,
            auth=config.getoption("--auth"),
            overrides={
                "AZURE_OPENAI_API_BASE": config.getoption("--azure-endpoint"),
                "AZURE_OPENAI_DEPLOYMENT": config.getoption("--azure-deployment"),
                "AZURE_OPENAI_API_VERSION": config.getoption("--azure-api-version"),
                "LITELLM_MODEL": config.getoption("--litellm-model"),
                "LITELLM_API_BASE": config.getoption("--proxy-url"),
                "LITELLM_API_KEY": config.getoption("--proxy-key"),
            },
            litellm_config=Path(litellm_config) if litellm_config else None,
            recording=config.getoption("record_mode") != "none",
        )
    except LiveSettingsError as exc:
        raise pytest.UsageError(f"harness --live: {exc}") from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash[STATE]
    s = state.settings
    proxy = "external (--proxy-url)" if s.proxy_url else "local, started per worker"
    lines = [
        f"contract: upstream={s.upstream} level={s.level} paths={','.join(s.paths)} "
        f"litellm={litellm_version()} proxy={proxy}",
        f"contract ledger: {s.ledger_path} ({len(state.ledger.entries)} entries)",
    ]
    if s.live is not None:
        lines.append("contract " + s.live.describe())
    if s.team is not None:
        lines.append("contract " + s.team.describe())
        lines += [f"contract config mode: {note}" for note in team_notes(s.team)]
    if state.report_note:
        lines.append("contract parity report: " + state.report_note)
    return lines
