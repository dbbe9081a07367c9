"""The synthetic demo extract (kvi_core/demo.py): format of docs/DATA_CONTRACT.md §1 and realism."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kvi_core.demo import COLUMNS, demo_kommune_effects, make_demo_extract, write_demo_extract
from kvi_core.geography import bydel_names, kommuner

YEARS = list(range(2020, 2025))
N = 20_000
NEED = ["kode_09", "kode_11", "kode_13", "kode_15"]
RECEIVES = ["kode_10", "kode_12", "kode_14", "kode_16"]
BYDEL_KOMMUNER = {"0301", "4601", "5001"}


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return make_demo_extract(YEARS, persons_per_year=N, seed=7)


def _age(df: pd.DataFrame) -> pd.Series:
    return df["aar"] - df["fodselsaar"]


def test_columns_and_dtypes(df):
    assert (
        list(df.columns)
        == COLUMNS
        == [
            "aar",
            "person_id",
            "kommunenr",
            "fodselsaar",
            "kjonn",
            "bydelsnr",
            "kode_09",
            "kode_10",
            "kode_11",
            "kode_12",
            "kode_13",
            "kode_14",
            "kode_15",
            "kode_16",
        ]
    )
    for c in ("aar", "fodselsaar", "kjonn"):
        assert pd.api.types.is_integer_dtype(df[c]) and not df[c].isna().any(), c
    for c in ("person_id", "kommunenr"):
        assert df[c].map(type).eq(str).all(), c
    assert df["kommunenr"].str.fullmatch(r"\d{4}").all()
    assert set(df["kjonn"]) == {1, 2}
    by = df["bydelsnr"].dropna()
    assert by.map(type).eq(str).all() and by.str.fullmatch(r"\d{6}").all()
    for c in NEED:
        assert pd.api.types.is_integer_dtype(df[c])
        assert set(df[c].dropna().unique()) == {1, 2, 9}, c
        assert df[c].isna().any()
    for c in RECEIVES:
        assert pd.api.types.is_integer_dtype(df[c])
        assert set(df[c].dropna().unique()) == {1, 2, 3}, c
        assert df[c].isna().any()
    age = _age(df)
    assert age.min() >= 0 and age.max() <= 110


def test_sizes_follow_national_series(df):
    n = df.groupby("aar").size()
    assert n[2024] == N
    # KPR national counts 2020/2024 = 371 319 / 399 263
    assert n[2020] == round(N * 371_319 / 399_263)
    assert (n.diff().dropna() > 0).all()


def test_deterministic_and_seeded(df):
    again = make_demo_extract(YEARS, persons_per_year=N, seed=7)
    pd.testing.assert_frame_equal(df, again)
    other = make_demo_extract([2024], persons_per_year=2_000, seed=8)
    assert not set(other["person_id"]) & set(df["person_id"])


def test_written_csv_is_byte_identical_and_clean(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "sub" / "b.csv"
    write_demo_extract(a, [2023, 2024], persons_per_year=3_000, seed=3)
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and "SYNTHETIC" in line and str(a) in line
    write_demo_extract(b, [2023, 2024], persons_per_year=3_000, seed=3)
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert "nan" not in text.lower() and ".0" not in text and '"' not in text
    assert len(lines) == 1 + 3_000 + round(3_000 * 397_240 / 399_263)
    back = pd.read_csv(a, dtype=str, keep_default_na=False)
    assert back["kommunenr"].str.fullmatch(r"\d{4}").all()
    assert set(back["kode_10"]) <= {"", "1", "2", "3"}
    meta = json.loads((tmp_path / "a.csv.metadata.json").read_text(encoding="utf-8"))
    assert meta == {
        "syntetisk": True,
        "generator": "kvi demo-data",
        "seed": 3,
        "years": [2023, 2024],
        "persons_per_year": 3_000,
    }


def test_parquet_output(tmp_path):
    out = tmp_path / "demo.parquet"
    write_demo_extract(out, [2024], persons_per_year=1_000, seed=1)
    back = pd.read_parquet(out)
    assert list(back.columns) == COLUMNS and len(back) == 1_000
    pd.testing.assert_frame_equal(back, make_demo_extract([2024], 1_000, 1), check_dtype=False)
    assert json.loads(out.with_name("demo.parquet.metadata.json").read_text())["syntetisk"] is True


def test_kommunenr_valid_for_year_and_bydel_consistent(df):
    for aar, g in df.groupby("aar"):
        valid = set(kommuner(aar)["kommunenr"])
        assert set(g["kommunenr"]) <= valid, aar
        assert len(set(g["kommunenr"])) > 0.9 * len(valid)
    has = df["bydelsnr"].notna()
    assert set(df.loc[has, "kommunenr"]) == BYDEL_KOMMUNER
    assert (df.loc[has, "bydelsnr"].str[:4] == df.loc[has, "kommunenr"]).all()
    assert set(df.loc[has, "bydelsnr"]) <= set(bydel_names())
    missing = df.loc[df["kommunenr"].isin(BYDEL_KOMMUNER), "bydelsnr"].isna().mean()
    assert 0.005 < missing < 0.08


def test_geography_changes_between_years(df):
    codes = {aar: set(g["kommunenr"]) for aar, g in df.groupby("aar")}
    for aar in range(2020, 2024):
        assert "3001" in codes[aar] and "3101" not in codes[aar]
        assert "1507" in codes[aar] and not {"1508", "1580"} & codes[aar]
    assert "3101" in codes[2024] and "3001" not in codes[2024]
    assert {"1508", "1580"} <= codes[2024] and "1507" not in codes[2024]
    # 1507 persons continuing into 2024 end up in 1508 or 1580, split by place (Haram ~14 %)
    y23 = df[(df["aar"] == 2023) & (df["kommunenr"] == "1507")]
    y24 = df[df["aar"] == 2024].set_index("person_id")
    cont = y24.loc[y24.index.intersection(y23["person_id"]), "kommunenr"]
    assert set(cont) == {"1508", "1580"}
    assert 0.05 < (cont == "1580").mean() < 0.3


def test_ids_unique_pseudonymous_and_persistent(df):
    assert not df.duplicated(["aar", "person_id"]).any()
    assert df["person_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert not df["person_id"].str.fullmatch(r"\d{11}").any()
    a = df[df["aar"] == 2023].set_index("person_id")
    b = df[df["aar"] == 2024].set_index("person_id")
    common = a.index.intersection(b.index)
    assert 0.5 < len(common) / len(b) < 0.9  # persistence with turnover
    assert (a.loc[common, "fodselsaar"] == b.loc[common, "fodselsaar"]).all()
    assert (a.loc[common, "kjonn"] == b.loc[common, "kjonn"]).all()


def test_age_and_sex_mix(df):
    # KPR 2022: 0-17 5.0 %, 18-66 36.2 %, 67+ 58.8 %; women 62.8 % of 67+
    g = df[df["aar"] == 2022]
    age = _age(g)
    assert abs((age < 18).mean() - 0.050) < 0.012
    assert abs(age.between(18, 66).mean() - 0.362) < 0.03
    assert abs((age >= 67).mean() - 0.588) < 0.03
    assert abs((age >= 90).mean() - 0.129) < 0.03
    assert abs((g.loc[age >= 67, "kjonn"] == 2).mean() - 0.628) < 0.03
    assert (g.loc[age < 18, "kjonn"] == 2).mean() < 0.45


def test_need_prevalence_and_concentration(df):
    age = _age(df)
    prev = {c: (df[c] == 1).mean() for c in NEED}
    for c, p in prev.items():
        assert 0.01 < p < 0.2, (c, p)
        need = df[c] == 1
        assert (age[need] <= 66).mean() > 0.7, c  # concentrated in 0-66 ...
        assert (age[need] >= 67).any(), c  # ... but some 67+
        assert (
            df.loc[need & (age <= 66)].shape[0] / (age <= 66).sum()
            > 4 * df.loc[need & (age >= 67)].shape[0] / (age >= 67).sum()
        )
    assert prev["kode_13"] > prev["kode_09"] and prev["kode_15"] > prev["kode_11"]
    for n, r in zip(NEED, RECEIVES):
        assert df.loc[df[n] != 1, r].isna().mean() > 0.95
        assert df.loc[df[n].isna(), r].isna().all()
        got = df.loc[df[n] == 1, r]
        assert 0.5 < (got == 1).mean() < 0.9 and 0.05 < got.isna().mean() < 0.35


def test_between_kommune_variation(df):
    g = df[(df["aar"] == 2024) & (df["kode_13"] == 1)]
    x = g.groupby("kommunenr")["kode_14"].agg(n="size", k=lambda s: int((s == 1).sum()))
    x = x[x["n"] >= 10]
    p = x["k"].sum() / x["n"].sum()
    dispersion = ((x["k"] - x["n"] * p) ** 2 / (x["n"] * p * (1 - p))).sum() / (len(x) - 1)
    assert dispersion > 1.5  # binomial variation alone gives about 1
    # some kommuner report receipts poorly (all years and indicators pooled)
    rec = pd.concat(
        [df.loc[df[n] == 1, ["kommunenr", r]].set_axis(["kommunenr", "r"], axis=1) for n, r in zip(NEED, RECEIVES)]
    )
    unrep = rec.groupby("kommunenr")["r"].agg(n="size", u=lambda s: s.isna().mean())
    national = rec["r"].isna().mean()
    assert (unrep.loc[unrep["n"] >= 30, "u"] > max(0.45, 2.5 * national)).any()


def test_small_counts_exist(df):
    g = df[df["aar"] == 2024]
    persons = g.groupby("kommunenr").size()
    assert (persons < 5).any()
    need = (g[NEED] == 1).groupby(g["kommunenr"]).sum()
    assert ((need >= 1) & (need <= 4)).any(axis=None)


def test_coverage_trend(df):
    innf = []
    for _aar, g in df.groupby("aar"):
        rec = pd.concat([g.loc[g[n] == 1, r] for n, r in zip(NEED, RECEIVES)])
        innf.append((rec.dropna() == 1).mean())
    assert innf[-1] > innf[0]


def test_bad_years():
    with pytest.raises(ValueError):
        make_demo_extract([2019], persons_per_year=100)
    with pytest.raises(ValueError):
        make_demo_extract([], persons_per_year=100)


def test_kommune_effects_are_documented_and_visible(df):
    eff = demo_kommune_effects(seed=7)
    assert len(eff) == 356 and eff["few_needs"].any() and eff["poor_reporter"].any()
    assert eff["low_coverage"].any()
    # low-coverage kommuner really have a lower innfridd share than the others (2020 codes)
    g = df[(df["aar"] < 2024)]
    rec = pd.concat(
        [g.loc[g[n] == 1, ["kommunenr", r]].set_axis(["kommunenr", "r"], axis=1) for n, r in zip(NEED, RECEIVES)]
    ).dropna()
    low = rec["kommunenr"].isin(eff.loc[eff["low_coverage"], "kommunenr"])
    assert (rec.loc[low, "r"] == 1).mean() < (rec.loc[~low, "r"] == 1).mean() - 0.1
