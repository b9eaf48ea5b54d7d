"""`python -m harness doctor`: checks a team's real setup and names the cause of each failure and
its fix. One module per check family: the config file (`configlint`), the local environment and
tokens (`local`), the `.env` files LiteLLM loads (`proxyenv`), credentials, `api_base` URLs,
provider prefixes and names, api-versions, implicit variables (`credentials`, `urls`, `naming`,
`apiversion`, `environment`), the network and the direct path (`network`), the proxy and its leg to
Azure (`proxy`); `finding` is what every check returns, `diagnose` classifies Azure's answers,
`report` holds the inputs and findings, `run` runs them all, and `fix` applies the mechanical
fixes (`doctor --fix`).

May import: `live.settings` (the same variable names and URL rules), `paths.litellm_config` (a
config as LiteLLM reads it), `replay.scrub` and `replay.atomic` (`--fix` writes through a temporary
file and a rename). Nothing here
starts a proxy: it checks the one the user runs.
"""

from harness.doctor.report import DoctorInputs, DoctorReport
from harness.doctor.run import run_doctor

__all__ = ["DoctorInputs", "DoctorReport", "run_doctor"]
