"""Which three-year periods an extract has (DATA_CONTRACT §8), and how a period is written.

Kept apart from ``kvi_core.periods`` (their suppression), which loads the solver: ``kvi compute``
decides from these alone, before its first table is suppressed, whether periods are computed.
"""

from __future__ import annotations

from collections.abc import Iterable


def periods_of(years: Iterable) -> list[tuple[int, int, int]]:
    """Every three consecutive years present, by last year."""
    ys = sorted({int(y) for y in years})
    return [(y - 2, y - 1, y) for y in ys if y - 1 in ys and y - 2 in ys]


def label(period: tuple[int, ...]) -> str:
    """``2022-2024``: the ``periode`` of a period's rows."""
    return f"{period[0]}-{period[-1]}"
