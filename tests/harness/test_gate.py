"""The upgrade gate: version validation, the venv cache, the comparison, and a planted change caught
end to end (two real suite runs, the candidate's with a ledger entry removed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.gate.compare import compare_runs, request_diff
from harness.gate.env import (
    _EXTRA_MISSING,
    MARKER,
    GateEnvError,
    _fingerprint,
    _has_proxy_extra,
    drop_env,
    ensure_env,
    project_requirements,
    validate_version,
    venv_path,
)
from harness.gate.report import render_text
from harness.report.gate import render_html

from .support import ROOT

# ---------------------------------------------------------------- versions and venvs


@pytest.mark.parametrize("text", ["1.80", "1.80.17", "1.77.2.post1", "current"])
def test_exact_releases_and_current_are_accepted(text: str) -> None:
    assert validate_version(text) == text


@pytest.mark.parametrize("text", ["latest", ">=1.80", "1.80.*", "1.80.17+local", "", "1.80.17; rm -rf /"])
def test_anything_else_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(GateEnvError, match=r"harness gate: .*(exact release|not a LiteLLM version)"):
        validate_version(text)


def test_the_projects_pins_are_kept_and_litellm_swapped(tmp_path: Path) -> None:
    requirements = project_requirements(ROOT / "pyproject.toml", "1.80.17")
    assert requirements[0] == "litellm[proxy]==1.80.17"
    assert not any(r.startswith("litellm[proxy]==1.108") for r in requirements)
    assert "openai==3.57.0" in requirements and "vcrpy==9.4.2" in requirements


def fake_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["pyyaml==6.0.4"]\n')
    return repo


def built_venv(cache: Path, repo: Path, version: str) -> Path:
    """A venv as ensure_env leaves it (its marker last), without pip."""
    venv = venv_path(version, cache)
    (venv / "bin").mkdir(parents=True)
    fingerprint = _fingerprint(project_requirements(repo / "pyproject.toml", version))
    (venv / MARKER).write_text(json.dumps({"fingerprint": fingerprint}))
    return venv


def test_a_built_venv_is_reused_without_pip(tmp_path: Path) -> None:
    repo, cache = fake_repo(tmp_path), tmp_path / "cache"
    venv = built_venv(cache, repo, "1.80.17")
    env = ensure_env("1.80.17", repo=repo, cache_dir=cache)
    assert env.cached and env.python == venv / "bin" / "python" and env.version == "1.80.17"


def test_a_venv_no_run_needs_is_removed_once(tmp_path: Path) -> None:
    repo, cache = fake_repo(tmp_path), tmp_path / "cache"
    venv = built_venv(cache, repo, "1.80.17")
    assert drop_env("1.80.17", cache_dir=cache) and not venv.exists()
    assert not drop_env("1.80.17", cache_dir=cache), "nothing left to remove"
    assert not drop_env("current", cache_dir=cache), "this interpreter is never removed"


def test_a_release_run_kept_drops_its_venv_but_not_the_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bisect's release runner: once a run is kept, the venv it ran in goes (a bisect over hundreds of
    releases filled 55 GB with them); the gate's ends stay, and a run that could not be made keeps nothing."""
    from harness.gate import release_runs, supply

    repo, cache, out = fake_repo(tmp_path), tmp_path / "cache", tmp_path / "runs"
    venvs = {v: built_venv(cache, repo, v) for v in ("1.80.17", "1.81.0", "1.82.0")}

    def suite(env: Any, repo: Path, folder: Path, **_: Any) -> Any:
        if env.version == "1.82.0":
            raise release_runs.GateError("harness gate: ModuleNotFoundError: No module named 'proxy_server'")
        (folder / "parity-report.json").write_text("{}")
        return type("Suite", (), {"report": folder / "parity-report.json"})()

    monkeypatch.setattr(release_runs, "run_suite", suite)
    monkeypatch.setattr(release_runs, "emulate_missed_one", lambda *a, **k: {"outcomes": []})
    monkeypatch.setattr(supply, "check_venv", lambda python: None)  # the fake venvs have no interpreter
    logged: list[str] = []
    runner, kept = release_runs.release_runner(repo, out, ["t::a"], [], cache, 60.0, logged.append, keep=("1.80.17",))
    runner("1.80.17")
    runner("1.81.0")
    with pytest.raises(release_runs.Uninstallable):
        runner("1.82.0")
    assert venvs["1.80.17"].exists(), "an end the gate asks for again keeps its venv"
    assert not venvs["1.81.0"].exists() and kept("1.81.0") == {"outcomes": []}, "the run is kept, the venv gone"
    assert not venvs["1.82.0"].exists(), "a release kept as unusable never needs its venv again"
    assert any("1.81.0: its venv removed" in line for line in logged)


