"""Comparing two runs of the contract suite, one per LiteLLM version: what changes for the application.

Input: the two `parity-report.json` files (see `harness.contract.results.RunResults.to_json`). Output: a
`GateComparison` of plain data, which `harness.gate.report` renders and the gate's exit code reads.

- **broke**: items that passed under the baseline and fail under the candidate;
- **fixed**: items that failed and now pass, and ledger entries hit under the baseline that the
  candidate no longer hits (LiteLLM now behaves like Azure there);
- **new divergences**: differences from direct Azure (path and kind, per case) that the candidate
  shows and the baseline did not; each says whether the ledger covers it for the candidate;
- **gone divergences**: the reverse;
- **upstream requests**: what LiteLLM sent Azure, field by field, where it changed;
- **headers**: response header names the proxy added or dropped, with the cases where it did;
- **what the application sees, version against version**: the two versions' litellm-path
  observations of each case compared with each other at `exact`; every field whose value, type or
  presence changed, whether or not the ledger covers it (a ledgered divergence can still change
  its value: `error.code` from "400" to "BadRequest");
- **performance**: proxy cold start and the median per-request overhead of the proxy path.

The gate fails when anything broke or a new divergence is not covered by the ledger. It is
INCOMPLETE, never PASS, when a case could not be compared under both versions.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.compare import Level, Mismatch, diff, plain
from harness.contract.observe import number_ids
from harness.gate.frames import without_frames
from harness.gate.replay_misses import is_miss, miss_change, replay_miss
from harness.gate.suite import GateError

_INDEX = re.compile(r"\[\d+\]")


@dataclass
class Divergence:
    case: str
    path: str
    kind: str
    ledger: str | None  # the entry covering it in that run, or None (unledgered)

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case, "path": self.path, "kind": self.kind, "ledger": self.ledger}


@dataclass
class GateComparison:
    baseline: str
    candidate: str
    broke: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    entries_gone: list[str] = field(default_factory=list)
    new_divergences: list[Divergence] = field(default_factory=list)
    gone_divergences: list[Divergence] = field(default_factory=list)
    request_changes: list[dict[str, Any]] = field(default_factory=list)
    headers_added: dict[str, list[str]] = field(default_factory=dict)
    headers_removed: dict[str, list[str]] = field(default_factory=dict)
    performance: dict[str, dict[str, float | None]] = field(default_factory=dict)
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    #: cases compared under one version only (case -> which): they make the verdict INCOMPLETE
    compared_once: dict[str, str] = field(default_factory=dict)
    #: litellm-path observation changes between the versions, field by field
    app_changes: list[dict[str, Any]] = field(default_factory=list)
    #: per case, which upstream served each version (replay, or the emulator after a replay miss)
    served_by: dict[str, dict[str, str]] = field(default_factory=dict)
    #: items whose outcome differed between the versions and flipped when rerun: not broke, not fixed
    flaky: list[dict[str, Any]] = field(default_factory=list)
    #: items failing under the baseline only on divergences the ledger covers from later releases: not fixed
    unjudged: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unledgered_new(self) -> list[Divergence]:
        return [d for d in self.new_divergences if d.ledger is None]

    @property
    def failed(self) -> bool:
        return bool(self.broke or self.unledgered_new)

    @property
    def verdict(self) -> str:
        """`fail` beats `incomplete` beats `pass`: a gate that could not look is never a PASS."""
        if self.failed:
            return "fail"
        return "incomplete" if self.compared_once else "pass"

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "verdict": self.verdict,
            "broke": self.broke,
            "fixed": self.fixed,
            "ledger_entries_no_longer_hit": self.entries_gone,
            "new_divergences": [d.as_dict() for d in self.new_divergences],
            "gone_divergences": [d.as_dict() for d in self.gone_divergences],
            "upstream_request_changes": self.request_changes,
            "headers_added": self.headers_added,
            "headers_removed": self.headers_removed,
            "performance": self.performance,
            "totals": self.totals,
            "environments": self.environments,
            "compared_once": self.compared_once,
            "application_changes": self.app_changes,
            "served_by": self.served_by,
            "flaky": self.flaky,
            "unjudged": self.unjudged,
            **({"unjudged_command": extend_command(self.baseline, self.candidate)} if self.unjudged else {}),
        }


def extend_command(baseline: str, candidate: str) -> str:
    """The command that makes the ledger's ranges reach back to `baseline`: the bisect from it."""
    return (
        f"python -m harness gate --bisect --good {baseline} --bad {candidate} --jobs 2 "
        "--report-dir gate-bisect --update-ledger"
    )


