"""A contract suite for the LiteLLM proxy in front of Azure OpenAI: does the application see the same
thing through the proxy as from Azure directly?

The public names a test module needs to write cases: `Case`, `Scenario` and the `expect` helpers.
Everything else lives in the subpackages, one concern each (see docs/architecture.md):

- `plugin`: the pytest glue (options, hooks, fixtures, run state);
- `runner`: running a case on a path and judging it; the run's watched parts;
- `contract`: the contract model (scenarios, cases, observations, comparison, expectations, the
  ledger, results);
- `paths`: the two paths (SDK clients, the LiteLLM proxy process, the deployment matrix, lanes);
- `replay`: replay and recording (cassettes, the loopback upstream server, scrubbing, atomic
  writes, the offline guard);
- `emulator`: the Azure OpenAI emulator;
- `live`: live settings and live runs; `doctor`: the setup checks; `gate`: the upgrade gate;
  `report`: the parity report.
"""

from __future__ import annotations

from harness.contract import expect
from harness.contract.case import Case
from harness.contract.scenario import Scenario

__all__ = ["Case", "Scenario", "expect"]