def test_an_uninstallable_version_is_a_clear_error_and_leaves_no_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip is pointed at an empty local index (nothing leaves the machine): the version cannot install."""
    empty = tmp_path / "index"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    repo, cache = fake_repo(tmp_path), tmp_path / "cache"
    with pytest.raises(GateEnvError) as caught:
        ensure_env("1.80.17", repo=repo, cache_dir=cache, deadline_s=300)
    message = str(caught.value)
    assert "pip install litellm[proxy]==1.80.17 failed" in message
    assert "No matching distribution" in message or "Could not find a version" in message
    assert not any(p.is_dir() for p in cache.glob("litellm-*")), "a half-built venv was left behind"


def test_a_release_without_the_proxy_extra_is_recognised() -> None:
    """pip only warns when an extra does not exist; the gate must refuse such a release."""
    warning = "WARNING: litellm 1.0.0 does not provide the extra 'proxy'"
    assert _EXTRA_MISSING.search(warning)
    assert _has_proxy_extra(Path(sys.executable))  # this environment's litellm[proxy] has it


# ---------------------------------------------------------------- the comparison


def parity_run(
    version: str, outcomes: dict[str, str], comparisons: list[dict[str, Any]], hits: list[str]
) -> dict[str, Any]:
    return {
        "meta": {"litellm_version": version, "proxy_startups_s": {"gw0": 5.0}, "wall_s": 30.0},
        "outcomes": [
            {"nodeid": n, "outcome": o, "path": "litellm", "message": f"{n} failed" if o == "failed" else ""}
            for n, o in outcomes.items()
        ],
        "comparisons": comparisons,
        "divergences": {h: {} for h in hits},
    }


def records(covered: dict[str, list[str]], unledgered: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A comparison's typed mismatch records (`harness.contract.judgement`), which the gate reads."""
    return [{"path": p, "kind": "value", "direct": 1, "litellm": 2, "covered_by": e} for e, ps in covered.items()
            for p in ps] + [{"path": p, "kind": k, "direct": 1, "litellm": 2, "covered_by": ""}
                            for p, k in unledgered]  # fmt: skip


def comparison(
    case: str, covered: dict[str, list[str]], unledgered: list[tuple[str, str]], body: dict, headers: list[str]
) -> dict[str, Any]:
    return {
        "case": case,
        "covered": covered,
        "unledgered": [f"{p}: {k} mismatch at level exact" for p, k in unledgered],
        "mismatches": records(covered, unledgered),
        "requests": {"litellm": [{"method": "POST", "body": body}]},
        "header_names": {"litellm": headers},
    }


def test_ids_azure_minted_are_not_a_request_change() -> None:
    """A retrieve of a stored response names the id the emulator (or Azure) minted in that run:
    another id every run. Numbered by first appearance, the same requests compare equal; a request
    that names another response than before still counts."""
    a, b, c = ("resp_" + digit * 48 for digit in "abc")
    retrieve = lambda first, second: [  # noqa: E731
        {"method": "POST", "path": "/openai/responses", "body": {"input": "hi"}},
        {"method": "GET", "path": f"/openai/responses/{first}"},
        {"method": "DELETE", "path": f"/openai/responses/{second}"},
    ]
    assert request_diff(retrieve(a, a), retrieve(b, b)) == []
    changed = request_diff(retrieve(a, a), retrieve(b, c))
    assert [m.path for m in changed] == ["upstream_requests[2].path"]

    def run(version: str, resp_id: str) -> dict[str, Any]:
        case = {"case": "responses/retrieve", "covered": {}, "unledgered": [], "mismatches": [],
                "requests": {"litellm": retrieve(resp_id, resp_id)}, "header_names": {"litellm": ["x-a"]}}  # fmt: skip
        return parity_run(version, {"t[r-litellm]": "passed"}, [case], [])

    assert compare_runs(run("1.0.0", a), run("2.0.0", b)).request_changes == []


