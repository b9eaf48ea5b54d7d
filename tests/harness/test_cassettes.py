"""Replay failure modes, end to end through pytester: each names the file and the fix.

The shipped cassettes of the chat cases are copied into a scratch project, broken on purpose,
and replayed: a missing cassette, a truncated one, another api-version, an unused interaction,
and a LiteLLM request that no longer matches its recording (body and auth scheme).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "cassettes"


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """A scratch project: the real chat contract module and a copy of its cassettes."""
    shutil.copy(ROOT / "tests" / "contract" / "test_chat.py", pytester.path / "test_chat.py")
    shutil.copytree(SHIPPED / "chat", pytester.path / "cassettes" / "chat")
    shutil.copy(ROOT / "tests" / "contract" / "divergences.yaml", pytester.path / "divergences.yaml")
    return pytester.path


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p",
        "harness.plugin",
        "-p",
        "no:cacheprovider",
        "--cassette-dir",
        "cassettes",
        "--ledger",
        "divergences.yaml",
        "-q",
        *args,
    )


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_direct_side_failures_name_the_file_and_the_command(pytester: pytest.Pytester, project: Path):
    cassettes = project / "cassettes" / "chat"
    (cassettes / "basic" / "direct.yaml").unlink()
    text = (cassettes / "system-prompt" / "direct.yaml").read_text()
    (cassettes / "system-prompt" / "direct.yaml").write_text(text[: len(text) // 2])

    def other_api_version(data):
        request = data["interactions"][0]["request"]
        request["uri"] = request["uri"].replace("api-version=2024-10-21", "api-version=2024-06-01")

    _edit(cassettes / "multi-turn" / "direct.yaml", other_api_version)

    def extra_interaction(data):
        extra = yaml.safe_load(yaml.safe_dump(data["interactions"][0]))
        extra["request"]["body"] = extra["request"]["body"].replace("Danube", "Rhine")
        data["interactions"].append(extra)

    _edit(cassettes / "stop-sequence" / "direct.yaml", extra_interaction)

    result = _run(pytester, "--paths", "direct")
    result.assert_outcomes(passed=16, failed=4)
    out = result.stdout.str()
    assert (
        f"harness: no cassette {cassettes / 'basic' / 'direct.yaml'} for chat/basic (direct path); the suite "
        "is offline and replays recordings. Record it with: pytest test_chat.py -k 'basic' --upstream emulator "
        "--record"
    ) in out
    assert f"harness: cassette {cassettes / 'system-prompt' / 'direct.yaml'} is corrupt or truncated" in out
    assert f"harness: the direct client sent Azure a request that matches nothing in {cassettes / 'multi-turn'}" in out
    assert 'api-version: recorded "2024-06-01", now "2024-10-21"' in out
    assert "recorded interaction(s) in" in out and "stop-sequence/direct.yaml were never requested" in out
    assert "Traceback" not in out


def test_litellm_side_fidelity_failures(pytester: pytest.Pytester, project: Path):
    cassettes = project / "cassettes" / "chat"

    def changed_prompt(data):
        request = data["interactions"][0]["request"]
        request["body"] = request["body"].replace("Two sentences about gateways", "Three sentences about gateways")

    _edit(cassettes / "stop-sequence" / "litellm.yaml", changed_prompt)

    def bearer_instead_of_key(data):
        headers = data["interactions"][0]["request"]["headers"]
        headers["authorization"] = headers.pop("api-key")

    _edit(cassettes / "n-2" / "litellm.yaml", bearer_instead_of_key)
    (cassettes / "tool-call" / "litellm.yaml").unlink()

    result = _run(pytester, "-k", "litellm and (stop-sequence or n-2 or tool-call or basic)")
    result.assert_outcomes(passed=2, failed=3)  # basic and parallel-tool-calls replay fine
    out = result.stdout.str()
    litellm_file = cassettes / "stop-sequence" / "litellm.yaml"
    assert f"harness: LiteLLM sent Azure a request that matches nothing in {litellm_file}" in out
    assert (
        'body.messages: recorded [{"role": "user", "content": "Three sentences about gateways, please."}], '
        'now [{"role": "user", "content": "Two sentences about gateways, please."}]'
    ) in out
    assert 'auth: recorded "bearer", now "api-key"' in out
    assert "if this change is expected, re-record: pytest test_chat.py -k 'n-2' --upstream emulator --record" in out
    assert f"harness: no cassette {cassettes / 'tool-call' / 'litellm.yaml'}" in out
    # the same misses as typed records in the report, which the upgrade gate reads (never the text)
    report = json.loads((pytester.path / "parity-report.json").read_text())
    misses = {o["case"]: o["replay_miss"] for o in report["outcomes"] if "replay_miss" in o}
    assert misses["chat/tool-call"]["kind"] == "no-cassette"
    assert misses["chat/n-2"]["kind"] == "miss"
    assert {"path": "auth", "recorded": "bearer", "now": "api-key"} in misses["chat/n-2"]["fields"]
    changed = next(f for f in misses["chat/stop-sequence"]["fields"] if f["path"] == "body.messages")
    assert "Three sentences" in json.dumps(changed["recorded"]) and "Two sentences" in json.dumps(changed["now"])


def test_recording_needs_a_real_upstream(pytester: pytest.Pytester):
    result = pytester.runpytest("-p", "harness.plugin", "--record")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*--record-mode=rewrite needs something real to record from, but --upstream is "
            "'replay'. Add --upstream emulator*"
        ]
    )


def test_every_shipped_case_has_both_cassettes_from_the_emulator():
    import importlib

    for module in ("test_chat", "test_streaming"):
        cases = importlib.import_module(f"tests.contract.{module}").CASES
        area = module.removeprefix("test_")
        for case in cases:
            for path in ("direct", "litellm"):
                file = SHIPPED / area / case.id / f"{path}.yaml"
                assert file.is_file(), f"{file} missing"
                provenance = yaml.safe_load(file.read_text())["metadata"]["provenance"]
                assert provenance["source"] == "emulator" and provenance["path"] == path
                assert provenance["litellm_version"] == "1.108.7" and provenance["api_versions"]