class GateInputError(GateError):
    """A kept run the gate cannot read as data; the message names what to run again."""


def divergences(run: Mapping[str, Any]) -> dict[tuple[str, str, str], Divergence]:
    """Every difference from direct Azure a run saw, covered or not, keyed (case, path, kind): read from
    each comparison's typed mismatch records (`harness.contract.judgement`), never its rendered text."""
    out: dict[tuple[str, str, str], Divergence] = {}
    for comparison in run.get("comparisons", []):
        case = comparison["case"]
        if "mismatches" not in comparison:
            raise GateInputError(
                f"harness gate: a comparison of {case} has no mismatch records: the run was made by a harness "
                "older than the typed records; run both versions again with this checkout (`python -m harness "
                "gate --baseline X --candidate Y`)"
            )
        for record in comparison["mismatches"]:
            path = _INDEX.sub("[*]", record["path"])
            if record.get("covered_by"):
                # covered mismatches are the entry's concern, whatever their kind
                out.setdefault((case, path, "covered"), Divergence(case, path, "any", record["covered_by"]))
            else:
                out.setdefault((case, path, record["kind"]), Divergence(case, path, record["kind"], None))
    return out


def request_diff(before: Any, after: Any) -> list[Mismatch]:
    """What LiteLLM sent Azure, field by field, that differs between two runs of one case.

    Ids Azure minted (`resp_…`, `msg_…`, `fc_…`) are random per run: a retrieve of a stored
    response names another id every time. They are numbered by first appearance (`<resp#1>`), as
    the contract does between the paths, so only a request that names another response counts.
    """
    return diff({"upstream_requests": number_ids(before)}, {"upstream_requests": number_ids(after)}, Level.EXACT)


def _by_case_path(divs: Mapping[tuple[str, str, str], Divergence]) -> dict[tuple[str, str], Divergence]:
    return {(d.case, d.path): d for d in divs.values()}


def _outcomes(run: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["nodeid"]: o for o in run.get("outcomes", [])}


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def performance(run: Mapping[str, Any]) -> dict[str, float | None]:
    """Cold start (mean over workers) and, per replayed case, litellm latency minus direct latency."""
    starts = list((run.get("meta", {}).get("proxy_startups_s") or {}).values())
    direct: dict[str, float] = {}
    litellm: dict[str, float] = {}
    for outcome in run.get("outcomes", []):
        timing = outcome.get("timing") or {}
        calls = timing.get("calls_s") or {}
        case = timing.get("case")
        if case and outcome["outcome"] in ("passed", "failed"):  # a failure is judged after its call
            if "direct" in calls and timing.get("path") == "direct":
                direct[case] = calls["direct"]
            if "litellm" in calls and timing.get("path") == "litellm":
                litellm[case] = calls["litellm"]
    both = sorted(set(direct) & set(litellm))
    return {
        "proxy_cold_start_s": statistics.fmean(starts) if starts else None,
        "median_litellm_request_s": _median([litellm[c] for c in both]),
        "median_direct_request_s": _median([direct[c] for c in both]),
        "median_proxy_overhead_s": _median([litellm[c] - direct[c] for c in both]),
        "cases_timed": float(len(both)),
        "wall_s": run.get("meta", {}).get("wall_s"),
    }


