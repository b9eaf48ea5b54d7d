"""Proxies forked from a warm LiteLLM (`zygote_server.py`): the real proxy, without its 10 s import.

A warm process serves one interpreter and one import-time environment (what LiteLLM reads while it is
imported); it is started on first use, listens on a Unix socket in a folder the run shares with its
subprocesses (`HARNESS_PROXY_ZYGOTES`, so a background suite run forks from the session's warm process
instead of importing LiteLLM again), and ends with the process that started it. `HARNESS_PROXY_START=cli`
starts every proxy with the `litellm` command instead (the gate does, to measure a version's cold
start).

What a proxy's environment holds beyond the import-time part (its master key, its HOME, the secrets
its config reads through `os.environ/`, a team's callback folder) is set in the forked process before
the CLI runs, so the proxy reads it where it would: when it loads its config.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# the server's own helpers (it runs as a script in any venv, importing nothing of the harness)
from harness.paths.zygote_server import digest, relevant

SHARED = "HARNESS_PROXY_ZYGOTES"
MODE = "HARNESS_PROXY_START"
SERVER = Path(__file__).with_name("zygote_server.py")

#: read when the config is loaded or the server starts, never at import: left out of a warm process's key
PER_PROXY = frozenset({"LITELLM_MASTER_KEY", "HOME", "PYTHONPATH"})
START_DEADLINE_S = 120.0
ANSWER_DEADLINE_S = 150.0  # a first client waits for the import


class ZygoteError(RuntimeError):
    """The warm process could not start or answer; the caller falls back to the CLI and says why."""


def enabled(python: str) -> bool:
    return os.environ.get(MODE, "fork") != "cli" and hasattr(os, "fork") and Path(python).exists()


def import_env(env: Mapping[str, str]) -> dict[str, str]:
    """The part of a proxy's environment LiteLLM may read while it is imported."""
    return {k: v for k, v in sorted(env.items()) if k not in PER_PROXY and not k.startswith("HARNESS_")}


def _key(python: str, env: Mapping[str, str]) -> str:
    digest = hashlib.sha256(json.dumps([python, import_env(env)], sort_keys=True).encode()).hexdigest()
    return digest[:20]


@dataclass
class Forked:
    """A proxy process forked by a warm process: not our child, so its end is asked of the warm one."""

    pid: int
    socket_path: str
    import_s: float

    def poll(self) -> int | None:
        """The exit code once the proxy has ended, None while it runs."""
        try:
            os.kill(self.pid, 0)
            return None
        except ProcessLookupError:
            pass
        with contextlib.suppress(OSError, ValueError, KeyError):
            code = _ask(self.socket_path, {"op": "status", "pid": self.pid}, 5.0)["returncode"]
            return -15 if code is None else int(code)
        return -15  # the warm process is gone too

    def stop(self, deadline_s: float) -> None:
        """Terminate, then kill, the proxy's process group (it leads its own session)."""
        if self.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.poll() is not None:
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


def _ask(path: str, request: dict, deadline_s: float) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(deadline_s)
        conn.connect(path)
        conn.sendall((json.dumps(request) + "\n").encode())
        line = conn.makefile("r").readline()
    if not line:
        raise ZygoteError(f"harness: the warm LiteLLM process at {path} closed the connection")
    return json.loads(line)


_OWN: dict[str, subprocess.Popen[bytes]] = {}  # warm processes this process started, by socket path


def shared_folder() -> Path:
    shared = os.environ.get(SHARED)
    if shared and Path(shared).is_dir():
        return Path(shared)
    folder = Path(tempfile.mkdtemp(prefix="harness-zygotes-"))
    os.environ[SHARED] = str(folder)  # subprocesses of this run (background suites) share it
    atexit.register(_remove_folder, folder)  # registered before stop_own: runs after it
    return folder


def _remove_folder(folder: Path) -> None:
    """The shared folder goes with the process that made it, which outlives the subprocesses that share
    it (they stop their own warm processes first); its sockets and lock files would otherwise pile up in
    the temp directory, one folder per run."""
    shutil.rmtree(folder, ignore_errors=True)


def prewarm(python: str, env: Mapping[str, str], log_dir: Path) -> str | None:
    """Start the warm process a run's proxies will need now, so its import overlaps collection and the
    tests that need no proxy; and share it with the run's subprocesses. Returns its socket. Best effort:
    on any error the proxies start warm processes (or the command) themselves."""
    if not enabled(python):
        return None
    with contextlib.suppress(OSError, ZygoteError):
        return warm(python, env, log_dir)
    return None