def test_the_comparison_names_what_changed() -> None:
    old = parity_run(
        "1.0.0",
        {"t[a-litellm]": "passed", "t[b-litellm]": "failed", "t[c-litellm]": "passed"},
        [
            comparison("x/a", {"gone-entry": ["body.x"]}, [], {"stream": False}, ["server", "x-a"]),
            comparison("x/c", {}, [], {}, ["x-a"]),
        ],
        ["gone-entry"],
    )
    new = parity_run(
        "2.0.0",
        {"t[a-litellm]": "failed", "t[b-litellm]": "passed", "t[c-litellm]": "passed"},
        [
            comparison("x/a", {}, [("body.model", "value")], {"stream": True}, ["x-a", "x-new"]),
            comparison("x/c", {"alias": ["body.choices[0].y"]}, [], {}, ["x-a"]),
        ],
        ["alias"],
    )
    c = compare_runs(old, new)
    assert [r["nodeid"] for r in c.broke] == ["t[a-litellm]"] and c.broke[0]["message"] == "t[a-litellm] failed"
    assert [r["nodeid"] for r in c.fixed] == ["t[b-litellm]"]
    assert c.entries_gone == ["gone-entry"]
    assert {(d.case, d.path, d.ledger) for d in c.new_divergences} == {
        ("x/a", "body.model", None),
        ("x/c", "body.choices[*].y", "alias"),
    }
    assert [d.path for d in c.unledgered_new] == ["body.model"] and c.failed
    assert c.request_changes == [
        {
            "case": "x/a",
            "changes": [
                {"path": "upstream_requests[0].body.stream", "kind": "value", "baseline": False, "candidate": True}
            ],
        }
    ]
    assert c.headers_added == {"x-new": ["x/a"]} and c.headers_removed == {"server": ["x/a"]}
    text = render_text(c)
    assert "FAIL" in text and "t[a-litellm]" in text and "NOT IN THE LEDGER" in text
    assert 'id="verdict">FAIL<' in render_html(c.as_dict())


def test_a_value_change_inside_a_ledgered_divergence_is_reported() -> None:
    """Both versions diverge from Azure at `error.code`, covered by the same entry; the candidate
    sends another value there. The divergence sets are equal, the application-visible change is not."""

    def run_with(code: str, version: str) -> dict:
        case = comparison("errors/x", {"error-code-becomes-status": ["error.code"]}, [], {}, ["h"])
        case["litellm"] = {"kind": "error", "status": 400, "error": {"code": code, "type": "invalid_request_error"}}
        return parity_run(version, {"t[x-litellm]": "passed"}, [case], ["error-code-becomes-status"])

    c = compare_runs(run_with("400", "1.0.0"), run_with("BadRequest", "2.0.0"))
    assert not c.new_divergences and not c.gone_divergences
    assert c.app_changes == [
        {"case": "errors/x", "path": "error.code", "kind": "value", "baseline": "400", "candidate": "BadRequest"}
    ]
    text = render_text(c)
    assert (
        'error.code: "400" -> "BadRequest"  in errors/x' in text or "error.code: 400 -> BadRequest  in errors/x" in text
    )
    assert "BadRequest" in render_html(c.as_dict())


def test_a_case_compared_under_one_version_only_is_incomplete_never_pass() -> None:
    old = parity_run("1.0.0", {"t[a-litellm]": "passed"}, [comparison("x/a", {}, [], {}, ["h"])], [])
    new = parity_run("2.0.0", {"t[a-litellm]": "failed"}, [], [])
    new["outcomes"][0]["replay_miss"] = {"kind": "miss", "cassette": "c.yaml", "fields": [], "requests": []}
    c = compare_runs(old, new)
    assert c.compared_once == {"x/a": "baseline only"}
    assert c.verdict == "fail"  # it also broke
    new["outcomes"][0]["outcome"] = "passed"
    c = compare_runs(old, new)
    assert c.verdict == "incomplete" and "verdict: INCOMPLETE" in render_text(c)
    assert 'id="verdict">INCOMPLETE<' in render_html(c.as_dict())


