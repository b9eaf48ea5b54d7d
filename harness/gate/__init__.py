"""The upgrade gate: the offline suite under two LiteLLM versions, side by side, each in a cached
venv, and what changed between them.

Owns: the `gate` subcommand's options and handlers (`cli`, `cli_modes`), venvs per version (`env`)
and venvs built ahead (`ahead`), one suite run as a subprocess (`suite`), running both versions'
suites (`run`), comparing their parity reports (`compare`) and replay misses (`replay_misses`), what
the ledger would cover if its ranges reached a version (`reach`), rendering the verdict (`report`); the
bisect (`changes`, `bisect`, `bisect_run`, `release_runs`, `run_cache`, `bisect_plan` for a bisect
spread over machines, `bisect_report`, `ledger_ranges`), the oldest release the suite runs (`probe`) and the
supply-chain checks (`supply`, `denylist.yaml`).
May import: `contract` (comparison, the ledger), `paths` (stopping a process), `replay` (atomic
writes), `report` (pages, the atlas). It runs the suite as a subprocess, never in-process.
"""
