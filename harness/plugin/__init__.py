"""The pytest plugin: options, hooks, fixtures and the run's shared state. Loaded as `harness.plugin`
(the root conftest.py names it).

Owns: everything pytest calls. May import every other package; nothing imports it. Logic lives in
the packages below: a hook or fixture here only wires them to pytest.
"""

pytest_plugins = [
    "harness.plugin.options",
    "harness.plugin.hooks",
    "harness.plugin.fixtures",
    "harness.plugin.runners",
]
