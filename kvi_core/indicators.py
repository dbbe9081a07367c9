"""The indicator arithmetic (DATA_CONTRACT §2): persons -> inner counts -> every published cell.

Only ``inner_counts`` sees person rows; everything after it sees counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kvi_core.geography import RESIDUAL_SUFFIX
from kvi_core.intake import arrow_of
from kvi_core.specs import (
    AGE_GROUPS,
    CATEGORIES,
    INNER_AGE_GROUPS,
    TOTAL,
    IndicatorSpec,
)


def age_group_index(alder: np.ndarray) -> np.ndarray:
    """0 for 0-17, 1 for 18-66, 2 for 67+ (index into INNER_AGE_GROUPS)."""
    return np.where(alder <= 17, 0, np.where(alder <= 66, 1, 2))


def unit_positions(persons: pd.DataFrame, unit_codes: list[str]) -> np.ndarray:
    """Each person's unit as a position in ``unit_codes``: the bydel where the kommune is published
    by bydel (``<kommunenr>99`` for persons there without one), else the kommune."""
    k = arrow_of(persons["kommunenr"])
    bydel_kommuner = sorted({u[:4] for u in unit_codes if len(u) == 6})
    unit = k
    if bydel_kommuner:
        b = arrow_of(persons["bydelsnr"])
        residual = pc.binary_join_element_wise(k, pa.scalar(RESIDUAL_SUFFIX), "")
        in_bydel_kommune = pc.is_in(k, value_set=pa.array(bydel_kommuner))
        unit = pc.if_else(in_bydel_kommune, pc.if_else(pc.equal(b, ""), residual, b), k)
    pos = pc.fill_null(pc.index_in(unit, value_set=pa.array(unit_codes, pa.string())), -1)
    pos = pos.to_numpy(zero_copy_only=False).astype("int64")
    if (pos < 0).any():
        raise ValueError(f"person i ukjent enhet {unit[int(np.flatnonzero(pos < 0)[0])]}")
    return pos


def inner_counts(
    persons: pd.DataFrame, spec: IndicatorSpec, pos: np.ndarray, unit_codes: list[str], excluded: np.ndarray
) -> pd.DataFrame:
    """Counts per unit × inner age group × category for one indicator and one year.

    ``pos`` gives each person's unit (a position in ``unit_codes``, every unit of the year's
    geography, so that units with nobody in them get zeros); ``excluded`` marks persons left
    out of this indicator.
    """
    need = persons[spec.need_column].to_numpy()
    rec = persons[spec.receives_column].to_numpy()
    use = (need == float(spec.need_included)) & ~excluded
    cat = np.full(len(persons), -1)
    for value, name in spec.category_by_receives.items():
        idx = CATEGORIES.index(name)
        cat[np.isnan(rec) if value == "" else rec == float(value)] = idx
    if (cat[use] < 0).any():  # cannot happen after intake; guards a spec/intake mismatch
        raise ValueError(f"{spec.id}: mottar-verdi uten kategori")
    age = age_group_index(persons["alder"].to_numpy()[use])
    flat = (pos[use] * len(INNER_AGE_GROUPS) + age) * len(CATEGORIES) + cat[use]
    counts = np.bincount(flat, minlength=len(unit_codes) * len(INNER_AGE_GROUPS) * len(CATEGORIES))
    return pd.DataFrame(
        {
            "unit": np.repeat(unit_codes, len(INNER_AGE_GROUPS) * len(CATEGORIES)),
            "aldersgruppe": np.tile(np.repeat(INNER_AGE_GROUPS, len(CATEGORIES)), len(unit_codes)),
            "kategori": np.tile(CATEGORIES, len(unit_codes) * len(INNER_AGE_GROUPS)),
            "antall": counts.astype("int64"),
        }
    )


def aggregate(inner: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Every published cell: region × aldersgruppe (incl. ``alle``) × kategori (incl. ``nevner``).

    Returns ``niva, region, region_navn, aldersgruppe, kategori, antall``; a region is the sum of
    its units, ``alle`` the sum of the three age groups, ``nevner`` the sum of the four categories.
    """
    regions = members.drop_duplicates("region")[["niva", "region", "region_navn"]].reset_index(drop=True)
    reg_pos = pd.Index(regions["region"]).get_indexer(members["region"])
    units = pd.Index(pd.unique(inner["unit"]))
    n_age, n_cat = len(INNER_AGE_GROUPS), len(CATEGORIES)
    cube = np.zeros((len(units), n_age, n_cat), dtype="int64")
    cube[
        units.get_indexer(inner["unit"]),
        pd.Index(INNER_AGE_GROUPS).get_indexer(inner["aldersgruppe"]),
        pd.Index(CATEGORIES).get_indexer(inner["kategori"]),
    ] = inner["antall"].to_numpy()
    unit_pos = units.get_indexer(members["unit"])
    if (unit_pos < 0).any():
        raise ValueError("members names a unit that has no inner counts")
    # sum units into regions
    out = np.zeros((len(regions), n_age, n_cat), dtype="int64")
    np.add.at(out, reg_pos, cube[unit_pos])
    # add 'alle' (first) and 'nevner' (last)
    full = np.zeros((len(regions), n_age + 1, n_cat + 1), dtype="int64")
    full[:, 1:, :n_cat] = out
    full[:, 0, :n_cat] = out.sum(axis=1)
    full[:, :, n_cat] = full[:, :, :n_cat].sum(axis=2)
    kat = list(CATEGORIES) + [TOTAL]
    per_region = len(AGE_GROUPS) * len(kat)
    return pd.DataFrame(
        {
            "niva": np.repeat(regions["niva"].to_numpy(), per_region),
            "region": np.repeat(regions["region"].to_numpy(), per_region),
            "region_navn": np.repeat(regions["region_navn"].to_numpy(), per_region),
            "aldersgruppe": np.tile(np.repeat(AGE_GROUPS, len(kat)), len(regions)),
            "kategori": np.tile(kat, len(regions) * len(AGE_GROUPS)),
            "antall": full.reshape(-1),
        }
    )
