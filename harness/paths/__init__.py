"""The two paths, direct and litellm, and what they stand on: the SDK clients, the fallback client,
the LiteLLM proxy process, the deployment matrix (setups) and each item's own model groups (lanes).

Owns: making a scenario's call on a path and observing it; starting and stopping the proxy.
May import: `contract` (scenarios and observations), `replay` (credentials of an upstream), and
`emulator`. Nothing here knows pytest.
"""
