"""A warm LiteLLM: one process imports the proxy once, then forks a real proxy per request.

Run as a script by the interpreter whose LiteLLM is under test (`python zygote_server.py SOCKET`): it
imports nothing of the harness, so any venv's Python can run it. A LiteLLM proxy's cold start is almost
all import (about 10 s of `litellm.proxy.proxy_server` on a 2-core machine, against under a second
to load a config and bind); a suite starts dozens of proxies. Forked from this process, each proxy
is the real `litellm` CLI (`proxy_cli.run_server`) in its own process and session, with its own
environment, working directory, config and log, and a fresh random seed; it only skips the import.

Import-time settings: LiteLLM reads part of its environment when it is imported (its back-off
constants, its mode, the local cost map). The client (`harness.paths.zygote`) therefore keys a warm
process by that environment, and starts another where a proxy's differs in anything the import read.
What it read is recorded here, while it imports (`ImportReads`), and written beside the socket
(`SOCKET.reads.json`): the names it read, the name patterns of the readers that walked the whole
environment and that this file knows (proxy variables, pydantic-settings fields), and a digest of
those variables' values. A walk by any other reader marks the record `unknown`: such a warm process
serves only its exact environment.

Protocol: one JSON line per connection. `{"op": "start", "argv": [...], "env": {...}, "cwd": "...",
"log": "...", "watch": PID}` answers `{"pid": N, "import_s": S}`; `{"op": "status", "pid": N}`
answers `{"returncode": R or null}`. A started proxy leads its own session, dies with this process
(PR_SET_PDEATHSIG) and with the process that asked for it (`watch`, polled), so a killed test run
leaves no proxy behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time

#: modules LiteLLM imports lazily on a proxy's first Azure calls: imported here once, not in every proxy
WARM = (
    "litellm.llms.azure.azure",
    "litellm.llms.azure.chat.gpt_transformation",
    "litellm.llms.azure.common_utils",
    "litellm.llms.azure.responses.transformation",
    "litellm.llms.azure.completion.handler",
    "litellm.llms.openai.openai",
    "litellm.llms.custom_httpx.aiohttp_transport",
    "litellm.llms.custom_httpx.llm_http_handler",
    "litellm.responses.main",
    "litellm.litellm_core_utils.streaming_handler",
    "litellm.litellm_core_utils.streaming_chunk_builder_utils",
    "litellm.proxy.response_api_endpoints.endpoints",
    # measured with PYTHONPROFILEIMPORTTIME on a proxy running the corpus subset: what it imports after
    # "Application startup complete" (its first requests), the largest first
    "litellm.proxy._experimental.mcp_server.mcp_server_manager",
    "litellm.litellm_core_utils.default_encoding",
    "litellm.proxy._experimental.mcp_server.auth.user_api_key_auth_mcp",
    "litellm.llms.bedrock.passthrough.guardrail_translation.handler",
    "openai.resources.chat.completions.completions",
    "openai.resources.embeddings",
    "litellm.integrations.shadow_eval_logger",
    "litellm.llms.github_copilot.per_user_auth",
    "litellm.proxy.response_polling.polling_handler",
    "litellm.proxy._experimental.mcp_server.guardrail_translation",
)
_PR_SET_PDEATHSIG = 1


def relevant(env: dict, names: list, patterns: list) -> list:
    """The (name, value) pairs of `env` an import that read `names` and walked for `patterns` depends on."""
    compiled = [re.compile(p) for p in patterns]
    return sorted((k, v) for k, v in env.items() if k in names or any(c.fullmatch(k) for c in compiled))


def digest(pairs: list) -> str:
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()


class ImportReads:
    """The environment variables read while the block runs: by name (`os.environ[...]`, `.get`,
    `os.getenv`, `in`), or by a reader that walks the whole environment, recorded as the name pattern
    it looks for where this class knows the reader, else as `unknown` (its place in the code)."""

    def __init__(self) -> None:
        self.names: set = set()
        self.patterns: set = set()
        self.unknown: list = []

    def __enter__(self) -> ImportReads:
        environ = type(os.environ)
        self._saved = (environ.__getitem__, environ.__iter__)
        get, walk = self._saved
        reads = self

        def getitem(env, key):  # type: ignore[no-untyped-def]
            caller = sys._getframe(1).f_code
            if not (caller.co_name == "__iter__" and "_collections_abc" in caller.co_filename):
                reads.names.add(key)  # a value fetched by `.items()`/`.values()` belongs to the walk, recorded
            return get(env, key)

        def iterate(env):  # type: ignore[no-untyped-def]
            reads.walked(sys._getframe(1))
            return walk(env)

        environ.__getitem__, environ.__iter__ = getitem, iterate  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        environ = type(os.environ)
        environ.__getitem__, environ.__iter__ = self._saved  # type: ignore[method-assign]

    def walked(self, frame) -> None:  # type: ignore[no-untyped-def]
        """A walk of the environment: whose, and so which names it can use."""
        first = None
        while frame is not None:
            where, name = frame.f_code.co_filename.replace(os.sep, "/"), frame.f_code.co_name
            if where.endswith("urllib/request.py") and name in ("getproxies_environment", "proxy_bypass_environment"):
                self.patterns.add(r"(?i).*_proxy")  # the standard library's proxy variables, any case
                self.names.add("REQUEST_METHOD")
                return
            if "pydantic_settings" in where:  # a settings source reading its class's fields
                local = frame.f_locals
                cls = local.get("settings_cls") or local.get("cls")
                if isinstance(cls, type) and hasattr(cls, "model_fields"):
                    source = local.get("self")
                    prefix = getattr(source, "env_prefix", None)
                    nested = getattr(source, "env_nested_delimiter", None)
                    self.patterns.update(_settings_patterns(cls, prefix, nested))
                    return
            if first is None and "_collections_abc" not in where and not where.endswith("/os.py"):
                first = f"{where}:{frame.f_lineno}"
            frame = frame.f_back
        self.unknown.append(first or "?")

    def write(self, path: str, env: dict) -> None:
        names, patterns = sorted(self.names), sorted(self.patterns)
        record = {"python": sys.executable, "names": names, "patterns": patterns, "unknown": self.unknown,
                  "digest": digest(relevant(env, names, patterns))}  # fmt: skip
        with open(path + ".tmp", "w") as out:
            json.dump(record, out)
        os.replace(path + ".tmp", path)


def _settings_patterns(cls, prefix: str | None, nested: str | None) -> set:  # type: ignore[no-untyped-def]
    """The variables a pydantic-settings class reads: its fields' names (with the source's, else the
    class's, prefix) and aliases, in any case; with a nested delimiter, anything under them too."""
    config = getattr(cls, "model_config", {})
    prefix = (config.get("env_prefix", "") if prefix is None else prefix) or ""
    nested = (config.get("env_nested_delimiter") if nested is None else nested) or ""
    out = set()
    for name, field in cls.model_fields.items():
        aliases = [prefix + name]
        alias = field.validation_alias or field.alias
        choices = getattr(alias, "choices", [alias] if alias else [])
        aliases += [c for c in choices if isinstance(c, str)]
        for a in aliases:
            out.add("(?i)" + re.escape(a) + (f"({re.escape(nested)}.*)?" if nested else ""))
    return out


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _watch(pid: int) -> None:
    """End this proxy when the process that asked for it is gone (a SIGKILLed test run)."""

    def loop() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            except PermissionError:
                continue

    threading.Thread(target=loop, name="zygote-watch", daemon=True).start()


