"""The upgrade gate: the offline suite under two LiteLLM versions, side by side, each in a cached
venv, and what changed between them.

Owns: the `gate` subcommand's options and handlers (`cli`), venvs per version (`env`), one suite
run as a subprocess (`suite`), running both versions' suites (`run`), comparing their parity
reports (`compare`), rendering the verdict (`report`); the bisect (`changes`, `bisect`,
`bisect_run`, `run_cache`, `bisect_report`, `ledger_ranges`) and the supply-chain checks (`supply`,
`denylist.yaml`).
May import: `contract` (comparison), `paths` (stopping a process), `replay` (atomic writes),
`report`. It runs the suite as a subprocess, never in-process.
"""
