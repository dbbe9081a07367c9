"""kvi: national quality indicators for participation services (IPLOS/KPR), from register extract
to suppressed tables and per-kommune reports.

A reference "DATA_CONTRACT §n" in this package is to section n of docs/DATA_CONTRACT.md.
"""

__version__ = "0.1.0"