def test_no_change_passes() -> None:
    same = parity_run("1.0.0", {"t[a-litellm]": "passed"}, [comparison("x/a", {"e": ["body.x"]}, [], {}, ["h"])], ["e"])
    c = compare_runs(same, json.loads(json.dumps(same)))
    assert not c.failed and not c.new_divergences and not c.request_changes and "verdict: PASS" in render_text(c)


# ---------------------------------------------------------------- end to end: a planted change


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("gate-planted")
def test_the_gate_catches_a_removed_ledger_entry_and_names_the_case(background_run) -> None:
    """`python -m harness gate` end to end, the candidate's ledger missing an entry (background.py)."""
    out = background_run.stdout
    assert background_run.returncode == 1, out[-3000:]
    assert "tests/contract/test_chat.py::test_chat[basic-litellm]" in out
    assert "body.model: value mismatch" in out  # the failure itself, not just its name
    report = json.loads((background_run.folder / "report" / "gate-report.json").read_text())
    assert report["verdict"] == "fail"
    assert [b["nodeid"] for b in report["broke"]] == ["tests/contract/test_chat.py::test_chat[basic-litellm]"]
    assert (background_run.folder / "report" / "gate-report.html").read_text().count("test_chat[basic-litellm]") >= 1
    markdown = (background_run.folder / "report" / "gate-report.md").read_text()  # the pull request's comment
    assert markdown.startswith("## ❌ FAIL") and "`tests/contract/test_chat.py::test_chat[basic-litellm]`" in markdown
    summary = (background_run.folder / "step-summary.md").read_text()  # GITHUB_STEP_SUMMARY, set by background.py
    assert summary == markdown  # the gate's report alone: the suites it ran append nothing


@pytest.mark.slow_tier  # a whole suite run in a subprocess: .ci/run's second command
@pytest.mark.background_run("gate-config-planted")
def test_the_gate_in_config_mode_keeps_the_config_on_every_run_the_reruns_included(background_run) -> None:
    """Config mode's options reach the rerun of a differing item (they once lost their values there)."""
    out = background_run.stdout
    assert background_run.returncode == 1, out[-3000:]
    assert "expected one argument" not in out
    report = json.loads((background_run.folder / "report" / "gate-report.json").read_text())
    nodeid = "tests/contract/test_errors.py::test_errors[server-error-500-litellm]"
    assert [b["nodeid"] for b in report["broke"]] == [nodeid] and report["flaky"] == []
    reruns = sorted((background_run.folder / "report" / "gate-runs").glob("*-rerun-*"))
    assert reruns, "the differing item was rerun"
    for folder in reruns:  # each rerun ran the team's config: its parity data says so
        meta = json.loads((folder / "parity-report.json").read_text())["meta"]
        assert meta.get("config") == "litellm.config.yaml, alias gpt-4o", meta
    for folder in (background_run.folder / "report" / "gate-runs").iterdir():  # each run's cost, as the gate saw it
        cost = json.loads((folder / "suite-run.json").read_text())
        meta = json.loads((folder / "parity-report.json").read_text())["meta"]
        assert cost["exit_code"] in (0, 1) and cost["wall_s"] >= meta["wall_s"] > 0, (folder.name, cost, meta)


def test_options_only_keeps_each_options_value_and_drops_the_selection() -> None:
    from harness.gate.run import options_only

    selection = ["tests/contract/test_errors.py", "-k", "basic", "tests/contract/test_chat.py::test_chat[basic-direct]"]
    args = [*selection[:3], "-n", "2", "--ledger", "examples/x/divergences.yaml", "-p", "no:randomly", "-x",
            selection[3], "--gate-examples=3"]  # fmt: skip
    assert options_only(args) == ["-n", "2", "--ledger", "examples/x/divergences.yaml", "-p", "no:randomly", "-x",
                                  "--gate-examples=3"]  # fmt: skip


