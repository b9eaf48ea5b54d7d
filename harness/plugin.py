"""pytest plugin: options, fixtures and hooks only. The logic lives in importable modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.emulator import EmulatorConfig, RunningEmulator, serve_in_thread


@pytest.fixture(scope="session")
def azure_emulator_session() -> Iterator[RunningEmulator]:
    """One emulated Azure resource for the session (override to use your own deployment table)."""
    with serve_in_thread(EmulatorConfig()) as running:
        yield running


@pytest.fixture
def azure_emulator(azure_emulator_session: RunningEmulator) -> RunningEmulator:
    """The session emulator with its quota window and journal cleared for this test."""
    azure_emulator_session.emulator.reset()
    return azure_emulator_session


@pytest.fixture(scope="session")
def private_azure_emulator() -> Iterator[RunningEmulator]:
    """A resource with public network access disabled: only its private listener answers."""
    with serve_in_thread(EmulatorConfig(public_network_access=False)) as running:
        yield running
