"""The time series in the newest geography: re-labels, breaks, and hidden cells staying hidden."""

from __future__ import annotations

import pandas as pd
import pytest
from published_rows import frame, published_row, share

from kvi_core import geography
from kvi_core.comparison import add_confidence_intervals
from kvi_core.timeseries import TIDSSERIE_COLUMNS, breaks, region_map, tidsserie

YEARS = range(2020, 2025)


def row(aar, niva, region, antall, nevner, maltall=1, indikator="ind_a", navn=None):
    return published_row(indikator, aar, niva, region, navn or f"Navn {region} {aar}", antall, nevner, maltall)


def as_table(rows) -> pd.DataFrame:
    return add_confidence_intervals(frame(rows))


def members_for(years, bydeler=None) -> pd.DataFrame:
    bydeler = bydeler or {}
    return pd.concat(
        [
            geography.membership(y, geography.demo_kostra_grouping(y), bydeler.get(y, ())).assign(aar=y)[
                ["aar", "unit", "niva", "region", "region_navn"]
            ]
            for y in years
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def members() -> pd.DataFrame:
    return members_for(YEARS)


def reform_table() -> pd.DataFrame:
    rows = []
    for y in YEARS:
        old = y < 2024
        rows.append(row(y, "land", "EAK", 6000 + y, 10000))
        rows.append(row(y, "fylke", "EKA03", 500 + y % 10, 900))
        rows.append(row(y, "kommune", "0301", 500 + y % 10, 900))
        rows.append(row(y, "kommune", "1833", 40 + y % 10, 70))
        rows.append(row(y, "kostragruppe", "EKG13", 500 + y % 10, 900))
        rows.append(row(y, "kostragruppe", "EKG01", 30 + y % 10, 60))
        rows.append(row(y, "kostragruppe", "EKG11", 130 + y % 10, 260))
        rows.append(row(y, "kommune", "0301", 9, 20, maltall=5))
        if old:
            # Halden: antall hidden in 2021, antall and nevner hidden in 2022
            rows.append(
                row(y, "kommune", "3001", None if y in (2021, 2022) else 20 + y % 10, None if y == 2022 else 31)
            )
            rows.append(row(y, "kommune", "1507", 60 + y % 10, 100))
            rows.append(row(y, "fylke", "EKA30", 900 + y % 10, 1500))
        else:
            rows.append(row(y, "kommune", "3101", 25, 33))
            rows.append(row(y, "kommune", "1508", 50, 80))
            rows.append(row(y, "kommune", "1580", 12, 20))
            for f, k, n in (("EKA31", 300, 500), ("EKA32", 400, 600), ("EKA33", 250, 400)):
                rows.append(row(y, "fylke", f, k, n))
    return as_table(rows)


@pytest.fixture(scope="module")
def ts(members) -> pd.DataFrame:
    return tidsserie(reform_table(), members)


def get(ts, region, aar, maltall=1):
    r = ts[(ts["region"] == region) & (ts["aar"] == aar) & (ts["maltall"] == maltall)]
    assert len(r) == 1, (region, aar, maltall, len(r))
    return r.iloc[0]


def test_columns_and_types(ts):
    assert list(ts.columns) == TIDSSERIE_COLUMNS
    assert ts["brudd"].dtype == bool and ts["prikket"].dtype == bool
    assert str(ts["antall"].dtype) == "Int64" and str(ts["nevner"].dtype) == "Int64"
    assert not ts.duplicated(["indikator", "aar", "niva", "region", "maltall"]).any()
    # every region of the newest geography, every year, every måltall of the table
    regions_2024 = geography.regions(geography.membership(2024, geography.demo_kostra_grouping(2024)))
    assert len(ts) == len(regions_2024) * len(YEARS) * 2
    assert set(ts["region"]) == set(regions_2024["region"])


def test_halden_relabelled_3001_to_3101(ts):
    for y in (2020, 2023):
        r = get(ts, "3101", y)
        assert r["kilde_region"] == "3001" and not r["brudd"]
        assert r["region_navn"] == "Halden"
        assert r["antall"] == 20 + y % 10 and r["nevner"] == 31
        assert r["andel"] == share(20 + y % 10, 31)
        assert not pd.isna(r["ki_nedre"])
    r = get(ts, "3101", 2024)
    assert r["kilde_region"] == "3101" and not r["brudd"] and r["antall"] == 25
    assert "3001" not in set(ts["region"])


def test_hidden_cells_stay_hidden(ts):
    r = get(ts, "3101", 2021)  # antall hidden, nevner shown
    assert r["prikket"] and not r["brudd"]
    assert pd.isna(r["antall"]) and r["nevner"] == 31 and pd.isna(r["andel"])
    assert pd.isna(r["ki_nedre"]) and pd.isna(r["ki_ovre"])
    r = get(ts, "3101", 2022)  # antall and nevner hidden
    assert r["prikket"] and pd.isna(r["antall"]) and pd.isna(r["nevner"]) and pd.isna(r["andel"])


def test_never_a_number_that_was_not_published(ts):
    t = reform_table()
    pub = t.set_index(["indikator", "aar", "niva", "region", "maltall"])
    shown = ts[ts["antall"].notna() | ts["nevner"].notna() | ts["andel"].notna()]
    for r in shown.itertuples(index=False):
        src = pub.loc[(r.indikator, r.aar, r.niva, r.kilde_region, r.maltall)]
        for c in ("antall", "nevner", "andel", "ki_nedre", "ki_ovre", "prikket"):
            a, b = getattr(r, c), src[c]
            assert (pd.isna(a) and pd.isna(b)) or a == b, (r.region, r.aar, c)


def test_alesund_split_is_a_break(ts):
    for region in ("1508", "1580"):
        for y in range(2020, 2024):
            r = get(ts, region, y)
            assert r["brudd"] and r["kilde_region"] == "1507"
            assert pd.isna(r["antall"]) and pd.isna(r["nevner"]) and pd.isna(r["andel"])
            assert pd.isna(r["ki_nedre"]) and not r["prikket"]
        r = get(ts, region, 2024)
        assert not r["brudd"] and r["kilde_region"] == region and not pd.isna(r["andel"])
    assert get(ts, "1580", 2020)["region_navn"] == "Haram"
    assert "1507" not in set(ts["region"])


def test_divided_fylke_is_a_break_oslo_is_not(ts):
    r = get(ts, "EKA31", 2023)
    assert r["brudd"] and r["kilde_region"] == "EKA30" and pd.isna(r["andel"])
    assert get(ts, "EKA55", 2023)["kilde_region"] == "EKA54"
    assert get(ts, "EKA40", 2020)["kilde_region"] == "EKA38"
    r = get(ts, "EKA03", 2023)
    assert not r["brudd"] and r["kilde_region"] == "EKA03" and r["antall"] == 503
    # Møre og Romsdal keeps its kommuner (Ålesund + Haram together = old Ålesund)
    assert not get(ts, "EKA15", 2020)["brudd"]
    assert not get(ts, "EKA31", 2024)["brudd"] and get(ts, "EKA31", 2024)["antall"] == 300


def test_land_always_comparable_and_renamed_kommune(ts):
    land = ts[ts["region"] == "EAK"]
    assert not land["brudd"].any() and (land["kilde_region"] == "EAK").all()
    assert get(ts, "EAK", 2021)["antall"] == 6000 + 2021
    r = get(ts, "1833", 2020)
    assert r["region_navn"] == "Rana - Raane" and not r["brudd"] and r["antall"] == 40


def test_kostra_group_with_changed_membership_is_a_break(ts):
    # demo grouping: old 1507 (EKG11) became 1508 (EKG11) and 1580 (EKG01)
    r = get(ts, "EKG01", 2023)
    assert r["brudd"] and pd.isna(r["kilde_region"]) and pd.isna(r["antall"])  # two sources: none named
    assert get(ts, "EKG11", 2023)["kilde_region"] == "EKG11"
    assert get(ts, "EKG11", 2023)["brudd"]
    r = get(ts, "EKG13", 2023)
    assert not r["brudd"] and r["antall"] == 503


def test_breaks_helper(ts):
    b = breaks(ts, "1580", "ind_a")
    assert b["aar"].tolist() == [2020, 2021, 2022, 2023] and set(b["kilde_region"]) == {"1507"}
    assert breaks(ts, "0301").empty


def test_kostra_change_within_one_classification():
    # hand-made members: 2024 and 2025 share the 2024 classification, but the grouping changed
    def m(aar, groups):
        rows = []
        for g, units in groups.items():
            for u in units:
                rows += [
                    (aar, u, "land", "EAK", "Hele landet"),
                    (aar, u, "kostragruppe", g, g),
                    (aar, u, "kommune", u, u),
                ]
        return rows

    mem = pd.DataFrame(
        m(2024, {"EKG01": ["0301", "1101"], "EKG02": ["1103"], "EKG03": ["1106"]})
        + m(2025, {"EKG01": ["0301"], "EKG02": ["1101", "1103"], "EKG04": ["1106"]}),
        columns=["aar", "unit", "niva", "region", "region_navn"],
    )
    rm = region_map(mem, 2024).set_index("region")
    assert rm.loc["EKG01", "brudd"] and rm.loc["EKG01", "kilde_region"] == "EKG01"
    assert rm.loc["EKG02", "brudd"] and pd.isna(rm.loc["EKG02", "kilde_region"])
    assert rm.loc["EKG02", "kilder"] == "EKG01+EKG02"
    # a renumbered group with the same kommuner is a re-label
    assert not rm.loc["EKG04", "brudd"] and rm.loc["EKG04", "kilde_region"] == "EKG03"
    assert not rm.loc["1101", "brudd"]


def test_bydeler_map_to_themselves_and_kommune_survives_bydel_units():
    mem = members_for([2023, 2024], bydeler={2023: ["030101", "030102"], 2024: ["030101", "030102"]})
    rm = region_map(mem, 2023).set_index("region")
    assert not rm.loc["030101", "brudd"] and rm.loc["030101", "kilde_region"] == "030101"
    # Oslo published with bydel units in 2023 but not in 2024: still the same kommune
    mem2 = members_for([2023, 2024], bydeler={2023: ["030101", "030102"]})
    rm2 = region_map(mem2, 2023).set_index("region")
    assert not rm2.loc["0301", "brudd"] and not rm2.loc["EKA03", "brudd"]
    assert "030101" not in rm2.index  # the newest geography has no bydeler


def test_codes_without_leading_zeros_are_understood(tmp_path, members):
    # regioner.csv / indikatorer.csv read back without dtype=str lose leading zeros
    p = tmp_path / "regioner.csv"
    members.to_csv(p, index=False)
    back = pd.read_csv(p)
    t = reform_table()
    ts = tidsserie(t, back)
    assert get(ts, "0301", 2021)["antall"] == 501
    t2 = t.assign(region=t["region"].where(t["niva"] != "kommune", t["region"].str.lstrip("0")))
    ts2 = tidsserie(t2, members)
    assert get(ts2, "0301", 2021)["antall"] == 501


def test_single_year_is_identity(members):
    t = reform_table()
    ts = tidsserie(t[t["aar"] == 2024], members)
    assert not ts["brudd"].any()
    shown = ts[ts["antall"].notna()]
    assert (shown["kilde_region"] == shown["region"]).all()


def test_missing_year_in_members_is_an_error(members):
    with pytest.raises(ValueError, match="2020"):
        tidsserie(reform_table(), members[members["aar"] != 2020])
