"""Disclosure control (prikking, DATA_CONTRACT §5): one module per concern.

model          the table as one linear model (Layout, LinearTable)
elimination    fraction-free exact elimination over sparse integer vectors (SpanBasis)
intervals      the attacker's interval of each hidden cell (exact step, then LP per block)
suppression    primary and secondary suppression of one indicator and year
screening      cheaper evidence for the linked years-and-periods audit (year by year, fylke by fylke)
audit_command  ``kvi audit DIR``: read a folder, audit it, print the findings
"""
