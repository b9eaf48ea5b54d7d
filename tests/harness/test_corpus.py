"""Every corpus config (tests/configs/: real configs others wrote) passes the path a team takes.

1. with the committed ledger, a plain run is green: every item passes, no entry is stale;
2. `--ledger-update` into a new ledger would write the committed ledger, but for the texts a person
   wrote in place of REVIEW and entries merged by cause (`python -m harness explain`): the plain run's
   comparisons, judged again against a new ledger (`harness.contract.judgement.rejudge`), go through
   the ledger writer, and the result switches off the same inherited entries and leaves every
   difference to the same side (the shipped ledger's, or the team's) as the committed one;
3. a second plain run, in another order and split between two proxies as `-n 2` splits it, has the same
   outcomes, and finds the same differences.

The runs are in-process (`harness.runner.config_run`): the real proxy with the config rendered, the
emulator, the comparison, the ledger writer and stale detection, without a pytest process per run,
so the whole corpus fits in the default `pytest`. The command line itself is proven on corpus
configs by `test_config_mode.py`'s background runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.contract.judgement import rejudge
from harness.contract.ledger import Ledger
from harness.contract.ledger_file import load_ledger, load_own_ledger
from harness.contract.ledger_update import updated_ledger
from harness.contract.results import RunResults
from harness.doctor.apiversion import check_api_versions
from harness.doctor.configlint import lint
from harness.doctor.credentials import check_credentials
from harness.doctor.naming import check_naming
from harness.doctor.urls import check_urls
from harness.paths.litellm_config import load_config
from harness.paths.team_config import load_team_config
from harness.runner.catalogue import fuzz_extra
from harness.runner.config_run import ConfigRun, Pass
from harness.runner.fuzz import CASE as FUZZ_CASE

from .corpus import (
    DEFAULT_RUN,
    FUZZ_EXAMPLES,
    SHIPPED,
    SUBSET,
    CorpusConfig,
    bootstrap_command,
    corpus,
    env_for,
    items,
    markdown_table,
    structure,
    targeted,
)
from .support import ROOT, clean_env

CORPUS = corpus()


_fuzz = fuzz_extra(ROOT, FUZZ_EXAMPLES)


def test_the_corpus_is_large_and_every_config_names_its_source() -> None:
    assert len(CORPUS) >= 30
    for config in CORPUS:
        for key in ("repo", "url", "alias", "shapes", "reproduced", "changed"):
            assert config.source.get(key), f"{config.name}/source.yaml: no {key!r}"
        assert config.source["url"].startswith("https://github.com/"), config.name
        header = config.original.read_text().splitlines()[0]
        assert header.startswith("# Reproduces"), f"{config.name}: the config's first line names its source"


def test_the_corpus_table_in_the_docs_is_the_corpus() -> None:
    """docs/config-mode.md's table is made from the configs, their ledgers and the default run's choice
    (`corpus.markdown_table`): a changed ledger or config shows there, or this fails."""
    assert markdown_table() in (ROOT / "docs" / "config-mode.md").read_text(), (
        "docs/config-mode.md: the corpus table is out of date; paste corpus.markdown_table()'s output"
    )


def _config_findings(config: Path) -> list:
    """The doctor's checks of the config file alone (no network): the lint and the checks by family."""
    data = load_config(config)
    env = env_for(config)
    findings = lint(data, env)
    for family in (check_credentials, check_urls, check_naming, check_api_versions):
        findings += family(data, env)
    return findings


@pytest.mark.parametrize("config", CORPUS, ids=lambda c: c.name)
def test_the_doctor_fails_a_corpus_config_only_where_it_cannot_work(config: CorpusConfig) -> None:
    """A config that works (with its variables set) raises no `fail`; one that cannot (LiteLLM does not
    start with it) fails on the check that names why, and the fixed copy the team runs passes."""
    failed = [f for f in _config_findings(config.original) if f.status == "fail"]
    if config.broken:
        assert [f.check for f in failed] == [config.broken["check"]], failed
        assert not [f for f in _config_findings(config.config) if f.status == "fail"]
    else:
        assert not failed, failed


