"""Where a serial run of the offline contract spends its time before and after its proxy is up.

    python benchmarks/serial_timeline.py [pytest args...]     # default: tests/contract

It runs `pytest tests/contract` serially (as `suite_timing.py`'s serial run does) with its own zygote
folder (`HARNESS_PROXY_ZYGOTES`) and `--basetemp`, and polls both every 20 ms for the marks of the
proxy's start: the warm LiteLLM process binding its socket (`harness.startup` starts it before the
conftests), its import done (its import record is written), and the forked proxy's own log lines
(uvicorn's server process, application start-up, serving). Then it prints each mark's second since
the run began, the proxy's answer time per request as the replay server saw it (its handler, wrapped
by the `serial_timeline_plugin` it loads), and the run's own summary. A serial run is the proxy's cold
start plus its items: the marks say how much of the first is still on the critical path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.02
PROXY_MARKS = (
    ("started server", "Started server process"),
    ("application start-up", "Waiting for application startup"),
    ("start-up complete", "Application startup complete"),
    ("serving", "Uvicorn running on"),
)


def main(args: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="serial-timeline-") as tmp:
        zygotes, basetemp = Path(tmp) / "zygotes", Path(tmp) / "basetemp"
        zygotes.mkdir()
        env = {
            **os.environ,
            "HARNESS_PROXY_ZYGOTES": str(zygotes),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH")])),
        }
        command = [sys.executable, "-m", "pytest", *(args or ["tests/contract"]), "-q", "-p", "no:cacheprovider",
                   "-p", "serial_timeline_plugin", "--basetemp", str(basetemp)]  # fmt: skip
        started = time.monotonic()
        marks: dict[str, float] = {}

        def mark(name: str) -> None:
            marks.setdefault(name, time.monotonic() - started)

        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            while proc.poll() is None and time.monotonic() - started < 1800:
                if any(zygotes.glob("*.sock")):
                    mark("warm process bound")
                if any(zygotes.glob("*.reads.json")):
                    mark("warm import done")
                for log in basetemp.glob("litellm-proxy*/litellm.log"):
                    text = log.read_text(encoding="utf-8", errors="replace")
                    for name, line in PROXY_MARKS:
                        if line in text:
                            mark(f"proxy: {name}")
                time.sleep(POLL_S)
            out = proc.communicate(timeout=60)[0]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        wall = time.monotonic() - started
    for name, at in sorted(marks.items(), key=lambda kv: kv[1]):
        print(f"{at:7.2f} s  {name}")
    print(f"{wall:7.2f} s  run ended (exit {proc.returncode})")
    for line in out.splitlines():
        if line.startswith("[replay server]") or " passed" in line or " failed" in line:
            print(line)
    return proc.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
