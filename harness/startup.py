"""What every pytest process of the suite does before any other plugin is imported: loaded first, by
`-p harness.startup` in pyproject's `addopts`, ahead of the plugins pytest finds installed.

It keeps Python's bytecode cache on. Under PYTHONDONTWRITEBYTECODE (set on this project's CI machines)
pytest cannot cache the modules it rewrites for assertion introspection, and it rewrites every module of
each installed distribution that has a pytest plugin, not only the plugin: hypothesis (73 modules) and
anyio (30), besides the suite's own tests and plugin. Each pytest process then compiled them from source
again: 2 s of the 5 s before a serial contract run's first test (`--co` of `tests/contract`: 5.0 s
against 3.0 s with the cache), in each of the pytest processes the README's command starts (the run
itself, xdist's workers, the background suites). The cache is written where Python and pytest always
write it, `__pycache__` beside each source (`.gitignore` holds it); `HARNESS_NO_BYTECODE_CACHE=1`
leaves PYTHONDONTWRITEBYTECODE in force.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

OPT_OUT = "HARNESS_NO_BYTECODE_CACHE"


def keep_bytecode_cache(environ: Mapping[str, str] = os.environ) -> bool:
    """Let this process write bytecode (pytest's rewritten modules included), unless opted out."""
    if environ.get(OPT_OUT):
        return False
    sys.dont_write_bytecode = False
    return True


keep_bytecode_cache()
