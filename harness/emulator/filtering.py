"""Azure content-filter annotations, as they appear in successful and blocked responses."""

from __future__ import annotations

from typing import Any

from harness.emulator.faults import FILTER_CATEGORIES


def category_results(flagged: str | None = None, severity: str = "high") -> dict[str, Any]:
    """The four harm categories; `flagged` is filtered at `severity`, the rest are safe."""
    return {
        cat: ({"filtered": True, "severity": severity} if cat == flagged else {"filtered": False, "severity": "safe"})
        for cat in FILTER_CATEGORIES
    }


def prompt_results(flagged: str | None = None) -> dict[str, Any]:
    results = category_results(flagged)
    results["jailbreak"] = {"filtered": False, "detected": False}
    return results


def prompt_filter_results(flagged: str | None = None) -> list[dict[str, Any]]:
    return [{"prompt_index": 0, "content_filter_results": prompt_results(flagged)}]


def choice_results(flagged: str | None, protected_material: bool) -> dict[str, Any]:
    results = category_results(flagged, severity="medium")
    if protected_material:
        results["protected_material_code"] = {"filtered": False, "detected": False}
        results["protected_material_text"] = {"filtered": False, "detected": False}
    return results
