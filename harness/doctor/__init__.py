"""`python -m harness doctor`: checks a team's real setup and names the cause of each failure and
its fix. One module per check family: the config file (`configlint`), the local environment and
tokens (`local`), the network and the direct path (`network`), the proxy and its leg to Azure
(`proxy`); `diagnose` classifies Azure's answers, `report` holds the inputs and findings, `run`
runs them all.

May import: `live.settings` (the same variable names and URL rules), `paths.litellm_config` (a
config as LiteLLM reads it), `replay.scrub`. Nothing here
starts a proxy: it checks the one the user runs.
"""

from harness.doctor.report import DoctorInputs, DoctorReport
from harness.doctor.run import run_doctor

__all__ = ["DoctorInputs", "DoctorReport", "run_doctor"]
