"""Thin root conftest: all hooks, options and fixtures live in `harness.plugin`.

It also registers the project's hypothesis profiles, once, before any test module is imported, so
that every `@settings(...)` in the project builds on them (hypothesis resolves an unset value from
the loaded profile). A property test must not fail because the machine is slow: a first run on a
fresh clone, or a CI runner shared with other jobs, generates inputs more slowly than a quiet
laptop, and hypothesis's `too_slow` health check and per-example `deadline` turn that into a red
run (issue 20). `tests/harness/test_hypothesis_profile.py` proves every property test runs under
these profiles.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["harness.plugin", "pytester"]

#: the most examples a property test may ask for; the bound keeps the default run's time bounded
MAX_EXAMPLES = 100

settings.register_profile(
    "default",
    deadline=None,  # an example's wall time depends on the machine's load, not on the code
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=MAX_EXAMPLES,
)
# CI: the same inputs in every run, so a failure in CI is a failure on the developer's machine too.
settings.register_profile("ci", settings.get_profile("default"), derandomize=True, database=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