def _totals(run: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in run.get("outcomes", []):
        counts[outcome["outcome"]] = counts.get(outcome["outcome"], 0) + 1
    return counts


def compare_runs(baseline: Mapping[str, Any], candidate: Mapping[str, Any]) -> GateComparison:
    label = lambda run: str(run.get("meta", {}).get("litellm_version", "?"))  # noqa: E731
    result = GateComparison(baseline=label(baseline), candidate=label(candidate))
    before, after = _outcomes(baseline), _outcomes(candidate)
    for nodeid in sorted(before.keys() | after.keys()):
        was = before.get(nodeid, {}).get("outcome", "absent")
        now = after.get(nodeid, {}).get("outcome", "absent")
        row = {"nodeid": nodeid, "baseline": was, "candidate": now}
        if was == "passed" and now != "passed":
            result.broke.append({**row, "message": after.get(nodeid, {}).get("message", "")})
        elif was == "failed" and now == "passed" and not is_miss(before[nodeid]):
            result.fixed.append(row)
        for side, outcome in (("baseline", before.get(nodeid)), ("candidate", after.get(nodeid))):
            if outcome is not None and is_miss(outcome):
                other = after.get(nodeid) if side == "baseline" else before.get(nodeid)
                replayed = other is not None and other.get("outcome") == "passed"
                record = replay_miss(outcome) or {}
                result.request_changes.append(miss_change(nodeid, side, record, replayed))
    hit_before = set(baseline.get("divergences", {}))
    hit_after = set(candidate.get("divergences", {}))
    result.entries_gone = sorted(hit_before - hit_after)

    old = _by_case_path(divergences(baseline))
    new = _by_case_path(divergences(candidate))
    # Only a case compared under both versions can say what changed; one compared under a single
    # version (the other failed before comparing, say on a replay miss) is listed apart.
    seen_old = {c["case"] for c in baseline.get("comparisons", [])}
    seen_new = {c["case"] for c in candidate.get("comparisons", [])}
    result.new_divergences = [new[k] for k in sorted(new.keys() - old.keys()) if k[0] in seen_old]
    result.gone_divergences = [old[k] for k in sorted(old.keys() - new.keys()) if k[0] in seen_new]
    result.compared_once = {
        **{case: "baseline only" for case in sorted(seen_old - seen_new)},
        **{case: "candidate only" for case in sorted(seen_new - seen_old)},
    }

    old_cmp = {c["case"]: c for c in baseline.get("comparisons", [])}
    new_cmp = {c["case"]: c for c in candidate.get("comparisons", [])}
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for case in sorted(old_cmp.keys() & new_cmp.keys()):
        a = (old_cmp[case].get("requests") or {}).get("litellm")
        b = (new_cmp[case].get("requests") or {}).get("litellm")
        if a is not None and b is not None:
            changes = request_diff(a, b)
            if changes:
                result.request_changes.append(
                    {
                        "case": case,
                        "changes": [
                            {"path": m.path, "kind": m.kind, "baseline": plain(m.direct), "candidate": plain(m.litellm)}
                            for m in changes
                        ],
                    }
                )
        seen_a, seen_b = (without_frames(c[case].get("litellm")) for c in (old_cmp, new_cmp))
        if seen_a and seen_b:
            result.app_changes += [
                {
                    "case": case,
                    "path": m.path,
                    "kind": m.kind,
                    "baseline": plain(m.direct),
                    "candidate": plain(m.litellm),
                }
                for m in diff(seen_a, seen_b, Level.EXACT)
            ]
        names_a = set((old_cmp[case].get("header_names") or {}).get("litellm") or [])
        names_b = set((new_cmp[case].get("header_names") or {}).get("litellm") or [])
        if names_a and names_b:
            for name in names_b - names_a:
                added.setdefault(name, []).append(case)
            for name in names_a - names_b:
                removed.setdefault(name, []).append(case)
    result.headers_added = dict(sorted(added.items()))
    result.headers_removed = dict(sorted(removed.items()))
    result.performance = {"baseline": performance(baseline), "candidate": performance(candidate)}
    result.totals = {"baseline": _totals(baseline), "candidate": _totals(candidate)}
    return result