TAGS = ["plain", "split"]  # the passes; each asks proxy A for model groups of its own


def bootstrap_text(plain: Pass, version: str, new: Path) -> str:
    """What `--ledger-update` writes into a new ledger (which extends the shipped one): the plain pass's
    comparisons judged again against that ledger (`harness.contract.judgement.rejudge`), then the writer."""
    fresh = load_own_ledger(new, SHIPPED)
    results = RunResults()
    for c in plain.results.comparisons:
        results.add(c["case"], "", "litellm", "passed", rejudge(c, fresh, version))
    missing = results.stale_cases()
    stale = {i: missing[i] for i in results.stale(fresh)}
    text, _ = updated_ledger("", results.comparisons, stale, version, base=os.path.relpath(SHIPPED, new.parent))
    return text


def owners(plain: Pass, ledger: Ledger, version: str, shipped: set[str]) -> dict[tuple[str, str, str], str]:
    """Per difference found (case, path, kind): whether the shipped ledger's entries cover it (LiteLLM's own)
    or the team's (what its config changes). The bootstrapped and the reviewed ledger must agree on each:
    a person writes texts and may merge entries by cause (`explain`), but never moves a difference."""
    out = {}
    for c in plain.results.comparisons:
        for r in rejudge(c, ledger, version)["mismatches"]:
            owner = "shipped" if r["covered_by"] in shipped else ("team" if r["covered_by"] else "none")
            out[(c["case"], r["path"], r["kind"])] = owner
    return out


def _disabled(path: Path, cases: set[str]) -> dict[str, list[str]]:
    """A ledger's `disable:` lines, for the cases a run had."""
    found = {k: [c for c in v if c in cases] for k, v in structure(path)["disable"].items()}
    return {k: v for k, v in found.items() if v}


def check_team_path(config: CorpusConfig, keys: set[str] | None, fuzz: bool, tmp_path: Path) -> None:
    """The team's path for one corpus config, on the cases `keys` (all of `SUBSET` when None)."""
    team = load_team_config(config.config, config.alias, {})
    new = tmp_path / "new" / "divergences.yaml"
    new.parent.mkdir()
    committed = load_ledger(config.ledger)
    chosen = items(keys, team)
    cases = {i.key for i in chosen} | ({FUZZ_CASE} if fuzz else set())
    extra = _fuzz if fuzz else None
    with (
        ConfigRun(team, chosen, tmp_path, lanes=((FUZZ_CASE, "good-key"),)) as run,
        run.proxy(TAGS, "a") as a,
    ):
        plain = run.run_pass("plain", [run.runner(a, TAGS, committed, False)], committed, seed=2, extra=extra)
        failed = {k: plain.messages.get(k, "") for k, v in plain.outcomes.items() if v == "failed"}
        assert not failed, f"{config.name}: not green with its reviewed ledger: {failed}"
        assert not plain.results.stale(committed), f"{config.name}: stale {plain.results.stale_cases()}"
        new.write_text(bootstrap_text(plain, run.version, new))
        assert _disabled(new, cases) == _disabled(config.ledger, cases), (
            f"{config.name}: --ledger-update now switches off other inherited entries:\n{new.read_text()}"
        )
        shipped = {e.id for e in load_ledger(SHIPPED).entries}
        written = owners(plain, load_ledger(new), run.version, shipped)
        assert written == owners(plain, committed, run.version, shipped), (
            f"{config.name}: --ledger-update now writes another ledger than the committed one:\n{new.read_text()}"
        )
        with run.proxy(["split"], "b") as b:
            workers = [run.runner(a, TAGS, committed, False), run.runner(b, ["split"], committed, False)]
            split = run.run_pass("split", workers, committed, seed=3, extra=extra)
    assert split.outcomes == plain.outcomes
    assert split.mismatches() == plain.mismatches()


