"""The table as one linear model (DATA_CONTRACT §5).

One indicator and year is one linear system. The *inner* cells are unit × age group (3) ×
category (4); every published cell (region × ``alle``/age group × category/``nevner``) is the sum
of some inner cells, so the table is ``published = Xᵀ · inner`` for a sparse 0/1 matrix X whose
columns are the cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kvi_core.errors import KviInputError
from kvi_core.specs import (
    AGE_GROUPS,
    ALL_AGES,
    CATEGORIES,
    INNER_AGE_GROUPS,
    KATEGORIER,
    TOTAL,
)

N_AGE, N_CAT = len(INNER_AGE_GROUPS), len(CATEGORIES)
PER_UNIT = N_AGE * N_CAT  # inner cells per unit

AGE_SETS = {ALL_AGES: tuple(range(N_AGE)), **{a: (i,) for i, a in enumerate(INNER_AGE_GROUPS)}}
CAT_SETS = {TOTAL: tuple(range(N_CAT)), **{c: (i,) for i, c in enumerate(CATEGORIES)}}


class Layout:
    """Inner rows of one year's geography: row = unit · 12 + age · 4 + category (units sorted)."""

    def __init__(self, members: pd.DataFrame, extra_units: Iterable[str] = ()):
        units = sorted(set(members["unit"].astype(str)) | {str(u) for u in extra_units})
        self.units = units
        pos = {u: i for i, u in enumerate(units)}
        self.region_units: dict[str, np.ndarray] = {
            region: np.array(sorted(pos[u] for u in grp), dtype=np.int64)
            for region, grp in members.groupby("region", sort=True)["unit"]
        }
        self.n_rows = len(units) * PER_UNIT
        self._offsets = {
            (a, k): np.array([ai * N_CAT + ci for ai in AGE_SETS[a] for ci in CAT_SETS[k]], dtype=np.int64)
            for a in AGE_SETS
            for k in CAT_SETS
        }

    def rows_of(self, inner: pd.DataFrame) -> np.ndarray:
        """The inner row of every row of ``inner`` (unit, aldersgruppe, kategori); -1 where the
        unit, age group or category is not one of this layout's."""
        unit = _positions(self.units, inner["unit"])
        age = _positions(INNER_AGE_GROUPS, inner["aldersgruppe"])
        cat = _positions(CATEGORIES, inner["kategori"])
        known = (unit >= 0) & (age >= 0) & (cat >= 0)
        return np.where(known, unit * PER_UNIT + age * N_CAT + cat, -1).astype(np.int64)

    def rows(self, region: str, aldersgruppe: str, kategori: str) -> np.ndarray:
        """Sorted inner rows that add up to a cell."""
        try:
            units = self.region_units[region]
            offsets = self._offsets[(aldersgruppe, kategori)]
        except KeyError:
            raise KviInputError(
                f"ukjent celle region={region!r} aldersgruppe={aldersgruppe!r} kategori={kategori!r}"
            ) from None
        return (units[:, None] * PER_UNIT + offsets[None, :]).ravel()


def _positions(values, column: pd.Series) -> np.ndarray:
    """Position of every entry of ``column`` (as text) in ``values``, -1 where absent; a
    categorical column is looked up once per category."""
    index = pd.Index(values)
    if isinstance(column.dtype, pd.CategoricalDtype):
        pos = np.append(index.get_indexer(column.cat.categories.astype(str)), -1)
        return pos[column.cat.codes.to_numpy()]  # code -1 (missing) -> the appended -1
    return index.get_indexer(column.astype(str))


@dataclass
class LinearTable:
    """The cells of one table as *unique* columns of X over the rows not known to be zero.

    Rows inside a published zero cell are known to be 0 and dropped (zeros are published and every
    count is ≥ 0). Cells with the same remaining rows are the same number and share one column
    (land reached through both hierarchies, a kommune alone in its KOSTRA group, fylke Oslo =
    kommune Oslo, a nevner equal to its only non-zero category ...).
    """

    n_rows: int
    cols: list[tuple[int, ...]]  # rows of each unique column
    cell_col: np.ndarray  # unique column of each input cell

    @classmethod
    def build(cls, layout: Layout, keys: pd.DataFrame, zero: np.ndarray) -> LinearTable:
        """``keys``: region, aldersgruppe, kategori per cell; ``zero``: the cell is published as 0."""
        row_sets = [layout.rows(r, a, k) for r, a, k in zip(keys["region"], keys["aldersgruppe"], keys["kategori"])]
        return cls.from_rows(layout.n_rows, row_sets, zero, _canonical_order(keys))

    @classmethod
    def from_rows(cls, n_rows: int, row_sets: list[np.ndarray], zero: np.ndarray, order: np.ndarray) -> LinearTable:
        """Cells given by their inner rows; ``order`` numbers the unique columns (a stable order
        of the cells, so column numbers do not depend on the input's row order)."""
        known_zero = np.zeros(n_rows, dtype=bool)
        for rows, z in zip(row_sets, zero):
            if z:
                known_zero[rows] = True
        index: dict[tuple[int, ...], int] = {}
        cell_col = np.empty(len(row_sets), dtype=np.int64)
        for i in order:
            rows = row_sets[i]
            cell_col[i] = index.setdefault(tuple(rows[~known_zero[rows]].tolist()), len(index))
        return cls(n_rows, list(index), cell_col)

    def singleton_col(self) -> dict[int, int]:
        """Row -> the column that is exactly that one row (an inner cell, after zeros are dropped)."""
        return {rows[0]: c for c, rows in enumerate(self.cols) if len(rows) == 1}


def _canonical_order(keys: pd.DataFrame) -> np.ndarray:
    """Cells sorted by region code, age group and category."""
    age = pd.Index(AGE_GROUPS).get_indexer(keys["aldersgruppe"])
    kat = pd.Index(KATEGORIER).get_indexer(keys["kategori"])
    region = pd.Index(sorted(set(keys["region"]))).get_indexer(keys["region"])
    return np.lexsort((kat, age, region))
