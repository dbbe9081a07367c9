"""The five-year time series (``tidsserie.csv``, DATA_CONTRACT §7), in the newest year's geography.

Re-labelling rule. Each older year's kommune codes are mapped to the newest classification with the
KLASS change table (``geography.kommune_changes()``): a renumbering or renaming is a re-label
(3001 Halden 2020-2023 is 3101 Halden). Bydel codes map to themselves. A region R of the newest
geography is then compared, for an older year y, with the regions Q of the same level published in
y: R gets Q's published number (``kilde_region`` = Q, ``brudd`` = false) only when the set of
R's kommuner (bydeler, for bydel regions) equals the image of Q's set. Otherwise - a split such as
1507 Ålesund → 1508 Ålesund + 1580 Haram, a divided fylke (30 Viken → 31/32/33), a KOSTRA group
whose membership changed - R's row for y exists with empty numbers and ``brudd`` = true;
``kilde_region`` names the region of y its kommuner came from when that is a single region, and is
empty when there is none or several (``region_map`` lists them all in ``kilder``). Land is always
comparable. No new sums are formed and no number is derived: every number is copied from the
published (suppressed) table of its year.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from kvi_core import geography
from kvi_core.comparison import add_confidence_intervals, normalise_region
from kvi_core.geography import LAND, NIVA_ORDER

TIDSSERIE_COLUMNS = [
    "indikator",
    "aar",
    "niva",
    "region",
    "region_navn",
    "maltall",
    "antall",
    "nevner",
    "andel",
    "prikket",
    "ki_nedre",
    "ki_ovre",
    "kilde_region",
    "brudd",
]
NUMBER_COLUMNS = ["antall", "nevner", "andel", "ki_nedre", "ki_ovre"]


# --- code normalisation -----------------------------------------------------------------------


def _norm_unit(u: str) -> str:
    """Units/codes as text with their leading zeros (a CSV read without dtype=str loses them)."""
    u = str(u).strip()
    if u.isdigit():
        return u.zfill(4) if len(u) <= 4 else u.zfill(6)
    if "-" in u:
        head, tail = u.split("-", 1)
        if head.isdigit():
            return head.zfill(4) + "-" + tail
    return u


def _atom(unit: str, niva: str) -> str:
    """What a region is made of: kommuner for land/fylke/kostragruppe/kommune, bydeler for bydel.
    (Regions above bydel always hold whole kommuner, so a kommune split into bydel units in one
    year and not in another is still the same kommune.)"""
    return unit if niva == "bydel" else unit[:4]


# --- kommune code mapping ---------------------------------------------------------------------


@cache
def _change_map(from_version: int, to_version: int) -> dict[str, frozenset[str]]:
    if from_version == to_version:
        return {}
    if (from_version, to_version) != (2020, 2024):
        raise NotImplementedError(
            f"kvi har bare endringstabellen for kommuneinndeling 2020 → 2024, ikke {from_version} → {to_version}"
        )
    ch = geography.kommune_changes()
    out: dict[str, set[str]] = {}
    for old, new in zip(ch["kommunenummer_2023"].str.zfill(4), ch["kommunenummer_2024"].str.zfill(4)):
        out.setdefault(old, set()).add(new)
    return {k: frozenset(v) for k, v in out.items()}


def kommune_image(aar: int, newest: int) -> callable:
    """A function mapping a kommune (or bydel) code of ``aar`` to the set of codes in ``newest``'s
    classification. Codes not in the change table (bydeler, or a kommune unchanged) map to themselves."""
    cmap = _change_map(geography.classification_year(aar), geography.classification_year(newest))

    def image(code: str) -> frozenset[str]:
        if len(code) == 4 and code in cmap:
            return cmap[code]
        return frozenset((code,))

    return image


# --- region mapping ---------------------------------------------------------------------------


def _prepare_members(members: pd.DataFrame) -> pd.DataFrame:
    m = members[["aar", "unit", "niva", "region", "region_navn"]].copy()
    m["aar"] = pd.to_numeric(m["aar"]).astype(int)
    m["unit"] = m["unit"].map(_norm_unit)
    m["region"] = normalise_region(m["niva"], m["region"])
    return m


def _region_sets(m: pd.DataFrame) -> dict[tuple[str, str], frozenset[str]]:
    sets: dict[tuple[str, str], set[str]] = {}
    for unit, niva, region in zip(m["unit"], m["niva"], m["region"]):
        if unit.endswith("-uten-bydel") and niva == "bydel":
            continue  # never a bydel region's member, but be safe
        sets.setdefault((niva, region), set()).add(_atom(unit, niva))
    return {k: frozenset(v) for k, v in sets.items()}


def region_map(members: pd.DataFrame, aar: int, newest: int | None = None) -> pd.DataFrame:
    """For every region of the newest geography: where its figure for ``aar`` comes from.

    Returns columns ``aar, niva, region, region_navn`` (newest geography), ``kilde_region``
    (NaN when none or ambiguous), ``brudd`` (bool) and ``kilder`` (every region of ``aar`` that
    holds some of R's kommuner, "+"-joined), in publication order.
    """
    m = _prepare_members(members)
    newest = int(m["aar"].max()) if newest is None else int(newest)
    if aar not in set(m["aar"]):
        raise ValueError(f"regiontabellen mangler år {aar}")
    if newest not in set(m["aar"]):
        raise ValueError(f"regiontabellen mangler år {newest}")
    new = m[m["aar"] == newest]
    old = m[m["aar"] == aar]
    new_sets = _region_sets(new)
    old_sets = _region_sets(old)
    image = kommune_image(aar, newest)

    old_images: dict[tuple[str, str], frozenset[str]] = {}
    for key, atoms in old_sets.items():
        img: set[str] = set()
        for a in atoms:
            img |= image(a)
        old_images[key] = frozenset(img)
    by_image: dict[tuple[str, frozenset[str]], str] = {}
    by_atom: dict[tuple[str, str], set[str]] = {}
    for (niva, region), img in old_images.items():
        by_image[(niva, img)] = region
        for a in img:
            by_atom.setdefault((niva, a), set()).add(region)
    old_land = sorted(r for (niva, r) in old_sets if niva == "land")

    names = geography.regions(new.drop(columns="aar"))
    rows = []
    for niva, region, navn in names.itertuples(index=False):
        if niva == "land":
            land = old_land[0] if old_land else LAND
            rows.append((aar, niva, region, navn, land, False, land))
            continue
        target = new_sets[(niva, region)]
        src = by_image.get((niva, target))
        if src is not None:
            rows.append((aar, niva, region, navn, src, False, src))
            continue
        sources: set[str] = set()
        for a in target:
            sources |= by_atom.get((niva, a), set())
        kilde = next(iter(sources)) if len(sources) == 1 else np.nan
        rows.append((aar, niva, region, navn, kilde, True, "+".join(sorted(sources))))
    out = pd.DataFrame(rows, columns=["aar", "niva", "region", "region_navn", "kilde_region", "brudd", "kilder"])
    out["brudd"] = out["brudd"].astype(bool)
    return out


# --- the series -------------------------------------------------------------------------------


def _prepare_table(table: pd.DataFrame) -> pd.DataFrame:
    t = table.copy()
    t["aar"] = pd.to_numeric(t["aar"]).astype(int)
    t["maltall"] = pd.to_numeric(t["maltall"]).astype(int)
    t["region"] = normalise_region(t["niva"], t["region"])
    if "ki_nedre" not in t or "ki_ovre" not in t:
        t = add_confidence_intervals(t)
    if t["prikket"].dtype != bool:
        t["prikket"] = t["prikket"].astype(str).str.strip().str.lower().isin(["true", "1"])
    return t


def tidsserie(table: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Contract §7 ``tidsserie.csv``: every (indikator, year) of the published ``table`` in the
    newest year's geography. ``members`` is the regioner table (``aar, unit, niva, region,
    region_navn``) covering every year of ``table``."""
    t = _prepare_table(table)
    years = sorted(t["aar"].unique())
    newest = int(years[-1])
    missing = sorted(set(years) - set(pd.to_numeric(members["aar"]).astype(int)))
    if missing:
        raise ValueError(f"regiontabellen mangler år {', '.join(map(str, missing))}")
    maps = pd.concat([region_map(members, int(y), newest) for y in years], ignore_index=True)

    ind_years = t[["indikator", "aar"]].drop_duplicates()
    maltall = pd.DataFrame({"maltall": sorted(t["maltall"].unique())})
    frame = ind_years.merge(maps.drop(columns="kilder"), on="aar").merge(maltall, how="cross")

    src = t[["indikator", "aar", "niva", "region", "maltall", "prikket", *NUMBER_COLUMNS]].rename(
        columns={"region": "kilde_region"}
    )
    src = src.drop_duplicates(["indikator", "aar", "niva", "kilde_region", "maltall"])
    out = frame.merge(src, on=["indikator", "aar", "niva", "kilde_region", "maltall"], how="left")
    brudd = out["brudd"].to_numpy(dtype=bool)
    for c in NUMBER_COLUMNS:
        out.loc[brudd, c] = np.nan
    out["prikket"] = out["prikket"].eq(True).to_numpy(dtype=bool) & ~brudd
    out["antall"] = pd.to_numeric(out["antall"], errors="coerce").round().astype("Int64")
    out["nevner"] = pd.to_numeric(out["nevner"], errors="coerce").round().astype("Int64")
    for c in ("andel", "ki_nedre", "ki_ovre"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["kilde_region"] = out["kilde_region"].astype(object).where(out["kilde_region"].notna(), np.nan)

    ind_order = {k: i for i, k in enumerate(dict.fromkeys(t["indikator"]))}
    niva_order = {k: i for i, k in enumerate(NIVA_ORDER)}
    out = (
        out.assign(_i=out["indikator"].map(ind_order), _n=out["niva"].map(niva_order))
        .sort_values(["_i", "_n", "region", "maltall", "aar"], kind="stable")
        .drop(columns=["_i", "_n"])
        .reset_index(drop=True)
    )
    return out[TIDSSERIE_COLUMNS]


def breaks(tidsserie_df: pd.DataFrame, region: str, indikator: str | None = None) -> pd.DataFrame:
    """The years in which ``region`` has a series break: columns ``aar, kilde_region``."""
    d = tidsserie_df[(tidsserie_df["region"].astype(str) == str(region)) & tidsserie_df["brudd"].astype(bool)]
    if indikator is not None:
        d = d[d["indikator"] == indikator]
    return d[["aar", "kilde_region"]].drop_duplicates().sort_values("aar").reset_index(drop=True)


__all__ = ["TIDSSERIE_COLUMNS", "kommune_image", "region_map", "tidsserie", "breaks"]
