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
on this machine; the serial contract's first test waited for the rest. Here, before those imports,
a run that session start would warm for starts it at once (`harness.plugin.warming.warms_early`), and
session start takes it or stops it (`harness.plugin.hooks.pytest_sessionstart`).
"""

from __future__ import annotations

import os
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


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    pytest.register_assert_rewrite("harness.plugin")  # imported here first: pytest must still rewrite it
    from harness.paths import zygote
    from harness.plugin import warming

    known = early_config.known_args_namespace
    paths = list(known.file_or_dir) or list(early_config.getini("testpaths"))
    dir_, root = early_config.invocation_params.dir, early_config.rootpath
    if warming.warms_early(args, paths, dir_, root, getattr(known, "numprocesses", None), os.environ):
        folder = zygote.shared_folder()
        socket = zygote.prewarm(sys.executable, warming.prewarm_env(compress_waits=True, home=folder), folder)
        if socket is not None:
            early_config.stash[EARLY_WARM] = socket
