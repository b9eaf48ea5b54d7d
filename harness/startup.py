"""What every pytest process of the suite does before any other plugin is imported: loaded first, by
`-p harness.startup` in pyproject's `addopts`, ahead of the plugins pytest finds installed (and outside
`harness.plugin`, which pytest must import itself to rewrite its asserts).

It keeps Python's bytecode cache on, and it starts warming LiteLLM before the conftests are imported.

Bytecode. Under PYTHONDONTWRITEBYTECODE (set on this project's CI machines)
pytest cannot cache the modules it rewrites for assertion introspection, and it rewrites every module of
each installed distribution that has a pytest plugin, not only the plugin: hypothesis (73 modules) and
anyio (30), besides the suite's own tests and plugin. Each pytest process then compiled them from source
again: 2 s of the 5 s before a serial contract run's first test (`--co` of `tests/contract`: 5.0 s
against 3.0 s with the cache), in each of the pytest processes the README's command starts (the run
itself, xdist's workers, the background suites). The cache is written where Python and pytest always
write it, `__pycache__` beside each source (`.gitignore` holds it); `HARNESS_NO_BYTECODE_CACHE=1`
leaves PYTHONDONTWRITEBYTECODE in force.

Warming. A run's proxies fork from a warm LiteLLM whose import takes 7-10 s (`harness.paths.zygote`).
Session start began it once the conftests had imported the harness, the openai SDK and hypothesis, 2.5 s
on this machine; the serial contract's first test waited for the rest. Here, as pytest imports this
module, before the installed plugins and those imports, a run that session start would warm for starts
it at once (`harness.plugin.warming.warms_early`), and session start takes it or stops it
(`harness.plugin.hooks.pytest_sessionstart`).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping

import pytest

OPT_OUT = "HARNESS_NO_BYTECODE_CACHE"
#: the socket of the warm LiteLLM process this run started before its conftests, if it did
EARLY_WARM = pytest.StashKey[str]()


def keep_bytecode_cache(environ: Mapping[str, str] = os.environ) -> bool:
    """Let this process write bytecode (pytest's rewritten modules included), unless opted out."""
    if environ.get(OPT_OUT):
        return False
    sys.dont_write_bytecode = False
    return True


keep_bytecode_cache()


def pytest_plugin_registered(plugin: object, plugin_name: str | None) -> None:
    """pytest replays this hook for the plugins registered before this one, its own configuration among
    them (`pytestconfig`), as it imports this module: that is the earliest moment a plugin sees the run's
    arguments, before pytest loads the installed plugins (0.5-1 s: xdist, hypothesis, randomly, which
    imports numpy)."""
    if plugin_name == "pytestconfig" and isinstance(plugin, pytest.Config):
        warm_early(plugin)


def warm_early(config: pytest.Config) -> None:
    """Start warming LiteLLM now if session start would (`harness.plugin.warming.warms_early`), from the
    arguments as given: only pytest's own options are parsed yet, so `-n` is read from them."""
    pytest.register_assert_rewrite("harness.plugin")  # imported here first: pytest must still rewrite it
    from harness.paths import zygote
    from harness.plugin import warming

    known = getattr(config, "known_args_namespace", None)
    if known is None:  # loaded some other way than `-p` (PYTEST_PLUGINS): session start warms
        return
    args = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *config.getini("addopts")]
    args += config.invocation_params.args
    paths = list(known.file_or_dir) or list(config.getini("testpaths"))
    dir_, root = config.invocation_params.dir, config.rootpath
    if warming.warms_early(args, paths, dir_, root, warming.asks_for_workers(args), os.environ):
        folder = zygote.shared_folder()
        socket = zygote.prewarm(sys.executable, warming.prewarm_env(compress_waits=True, home=folder), folder)
        if socket is not None:
            config.stash[EARLY_WARM] = socket
