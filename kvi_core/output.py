"""The published long table (DATA_CONTRACT §4) and writing files atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from kvi_core.geography import NIVA_ORDER
from kvi_core.indicators import TOTAL
from kvi_core.specs import AGE_GROUPS, CATEGORIES

COLUMNS = [
    "indikator",
    "aar",
    "niva",
    "region",
    "region_navn",
    "maltall",
    "kategori",
    "aldersgruppe",
    "antall",
    "nevner",
    "andel",
    "prikket",
]


def share_percent(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """100·k/n in percent, one decimal, half away from zero, computed exactly in integers; NaN where n = 0."""
    k = np.asarray(k, dtype="int64")
    n = np.asarray(n, dtype="int64")
    safe = np.where(n > 0, n, 1)
    tenths = (2000 * k + safe) // (2 * safe)  # floor(1000k/n + 1/2): k, n >= 0
    return np.where(n > 0, tenths / 10.0, np.nan)


def long_table(cells: pd.DataFrame, indikator: str, aar: int) -> pd.DataFrame:
    """Contract §4 rows for one indicator and year from its cells (with ``hidden``, if suppressed)."""
    hidden = cells["hidden"].to_numpy() if "hidden" in cells else np.zeros(len(cells), dtype=bool)
    c = cells.assign(_hidden=hidden)
    tot = c[c["kategori"] == TOTAL].set_index(["region", "aldersgruppe"])
    rows = c[c["kategori"] != TOTAL].reset_index(drop=True)
    key = pd.MultiIndex.from_arrays([rows["region"], rows["aldersgruppe"]])
    pos = tot.index.get_indexer(key)
    nevner = tot["antall"].to_numpy()[pos]
    nevner_hidden = tot["_hidden"].to_numpy()[pos]
    antall = rows["antall"].to_numpy()
    antall_hidden = rows["_hidden"].to_numpy()
    andel = share_percent(antall, nevner)
    andel[antall_hidden | nevner_hidden] = np.nan
    maltall = (
        pd.Index(CATEGORIES).get_indexer(rows["kategori"]) * len(AGE_GROUPS)
        + pd.Index(AGE_GROUPS).get_indexer(rows["aldersgruppe"])
        + 1
    )
    out = pd.DataFrame(
        {
            "indikator": indikator,
            "aar": aar,
            "niva": rows["niva"],
            "region": rows["region"],
            "region_navn": rows["region_navn"],
            "maltall": maltall,
            "kategori": rows["kategori"],
            "aldersgruppe": rows["aldersgruppe"],
            "antall": pd.array(np.where(antall_hidden, 0, antall), dtype="Int64"),
            "nevner": pd.array(np.where(nevner_hidden, 0, nevner), dtype="Int64"),
            "andel": andel,
            "prikket": antall_hidden,
        }
    )
    out.loc[antall_hidden, "antall"] = pd.NA
    out.loc[nevner_hidden, "nevner"] = pd.NA
    return out


def sort_table(table: pd.DataFrame, indicator_order: list[str]) -> pd.DataFrame:
    order = {
        "_i": table["indikator"].map({k: i for i, k in enumerate(indicator_order)}),
        "_n": table["niva"].map({k: i for i, k in enumerate(NIVA_ORDER)}),
    }
    return (
        table.assign(**order)
        .sort_values(["_i", "aar", "_n", "region", "maltall"], kind="stable")
        .drop(columns=["_i", "_n"])
        .reset_index(drop=True)
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write, private: bool = False) -> None:
    """kvi's one atomic writer: ``write(tmp)`` fills a temporary file beside ``path``, which is then
    flushed and renamed into place, so a reader sees the old file or the new one, never a part.
    The file gets the usual permissions (0666 less the umask), or owner-only when ``private``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o600 if private else 0o666 & ~_umask())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Text that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return) gets a leading apostrophe, which spreadsheets show as text. A plain
    number such as ``-1`` is not a formula and stays as it is. Only for text columns."""
    uniq = pd.Series(pd.unique(values.dropna())).astype(str)  # tables repeat few distinct texts
    risky = uniq[uniq.str.startswith(FORMULA_START) & ~uniq.str.fullmatch(_PLAIN_NUMBER)]
    if risky.empty:
        return values
    fix = {v: "'" + v for v in risky}
    return values.map(lambda v: fix.get(v, v) if isinstance(v, str) else v)


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``true``/``false`` (contract), text made safe for spreadsheets, numbers as
    pandas writes them."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == bool:
            out[col] = np.where(s.to_numpy(), "true", "false")
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = neutralise_formulas(s)
    return out


def read_true(values: pd.Series) -> pd.Series:
    """A true/false column of a written CSV read back (as ``_csv_ready`` writes it): True where it
    says ``true``, case and surrounding spaces ignored; anything else is False."""
    return values.astype(str).str.strip().str.lower().eq("true")


def write_csv(df: pd.DataFrame, path: Path, private: bool = False) -> None:
    data = _csv_ready(df)
    atomic_write(path, lambda tmp: data.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"), private)


def write_parquet(df: pd.DataFrame, path: Path, private: bool = False) -> None:
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False), private)


def write_text(text: str, path: Path, private: bool = False) -> None:
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)

    atomic_write(path, w, private)


def write_json(obj: dict, path: Path, private: bool = False) -> None:
    write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", path, private)
