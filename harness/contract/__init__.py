"""The contract model: what a case is, what an application saw (observations), how two observations
are compared, what must hold on each path (expectations), which differences are accepted (the
divergence ledger), and the run's results.

Owns: scenarios, cases, observations, comparison levels and mismatches, expectations, the ledger,
results. May import: nothing else of the harness. Plain data and pure functions, so every other
package can use it and it can be tested alone.
"""