def _alive(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _reads(sock: Path) -> Path:
    return sock.with_name(sock.name + ".reads.json")


def lineage(pid: int | None = None) -> list[int]:
    """This process (or `pid`) and its ancestors, nearest first, read from /proc."""
    chain, current = [], os.getpid() if pid is None else pid
    while current > 1 and current not in chain:
        chain.append(current)
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            break
        current = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the command name: state, ppid
    return chain


def _owner(sock: Path) -> int | None:
    """The pid of the process that started the warm process behind `sock` (`KEY.PID.sock`)."""
    parts = sock.name.split(".")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


def outlives_us(sock: Path, ancestors: list[int] | None = None) -> bool:
    """Whether the warm process behind `sock` was started by this process or one of its ancestors, the only
    ones sure to outlive the proxies this process forks from it. Its owner stops it when it exits, and a
    proxy dies with the warm process it was forked from (PR_SET_PDEATHSIG): a background suite that forked
    from a sibling suite's warm process lost its proxy mid-run when the sibling ended first (a fresh-clone
    slow tier under load: `test_waits`' `--real-waits` run and the emulator's, which share an import-time
    environment)."""
    return _owner(sock) in (lineage() if ancestors is None else ancestors)


def compatible(folder: Path, python: str, env: Mapping[str, str]) -> Path | None:
    """A live warm process whose import read nothing this environment has otherwise: the variables it
    read (and the ones its environment walkers look for) have the same values, or are absent from both
    (`zygote_server.ImportReads`). A process still importing, or one whose import walked the environment
    for reasons unknown, serves only its exact environment."""
    wanted = {**import_env(env), "PYTHONDONTWRITEBYTECODE": "1"}  # as `warm` starts one
    ancestors = lineage()  # read from /proc once, not per record
    for record_path in sorted(folder.glob("*.sock.reads.json")):
        try:
            record = json.loads(record_path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("python") != python and Path(record.get("python", "")).resolve() != Path(python).resolve():
            continue
        if record.get("unknown") or digest(relevant(wanted, record["names"], record["patterns"])) != record["digest"]:
            continue
        sock = record_path.with_name(record_path.name.removesuffix(".reads.json"))
        if outlives_us(sock, ancestors) and _alive(sock):
            return sock
    return None


def warm(python: str, env: Mapping[str, str], log_dir: Path) -> str:
    """The socket of a warm process for this interpreter and import-time environment (or one whose import
    read nothing that differs: `compatible`), started if none is."""
    folder = shared_folder()
    key = _key(python, env)
    path = folder / f"{key}.{os.getpid()}.sock"
    with open(folder / f"{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for pid in lineage():  # this process's own, or an ancestor's (`outlives_us`)
            if _alive(ours := folder / f"{key}.{pid}.sock"):
                return str(ours)
        if (shared := compatible(folder, python, env)) is not None:
            return str(shared)
        path.unlink(missing_ok=True)
        log = (log_dir / f"zygote-{key}.log").open("ab")
        proc = subprocess.Popen(
            [python, str(SERVER), str(path)],
            env={**import_env(env), "PYTHONDONTWRITEBYTECODE": "1"},
            cwd=str(log_dir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not _OWN:
            atexit.register(stop_own)
        _OWN[str(path)] = proc
        end = time.monotonic() + 10.0
        while not path.exists():  # it binds before it imports
            if proc.poll() is not None or time.monotonic() > end:
                raise ZygoteError(f"harness: the warm LiteLLM process did not start (see {log.name})")
            time.sleep(0.02)
    return str(path)


def fork_proxy(python: str, argv: list[str], env: Mapping[str, str], cwd: Path, log: Path) -> Forked:
    """A real proxy (`litellm ARGV`) forked from a warm process, logging to `log`."""
    path = warm(python, env, cwd)
    answer = _ask(path, {"op": "start", "argv": argv, "env": dict(env), "cwd": str(cwd), "log": str(log),
                         "watch": os.getpid()}, ANSWER_DEADLINE_S)  # fmt: skip
    return Forked(int(answer["pid"]), path, float(answer.get("import_s", 0.0)))


def stop_own() -> None:
    """Stop the warm processes this process started (each also ends with it, by PR_SET_PDEATHSIG)."""
    for path in list(_OWN):
        stop(path)


def stop(path: str) -> None:
    """Stop one warm process this process started (a guess that the run did not need), with its files."""
    proc = _OWN.pop(path, None)
    if proc is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
    Path(path).unlink(missing_ok=True)
    _reads(Path(path)).unlink(missing_ok=True)
    Path(path).with_name(Path(path).name.split(".")[0] + ".lock").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        Path(path).parent.rmdir()  # the shared folder, once nothing else is in it
