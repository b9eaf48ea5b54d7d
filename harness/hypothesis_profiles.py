"""The project's hypothesis profiles, loaded by the root conftest.py for every test run, and by the tools
that run the differential fuzz outside pytest (`python -m harness explain`).

A property test must not fail because the machine is slow: a first run on a fresh clone, or a CI
runner shared with other jobs, generates inputs more slowly than a quiet laptop, and hypothesis's
`too_slow` health check and per-example `deadline` turn that into a red run (issue 20). In CI the
examples are the same in every run, so a failure in CI is one on a developer's machine too.
`tests/harness/test_hypothesis_profile.py` proves every property test runs under these profiles.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hypothesis import HealthCheck, settings

#: the most examples a property test may ask for; the bound keeps the default run's time bounded
MAX_EXAMPLES = 100


def load(environ: Mapping[str, str] = os.environ) -> str:
    """Register the `default` and `ci` profiles (again: the same values) and load the one for this run."""
    settings.register_profile(
        "default",
        deadline=None,  # an example's wall time depends on the machine's load, not on the code
        suppress_health_check=[HealthCheck.too_slow],
        max_examples=MAX_EXAMPLES,
    )
    settings.register_profile("ci", settings.get_profile("default"), derandomize=True, database=None, print_blob=True)
    name = "ci" if environ.get("CI") else "default"
    settings.load_profile(name)
    return name
