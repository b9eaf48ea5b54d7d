"""One release's run for the bisect and the probe, and several of them side by side.

A release run is the involved cases (or, for `gate --probe-oldest` and `--release-run`, every node
id) replayed under that release's venv, with the emulator for what its requests miss, kept in
`REPORT_DIR/bisect-runs/<version>/` under the fingerprint of the suite's inputs (`run_cache`). A
release pip cannot install, or whose suite cannot run at all, is skipped with the one line that says
why (`Uninstallable`), and the latter is kept as such, so no later bisect tries it again.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from harness.gate import run_cache
from harness.gate.bisect import RunData, RunMany, Uninstallable, run_each
from harness.gate.env import GateEnvError, allow_builds, cancel_builds, drop_env, ensure_env
from harness.gate.run import emulate_missed_one
from harness.gate.suite import GateError, Interrupted, allow_suites, cancel_suites, run_suite
from harness.replay.atomic import write_text_atomic

#: beside each release run: what its venv cost it (`benchmarks/gate_bisect.py` sets it against the wall time)
VENV = "venv.json"

#: pip's lines that say why an install failed, most telling first. pip also prints notices as ERROR
#: ("ERROR: Ignored the following versions that require a different python version"): never the reason
_REASONS = ("No matching distribution", "ResolutionImpossible", "conflict", "ERROR")
_NOTICES = ("is ignored", "Ignored the following")


def _one_line(text: str) -> str:
    """pip's reason for a failed install, in one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not any(n in line for n in _NOTICES)]
    for marker in _REASONS:
        found = [line for line in lines if marker in line]
        if found:
            return found[0]
    return (lines or ["pip could not install it"])[0]


def _failure_line(message: str) -> str:
    """The line of a failed suite's log tail that names the error (`ModuleNotFoundError: ...`): an
    exception's line before uvicorn's closing `ERROR: Application startup failed. Exiting.`."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"\w+(Error|Exception)\b:", line)]
    errors = errors or [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["no output"])[-1][:300]


def release_runner(
    repo: Path,
    out: Path,
    nodeids: Sequence[str],
    mode_args: Sequence[str],
    cache_dir: Path | None,
    deadline_s: float,
    log: Any,
    keep: Sequence[str] = (),
) -> tuple[Callable[[str], RunData], Callable[[str], RunData | None]]:
    """What the bisector calls per release (the involved cases replayed, missed ones on the emulator;
    `mode_args`, config mode's options, on every run), and the lookup of a release's run kept by an
    earlier bisect with the same inputs (`run_cache`). Once a release's run is kept its venv is removed
    (`drop_env`: a kept run never needs it again), except the releases in `keep` (the gate's two ends,
    which `gate --baseline` may ask for next, or every one with `--keep-venvs`: `keep=("*",)`)."""
    key = run_cache.fingerprint(repo, mode_args)

    def kept(version: str) -> RunData | None:
        data = run_cache.load(out / version, key, nodeids)
        if data is not None and run_cache.UNUSABLE in data:
            raise Uninstallable(data[run_cache.UNUSABLE])
        if data is not None:
            log(f"harness gate: litellm {version}: the run kept in {out / version} (same inputs)")
        return data

    def run_release(version: str) -> RunData:
        started = time.monotonic()
        try:
            env = ensure_env(version, repo=repo, cache_dir=cache_dir)
        except GateEnvError as exc:
            log(f"harness gate: skipping litellm {version}: {_one_line(str(exc))}")
            raise Uninstallable(_one_line(str(exc))) from None
        folder = out / version
        # what the venv cost this run: built here (`build_s`), or waited for (a build ahead, a lock), or cached
        waited = time.monotonic() - started
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / VENV, json.dumps({"version": version, "cached": env.cached, "build_s": env.build_s,
                                                     "waited_s": waited}))  # fmt: skip
        log(f"harness gate: running litellm {version} ({len(nodeids)} items; venv {waited:.0f} s) ...")
        try:
            suite = run_suite(env, repo, folder, pytest_args=[*nodeids, *mode_args], deadline_s=deadline_s)
            data = emulate_missed_one(env, json.loads(suite.report.read_text()), repo, folder, deadline_s, log,
                                      mode_args)  # fmt: skip
        except GateError as exc:  # e.g. a release whose proxy does not start: skipped, never the end of the bisect
            reason = f"its suite could not run: {_failure_line(str(exc))} (log: {folder / 'pytest.log'})"
            log(f"harness gate: skipping litellm {version}: {reason}")
            run_cache.store(folder, key, {run_cache.UNUSABLE: reason}, nodeids)
            release(version)
            raise Uninstallable(reason) from None
        run_cache.store(folder, key, data, nodeids)
        release(version)
        return data

    def release(version: str) -> None:
        if "*" not in keep and version not in keep and drop_env(version, cache_dir=cache_dir):
            log(f"harness gate: litellm {version}: its venv removed, its run is kept (--keep-venvs keeps venvs)")

    return run_release, kept


def side_by_side(run_release: Callable[[str], RunData]) -> RunMany:
    """Releases' runs made at once, one thread each (the work is in subprocesses: pip, the suite).

    Interrupted (Ctrl-C reaches the main thread only), every running suite and venv build is stopped
    by its own process group before the interrupt goes on, so no proxy or pip outlives the gate; the
    cache only counts a venv once its build finished.
    """

    def run_many(versions: Sequence[str]) -> Mapping[str, RunData | Uninstallable]:
        if len(versions) < 2:
            return run_each(run_release, versions)
        allow_suites()
        allow_builds()
        try:
            with ThreadPoolExecutor(max_workers=len(versions), thread_name_prefix="bisect-run") as pool:
                futures = {version: pool.submit(run_each, run_release, [version]) for version in versions}
                try:
                    pending = set(futures.values())
                    while pending:  # short waits: the main thread stays able to hear Ctrl-C
                        done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                        if any(f.exception() is not None for f in done):
                            break
                except BaseException:
                    cancel_suites()
                    cancel_builds()
                    raise
                finally:
                    if any(f.done() and f.exception() is not None for f in futures.values()):
                        cancel_suites()  # one run failed the bisect: the others stop too
                        cancel_builds()
        finally:
            allow_builds()  # every thread has ended: later builds may run
        errors = [e for e in (futures[version].exception() for version in versions) if e is not None]
        if errors:  # the failure itself, not the interruptions it caused in the other threads
            raise next((e for e in errors if not isinstance(e, Interrupted)), errors[0])
        return {version: futures[version].result()[version] for version in versions}

    return run_many
