"""One isolated, cached virtual environment per LiteLLM version, for the upgrade gate.

The gate runs the same offline suite under two LiteLLM versions. Each version gets its own venv
(`<cache>/litellm-<version>-py<XY>`), built once with pip from the package index and reused:
the project's own pins, with `litellm[proxy]` swapped for the version under test. The project
itself is not installed there; the suite runs from this checkout (`PYTHONPATH`), so both versions
test the same harness, cases and cassettes.

A venv counts as built only once its marker file is written, last, after pip succeeded and the
`proxy` extra was confirmed; anything else in its place is removed and rebuilt. A lock file
serializes two gates building the same version.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

CURRENT = "current"
MARKER = ".harness-gate-ready.json"
PIP_DEADLINE_S = 1800.0
_EXTRA_MISSING = re.compile(r"does not provide the extra ['\"]?proxy", re.I)


class GateEnvError(RuntimeError):
    """A version that cannot be used; the message names it, what went wrong, and what to do."""


@dataclass(frozen=True)
class LiteLLMEnv:
    """An interpreter with a given LiteLLM importable, and how it was obtained."""

    requested: str
    version: str
    python: Path
    cached: bool  # True when the venv already existed (no pip run)
    build_s: float = 0.0


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "azure-litellm-contract" / "gate"


def validate_version(text: str) -> str:
    """`current`, or an exact public release such as `1.80.17`: ranges and local versions are refused."""
    if text == CURRENT:
        return text
    try:
        parsed = Version(text)
    except InvalidVersion:
        raise GateEnvError(
            f"harness gate: {text!r} is not a LiteLLM version; expected `current` or an exact release like 1.80.17"
        ) from None
    if parsed.local is not None or str(parsed) != text.strip().lstrip("v"):
        raise GateEnvError(f"harness gate: {text!r}: give the exact release as the index spells it, e.g. {parsed}")
    return str(parsed)


def project_requirements(pyproject: Path, litellm_version: str) -> list[str]:
    """The project's dependencies with `litellm[proxy]` pinned to the version under test."""
    try:
        deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise GateEnvError(f"harness gate: cannot read the dependencies in {pyproject}: {exc}") from None
    out = [f"litellm[proxy]=={litellm_version}"]
    for dep in deps:
        try:
            name = Requirement(dep).name.lower()
        except InvalidRequirement:
            raise GateEnvError(f"harness gate: {pyproject}: invalid dependency {dep!r}") from None
        if name != "litellm":
            out.append(dep)
    return out


def _fingerprint(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join([sys.version.split()[0], *requirements]).encode()).hexdigest()[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: set to stop every venv build under way (`cancel_builds`): a bisect that ends or is interrupted stops the
#: builds it started ahead (`harness.gate.ahead`); the venv is then removed, as any half-built one
_CANCEL_BUILDS = threading.Event()


def cancel_builds() -> None:
    _CANCEL_BUILDS.set()


def allow_builds() -> None:
    _CANCEL_BUILDS.clear()


def _run(command: list[str], what: str, deadline_s: float) -> str:
    """`command`'s output; its own process group, stopped at the deadline or by `cancel_builds`."""
    from harness.paths.proxy import stop

    deadline = time.monotonic() + deadline_s
    with tempfile.TemporaryFile("w+") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            while proc.poll() is None:
                if _CANCEL_BUILDS.is_set():
                    raise GateEnvError(f"harness gate: {what} was cancelled")
                if time.monotonic() >= deadline:
                    raise GateEnvError(f"harness gate: {what} did not finish within {deadline_s:.0f} s")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.5)
        finally:
            stop(proc)  # type: ignore[arg-type]
        sink.seek(0)
        output = sink.read()
    if proc.returncode != 0:
        tail = [line for line in output.splitlines() if line.strip() and "is ignored: it is neither" not in line]
        raise GateEnvError(f"harness gate: {what} failed (exit {proc.returncode}):\n  " + "\n  ".join(tail[-8:]))
    return output


def venv_path(version: str, cache_dir: Path | None = None) -> Path:
    """Where a release's venv lives: one per release and interpreter version (`<cache>/litellm-<version>-py<XY>`)."""
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    return (cache_dir or default_cache_dir()) / f"litellm-{version}-{tag}"


def _lock_path(venv: Path) -> Path:
    """The lock beside a venv that serializes its build and its removal."""
    return venv.with_name(venv.name + ".lock")


