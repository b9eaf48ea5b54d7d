"""The two paths, direct and litellm, and what they stand on: the SDK clients, the fallback client,
the LiteLLM proxy process, the deployment matrix (setups) and each item's own model groups (lanes);
and config mode: a team's own proxy config read (`team_config`), what of it cannot run offline
(`team_offline`), its fallbacks per lane (`team_fallbacks`), rendered for the offline proxy
(`team_render`), the premises its api-version breaks (`premises`), and what the run tells the team
about its ledger (`team_ledger`).

Owns: making a scenario's call on a path and observing it; starting and stopping the proxy.
May import: `contract` (scenarios and observations), `replay` (credentials of an upstream), and
`emulator`. Nothing here knows pytest.
"""
