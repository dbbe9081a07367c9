"""Comparison statistics: Wilson intervals, funnel limits, ``variasjon.csv`` (DATA_CONTRACT §7).

Everything here works on the *published* long table (contract §4): hidden numbers are NaN there,
and nothing in this module forms a new number from them. A position in the funnel is given only
where the unit's ``antall``, ``nevner`` and ``andel`` are all published, so a position never tells
more than the published table already does.

Formula choices (also stated for readers in ``kvi_core.reporting.texts.METHOD_TEXT``):

* Uncertainty of one share: the Wilson score interval (95 %), vectorised in :func:`wilson_interval`.
* Funnel limits (Spiegelhalter 2005, "Funnel plots for comparing institutional performance",
  Stat Med 24:1185-1202, appendix A.1.1): exact binomial limits around the national share p0, with
  linear interpolation between the integer counts so that the limits are smooth in n. The lower
  limit for tail q is ``(r - a) / n`` where r is the smallest count with ``F(r) >= q``
  (F = cdf of Bin(n, p0)) and ``a = (F(r) - q) / (F(r) - F(r-1))``. The upper limit is the same
  construction applied to the complement (those whose need was *not* fulfilled, Bin(n, 1 - p0)),
  mirrored: ``1 - lower(1 - p0)``. With that mirror, an observed count k lies below the lower
  limit exactly when ``P(R <= k) < q`` and above the upper limit exactly when ``P(R >= k) < q``:
  the plotted lines and the one-sided exact binomial tests agree at every observable point.
  (Applying the interpolation formula directly at the upper tail would flag e.g. 10 of 10 against
  p0 = 80 %, although P(R = 10) = 10.7 %.) q = 2.5 % for the 95 % limits and 0.1 % for 99.8 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from kvi_core.geography import NIVA_ORDER

Z95 = 1.959963984540054  # norm.ppf(0.975); a literal so that importing this module does not load scipy.stats

MAIN_MALTALL = 1  # innfridd, alle
VARIASJON_COLUMNS = [
    "indikator",
    "aar",
    "niva",
    "region",
    "region_navn",
    "nevner",
    "andel",
    "posisjon",
    "signal",
]  # signal: an extra column (contract §7 allows them), the one signal rule of :func:`signal`
VARIASJON_NIVA = ("fylke", "kommune")
POSITIONS = ("innenfor", "over_95", "under_95", "over_998", "under_998")
LEVELS = {"95": 0.95, "998": 0.998}

# The one signal rule (kommune report, national overview, variasjon.csv's ``signal`` column): a share
# outside the 99.8 % funnel limits is "tydelig" higher/lower, outside the 95 % limits higher/lower;
# inside them it is "som landet" only when its own 95 % interval is narrow enough to say so.
# UNCERTAIN_WIDTH is that bound: a Wilson 95 % interval wider than 30 percentage points (about 40
# persons with need at a share of 50 %) says too little about the kommune to call it "like the
# country", so such a unit is "usikkert".
UNCERTAIN_WIDTH = 30.0
SIGNALS = ("tydelig_hoyere", "hoyere", "som_landet", "usikkert", "lavere", "tydelig_lavere", "skjult", "ingen")
_SIGNAL_OF_POSITION = {
    "over_998": "tydelig_hoyere",
    "over_95": "hoyere",
    "innenfor": "som_landet",
    "under_95": "lavere",
    "under_998": "tydelig_lavere",
}


# --- rounding ---------------------------------------------------------------------------------


def round_half_away(x, decimals: int = 1) -> np.ndarray:
    """Round to ``decimals`` with halves away from zero (NaN stays NaN).

    Values are first rounded to 9 decimals so that binary noise (e.g. 2.675 stored as
    2.67499999...) does not decide a half.
    """
    a = np.round(np.asarray(x, dtype=float), 9)
    f = 10.0**decimals
    return np.sign(a) * np.floor(np.abs(a) * f + 0.5) / f


# --- Wilson -----------------------------------------------------------------------------------


def wilson_interval(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes of n, in percent (not rounded); NaN where n = 0
    or k/n is missing."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (n > 0) & (k >= 0) & (k <= n)
        nn = np.where(ok, n, 1.0)
        p = np.where(ok, k, 0.0) / nn
        z2 = z * z
        denom = 1.0 + z2 / nn
        centre = (p + z2 / (2.0 * nn)) / denom
        half = z * np.sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom
        lo = np.clip(centre - half, 0.0, 1.0) * 100.0
        hi = np.clip(centre + half, 0.0, 1.0) * 100.0
    lo = np.where(ok, lo, np.nan)
    hi = np.where(ok, hi, np.nan)
    return lo, hi


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype(float).to_numpy()


def add_confidence_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """The published table with ``ki_nedre``/``ki_ovre`` (Wilson 95 % in percent, one decimal,
    half away from zero), empty wherever ``andel`` is empty (hidden, or nevner 0)."""
    out = table.copy()
    k, n, andel = _num(out["antall"]), _num(out["nevner"]), _num(out["andel"])
    lo, hi = wilson_interval(k, n)
    shown = ~np.isnan(andel) & ~np.isnan(k) & ~np.isnan(n) & (n > 0)
    out["ki_nedre"] = np.where(shown, round_half_away(lo), np.nan)
    out["ki_ovre"] = np.where(shown, round_half_away(hi), np.nan)
    return out


# --- funnel limits ----------------------------------------------------------------------------


def _level(level) -> float:
    """0.95 / 95 / "95" and 0.998 / 99.8 / "998" all mean what they look like."""
    if isinstance(level, str):
        key = level.strip().replace(",", ".").rstrip("%").strip()
        if key in LEVELS:
            return LEVELS[key]
        level = float(key)
    level = float(level)
    if level > 1:
        level /= 100.0
    if not 0 < level < 1:
        raise ValueError(f"nivå {level!r} må ligge mellom 0 og 1 (eller 0 og 100 %)")
    return level


def _lower_count(p0: float, n: np.ndarray, q: float) -> np.ndarray:
    """Spiegelhalter's interpolated lower limit in counts: r - a, r = min{r: F(r) >= q}."""
    from scipy.stats import binom  # here, not at import: kvi compute need not pay for scipy.stats

    r = np.nan_to_num(binom.ppf(q, n, p0), nan=0.0)
    r = np.clip(r, 0, n)
    # make sure r is the smallest count with F(r) >= q despite floating point in ppf
    for _ in range(2):
        up = binom.cdf(r, n, p0) < q
        r = np.where(up & (r < n), r + 1, r)
        down = (r > 0) & (binom.cdf(r - 1, n, p0) >= q)
        r = np.where(down, r - 1, r)
    f_r = binom.cdf(r, n, p0)
    f_rm1 = np.where(r > 0, binom.cdf(r - 1, n, p0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(f_r > f_rm1, (f_r - q) / (f_r - f_rm1), 0.0)
    return r - a


def funnel_limits_counts(p0: float, n, level) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper funnel limits in *counts* (unclipped); k < lower or k > upper is outside."""
    p0 = float(p0)
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"landsandelen p0 = {p0} må være en andel mellom 0 og 1")
    q = (1.0 - _level(level)) / 2.0
    n = np.asarray(n, dtype=float)
    lower = _lower_count(p0, n, q)
    upper = n - _lower_count(1.0 - p0, n, q)
    return lower, upper


def funnel_limits(p0: float, n, level) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits in percent (clipped to 0-100) around p0 (a proportion, 0-1) for
    denominators n at ``level`` (0.95 or 0.998; 95/99.8 and "95"/"998" also accepted).
    Exact binomial with interpolation (see module docstring)."""
    n_arr = np.asarray(n, dtype=float)
    lo_c, hi_c = funnel_limits_counts(p0, n_arr, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.clip(100.0 * lo_c / n_arr, 0.0, 100.0)
        hi = np.clip(100.0 * hi_c / n_arr, 0.0, 100.0)
    lo = np.where(n_arr > 0, lo, np.nan)
    hi = np.where(n_arr > 0, hi, np.nan)
    if np.ndim(n) == 0:
        return float(lo), float(hi)
    return lo, hi


def classify(k, n, p0: float) -> np.ndarray:
    """Funnel position for counts k of n against p0: array of POSITIONS, None where k or n is
    missing or n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    out = np.full(k.shape, None, dtype=object)
    ok = ~np.isnan(k) & ~np.isnan(n) & (n > 0)
    if not ok.any() or p0 is None or not np.isfinite(p0):
        return out
    kk, nn = k[ok], n[ok]
    lo95, hi95 = funnel_limits_counts(p0, nn, 0.95)
    lo998, hi998 = funnel_limits_counts(p0, nn, 0.998)
    pos = np.full(kk.shape, "innenfor", dtype=object)
    pos[kk < lo95] = "under_95"
    pos[kk > hi95] = "over_95"
    pos[kk < lo998] = "under_998"
    pos[kk > hi998] = "over_998"
    out[ok] = pos
    return out


# --- land shares and variasjon ---------------------------------------------------------------


def _main(table: pd.DataFrame) -> pd.DataFrame:
    return table[pd.to_numeric(table["maltall"], errors="coerce") == MAIN_MALTALL]


def land_shares(table: pd.DataFrame) -> pd.DataFrame:
    """The published national share of måltall 1 per (indikator, aar): columns
    ``indikator, aar, antall, nevner, andel, p0`` where p0 is the proportion used as the funnel
    centre (antall/nevner when both are published, else andel/100, else NaN)."""
    land = _main(table)
    land = land[land["niva"] == "land"]
    k, n, andel = _num(land["antall"]), _num(land["nevner"]), _num(land["andel"])
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(~np.isnan(k) & ~np.isnan(n) & (n > 0), k / n, np.nan)
    p0 = np.where(np.isnan(exact), andel / 100.0, exact)
    p0 = np.where(np.isnan(andel), np.nan, p0)  # no published share, no centre
    return pd.DataFrame(
        {
            "indikator": land["indikator"].to_numpy(),
            "aar": land["aar"].to_numpy(),
            "antall": land["antall"].to_numpy(),
            "nevner": land["nevner"].to_numpy(),
            "andel": andel,
            "p0": p0,
        }
    ).reset_index(drop=True)


def normalise_region(niva: pd.Series, region: pd.Series) -> pd.Series:
    """Region codes as text with leading zeros (a table read back without dtype=str loses them)."""
    r = region.astype(str).str.strip()
    r = r.where(niva != "kommune", r.str.zfill(4))
    return r.where(niva != "bydel", r.str.zfill(6))


def _order_frame(df: pd.DataFrame, first_seen: Iterable[str]) -> pd.DataFrame:
    ind_order = {k: i for i, k in enumerate(dict.fromkeys(first_seen))}
    niva_order = {k: i for i, k in enumerate(NIVA_ORDER)}
    return (
        df.assign(_i=df["indikator"].map(ind_order), _n=df["niva"].map(niva_order))
        .sort_values(["_i", "aar", "_n", "region"], kind="stable")
        .drop(columns=["_i", "_n"])
        .reset_index(drop=True)
    )


def variasjon(table: pd.DataFrame) -> pd.DataFrame:
    """Contract §7 ``variasjon.csv``: one row per (indikator, aar, niva, region) for fylker and
    kommuner, måltall 1, with the published nevner/andel and the funnel position against the
    published land share of the same indicator and year. Position empty where andel (or the
    antall/nevner behind it, or the land share) is not published."""
    main = _main(table)
    sub = main[main["niva"].isin(VARIASJON_NIVA)].copy()
    shares = land_shares(table)
    p0_by = {(i, a): p for i, a, p in zip(shares["indikator"], shares["aar"], shares["p0"])}
    k, n, andel = _num(sub["antall"]), _num(sub["nevner"]), _num(sub["andel"])
    shown = ~np.isnan(k) & ~np.isnan(n) & ~np.isnan(andel) & (n > 0)
    if "prikket" in sub:
        shown &= ~sub["prikket"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    pos = np.full(len(sub), None, dtype=object)
    groups = sub.reset_index(drop=True).groupby(["indikator", "aar"], sort=False).indices
    for key, idx in groups.items():
        p0 = p0_by.get(key, np.nan)
        if p0 is None or not np.isfinite(p0):
            continue
        idx = idx[shown[idx]]
        if len(idx):
            pos[idx] = classify(k[idx], n[idx], p0)
    out = pd.DataFrame(
        {
            "indikator": sub["indikator"].to_numpy(),
            "aar": sub["aar"].to_numpy(),
            "niva": sub["niva"].to_numpy(),
            "region": normalise_region(sub["niva"], sub["region"]).to_numpy(),
            "region_navn": sub["region_navn"].to_numpy(),
            "nevner": pd.array(pd.to_numeric(sub["nevner"], errors="coerce").round().astype("Int64"), dtype="Int64"),
            "andel": andel,
            "posisjon": pos,
        }
    )
    out["posisjon"] = out["posisjon"].astype(object).where(out["posisjon"].notna(), np.nan)
    lo, hi = wilson_interval(k, n)
    lo, hi = round_half_away(lo), round_half_away(hi)  # as published in indikatorer.csv
    out["signal"] = [
        signal(p, nv, a, b, s) for p, nv, a, b, s in zip(out["posisjon"], out["nevner"], lo, hi, out["andel"])
    ]
    return _order_frame(out, table["indikator"])[VARIASJON_COLUMNS]


def outliers(variasjon_df: pd.DataFrame, level: str = "998", niva: Iterable[str] | None = None) -> pd.DataFrame:
    """Units outside the ``level`` limits ("998" = 99.8 %, "95" = 95 %, which includes those
    outside 99.8 %), for the national overview: the variasjon rows plus ``retning``
    (``høyere``/``lavere`` enn landet), sorted by indicator, year, direction and share."""
    lev = _level(level)
    wanted = ("over_998", "under_998") if lev >= 0.998 - 1e-12 else ("over_95", "under_95", "over_998", "under_998")
    df = variasjon_df[variasjon_df["posisjon"].isin(wanted)]
    if niva is not None:
        df = df[df["niva"].isin(list(niva))]
    df = df.copy()
    df["retning"] = np.where(df["posisjon"].astype(str).str.startswith("over"), "høyere", "lavere")
    df = df.assign(_r=df["retning"].map({"høyere": 0, "lavere": 1}), _a=-df["andel"])
    ind_order = {k: i for i, k in enumerate(dict.fromkeys(variasjon_df["indikator"]))}
    niva_order = {k: i for i, k in enumerate(NIVA_ORDER)}
    df = df.assign(_i=df["indikator"].map(ind_order), _n=df["niva"].map(niva_order))
    return (
        df.sort_values(["_i", "aar", "_n", "_r", "_a", "region"], kind="stable")
        .drop(columns=["_i", "_n", "_r", "_a"])
        .reset_index(drop=True)
    )


def _empty(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        if pd.isna(v):
            return True
    except (TypeError, ValueError):
        pass
    return str(v).strip() == ""


def signal(posisjon, nevner=None, ki_nedre=None, ki_ovre=None, andel=None) -> str:
    """The one signal rule, as a code of :data:`SIGNALS` (words in ``reporting.texts.SIGNAL``).

    ``over_998``/``under_998`` -> ``tydelig_hoyere``/``tydelig_lavere``; ``over_95``/``under_95`` ->
    ``hoyere``/``lavere``; ``innenfor`` -> ``som_landet``, or ``usikkert`` when the published 95 %
    interval is wider than :data:`UNCERTAIN_WIDTH` percentage points (or not published); no
    position -> ``ingen`` when the published nevner is 0, ``usikkert`` when the share itself is
    published (the land share it is compared with is not: nothing to say), else ``skjult``.
    """
    if _empty(posisjon):
        if not _empty(nevner):
            try:
                if float(nevner) == 0:
                    return "ingen"
            except (TypeError, ValueError):
                pass
        return "skjult" if _empty(andel) else "usikkert"
    p = str(posisjon).strip()
    if p not in _SIGNAL_OF_POSITION:
        raise ValueError(f"ukjent posisjon {posisjon!r}; gyldige: {', '.join(POSITIONS)}")
    code = _SIGNAL_OF_POSITION[p]
    too_wide = _empty(ki_nedre) or _empty(ki_ovre) or float(ki_ovre) - float(ki_nedre) > UNCERTAIN_WIDTH
    return "usikkert" if code == "som_landet" and too_wide else code


__all__ = [
    "Z95",
    "normalise_region",
    "POSITIONS",
    "SIGNALS",
    "UNCERTAIN_WIDTH",
    "VARIASJON_COLUMNS",
    "round_half_away",
    "wilson_interval",
    "add_confidence_intervals",
    "funnel_limits",
    "funnel_limits_counts",
    "classify",
    "land_shares",
    "variasjon",
    "outliers",
    "signal",
]
