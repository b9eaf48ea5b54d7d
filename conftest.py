"""Thin root conftest: all hooks, options and fixtures live in `harness.plugin`."""

pytest_plugins = ["harness.plugin", "pytester"]