def _child(request: dict, listener: socket.socket, conn: socket.socket) -> None:
    """In the forked process: become the proxy the request describes, then exit with its code."""
    code = 1
    try:
        listener.close()
        conn.close()
        os.setsid()
        _die_with_parent()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the proxy's children are its own to reap
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for path in reversed([p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]):
            sys.path.insert(0, path)  # what PYTHONPATH does at interpreter start (a team's callback module)
        random.seed()  # not the warm process's state: each proxy shuffles its own way
        if request.get("watch"):
            _watch(int(request["watch"]))
        from litellm.proxy import proxy_cli

        sys.argv = ["litellm", *request["argv"]]
        try:
            proxy_cli.run_server.main(args=request["argv"], prog_name="litellm", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            import atexit

            atexit._run_exitfuncs()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(path: str) -> None:
    _die_with_parent()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)  # before the import: clients connect at once and wait for their answer
    listener.listen(64)
    started = time.monotonic()
    environment = dict(os.environ)  # as it was asked for: the import may set variables of its own
    with ImportReads() as reads:
        import litellm.proxy.proxy_cli
        import litellm.proxy.proxy_server  # noqa: F401

        for name in WARM:
            with contextlib.suppress(Exception):
                importlib.import_module(name)
    import_s = time.monotonic() - started
    reads.write(path + ".reads.json", environment)
    if threading.active_count() > 1:  # forking a threaded process copies locks mid-use: say it, loudly
        print(f"zygote: {threading.active_count()} threads after the import; forked proxies may hang",
              file=sys.stderr, flush=True)  # fmt: skip
    exited: dict[int, int] = {}

    def reap(*_: object) -> None:
        with contextlib.suppress(ChildProcessError):
            while (done := os.waitpid(-1, os.WNOHANG))[0]:
                exited[done[0]] = os.waitstatus_to_exitcode(done[1])

    # a proxy that ended is reaped at once: until then its pid answers `kill(pid, 0)` as a zombie, and the
    # harness's stop (`zygote.Forked.stop`) waited up to the next accept timeout for it to go
    signal.signal(signal.SIGCHLD, reap)
    listener.settimeout(0.5)
    while True:
        reap()
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        with conn:
            try:
                conn.settimeout(10)
                line = conn.makefile("r").readline()
                if not line.strip():
                    continue  # a liveness probe: connected, asked nothing
                request = json.loads(line)
                if request.get("op") == "status":
                    answer: dict = {"returncode": exited.get(int(request["pid"]))}
                else:
                    pid = os.fork()
                    if pid == 0:
                        _child(request, listener, conn)
                    answer = {"pid": pid, "import_s": import_s}
                conn.sendall((json.dumps(answer) + "\n").encode())
            except (OSError, ValueError, KeyError) as exc:
                print(f"zygote: a request failed: {exc!r}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    serve(sys.argv[1])
