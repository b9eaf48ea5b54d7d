"""Every property test runs under the project's hypothesis profile (root conftest.py): no
`too_slow` health check, no per-example deadline, a bounded number of examples, and derandomized
in CI. A slow or loaded machine must never turn a property test red (issue 20)."""

from __future__ import annotations

import ast
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.internal.detection import is_hypothesis_test

from harness.hypothesis_profiles import MAX_EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


def _test_modules() -> Iterator[Any]:
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield importlib.import_module(name)


def _property_tests() -> dict[str, settings]:
    found: dict[str, settings] = {}
    for module in _test_modules():
        for name, value in vars(module).items():
            if callable(value) and is_hypothesis_test(value):
                found[f"{module.__name__}::{name}"] = value._hypothesis_internal_use_settings
    from tests.contract.test_fuzz import DEFAULT_EXAMPLES, fuzz_settings  # defined inside its test

    found["tests.contract.test_fuzz::fuzz_settings"] = fuzz_settings(DEFAULT_EXAMPLES)
    return found


def test_the_profile_for_this_run_is_loaded() -> None:
    assert settings._current_profile == ("ci" if os.environ.get("CI") else "default")
    for name in ("default", "ci"):
        profile = settings.get_profile(name)
        assert profile.deadline is None
        assert HealthCheck.too_slow in profile.suppress_health_check
        assert profile.max_examples <= MAX_EXAMPLES
    assert settings.get_profile("ci").derandomize


def test_every_property_test_runs_under_the_profile() -> None:
    found = _property_tests()
    assert len(found) >= 8, sorted(found)  # the walk finds them: test_secrets, test_observe_compare, ...
    wrong = {
        name: s
        for name, s in found.items()
        if s.deadline is not None
        or HealthCheck.too_slow not in s.suppress_health_check
        or s.max_examples > MAX_EXAMPLES
        or (os.environ.get("CI") and not s.derandomize)
    }
    assert not wrong, f"property tests outside the profile (root conftest.py): {wrong}"


def _settings_calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("harness/**/*.py"), *ROOT.glob("benchmarks/*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "settings":
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_no_settings_call_repeats_the_profiles_values() -> None:
    """A `deadline=` or a health-check list of its own would replace the profile's, not add to it."""
    repeated = []
    for where, call in _settings_calls():
        for keyword in call.keywords:
            if keyword.arg == "deadline":
                repeated.append(f"{where}: deadline=")
            if keyword.arg == "suppress_health_check" and "settings.default.suppress_health_check" not in ast.unparse(
                keyword.value
            ):
                repeated.append(f"{where}: suppress_health_check without the profile's")
    assert not repeated, repeated
