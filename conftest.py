"""Thin root conftest: all hooks, options and fixtures live in `harness.plugin`.

It also loads the project's hypothesis profiles (`harness.hypothesis_profiles`: no `too_slow` health
check, no deadline, at most 100 examples; derandomized when `CI` is set), once, before any test module
is imported, so that every `@settings(...)` in the project builds on them: hypothesis resolves an unset
value from the loaded profile. `tests/harness/test_hypothesis_profile.py` proves every property test
runs under them.
"""

from __future__ import annotations

from harness import hypothesis_profiles

pytest_plugins = ["harness.plugin", "pytester"]

hypothesis_profiles.load()
