"""The LiteLLM proxy process: start it controlled, wait for it with a deadline, always stop it.

The proxy is the thing under test, so it runs as the real `litellm` CLI in its own process, with
an environment and working directory the harness controls (`proxy_env`): a random strong master key, the
local cost map (no download), `LITELLM_MODE=PRODUCTION` and an empty cwd (so no stray `.env` is
loaded), and nothing from the caller's `AZURE_*` variables. It binds port 0 and the bound port is
read back from its log, so parallel workers never race for a port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_urlsafe
from typing import Any, Protocol

import httpx
import yaml
from packaging.version import InvalidVersion, Version

from harness.paths import zygote
from harness.paths.proxy_env import proxy_env
from harness.replay.atomic import write_text_atomic
from harness.replay.scrub import Scrubber, redact_file

START_DEADLINE_S = 90.0
STOP_DEADLINE_S = 10.0
_BOUND = re.compile(r"Uvicorn running on http://([\d.]+):(\d+)")


class ProxyStartError(RuntimeError):
    """The proxy did not come up; the message names version, config and the log tail."""


@dataclass(frozen=True)
class RunningProxy:
    url: str
    master_key: str = field(repr=False)  # pytest prints fixture reprs in failures and logs
    version: str
    startup_s: float
    config_path: Path
    log_path: Path
    pid: int
    #: the process's return code once it has ended, None while it runs (`harness.runner.parts` watches it)
    exit_status: Callable[[], int | None] = field(default=lambda: None, repr=False, compare=False)
    #: forked from a warm LiteLLM: how long that process took to import it once (0: a cold start, all in
    #: `startup_s`)
    import_s: float = 0.0

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def litellm_version(python: str = sys.executable) -> str:
    """The LiteLLM version importable by `python` (the gate runs other interpreters)."""
    if python == sys.executable:
        from importlib.metadata import version

        return version("litellm")
    out = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def external_proxy_version(url: str, key: str, deadline_s: float = 10.0) -> str:
    """A running proxy's LiteLLM version, from its `x-litellm-version` header; the ledger's version
    ranges must apply to the proxy under test, not to the one installed here. Falls back to the
    installed version when the proxy does not say."""
    try:
        response = httpx.get(
            url.rstrip("/") + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=deadline_s
        )
        reported = response.headers.get("x-litellm-version", "")
        return str(Version(reported))
    except (httpx.HTTPError, InvalidVersion):
        return litellm_version()


def _set_parent_death_signal() -> None:
    """Linux: if the harness dies without cleanup (SIGKILL), the proxy gets SIGTERM, not orphaned."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log written)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _fail(why: str, version: str, config_path: Path, log_path: Path, secrets: list[str]) -> ProxyStartError:
    return ProxyStartError(
        f"harness: LiteLLM proxy {version} {why}.\n"
        f"  config: {config_path}\n  log:    {log_path}\n  last lines of the log:\n"
        f"{Scrubber.for_secrets(secrets).text(log_tail(log_path))}\n"
        f"  fix: run `litellm --config {config_path} --port 0` by hand to see the error, "
        "or pass --proxy-url to use a proxy you started yourself."
    )


def _wait_ready(poll: Callable[[], int | None], log_path: Path, seconds: float) -> str:
    """Read the bound address from the log, then poll liveliness, until the deadline."""
    url = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (code := poll()) is not None:
            raise RuntimeError(f"exited with code {code} during start-up")
        if url is None:
            match = _BOUND.search(log_path.read_text(encoding="utf-8", errors="replace"))
            if match:
                url = f"http://{match.group(1)}:{match.group(2)}"
        if url is not None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health/liveliness", timeout=2.0).status_code == 200:
                    return url
        time.sleep(0.1)
    raise RuntimeError(f"was not ready within {seconds:g}s (raise --proxy-start-timeout if the machine is slow)")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill, the proxy's own process group (it was started as its leader)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_DEADLINE_S)


class _Launched(Protocol):
    pid: int
    import_s: float

    def poll(self) -> int | None: ...

    def stop(self, deadline_s: float) -> None: ...


@dataclass
class _Command:
    """The `litellm` command, our own child: its cold start includes LiteLLM's import."""

    proc: subprocess.Popen[bytes]
    import_s: float = 0.0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def stop(self, deadline_s: float) -> None:
        stop(self.proc)


def _launch(python: str, argv: list[str], env: Mapping[str, str], workdir: Path, log_path: Path) -> _Launched:
    """The proxy process: forked from a warm LiteLLM (`harness.paths.zygote`), or the `litellm` command
    when `HARNESS_PROXY_START=cli` or the warm process cannot start (said in the log)."""
    log_path.touch()  # the forked proxy appends to it; it is read for the bound port at once
    if zygote.enabled(python):
        try:
            return zygote.fork_proxy(python, argv, env, workdir, log_path)
        except (OSError, ValueError, zygote.ZygoteError) as exc:
            with log_path.open("a", encoding="utf-8") as log:
                log.write(f"harness: no warm LiteLLM process ({exc}); starting the litellm command\n")
    cli = Path(python).parent / "litellm"
    with log_path.open("ab") as log:
        try:
            proc = subprocess.Popen(
                [str(cli), *argv],
                cwd=workdir,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_set_parent_death_signal,
            )
        except OSError as exc:
            raise ProxyStartError(
                f"harness: cannot run {cli} ({exc.strerror}); install the project with `pip install -e '.[dev]'`"
            ) from None
    return _Command(proc)


@contextlib.contextmanager
def run_proxy(
    config: dict[str, Any],
    env: Mapping[str, str],
    workdir: Path,
    *,
    python: str = sys.executable,
    host: str = "127.0.0.1",
    start_deadline_s: float = START_DEADLINE_S,
    master_key: str | None = None,
) -> Iterator[RunningProxy]:
    """Start `litellm --config … --port 0`, yield once live, stop in `finally` whatever happens."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "litellm.config.yaml"
    log_path = workdir / "litellm.log"
    write_text_atomic(config_path, yaml.safe_dump(config, sort_keys=False))
    version = litellm_version(python)
    master_key = master_key or "sk-" + token_urlsafe(32)
    secrets = [master_key, *env.values()]
    argv = ["--config", str(config_path), "--host", host, "--port", "0"]
    started = time.monotonic()
    launched = _launch(python, argv, proxy_env(env, master_key, workdir), workdir, log_path)
    try:
        try:
            url = _wait_ready(launched.poll, log_path, start_deadline_s)
        except RuntimeError as exc:
            raise _fail(str(exc), version, config_path, log_path, secrets) from None
        yield RunningProxy(
            url=url,
            master_key=master_key,
            version=version,
            startup_s=time.monotonic() - started,
            config_path=config_path,
            log_path=log_path,
            pid=launched.pid,
            exit_status=launched.poll,
            import_s=launched.import_s,
        )
    finally:
        launched.stop(STOP_DEADLINE_S)
        redact_file(log_path, secrets)  # the log outlives the run; the secrets must not