def ensure_env(
    requested: str, *, repo: Path, cache_dir: Path | None = None, deadline_s: float = PIP_DEADLINE_S
) -> LiteLLMEnv:
    """The interpreter to run the suite with for `requested` (`current` or a release), built if needed."""
    from harness.gate.supply import check_venv, refuse_if_denied

    version = validate_version(requested)
    if version == CURRENT:
        from harness.paths.proxy import litellm_version

        check_venv(Path(sys.executable))
        return LiteLLMEnv(requested, litellm_version(), Path(sys.executable), cached=True)
    refuse_if_denied(version)  # before pip ever sees it
    venv = venv_path(version, cache_dir)
    python = venv / "bin" / "python"
    requirements = project_requirements(repo / "pyproject.toml", version)
    fingerprint = _fingerprint(requirements)
    with _locked(_lock_path(venv)):
        marker = venv / MARKER
        if marker.exists():
            try:
                if json.loads(marker.read_text())["fingerprint"] == fingerprint:
                    check_venv(python)
                    return LiteLLMEnv(requested, version, python, cached=True)
            except (ValueError, KeyError, OSError):
                pass
        started = time.monotonic()
        shutil.rmtree(venv, ignore_errors=True)  # a half-built or outdated venv is never reused
        try:
            _run([sys.executable, "-m", "venv", str(venv)], f"creating a venv at {venv}", 300)
            output, relaxed = _install(python, requirements, version, deadline_s)
            if _EXTRA_MISSING.search(output) or not _has_proxy_extra(python):
                raise GateEnvError(
                    f"harness gate: litellm {version} installed, but it has no `proxy` extra on this index, so "
                    "its proxy cannot run; pick another release (`pip index versions litellm` lists them)"
                )
            check_venv(python)
        except GateEnvError:
            shutil.rmtree(venv, ignore_errors=True)
            raise
        marker.write_text(
            json.dumps(
                {"version": version, "fingerprint": fingerprint, "requirements": requirements, "relaxed": relaxed}
            )
        )
        return LiteLLMEnv(requested, version, python, cached=False, build_s=time.monotonic() - started)


def drop_env(requested: str, *, cache_dir: Path | None = None) -> bool:
    """Remove a release's venv once nothing needs it; True when there was one to remove.

    A bisect keeps each release's run (`run_cache`), and a kept run never needs its venv again, while
    hundreds of venvs of 400 MB each fill a disk (`gate --bisect` over 1.63.8..1.108.7: 310 releases).
    Under the venv's lock, so another gate's build of it is never cut short; a suite another gate is
    running in it at that moment is not guarded (two gates on one cache at once: `--keep-venvs`).
    `current` is this interpreter, never removed."""
    version = validate_version(requested)
    if version == CURRENT:
        return False
    venv = venv_path(version, cache_dir)
    with _locked(_lock_path(venv)):
        if not venv.exists():
            return False
        (venv / MARKER).unlink(missing_ok=True)  # first: an interrupted removal is a venv that gets rebuilt
        shutil.rmtree(venv, ignore_errors=True)
        return True


_CONFLICT = re.compile(r"The user requested ([A-Za-z0-9_.\-\[\]]+)==")


def _install(python: Path, requirements: list[str], version: str, deadline_s: float) -> tuple[str, list[str]]:
    """pip install with the project's pins; a pin the older LiteLLM cannot live with is relaxed.

    An older `litellm[proxy]` often caps packages the project pins (uvicorn, openai, ...). Such a
    pin is dropped, one conflict report at a time, and the relaxed names are returned so that the
    gate report can show which packages differ between the two environments.
    """
    wanted = list(requirements)
    relaxed: list[str] = []
    # pip compiles byte-code on purpose, never `--no-compile`: with PYTHONDONTWRITEBYTECODE set (as on
    # this project's machines) nothing is cached later, and every proxy start of the release compiles
    # litellm from source: its import took 22 s instead of 8 (1.75.0, measured).
    for _ in range(len(requirements)):
        try:
            output = _run(
                [str(python), "-m", "pip", "install", "--disable-pip-version-check", *wanted],
                f"pip install litellm[proxy]=={version}",
                deadline_s,
            )
            return output, relaxed
        except GateEnvError as exc:
            names = {n.lower() for n in _CONFLICT.findall(str(exc))} - {"litellm", "litellm[proxy]"}
            if "ResolutionImpossible" not in str(exc) or not names:
                raise
            relaxed += sorted(names)
            wanted = [r if Requirement(r).name.lower() not in names else Requirement(r).name for r in wanted]
    raise GateEnvError(f"harness gate: pip could not resolve litellm[proxy]=={version} with the project's packages")


def _has_proxy_extra(python: Path) -> bool:
    """The extra's packages are what the proxy CLI imports; the metadata must declare the extra."""
    probe = (
        "import importlib.metadata as m, re, sys; "
        "r = m.requires('litellm') or []; "
        "sys.exit(0 if any(re.search('extra *== *.proxy[\"\\']', x) for x in r) else 1)"
    )
    done = subprocess.run([str(python), "-c", probe], capture_output=True, timeout=60, check=False)
    return done.returncode == 0 and (python.parent / "litellm").exists()
