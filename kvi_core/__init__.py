"""kvi: national quality indicators for participation services (IPLOS/KPR), from register extract
to suppressed tables and per-kommune reports."""

__version__ = "0.1.0"
