"""Live mode: settings from the environment, `.env` and options (`settings`), and what a live run
needs (`run`: the real resource as upstream, the staging or local proxy's config, cases that cannot
run live). The preflight is the doctor's (`harness.doctor.preflight`).

Owns: `LiveSettings` and the live run's pieces. May import: `contract`, `paths`, `replay`.
"""
