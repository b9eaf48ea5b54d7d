"""Reports people read: the parity report of a run (one self-contained HTML page and its JSON).

May import: `contract` (ledger entries, results). Pure rendering of plain data: no network, no
processes.
"""
