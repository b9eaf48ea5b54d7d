"""The gate's supply-chain guard: known-compromised LiteLLM releases are never installed, and a venv
whose site-packages carries an unexpected `.pth` file never runs a suite.

LiteLLM 1.82.7 and 1.82.8 were published to PyPI with a credential-stealing `.pth` file, which
Python executes at every interpreter start (BerriAI/litellm#24512, #24518, March 2026). Mirrors and
caches may still serve them. A `.pth` file runs code before any of ours, so the check has to happen
before pip installs a release (the denylist, `denylist.yaml`, data in the repository and easy to
extend) and again after (no `.pth` shipped by litellm itself, none in site-packages but the ones
pip, setuptools and venv put there).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.gate.env import GateEnvError

DENYLIST = Path(__file__).with_name("denylist.yaml")
#: `.pth` files a clean venv may hold: setuptools' and virtualenv's own, and editable installs
EXPECTED_PTH = ("distutils-precedence.pth", "_virtualenv.pth", "__editable__.", "_distutils_hack")


class CompromisedRelease(GateEnvError):
    """A release on the denylist, or a venv with a `.pth` file nobody expects; the message says which."""


@dataclass(frozen=True)
class Denied:
    version: str
    reason: str
    advisory: str

    def message(self) -> str:
        return f"litellm {self.version} is never installed: {self.reason} ({self.advisory})"


def denylist(path: Path = DENYLIST) -> dict[str, Denied]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(r["version"]): Denied(str(r["version"]), str(r["reason"]), str(r["advisory"]))
        for r in data.get("releases") or []
    }


def refuse_if_denied(version: str, path: Path = DENYLIST) -> None:
    denied = denylist(path).get(version)
    if denied is not None:
        raise CompromisedRelease(f"harness gate: {denied.message()}")


def unexpected_pth(site_packages: Path) -> list[str]:
    """`.pth` files in `site_packages` that litellm ships, or that no clean venv has."""
    found = []
    for record in site_packages.glob("litellm-*.dist-info/RECORD"):
        with record.open(newline="", encoding="utf-8") as handle:
            found += [row[0] for row in csv.reader(handle) if row and row[0].endswith(".pth")]
    for pth in site_packages.glob("*.pth"):
        if not pth.name.startswith(EXPECTED_PTH):
            found.append(pth.name)
    return sorted(set(found))


def check_venv(python: Path) -> None:
    """Refuse a venv whose site-packages would run a `.pth` file we did not expect."""
    for site in (python.parent.parent / "lib").glob("python*/site-packages"):
        bad = unexpected_pth(site)
        if bad:
            raise CompromisedRelease(
                f"harness gate: {site} holds unexpected .pth file(s) {', '.join(bad)}: Python runs them at every "
                "start, so no suite runs in this venv. Delete the venv, and check where its litellm came from"
            )
