"""Running contract cases: a case observed on a path and, on the litellm path, compared with the
direct one and judged against the ledger; and the run's moving parts (proxy, upstream server,
emulator), watched so that one that dies is named once.

Owns: `ContractRunner`, `Watch`. May import: `contract`, `paths`, `replay`, `emulator`. Not pytest.
"""
