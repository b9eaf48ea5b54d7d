"""The pytest plugin, driven with pytester: help text, option errors, failure output, stale ledger."""

from __future__ import annotations

import textwrap

import pytest

from harness.paths.proxy import RunningProxy

CASE_FILE = textwrap.dedent("""
    import pytest
    from harness import Case, Scenario, expect

    CASES = [Case("basic", Scenario({"messages": [{"role": "user", "content": "hello"}]}), expect.has_text())]

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_chat(case, contract):
        contract.run(case)
""")


def test_help_lists_the_option_group(pytester: pytest.Pytester):
    result = pytester.runpytest("-p", "harness.plugin", "--help")
    result.stdout.fnmatch_lines(
        [
            "*LiteLLM-versus-Azure contract suite*",
            "*--upstream*",
            "*--contract-level*",
            "*--proxy-url*",
            "*--ledger*",
            "*--paths*",
        ]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--contract-level", "fuzzy"], "*argument --contract-level: invalid choice: 'fuzzy'*"),
        (
            ["--paths", "direct,carrier-pigeon"],
            "*harness: --paths: expected a comma-separated subset of direct,litellm*",
        ),
        (["--proxy-url", "http://127.0.0.1:9", "--proxy-key", ""], "*--proxy-url needs the proxy's key*"),
        (["--proxy-url", "localhost:4000"], "*--proxy-url: expected an http(s) URL*"),
    ],
)
def test_bad_options_are_usage_errors(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args, message):
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)
    result = pytester.runpytest("-p", "harness.plugin", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_broken_ledger_stops_the_run_with_one_line(pytester: pytest.Pytester):
    ledger = pytester.path / "ledger.yaml"
    ledger.write_text("divergences:\n  - id: x\n    what: y\n")
    result = pytester.runpytest("-p", "harness.plugin", "--ledger", str(ledger))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.stderr.lines if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith(f"ERROR: harness: {ledger}: divergences[0]: 'litellm' is required")
    assert "Traceback" not in result.stderr.str()


def _run_contract(pytester: pytest.Pytester, proxy: RunningProxy, ledger_text: str) -> pytest.RunResult:
    pytester.makepyfile(test_chat=CASE_FILE)
    ledger = pytester.path / "ledger.yaml"
    ledger.write_text(ledger_text)
    return pytester.runpytest_subprocess(
        "-p",
        "harness.plugin",
        "--ledger",
        str(ledger),
        "--upstream",
        "emulator",
        "--proxy-url",
        proxy.url,
        "--proxy-key",
        proxy.master_key,
        "-p",
        "no:cacheprovider",
    )


def test_unledgered_divergences_fail_with_a_structured_diff(pytester: pytest.Pytester, emulator_proxy: RunningProxy):
    result = _run_contract(pytester, emulator_proxy, "divergences: []\n")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_chat?basic-litellm?*",
            "*contract 'chat/basic': * distinct failure(s) between direct and litellm at level exact*",
            "*body.model: value mismatch at level exact*",
            '*direct:  "gpt-4o-2024-08-06"*',
            '*litellm: "good-key"*',
            "*contract summary*",
        ]
    )


def test_a_stale_ledger_entry_fails_the_run(pytester: pytest.Pytester, emulator_proxy: RunningProxy):
    from pathlib import Path

    shipped = (Path(__file__).resolve().parents[1] / "contract" / "divergences.yaml").read_text()
    stale = textwrap.dedent("""
      - id: never-happens
        what: a field LiteLLM no longer changes
        paths: ["body.never_there"]
        litellm: ">=1.0"
        reason: once true
        impact: none any more
        link: https://example.invalid/stale
    """)
    result = _run_contract(pytester, emulator_proxy, shipped + textwrap.indent(stale, "  "))
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*STALE ledger entry 'never-happens': in scope but not observed in chat/basic*"])