@pytest.mark.parametrize("config", [c for c in CORPUS if c.name in DEFAULT_RUN], ids=lambda c: c.name)
def test_a_corpus_config_is_green_after_its_bootstrap_and_deterministic(config: CorpusConfig, tmp_path: Path) -> None:
    """On the cases its settings act on (`corpus.targeted`), in the default run."""
    keys = targeted(config.config)
    check_team_path(config, keys, fuzz="chat/json-schema-strict" in keys, tmp_path=tmp_path)


@pytest.mark.slow_tier
@pytest.mark.parametrize("config", CORPUS, ids=lambda c: c.name)
def test_a_corpus_config_on_its_whole_bootstrap_subset(config: CorpusConfig, tmp_path: Path) -> None:
    """On every case it was bootstrapped on (`corpus.SUBSET`, the fuzz included), in `.ci/run`'s slow tier."""
    check_team_path(config, None, fuzz=True, tmp_path=tmp_path)


#: corpus configs whose whole path also runs on the command line, as a team types it (the slow tier)
COMMAND_LINE = (
    "ecs-ha-redis-aurora-prod",
    "openwebui-gateway-latency-routing-budgets",
    "berriai-example-azure-team-timeouts",
)


@pytest.mark.slow_tier
@pytest.mark.parametrize("name", COMMAND_LINE)
def test_the_team_path_on_the_command_line(name: str, tmp_path: Path) -> None:
    """`pytest ... --ledger-update` into a new ledger, then plain runs with the committed ledger serially and
    with `-n 2` in another random order: the bootstrap disables what the committed ledger disables and
    leaves each difference to the same side, both plain runs are green, with the same outcomes."""
    config = next(c for c in CORPUS if c.name == name)
    new = tmp_path / "divergences.yaml"
    boot = run_cli([*bootstrap_command(config, new)[1:], "--parity-report", str(tmp_path / "boot.json")])
    assert boot.returncode == 0, boot.stdout[-3000:]
    cases = set(node_cases())
    assert _disabled(new, cases) == _disabled(config.ledger, cases), new.read_text()
    outcomes = []
    for extra, seed in (([], "1"), (["-n", "2"], "2")):
        report = tmp_path / f"plain-{seed}.json"
        args = [*bootstrap_command(config, config.ledger)[1:], "-p", "randomly", f"--randomly-seed={seed}", *extra]
        done = run_cli([a for a in args if a != "--ledger-update"] + ["--parity-report", str(report)])
        assert done.returncode == 0, done.stdout[-3000:]
        data = json.loads(report.read_text())
        outcomes.append({o["nodeid"]: o["outcome"] for o in data["outcomes"]})
        shipped = {e.id for e in load_ledger(SHIPPED).entries}
        team = {
            (c["case"], r["path"], r["kind"])
            for c in data["comparisons"]
            for r in c["mismatches"]
            if r["covered_by"] and r["covered_by"] not in shipped
        }
        booted = json.loads((tmp_path / "boot.json").read_text())
        unledgered = {(c["case"], r["path"], r["kind"]) for c in booted["comparisons"] for r in c["mismatches"]
                      if not r["covered_by"] or r["covered_by"] not in shipped}  # fmt: skip
        assert team == unledgered  # the committed team entries cover exactly what the bootstrap found new
    assert outcomes[0] == outcomes[1]


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=ROOT,
                          env=clean_env(), capture_output=True, text=True, timeout=1200, check=False)  # fmt: skip


def node_cases() -> list[str]:
    return [f"{area}/{case}" for area, ids in SUBSET for case in ids] + [FUZZ_CASE]


@pytest.mark.parametrize("config", CORPUS, ids=lambda c: c.name)
def test_a_corpus_ledger_is_reviewed(config: CorpusConfig) -> None:
    """A person wrote what each entry changes for the application: nothing `--ledger-update` marks REVIEW
    is left, in an entry or in a `disable:` line's comment (the file's header names the marker)."""
    lines = config.ledger.read_text().splitlines()
    left = [n for n, line in enumerate(lines, 1) if "REVIEW" in line and not line.startswith("#")]
    assert not left, f"{config.ledger}: REVIEW left on lines {left}"
