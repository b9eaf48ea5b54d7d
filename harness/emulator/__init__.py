"""A faithful, deterministic Azure OpenAI data-plane emulator: chat completions, embeddings and the
Responses API, on the deployment paths and the `/openai/v1/` paths.

Usable in-process (`Emulator.handle`, `EmulatorTransport`) or on loopback (`run_emulator`,
`python -m harness emulator`). See docs/emulator.md.

Owns: Azure's wire format (routes, auth, bodies, errors, streaming, faults) and serving an ASGI app
on loopback (`serving`, which the replay server uses too). May import: nothing else of the harness.
"""

from __future__ import annotations

from harness.emulator.config import (
    DEFAULT_DEPLOYMENTS,
    Deployment,
    EmulatorConfig,
    EmulatorConfigError,
    load_deployments,
)
from harness.emulator.core import Emulator, JournalEntry
from harness.emulator.server import EmulatorStartError, RunningEmulator, run_emulator
from harness.emulator.tokens import TokenKind, mint_token, verify_token
from harness.emulator.transport import AsyncEmulatorTransport, EmulatorTransport

__all__ = [
    "DEFAULT_DEPLOYMENTS",
    "AsyncEmulatorTransport",
    "Deployment",
    "Emulator",
    "EmulatorConfig",
    "EmulatorConfigError",
    "EmulatorStartError",
    "EmulatorTransport",
    "JournalEntry",
    "RunningEmulator",
    "TokenKind",
    "load_deployments",
    "mint_token",
    "run_emulator",
    "verify_token",
]
