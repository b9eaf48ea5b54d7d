"""`python -m harness explain`'s run: the questions from the team's ledger, the trials, the causes written.

The command line is `harness.runner.explain_args` (kept apart so that `python -m harness` loads none of
this, the SDK and the runner, for its other commands).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from harness.contract.ledger import LedgerError
from harness.contract.ledger_causes import Cause, explained_ledger
from harness.contract.ledger_file import load_ledger
from harness.paths.team_config import TeamConfig, TeamConfigError, load_team_config
from harness.replay.atomic import write_text_atomic
from harness.runner.catalogue import contract_items, fuzz_extra
from harness.runner.config_run import Item
from harness.runner.explain import Answer, Explainer, Question, doc_link
from harness.runner.fuzz import CASE as FUZZ_CASE

ROOT = Path(__file__).resolve().parents[2]


def _questions(ledger_path: Path) -> list[Question]:
    """The REVIEW entries of the team's ledger, and the inherited entries it switches off."""
    ledger = load_ledger(ledger_path)
    data = yaml.safe_load(ledger_path.read_text(encoding="utf-8")) or {}
    out = [Question(e.id, e, e.cases) for e in ledger.entries if e.needs_review]
    if data.get("extends"):
        base = load_ledger((ledger_path.parent / str(data["extends"])).resolve())
        for ident, cases in (data.get("disable") or {}).items():
            if isinstance(cases, list) and "*" not in cases:
                out.append(Question(str(ident), base.get(str(ident)), tuple(str(c) for c in cases), stale=True))
    return out


def _cause(answer: Answer, version: str) -> Cause:
    search = answer.search
    if not answer.reproduced:
        return Cause((), ("https://docs.litellm.ai/docs/proxy/configs",), version, reproduced=False)
    return Cause(
        settings=tuple(search.cause),
        links=tuple(doc_link(s) for s in search.cause) or ("https://docs.litellm.ai/docs/proxy/configs",),
        version=version,
        minimal=search.minimal,
        unexplained=search.unexplained,
        verified=bool(answer.verified) if search.cause else True,
    )


def run_explain(args: argparse.Namespace) -> int:
    try:
        team = load_team_config(Path(args.litellm_config), args.litellm_model)
        questions = _questions(Path(args.ledger))
    except (TeamConfigError, LedgerError) as exc:
        print(f"harness explain: {exc}")
        return 2
    if not questions:
        print(f"harness explain: {args.ledger} has no entry marked REVIEW and switches nothing off: nothing to explain")
        return 0
    catalogue = contract_items(ROOT, team)
    cases = sorted({c for q in questions for c in q.cases})
    unknown = [c for c in cases if c not in catalogue and c != FUZZ_CASE and "*" not in c]
    if unknown:
        print(f"harness explain: {args.ledger} names cases the contract does not have: {', '.join(unknown)}")
        return 2

    def items(trial: TeamConfig) -> list[Item]:
        """The team's own cases in every trial: a case made from the config (the timeout cases) is the
        same case with a setting removed (the trial keeps the team's timeout scale), so its divergence
        is asked about, never dropped with the case (it was taken for 'removed')."""
        return [catalogue[c] for c in cases if c in catalogue]

    extra = fuzz_extra(ROOT, args.fuzz_examples) if FUZZ_CASE in cases else None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="harness-explain-") as workdir:
        shipped = load_ledger(ROOT / "tests" / "contract" / "divergences.yaml")
        explainer = Explainer(team, items, Path(workdir), shipped, extra=extra, lanes=((FUZZ_CASE, "good-key"),))
        answers = explainer.explain(questions, budget=args.budget)
    causes = {a.question.id: _cause(a, explainer.version) for a in answers if not a.question.stale}
    stale = {a.question.id: _cause(a, explainer.version) for a in answers if a.question.stale}
    path = Path(args.ledger)
    text = explained_ledger(path.read_text(encoding="utf-8"), causes, stale)
    try:
        write_text_atomic(path, text, verify=load_ledger)
    except LedgerError as exc:  # a bug of the writer's: the team's file is left as it was
        print(f"harness explain: the explained ledger would not load ({exc}); {path} is unchanged. Report this.")
        return 2
    wall = time.monotonic() - started
    for answer in answers:
        print(f"  {answer.question.id}: {_cause(answer, explainer.version).reason(answer.question.stale)}")
    for removed, why in explainer.failed.items():
        print(f"  (a trial without {len(removed)} settings did not start, so it showed nothing: {why})")
    print(f"harness explain: {len(answers)} questions, {len(explainer.trials)} runs, {wall:.0f} s; wrote {path}")
    open_ = [
        a for a in answers if not a.reproduced or a.search.unexplained or not a.search.minimal or a.verified is False
    ]
    return 1 if open_ else 0
