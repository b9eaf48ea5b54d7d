"""Each item's outcome from a pytest JUnit XML file: the one report every item of any run is in (the
parity report holds the contract's items only)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


def junit_outcomes(path: Path) -> dict[str, str]:
    """`{nodeid-like name: passed|failed|error|skipped}` (`classname::name`, as JUnit XML keeps it)."""
    outcomes: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                if child.tag == "skipped" and child.get("type") == "pytest.xfail":
                    outcome = "xfailed"
                break
        outcomes[name] = outcome
    return outcomes


def ci_summary(out: str) -> str:
    """What a `.ci/run` printed that a person needs from a run: each pytest command's seed, every failed or
    erroring item, and each command's closing line (a failure without its name cannot be hunted)."""
    keep = ("Using --randomly-seed", "FAILED ", "ERROR ")
    return "\n".join(
        line for line in out.splitlines() if line.startswith(keep) or (" in " in line and "passed" in line)
    )
