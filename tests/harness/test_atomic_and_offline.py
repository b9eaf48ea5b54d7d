"""Atomic writes survive a kill mid-recording; offline runs refuse non-loopback connections."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.replay.netguard import NetworkBlocked, _is_loopback, loopback_only

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "cassettes" / "chat" / "basic" / "direct.yaml"


@pytest.mark.parametrize("kill_during", ["os.fsync", "os.replace"], ids=["while-writing", "before-rename"])
def test_a_recording_killed_midway_leaves_the_old_cassette_intact(tmp_path: Path, kill_during: str):
    target = tmp_path / "direct.yaml"
    target.write_text(SHIPPED.read_text())
    original = target.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        import vcr.serializers.yamlserializer
        from harness.replay.cassettes import AtomicPersister

        requests, responses, *_ = AtomicPersister.load_cassette(Path(r"{target}"), vcr.serializers.yamlserializer)
        real = {kill_during}
        def die(*args):
            if "{kill_during}" == "os.fsync":
                real(*args)  # the bytes of the new version are on disk, half the story
            os.kill(os.getpid(), signal.SIGKILL)
        {kill_during} = die
        AtomicPersister.save_cassette(Path(r"{target}"), {{"requests": requests * 50, "responses": responses * 50}},
                                      vcr.serializers.yamlserializer)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    assert target.read_bytes() == original
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "direct.yaml"]
    assert all(name.startswith(".direct.yaml.") and name.endswith(".tmp") for name in leftovers)


def test_loopback_is_allowed_and_anything_else_refused_before_any_packet(monkeypatch: pytest.MonkeyPatch):
    sent: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: sent.append(address))
    with loopback_only("Record with --upstream emulator --record."):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            with pytest.raises(NetworkBlocked, match=r"only loopback is allowed; .*192\.0\.2\.1.*--record"):
                sock.connect(("192.0.2.1", 443))
            sock.connect(("127.0.0.1", 9))
        finally:
            sock.close()
    assert sent == [("127.0.0.1", 9)]  # the refused address never reached the real connect


def test_loopback_classification():
    assert all(_is_loopback(a) for a in [("127.0.0.1", 1), ("127.8.9.10", 1), ("::1", 1, 0, 0), ("localhost", 1)])
    assert not any(_is_loopback(a) for a in [("10.0.0.1", 1), ("192.0.2.1", 1), ("example.invalid", 1)])
