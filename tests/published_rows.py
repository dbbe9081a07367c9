"""Building contract §4 rows by hand for the comparison, time-series and figure tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

CATS = ("innfridd", "delvis", "ikke_innfridd", "uten_rapportering")
AGES = ("alle", "0-17", "18-66", "67+")


def share(k, n):
    """100·k/n, one decimal, half away from zero, exactly (as the engine publishes it)."""
    if k is None or n is None or n == 0:
        return np.nan
    return ((2000 * k + n) // (2 * n)) / 10


def published_row(indikator, aar, niva, region, navn, antall, nevner, maltall=1) -> dict:
    """One contract §4 row; antall/nevner None = hidden."""
    return {
        "indikator": indikator,
        "aar": aar,
        "niva": niva,
        "region": region,
        "region_navn": navn,
        "maltall": maltall,
        "kategori": CATS[(maltall - 1) // 4],
        "aldersgruppe": AGES[(maltall - 1) % 4],
        "antall": antall,
        "nevner": nevner,
        "andel": share(antall, nevner) if antall is not None and nevner is not None else np.nan,
        "prikket": antall is None,
    }


def frame(rows) -> pd.DataFrame:
    """The rows as a table with nullable integer counts, as the engine writes them."""
    df = pd.DataFrame(rows)
    df["antall"] = df["antall"].astype("Int64")
    df["nevner"] = df["nevner"].astype("Int64")
    return df
