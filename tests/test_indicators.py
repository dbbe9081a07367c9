"""The indicator arithmetic on hand-computed data, and its invariants on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kvi_core import geography
from kvi_core.indicators import age_group_index, aggregate, inner_counts, unit_positions
from kvi_core.intake import read_extract
from kvi_core.output import long_table, share_percent
from kvi_core.pipeline import year_geography
from kvi_core.specs import AGE_GROUPS, CATEGORIES, INNER_AGE_GROUPS, load_specs, maltall

SPECS = {s.id: s for s in load_specs()}


def hand_table(path, indikator="arbeid_utdanning_bistand"):
    ex = read_extract(path, list(SPECS.values()))
    geo = year_geography(ex.persons, 2024, None)
    pos = unit_positions(ex.persons, geo.unit_codes)
    inner = inner_counts(ex.persons, SPECS[indikator], pos, geo.unit_codes, ex.excluded[indikator])
    return long_table(aggregate(inner, geo.members), indikator, 2024).set_index(["region", "maltall"])


def test_hand_computed_oslo(hand_extract):
    t = hand_table(hand_extract)
    expected = {  # maltall: (antall, nevner)
        1: (3, 6),
        2: (1, 2),
        3: (1, 3),
        4: (1, 1),
        5: (1, 6),
        6: (1, 2),
        7: (0, 3),
        8: (0, 1),
        9: (1, 6),
        10: (0, 2),
        11: (1, 3),
        12: (0, 1),
        13: (1, 6),
        14: (0, 2),
        15: (1, 3),
        16: (0, 1),
    }
    for region in ("0301", "EKA03", "EAK"):
        for m, (k, n) in expected.items():
            assert (t.loc[(region, m), "antall"], t.loc[(region, m), "nevner"]) == (k, n), (region, m)
    assert t.loc[("0301", 1), "andel"] == 50.0
    assert t.loc[("0301", 3), "andel"] == 33.3
    assert t.loc[("0301", 1), "kategori"] == "innfridd" and t.loc[("0301", 16), "aldersgruppe"] == "67+"


def test_every_region_gets_rows_and_zero_is_a_number(hand_extract):
    t = hand_table(hand_extract).reset_index()
    assert t["region"].nunique() == 1 + 15 + 16 + 357  # land, fylker, demo groups, kommuner (2024)
    eig = t[t["region"] == "1101"]
    assert len(eig) == 16 and (eig["nevner"] == 0).all() and eig["andel"].isna().all()


def test_other_indicator_counts_its_own_columns(hand_extract):
    t = hand_table(hand_extract, "kultur_fritid_bistand")
    assert t.loc[("1101", 5), "antall"] == 1 and t.loc[("1101", 1), "nevner"] == 1
    assert t.loc[("0301", 1), "nevner"] == 0


def test_age_boundaries():
    assert list(age_group_index(np.array([0, 17, 18, 66, 67, 125]))) == [0, 0, 1, 1, 2, 2]


def test_maltall_numbering():
    assert [maltall(k, a) for k in CATEGORIES for a in AGE_GROUPS] == list(range(1, 17))


def test_share_rounds_half_away_from_zero_exactly():
    # 1/8 = 12.5 % -> 12.5; 1/16 = 6.25 -> 6.3; 1/3 = 33.33 -> 33.3; 2/3 -> 66.7; 0/0 -> empty
    got = share_percent(np.array([1, 1, 1, 2, 0, 1]), np.array([8, 16, 3, 3, 0, 2000]))
    assert list(got[:4]) == [12.5, 6.3, 33.3, 66.7] and np.isnan(got[4]) and got[5] == 0.1


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.lists(st.integers(0, 9), min_size=12, max_size=12))
def test_invariants_on_random_counts(seed, small):
    """categories sum to nevner, ages sum to alle, kommuner sum to fylke, KOSTRA group and land."""
    rng = np.random.default_rng(seed)
    grouping = geography.demo_kostra_grouping(2024)
    members = geography.membership(2024, grouping, ["030101", "030102"])
    units = list(pd.unique(members["unit"]))
    counts = rng.poisson(3, size=len(units) * 12)
    counts[:12] = small
    inner = pd.DataFrame(
        {
            "unit": np.repeat(units, 12),
            "aldersgruppe": np.tile(np.repeat(INNER_AGE_GROUPS, 4), len(units)),
            "kategori": np.tile(CATEGORIES, len(units) * 3),
            "antall": counts,
        }
    )
    cells = aggregate(inner, members).set_index(["niva", "region", "aldersgruppe", "kategori"])["antall"]
    c = cells.unstack("kategori")
    assert (c[list(CATEGORIES)].sum(axis=1) == c["nevner"]).all()
    a = cells.unstack("aldersgruppe")
    assert (a[list(INNER_AGE_GROUPS)].sum(axis=1) == a["alle"]).all()
    kom = cells.xs("kommune", level="niva")
    total = kom.groupby(level=["aldersgruppe", "kategori"]).sum()
    land = cells.xs(("land", "EAK"), level=["niva", "region"])
    assert (land.sort_index() == total.sort_index()).all()
    for niva, key in (
        ("fylke", lambda k: "EKA" + k[:2]),
        ("kostragruppe", dict(zip(grouping.table["kommunenr"], grouping.table["kostragruppe"])).get),
    ):
        k = kom.reset_index()
        k["region"] = k["region"].map(key)
        summed = k.groupby(["region", "aldersgruppe", "kategori"])["antall"].sum()
        assert (cells.xs(niva, level="niva").sort_index() == summed.sort_index()).all()
    byd = cells.xs("bydel", level="niva").groupby(level=["aldersgruppe", "kategori"]).sum()
    assert (byd.sort_index() <= cells.xs(("kommune", "0301"), level=["niva", "region"]).sort_index()).all()
