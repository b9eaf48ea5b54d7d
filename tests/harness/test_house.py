"""The house keeps its plan: links that lead somewhere, a README that stays a front page, small
modules, and dependencies that run one way between the packages (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")

#: what each package may import (besides itself); docs/architecture.md draws it
ALLOWED: dict[str, set[str]] = {
    "emulator": set(),
    "contract": set(),
    "replay": {"emulator"},
    "paths": {"contract", "replay", "emulator"},
    "runner": {"contract", "paths", "replay", "emulator", "hypothesis_profiles"},
    "live": {"contract", "paths", "replay", "emulator"},
    "doctor": {"live", "paths", "replay"},
    "report": {"contract"},
    "gate": {"contract", "paths", "replay", "report"},
    "plugin": {"contract", "paths", "replay", "emulator", "runner", "live", "doctor", "report", "settings", "startup"},
}


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def _anchors(path: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    broken = []
    for target in _LINK.findall(page.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        if not resolved.exists():
            broken.append(f"{target} (no {resolved.relative_to(ROOT) if ROOT in resolved.parents else resolved})")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target} (no heading #{anchor} in {resolved.name})")
    assert not broken, f"{page.relative_to(ROOT)}: broken links: {broken}"


def test_the_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move reference material to docs/"


def test_ci_runs_the_readmes_two_commands() -> None:
    """The quick start is what CI proves: its two commands, in order, are `.ci/run`'s first two."""
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(quick) == 2, f"README.md's quick start is two commands, not {quick}"
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith((".", "./"))]
    assert commands[:2] == quick, f".ci/run runs {commands[:2]}, README.md says {quick}"


def test_modules_are_small_and_packages_say_what_they_own() -> None:
    big = [
        (str(p.relative_to(ROOT)), n)
        for p in (ROOT / "harness").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 320
    ]
    assert not big, f"modules over ~300 lines: {big}"
    top = sorted(p.name for p in (ROOT / "harness").glob("*.py"))
    assert len(top) <= 8, f"harness/ top level: {top}"
    for package in (ROOT / "harness").iterdir():
        if package.is_dir() and not package.name.startswith("__"):
            doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
            assert doc and ("import" in doc), f"harness/{package.name}/__init__.py must say what it owns and imports"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("harness.")}
    return found


def test_dependencies_run_one_way() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for module in (ROOT / "harness" / package).rglob("*.py"):
            extra = _imports(module) - allowed - {package}
            if extra:
                wrong.append(f"harness/{package}/{module.name} imports {sorted(extra)}")
    assert not wrong, "\n".join(wrong)
