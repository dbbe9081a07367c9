"""Wilson intervals, funnel limits, funnel positions (variasjon.csv) and the barometer signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from published_rows import frame, published_row
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint

from kvi_core.comparison import (
    POSITIONS,
    UNCERTAIN_WIDTH,
    VARIASJON_COLUMNS,
    add_confidence_intervals,
    classify,
    funnel_limits,
    funnel_limits_counts,
    land_shares,
    outliers,
    round_half_away,
    signal,
    variasjon,
    wilson_interval,
)


def row(region, antall, nevner, niva="kommune", navn=None, maltall=1, indikator="ind_a", aar=2024):
    """One contract §4 row; antall/nevner None = hidden."""
    return published_row(indikator, aar, niva, region, navn or f"Navn {region}", antall, nevner, maltall)


def table(rows) -> pd.DataFrame:
    return frame(rows)


# --- rounding and Wilson ------------------------------------------------------------------------


def test_round_half_away_from_zero():
    got = round_half_away([0.05, 0.15, 0.25, 2.675, 1.449, -0.05, -2.25, 12.35, np.nan])
    np.testing.assert_array_equal(got[:-1], [0.1, 0.2, 0.3, 2.7, 1.4, -0.1, -2.3, 12.4])
    assert np.isnan(got[-1])


def test_wilson_matches_statsmodels_on_random_counts():
    rng = np.random.default_rng(20240)
    n = rng.integers(1, 600, size=2000)
    k = (rng.random(2000) * (n + 1)).astype(int).clip(0, n)
    n = np.concatenate([n, [1, 1, 7, 7, 50, 50, 1000, 3]])
    k = np.concatenate([k, [0, 1, 0, 7, 0, 50, 1000, 0]])
    assert (k == 0).any() and (k == n).any()
    lo, hi = wilson_interval(k, n)
    slo, shi = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, np.asarray(slo) * 100, atol=1e-9)
    np.testing.assert_allclose(hi, np.asarray(shi) * 100, atol=1e-9)


def test_wilson_empty_for_zero_denominator_and_missing():
    lo, hi = wilson_interval([0, np.nan, 3], [0, 10, np.nan])
    assert np.isnan(lo).all() and np.isnan(hi).all()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_share_and_stays_in_0_100(kn):
    k, n = kn
    lo, hi = wilson_interval(k, n)
    assert 0 <= lo <= 100 * k / n + 1e-9 <= hi + 2e-9 <= 100 + 2e-9


def test_add_confidence_intervals_one_decimal_and_empty_where_andel_empty():
    t = table(
        [
            row("1101", 3, 17),
            row("1103", None, 40),
            row("1106", 0, 0),
            row("1108", 0, 12),
            row("1111", 12, 12),
            row("1112", None, None),
        ]
    )
    out = add_confidence_intervals(t)
    assert list(out.columns[-2:]) == ["ki_nedre", "ki_ovre"]
    slo, shi = proportion_confint([3, 0, 12], [17, 12, 12], method="wilson")
    exp_lo = round_half_away(np.asarray(slo) * 100)
    exp_hi = round_half_away(np.asarray(shi) * 100)
    got = out.set_index("region")
    np.testing.assert_array_equal(got.loc[["1101", "1108", "1111"], "ki_nedre"], exp_lo)
    np.testing.assert_array_equal(got.loc[["1101", "1108", "1111"], "ki_ovre"], exp_hi)
    assert got.loc["1108", "ki_nedre"] == 0.0 and got.loc["1111", "ki_ovre"] == 100.0
    for r in ("1103", "1106", "1112"):  # hidden antall, nevner 0, both hidden
        assert np.isnan(got.loc[r, "ki_nedre"]) and np.isnan(got.loc[r, "ki_ovre"])
    shown = out["ki_nedre"].notna()
    assert (out.loc[shown, "ki_nedre"] * 10 == (out.loc[shown, "ki_nedre"] * 10).round()).all()
    assert (out.loc[shown, "ki_nedre"] <= out.loc[shown, "andel"]).all()
    assert (out.loc[shown, "andel"] <= out.loc[shown, "ki_ovre"]).all()


# --- funnel limits ------------------------------------------------------------------------------


def test_funnel_limits_hand_worked_p50_n10_95():
    # Bin(10, 0.5): F(1) = 11/1024, F(2) = 56/1024. q = 0.025 -> r = 2,
    # a = (56/1024 - 0.025) / (45/1024) = (56 - 25.6) / 45 = 0.675556; lower = (2 - a)/10 = 13.2444 %.
    # Symmetric p0 -> upper = 100 - 13.2444 = 86.7556 %.
    lo, hi = funnel_limits(0.5, 10, 0.95)
    assert lo == pytest.approx(100 * (2 - 30.4 / 45) / 10, abs=1e-9)
    assert hi == pytest.approx(100 - 100 * (2 - 30.4 / 45) / 10, abs=1e-9)
    assert lo == pytest.approx(13.2444, abs=1e-4)


def test_funnel_limits_hand_worked_p50_n20_998():
    # Bin(20, 0.5): F(2) = 211/2^20, F(3) = 1351/2^20. q = 0.001 -> r = 3,
    # a = (1351 - 1048.576) / 1140 = 0.265284; lower = (3 - a)/20 = 13.6736 %.
    lo, hi = funnel_limits(0.5, 20, 0.998)
    assert lo == pytest.approx(100 * (3 - 302.424 / 1140) / 20, abs=1e-9)
    assert hi == pytest.approx(100 - 100 * (3 - 302.424 / 1140) / 20, abs=1e-9)
    # "99.8", 99.8 and "998" mean the same level
    assert funnel_limits(0.5, 20, "998") == funnel_limits(0.5, 20, 99.8) == (lo, hi)


def test_funnel_limits_hand_worked_p80_n10_95():
    # Lower: Bin(10, 0.8): F(4) = 0.0063693824, F(5) = 0.0327934976; r = 5,
    # a = (0.0327934976 - 0.025) / (0.0327934976 - 0.0063693824) = 0.294939; lower = 47.0506 %.
    # Upper: complement Bin(10, 0.2): F(0) = 0.8^10 = 0.1073741824 >= 0.025 -> r = 0,
    # a = (0.1073741824 - 0.025) / 0.1073741824 = 0.767169; upper = 10 - (0 - a) = 10.767 -> 100 %.
    lo, hi = funnel_limits(0.8, 10, 0.95)
    a = (0.0327934976 - 0.025) / (0.0327934976 - 0.0063693824)
    assert lo == pytest.approx(100 * (5 - a) / 10, abs=1e-7)
    assert hi == 100.0
    lo_c, hi_c = funnel_limits_counts(0.8, 10, 0.95)
    assert hi_c == pytest.approx(10 + (0.1073741824 - 0.025) / 0.1073741824, abs=1e-9)
    # so 10 of 10 is not "over" (P(R = 10) = 10.7 %) ...
    assert classify([10], [10], 0.8)[0] == "innenfor"
    # ... and 4 of 10 is "under" (P(R <= 4) = 0.64 %)
    assert classify([4, 5], [10, 10], 0.8).tolist() == ["under_95", "innenfor"]


def test_funnel_limits_degenerate_land_share():
    # p0 = 0: complement Bin(5, 1) has F(4) = 0, F(5) = 1 -> r = 5, a = 0.975, so upper = 5 - 4.025
    lo, hi = funnel_limits(0.0, 5, 0.95)
    assert lo == 0.0 and hi == pytest.approx(19.5)
    assert classify([0, 1], [5, 5], 0.0).tolist() == ["innenfor", "over_998"]
    assert classify([5, 4], [5, 5], 1.0).tolist() == ["innenfor", "under_998"]


def test_funnel_limits_vectorised_narrowing_and_nested():
    n = np.arange(1, 400)
    lo95, hi95 = funnel_limits(0.62, n, 0.95)
    lo998, hi998 = funnel_limits(0.62, n, 0.998)
    assert lo95.shape == n.shape
    assert (lo998 <= lo95 + 1e-12).all() and (hi95 <= hi998 + 1e-12).all()
    assert (lo95 <= 62).all() and (hi95 >= 62).all()
    assert hi95[-1] - lo95[-1] < hi95[20] - lo95[20] < hi95[2] - lo95[2]
    with pytest.raises(ValueError):
        funnel_limits(62, 10, 0.95)  # p0 is a proportion, not percent


def test_classification_equals_exact_one_sided_binomial_tests():
    for p0 in (0.03, 0.3, 0.5, 0.615, 0.77, 0.97):
        for n in range(1, 70):
            k = np.arange(n + 1)
            pos = classify(k, np.full(k.shape, n), p0)
            lower_tail = binom.cdf(k, n, p0)
            upper_tail = binom.sf(k - 1, n, p0)
            exp = np.full(k.shape, "innenfor", dtype=object)
            exp[lower_tail < 0.025] = "under_95"
            exp[upper_tail < 0.025] = "over_95"
            exp[lower_tail < 0.001] = "under_998"
            exp[upper_tail < 0.001] = "over_998"
            assert pos.tolist() == exp.tolist(), (p0, n)


def test_method_text_names_the_method():
    from kvi_core.reporting.texts import METHOD_TEXT

    assert "eksakte binomiske" in METHOD_TEXT and "Spiegelhalter" in METHOD_TEXT
    assert "99,8 %" in METHOD_TEXT and "95 %" in METHOD_TEXT


# --- variasjon -----------------------------------------------------------------------------------


def constructed_table() -> pd.DataFrame:
    rows = [
        row("EAK", 600, 1000, niva="land", navn="Hele landet"),
        row("EKA11", 450, 900, niva="fylke", navn="Rogaland"),
        row("EKA15", None, 100, niva="fylke", navn="Møre og Romsdal"),
        row("EKG01", 40, 100, niva="kostragruppe"),
        row("030101", 30, 100, niva="bydel"),
        row("1101", 60, 100),  # P-values against 60 %: innenfor
        row("1103", 70, 100),  # P(R >= 70) = 0.0248 -> over_95
        row("1106", 75, 100),  # P(R >= 75) = 0.0012 -> over_95
        row("1108", 85, 100),  # P(R >= 85) = 5e-8 -> over_998
        row("1111", 50, 100),  # P(R <= 50) = 0.0271 -> innenfor
        row("1112", 48, 100),  # P(R <= 48) = 0.0100 -> under_95
        row("1114", 40, 100),  # P(R <= 40) = 4e-5 -> under_998
        row("1119", None, 100),  # antall hidden, nevner shown
        row("1120", None, None),  # both hidden
        row("1121", 0, 0),  # nobody with a need
        row("1122", 3, 3),  # 100 % of 3: P(R = 3) = 0.216 -> innenfor
        row("1101", 7, 100, maltall=5),  # not the main måltall
        row("1101", 10, 20, aar=2023),  # other year: its own land share (missing here)
    ]
    return table(rows)


def test_variasjon_positions_on_constructed_data():
    v = variasjon(constructed_table())
    assert list(v.columns) == VARIASJON_COLUMNS
    v24 = v[v["aar"] == 2024].set_index("region")
    assert set(v24["niva"]) == {"fylke", "kommune"}
    assert "EKG01" not in v24.index and "030101" not in v24.index and "EAK" not in v24.index
    exp = {
        "1101": "innenfor",
        "1103": "over_95",
        "1106": "over_95",
        "1108": "over_998",
        "1111": "innenfor",
        "1112": "under_95",
        "1114": "under_998",
        "1122": "innenfor",
        "EKA11": "under_998",  # 450/900 = 50 % with n = 900: P(R <= 450) < 0.001
    }
    for region, pos in exp.items():
        assert v24.loc[region, "posisjon"] == pos, region
    assert binom.cdf(450, 900, 0.6) < 0.001
    for region in ("1119", "1120", "1121", "EKA15"):
        assert pd.isna(v24.loc[region, "posisjon"]) and pd.isna(v24.loc[region, "andel"])
    # 2023 has no published land share: no positions at all
    assert v[v["aar"] == 2023]["posisjon"].isna().all()
    assert set(v["posisjon"].dropna()) <= set(POSITIONS)
    # fylke before kommune, codes sorted
    assert v24["niva"].tolist()[:2] == ["fylke", "fylke"]


def test_variasjon_never_shows_a_hidden_number():
    t = constructed_table()
    v = variasjon(t).set_index(["aar", "region"])
    main = t[t["maltall"] == 1].set_index(["aar", "region"])
    for key, r in v.iterrows():
        src = main.loc[key]
        assert pd.isna(r["nevner"]) == pd.isna(src["nevner"])
        if pd.notna(r["nevner"]):
            assert r["nevner"] == src["nevner"]
        assert pd.isna(r["andel"]) == pd.isna(src["andel"])
        if pd.notna(r["andel"]):
            assert r["andel"] == src["andel"]
        if pd.isna(src["antall"]) or pd.isna(src["andel"]):
            assert pd.isna(r["posisjon"])
    assert pd.isna(v.loc[(2024, "1120"), "nevner"])
    assert v.loc[(2024, "1119"), "nevner"] == 100  # published nevner stays, position does not
    assert str(v["nevner"].dtype) == "Int64"


def test_variasjon_no_land_share_when_land_hidden():
    t = table([row("EAK", None, 4, niva="land"), row("1101", 2, 4)])
    assert variasjon(t)["posisjon"].isna().all()


def test_variasjon_csv_writes_empty_cells(tmp_path):
    v = variasjon(constructed_table())
    p = tmp_path / "variasjon.csv"
    v.to_csv(p, index=False)
    text = p.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(VARIASJON_COLUMNS)
    assert "ind_a,2024,kommune,1120,Navn 1120,,," in text
    assert "ind_a,2024,kommune,1119,Navn 1119,100,," in text
    assert "nan" not in text.lower().replace("navn", "")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200), st.booleans(), st.booleans()), min_size=1, max_size=25)
)
def test_variasjon_positions_use_only_published_cells(cells):
    rows = [row("EAK", 1200, 2000, niva="land")]
    for i, (a, b, hide_k, hide_n) in enumerate(cells):
        k, n = min(a, b), max(a, b)
        rows.append(row(f"{1101 + i:04d}", None if hide_k or hide_n else k, None if hide_n else n))
    t = table(rows)
    v = variasjon(t).set_index("region")
    for region, r in v.iterrows():
        src = t[t["region"] == region].iloc[0]
        if pd.isna(src["andel"]):
            assert pd.isna(r["posisjon"]) and pd.isna(r["andel"])
        else:
            assert r["posisjon"] == classify([src["antall"]], [src["nevner"]], 0.6)[0]
        if pd.isna(src["nevner"]):
            assert pd.isna(r["nevner"])


def test_land_shares_exact_p0():
    s = land_shares(constructed_table())
    s24 = s[s["aar"] == 2024].iloc[0]
    assert s24["p0"] == pytest.approx(0.6) and s24["andel"] == 60.0


def test_outliers_lists_units_outside_998():
    v = variasjon(constructed_table())
    o = outliers(v)
    assert sorted(o["region"]) == ["1108", "1114", "EKA11"]
    assert set(o["retning"]) == {"høyere", "lavere"}
    assert o.set_index("region").loc["1108", "retning"] == "høyere"
    assert sorted(outliers(v, niva=["kommune"])["region"]) == ["1108", "1114"]
    o95 = outliers(v, level="95")
    assert sorted(o95["region"]) == ["1103", "1106", "1108", "1112", "1114", "EKA11"]


def test_one_signal_rule():
    assert signal("over_998", 100, 80.0, 95.0) == "tydelig_hoyere"
    assert signal("over_95", 100, 70.0, 85.0) == "hoyere"
    assert signal("under_95", 100, 40.0, 55.0) == "lavere"
    assert signal("under_998", 100, 20.0, 35.0) == "tydelig_lavere"
    assert signal("innenfor", 100, 50.0, 50.0 + UNCERTAIN_WIDTH) == "som_landet"
    # 12 persons, interval 32-81 %: "som landet" would really mean "we cannot tell"
    assert signal("innenfor", 12, 32.0, 81.0) == "usikkert"
    assert signal("innenfor", 100, 50.0, 50.1 + UNCERTAIN_WIDTH) == "usikkert"
    assert signal("over_95", 12, 32.0, 95.0) == "hoyere"  # a wide interval outside the limits still says it
    for empty in (None, np.nan, "", pd.NA):
        assert signal(empty) == "skjult"
    assert signal(np.nan, nevner=0) == "ingen"
    assert signal(np.nan, nevner=pd.NA) == "skjult"
    # the share is shown, the land share it would be compared with is not (a three-year table of a
    # tiny extract): the kommune's number is there, so not "skjult"; nothing can be said
    assert signal(np.nan, 8, 67.6, 100.0, andel=100.0) == "usikkert"
    assert signal(np.nan, 8, andel=np.nan) == "skjult"
    with pytest.raises(ValueError):
        signal("rart")


def test_variasjon_signal_column_follows_the_rule():
    t = constructed_table()
    v = variasjon(t)
    ki = add_confidence_intervals(t)
    ki = ki[(ki["maltall"] == 1) & ki["niva"].isin(["kommune", "fylke"])]
    ki = ki.set_index(["indikator", "aar", "region"])
    for r in v.to_dict("records"):
        key = (r["indikator"], r["aar"], r["region"])
        lo, hi = ki.loc[key, "ki_nedre"], ki.loc[key, "ki_ovre"]
        assert r["signal"] == signal(r["posisjon"], r["nevner"], lo, hi, r["andel"])
    assert v["signal"].notna().all()


def test_z95_literal_is_the_normal_quantile():
    from scipy.stats import norm

    from kvi_core.comparison import Z95

    assert Z95 == pytest.approx(norm.ppf(0.975), abs=1e-15)
