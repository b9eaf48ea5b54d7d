"""Deployment tables and the `python -m harness emulator` command."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.emulator import Deployment, EmulatorConfig, EmulatorConfigError, load_deployments, run_emulator

ROOT = Path(__file__).resolve().parents[2]


def test_custom_table_is_served(tmp_path: Path):
    path = tmp_path / "deployments.yaml"
    path.write_text("deployments:\n  - name: prod-gpt4\n    model: gpt-4-turbo-2024-04-09\n    rpm: 5\n")
    table = load_deployments(path)
    assert table == {"prod-gpt4": Deployment(name="prod-gpt4", model="gpt-4-turbo-2024-04-09", rpm=5)}
    with run_emulator(EmulatorConfig(deployments=table)) as running:
        response = httpx.post(
            running.url + "/openai/deployments/prod-gpt4/chat/completions",
            params={"api-version": "2024-10-21"},
            headers={"api-key": running.api_key},
            json={"messages": [{"role": "user", "content": "x"}]},
        )
        assert response.json()["model"] == "gpt-4-turbo-2024-04-09"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deployments: [", "not valid YAML/JSON"),
        ("deployments:\n  - name: a\n    colour: red\n", "deployments[0]: unknown field 'colour'"),
        ("deployments:\n  - model: x\n", "'name' is required"),
        ("deployments:\n  - name: a\n    rpm: -1\n", "deployments[0].rpm: expected a positive integer"),
        ("deployments:\n  - name: a\n  - name: a\n", "duplicate name 'a'"),
        ("deployments: []\n", "expected a non-empty list"),
        ("tables: []\n", "unknown top-level key 'tables'"),
    ],
)
def test_bad_tables_name_the_file_and_entry(tmp_path: Path, text: str, message: str):
    path = tmp_path / "deployments.yaml"
    path.write_text(text)
    with pytest.raises(EmulatorConfigError) as caught:
        load_deployments(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "emulator", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_cli_bad_file_is_one_line_exit_2(tmp_path: Path):
    missing = _run_cli("--deployments", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    expected = f"error: {tmp_path / 'nope.yaml'}: cannot read deployments file (No such file or directory)"
    assert missing.stderr.strip() == expected
    (tmp_path / "bad.yaml").write_text("deployments:\n  - name: a\n    colour: red\n")
    bad = _run_cli("--deployments", str(tmp_path / "bad.yaml"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "unknown field 'colour'" in bad.stderr


def test_cli_port_in_use_is_one_line():
    with run_emulator() as running:
        port = running.url.rsplit(":", 1)[1]
        busy = _run_cli("--port", port)
    assert busy.returncode == 2
    assert "cannot listen on 127.0.0.1:" + port in busy.stderr and "Traceback" not in busy.stderr


def test_cli_serves_until_interrupted():
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "emulator"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert first.startswith("Azure OpenAI emulator listening on http://127.0.0.1:")
        url = first.split()[-1]
        lines = [proc.stdout.readline() for _ in range(6)] if proc.stdout else []
        key = next(line.split(": ", 1)[1].strip() for line in lines if "api-key:" in line)
        assert any("python -m harness token" in line for line in lines)
        response = httpx.post(
            url + "/openai/deployments/chat/chat/completions",
            params={"api-version": "2024-10-21"},
            headers={"api-key": key},
            json={"messages": [{"role": "user", "content": "x"}]},
            timeout=10,
        )
        assert response.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
