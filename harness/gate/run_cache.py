"""A bisect's release runs, kept so that a second bisect with the same report folder continues.

A bisect over a wide range can take hours (a release's install plus its suite run is minutes). If
the session ends, or `--budget` stops it, the runs it made are not lost: each one is written next
to its log, `bisect-runs/<version>/run-data.json`, under a key. The key fingerprints what decides a
run's answer besides the release: the harness, the contract cases, the cassettes, the project's
pins and the suite's options (config mode's). A changed checkout makes the old run a miss, never a
wrong answer.

The node ids a run was asked for are kept beside it: a run of more items answers a bisect that asks
for fewer (each case is its own, `docs/determinism.md`), so the runs `gate --probe-oldest` makes of
the whole suite, or a CI matrix job's, serve any later bisect over the same inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.replay.atomic import write_text_atomic

#: what a run's answer depends on, besides the release (relative to the checkout)
INPUTS = ("harness", "tests/contract", "tests/cassettes", "conftest.py", "pyproject.toml")
#: the gate's own code, the command line and the atlas drive the runs or read their answers; the suite
#: never imports them, so a fix to the bisect itself keeps the runs it made
NOT_INPUTS = ("harness/gate", "harness/cli.py", "harness/__main__.py", "harness/report/atlas.py")
FILE = "run-data.json"
#: the key of a release whose suite could not run at all (its proxy does not start): skipped again
UNUSABLE = "unusable"


def fingerprint(repo: Path, args: Sequence[str]) -> str:
    """A digest of every input file's path and bytes, and of the suite's arguments."""
    digest = hashlib.sha256()
    for name in INPUTS:
        root = repo / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            relative = path.relative_to(repo).as_posix()
            if "__pycache__" in path.parts or path.suffix == ".pyc" or relative.startswith(NOT_INPUTS):
                continue
            digest.update(relative.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update("\n".join(sorted(args)).encode())
    return digest.hexdigest()[:24]


def load(folder: Path, key: str, nodeids: Sequence[str] | None = None) -> dict[str, Any] | None:
    """The run kept in `folder` under `key` that ran at least `nodeids` (None: any); None when there is
    none, it is another key's, it ran fewer items, or it is unreadable."""
    try:
        kept = json.loads((folder / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("key") != key or not isinstance(kept.get("data"), dict):
        return None
    ran = kept.get("nodeids")
    if nodeids is not None and (not isinstance(ran, list) or not set(nodeids) <= set(ran)):
        return None
    return kept["data"]


def store(folder: Path, key: str, data: Any, nodeids: Sequence[str] = ()) -> None:
    """Keep a finished run and the node ids it was asked for (atomically: an interrupted write leaves
    the old file or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / FILE, json.dumps({"key": key, "nodeids": sorted(nodeids), "data": data}))