def test_a_tracebacks_frames_are_no_change_between_releases_its_exception_is() -> None:
    """Older releases put a traceback in some error messages; its frames name each release's venv and
    line numbers (seen on 1.63.11 and 1.65.0.post1 for `api_version: v1`), which is no change."""

    def message(venv: str, line: int, error: str) -> str:
        return (
            "litellm.APIConnectionError: AzureException APIConnectionError - list index out of range\n"
            "Traceback (most recent call last):\n"
            f'  File "/root/.cache/gate/{venv}/lib/python3.11/site-packages/litellm/main.py", line {line}, in x\n'
            "    optional_params = get_optional_params(\n"
            "                      ^^^^^^^^^^^^^^^^^^^^\n"
            f"{error}: list index out of range\n. Received Model Group=v1"
        )

    def run_with(version: str, text: str) -> dict:
        case = comparison("v1/basic", {}, [], {}, ["h"])
        case["litellm"] = {"kind": "error", "status": 500, "error": {"message": text}}
        return parity_run(version, {"t[v1-litellm]": "failed"}, [case], [])

    same = compare_runs(run_with("1.63.11", message("litellm-1.63.11-py311", 1082, "IndexError")),
                        run_with("1.65.0", message("litellm-1.65.0-py311", 1083, "IndexError")))  # fmt: skip
    assert same.app_changes == []
    other = compare_runs(run_with("1.63.11", message("litellm-1.63.11-py311", 1082, "IndexError")),
                         run_with("1.65.0", message("litellm-1.65.0-py311", 1083, "KeyError")))  # fmt: skip
    assert [c["path"] for c in other.app_changes] == ["error.message"]
    assert "Traceback (most recent call last): <frames>\nKeyError" in other.app_changes[0]["candidate"]


def test_a_replay_miss_is_read_from_its_record_never_its_message() -> None:
    """The replay's typed record says what the version sent (`ReplayMiss.record`): a field changed, one
    request more, fewer requests, no cassette. The message text is for people and may change freely."""
    from harness.gate.replay_misses import replay_missed_cases

    old = parity_run("1.0.0", {"t[a-litellm]": "passed", "t[b-litellm]": "passed"}, [], [])
    new = parity_run("2.0.0", {"t[a-litellm]": "failed", "t[b-litellm]": "failed"}, [], [])
    new["outcomes"][0]["message"] = new["outcomes"][1]["message"] = "reworded: no recording matched"
    changed = [{"path": "body.stream", "recorded": False, "now": True}]
    new["outcomes"][0]["replay_miss"] = {"kind": "miss", "cassette": "a.yaml", "requests": [], "fields": changed}
    new["outcomes"][1]["replay_miss"] = {"kind": "played-more", "cassette": "b.yaml", "fields": [], "requests": []}
    c = compare_runs(old, new)
    assert c.request_changes == [
        {"case": "t[a-litellm]", "source": "replay miss under the candidate",
         "changes": [{"path": "body.stream", "kind": "value", "baseline": False, "candidate": True}]},
        {"case": "t[b-litellm]", "source": "replay miss under the candidate",
         "changes": [{"path": "upstream_requests (count)", "kind": "length", "baseline": "as recorded",
                      "candidate": "sends it more often than recorded"}]},
    ]  # fmt: skip
    assert replay_missed_cases(new) == {"t[a-litellm]", "t[b-litellm]"}
    new["outcomes"][1]["replay_miss"] = {"kind": "unused", "cassette": "b.yaml", "fields": [], "requests": []}
    assert len(compare_runs(old, new).request_changes) == 1 and replay_missed_cases(new) == {
        "t[a-litellm]",
        "t[b-litellm]",
    }
    del new["outcomes"][0]["replay_miss"], new["outcomes"][1]["replay_miss"]
    assert compare_runs(old, new).request_changes == [] and replay_missed_cases(new) == set()


def test_a_run_without_mismatch_records_is_refused_in_one_line() -> None:
    from harness.gate.compare import GateInputError

    legacy = parity_run("1.0.0", {"t[a-litellm]": "failed"}, [{"case": "x/a", "covered": {},
                        "unledgered": ["body.model: value mismatch at level exact"]}], [])  # fmt: skip
    with pytest.raises(GateInputError, match=r"x/a has no mismatch records.*run both versions again"):
        compare_runs(legacy, legacy)
