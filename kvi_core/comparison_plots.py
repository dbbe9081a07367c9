"""Figures for comparison: the funnel plot and the trend line of the main måltall.

Figures are built with ``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot state), so they
work the same in batch runs, threads and notebooks. Colours are the Okabe-Ito colour-blind-safe
palette, and nothing is told by colour alone: every series also has its own marker and line
style, and labels name it. Only published numbers are drawn: a unit whose share is hidden is left
out (and counted in the note), never placed on an axis.

Each function returns ``(figure, alt_text)``; the alt text is a Norwegian description of what the
figure shows, for the report's ``alt`` attribute / figure caption.
"""
from __future__ import annotations

import textwrap
from functools import lru_cache

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kvi_core.comparison import funnel_limits, position_text
from kvi_core.geography import LAND

# Okabe & Ito (2008) colour-blind-safe palette
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "skyblue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#8C8C8C",
}
FIG_WIDTH = 7.5  # inches; fits an A4 page with margins


# --- helpers ----------------------------------------------------------------------------------

def fmt_pct(x: float) -> str:
    return f"{x:.1f}".replace(".", ",") + " %"


def fmt_int(x) -> str:
    return f"{int(x):,}".replace(",", "\u00a0")


def _kom(n: int) -> str:
    return f"{n} kommune" if n == 1 else f"{n} kommuner"


def _years_text(years: list[int]) -> str:
    """2020, 2021, 2022, 2024 → '2020–2022 og 2024'."""
    ys = sorted(int(y) for y in years)
    runs: list[list[int]] = []
    for y in ys:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [f"{r[0]}\u2013{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]


@lru_cache(maxsize=None)
def _titles() -> dict[str, tuple[str, str]]:
    try:
        from kvi_core.specs import load_specs

        return {s.id: (s.tittel, s.kort_tittel) for s in load_specs()}
    except Exception:  # plots must not fail because a spec directory is missing
        return {}


def indicator_title(indikator: str, short: bool = False) -> str:
    t = _titles().get(indikator)
    return (t[1] if short else t[0]) if t else indikator


def _new_figure(height: float) -> Figure:
    fig = Figure(figsize=(FIG_WIDTH, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _kommunenr(code) -> str:
    c = str(code).strip()
    return c.zfill(4) if c.isdigit() and len(c) <= 4 else c


def _fylke_code(code) -> str:
    c = str(code).strip().upper()
    return "EKA" + c.zfill(2) if c.isdigit() else c


# --- funnel plot ------------------------------------------------------------------------------

def funnel_plot(
    variasjon_df: pd.DataFrame,
    land_share: float | None,
    indikator: str,
    aar: int,
    kommunenr: str,
    title: str | None = None,
) -> tuple[Figure, str]:
    """Funnel plot of måltall 1 for all kommuner of one indicator and year, with ``kommunenr``
    highlighted. ``land_share`` is the national share in percent (0-100), preferably unrounded
    (``100 * p0`` from ``comparison.land_shares``); the limits are ``comparison.funnel_limits``."""
    kommunenr = _kommunenr(kommunenr)
    v = variasjon_df[
        (variasjon_df["indikator"] == indikator)
        & (pd.to_numeric(variasjon_df["aar"]) == int(aar))
        & (variasjon_df["niva"] == "kommune")
    ].copy()
    v["region"] = v["region"].map(_kommunenr)
    n = pd.to_numeric(v["nevner"], errors="coerce").astype(float)
    y = pd.to_numeric(v["andel"], errors="coerce").astype(float)
    shown = n.notna() & y.notna() & (n > 0)
    n_zero = int((n == 0).sum())
    n_hidden = int((~shown).sum()) - n_zero

    me = v[v["region"] == kommunenr]
    navn = str(me["region_navn"].iloc[0]) if len(me) else kommunenr
    me_shown = bool(len(me)) and bool(shown[me.index].iloc[0])
    others = v[shown & (v["region"] != kommunenr)]

    has_land = land_share is not None and np.isfinite(float(land_share))
    p0 = float(land_share) / 100.0 if has_land else None

    fig = _new_figure(5.2)
    ax = fig.add_subplot()
    xs_shown = n[shown]
    max_n = float(xs_shown.max()) if len(xs_shown) else 10.0
    log_x = len(xs_shown) > 0 and max_n / max(float(xs_shown.min()), 1.0) >= 20

    handles = []
    if has_land:
        grid = np.unique(np.round(np.geomspace(1, max(max_n * 1.15, 10), 400)))
        lo95, hi95 = funnel_limits(p0, grid, 0.95)
        lo998, hi998 = funnel_limits(p0, grid, 0.998)
        ax.axhline(float(land_share), color=OKABE_ITO["black"], lw=1.4, ls="-", zorder=2)
        for lo, hi, col, ls in ((lo95, hi95, "blue", "--"), (lo998, hi998, "vermillion", ":")):
            ax.plot(grid, lo, color=OKABE_ITO[col], ls=ls, lw=1.6, zorder=2)
            ax.plot(grid, hi, color=OKABE_ITO[col], ls=ls, lw=1.6, zorder=2)
        handles += [
            Line2D([], [], color=OKABE_ITO["black"], lw=1.4, ls="-", label=f"Landet ({fmt_pct(land_share)})"),
            Line2D([], [], color=OKABE_ITO["blue"], lw=1.6, ls="--", label="95 %-grenser"),
            Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.6, ls=":", label="99,8 %-grenser"),
        ]

    pos = others["posisjon"].astype(str)
    groups = (
        ("innenfor", pos == "innenfor", "o", OKABE_ITO["grey"], "Andre kommuner, innenfor grensene"),
        ("over", pos.str.startswith("over"), "^", OKABE_ITO["skyblue"], "Andre kommuner over grensene"),
        ("under", pos.str.startswith("under"), "v", OKABE_ITO["purple"], "Andre kommuner under grensene"),
        ("uten", ~pos.isin(["innenfor"]) & ~pos.str.startswith("over") & ~pos.str.startswith("under"),
         "s", OKABE_ITO["grey"], "Andre kommuner uten plassering"),
    )
    for _, mask, marker, colour, label in groups:
        g = others[mask.to_numpy()]
        if g.empty:
            continue
        ax.scatter(
            pd.to_numeric(g["nevner"]).astype(float), g["andel"].astype(float), s=22, marker=marker,
            facecolor=colour, edgecolor="#404040", linewidth=0.4, alpha=0.8, zorder=3,
        )
        handles.append(Line2D([], [], ls="", marker=marker, markerfacecolor=colour, markeredgecolor="#404040",
                              markersize=6, label=f"{label} ({len(g)})"))

    if me_shown:
        mx = float(pd.to_numeric(me["nevner"]).iloc[0])
        my = float(me["andel"].iloc[0])
        ax.scatter([mx], [my], s=130, marker="D", facecolor=OKABE_ITO["orange"], edgecolor="black",
                   linewidth=1.3, zorder=5)
        ax.annotate(
            f"{navn}\n{fmt_pct(my)}", (mx, my), xytext=(12, 14 if my < 80 else -26), textcoords="offset points",
            fontsize=9, fontweight="bold", zorder=6,
            arrowprops=dict(arrowstyle="-", color="black", lw=0.8),
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="black", lw=0.6, alpha=0.9),
        )
        handles.append(Line2D([], [], ls="", marker="D", markerfacecolor=OKABE_ITO["orange"],
                              markeredgecolor="black", markersize=8, label=navn))

    if not me_shown:
        why = "ingen med behov" if len(me) and bool((n[me.index] == 0).any()) else "prikket"
        ax.text(0.02, 0.97, f"{navn}: {why}, ikke vist" if len(me) else f"{kommunenr}: ikke i tabellen",
                transform=ax.transAxes, ha="left", va="top", fontsize=9, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=OKABE_ITO["orange"], lw=1.5), zorder=6)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlim(left=0.8 if log_x else 0, right=max_n * 1.2 if max_n > 0 else 10)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("Antall personer med behov (nevner)" + (", logaritmisk skala" if log_x else ""))
    ax.set_ylabel("Andel med innfridd behov (%)")
    ax.grid(True, color="#DDDDDD", lw=0.6, zorder=0)
    ax.set_title(title or f"{indicator_title(indikator, short=True)} {aar}: {navn} blant alle kommuner",
                 fontsize=11)
    ax.legend(handles=handles, fontsize=8, loc="best", framealpha=0.9)
    note = []
    if n_hidden:
        note.append(f"{_kom(n_hidden)} med prikkede tall er ikke vist.")
    if n_zero:
        note.append(f"{_kom(n_zero)} uten personer med behov er ikke vist.")
    if has_land:
        note.append("Grensene er eksakte binomiske grenser (Spiegelhalter 2005) rundt landsandelen.")
    if note:
        fig.supxlabel(textwrap.fill(" ".join(note), 130), fontsize=7.5, color="#333333")

    # --- alt text
    tittel = indicator_title(indikator)
    parts = [
        f"Traktplott for «{tittel}» {aar}: andelen med innfridd behov (måltall 1) i hver kommune, "
        f"vist mot antall personer med behov, for {_kom(len(xs_shown))} med viste tall."
    ]
    if n_hidden or n_zero:
        parts.append(
            "Ikke vist: "
            + " og ".join(
                t for t in (
                    f"{_kom(n_hidden)} med prikkede tall" if n_hidden else "",
                    f"{n_zero} uten personer med behov" if n_zero else "",
                ) if t
            )
            + "."
        )
    if has_land:
        parts.append(
            f"Den vannrette linjen er landsandelen, {fmt_pct(land_share)}; de stiplede og prikkede linjene er "
            "95 %- og 99,8 %-kontrollgrensene, som blir smalere jo flere personer kommunen har med behov."
        )
        allpos = v.loc[shown, "posisjon"].astype(str)
        over, under = int(allpos.str.startswith("over").sum()), int(allpos.str.startswith("under").sum())
        o998, u998 = int((allpos == "over_998").sum()), int((allpos == "under_998").sum())
        parts.append(
            f"{_kom(over)} ligger over og {under} under 95 %-grensene; av dem ligger {o998} over og "
            f"{u998} under 99,8 %-grensene."
        )
    else:
        parts.append("Landsandelen er ikke vist, så figuren har ingen kontrollgrenser.")
    if me_shown:
        mp = me["posisjon"].iloc[0]
        parts.append(
            f"{navn} ({kommunenr}) er uthevet med en stor ruter: {fmt_pct(float(me['andel'].iloc[0]))} av "
            f"{fmt_int(pd.to_numeric(me['nevner']).iloc[0])} personer med behov, {position_text(mp)}."
        )
    elif len(me):
        why = "har ingen personer med behov" if (n[me.index] == 0).any() else "har prikkede tall"
        parts.append(f"{navn} ({kommunenr}) {why} og er derfor ikke vist i figuren.")
    else:
        parts.append(f"Kommune {kommunenr} finnes ikke i tabellen for {aar} og er ikke vist.")
    return fig, " ".join(parts)


# --- trend plot -------------------------------------------------------------------------------

def _source_name(code: str, aar: int) -> str:
    """Name of a region code as published in ``aar`` (best effort; the code when unknown)."""
    try:
        from kvi_core import geography

        kom = geography.kommuner(int(aar))
        if len(code) == 4 and code.isdigit():
            hit = kom.loc[kom["kommunenr"] == code, "kommune_navn"]
            return f"{hit.iloc[0]} ({code})" if len(hit) else code
        if code.startswith("EKA"):
            hit = kom.loc[kom["fylkenr"] == code[3:], "fylke_navn"]
            return f"{hit.iloc[0]} ({code})" if len(hit) else code
    except Exception:
        pass
    return code


def trend_plot(
    tidsserie_df: pd.DataFrame, indikator: str, kommunenr: str, fylke_region: str
) -> tuple[Figure, str]:
    """Måltall 1 for the kommune, its fylke and land over the years of ``tidsserie_df``, with
    Wilson 95 % intervals as error bars; years with a series break (``brudd``) or a hidden number
    are gaps in the line, marked below the lines and explained in the note."""
    kommunenr = _kommunenr(kommunenr)
    fylke = _fylke_code(fylke_region)
    d = tidsserie_df[
        (tidsserie_df["indikator"] == indikator) & (pd.to_numeric(tidsserie_df["maltall"]) == 1)
    ].copy()
    d["region"] = d["region"].astype(str)
    d["aar"] = pd.to_numeric(d["aar"]).astype(int)
    years = sorted(int(y) for y in d["aar"].unique())
    if not years:
        raise ValueError(f"tidsserien har ingen rader for {indikator}, måltall 1")
    series = (
        (kommunenr, "orange", "D", "-", -0.12),
        (fylke, "blue", "s", "--", 0.0),
        (LAND, "black", "o", ":", 0.12),
    )
    # Oslo is both a kommune and a fylke: say which series is which
    same_name = {}
    kn = d.loc[d["region"] == kommunenr, "region_navn"].dropna()
    fn = d.loc[d["region"] == fylke, "region_navn"].dropna()
    if len(kn) and len(fn) and str(kn.iloc[-1]) == str(fn.iloc[-1]):
        same_name = {kommunenr: f"{kn.iloc[-1]} (kommune)", fylke: f"{fn.iloc[-1]} (fylke)"}
    fig = _new_figure(4.8)
    ax = fig.add_subplot()
    notes: list[str] = []
    alt_values: list[str] = []
    names: dict[str, str] = {}
    for row, (code, col, marker, ls, dx) in enumerate(series):
        s = d[d["region"] == code].set_index("aar").reindex(years)
        navn = str(s["region_navn"].dropna().iloc[-1]) if s["region_navn"].notna().any() else code
        navn = same_name.get(code, navn)
        names[code] = navn
        yv = pd.to_numeric(s["andel"], errors="coerce").astype(float).to_numpy()
        lo = pd.to_numeric(s["ki_nedre"], errors="coerce").astype(float).to_numpy()
        hi = pd.to_numeric(s["ki_ovre"], errors="coerce").astype(float).to_numpy()
        brudd = s["brudd"].fillna(False).astype(bool).to_numpy() if "brudd" in s else np.zeros(len(years), bool)
        prikket = s["prikket"].fillna(False).astype(bool).to_numpy() & ~brudd
        x = np.array(years, dtype=float) + dx
        ok = ~np.isnan(yv)
        yerr = np.vstack([np.clip(yv - lo, 0, None), np.clip(hi - yv, 0, None)])
        yerr = np.where(np.isnan(yerr), 0.0, yerr)
        if ok.any():
            ax.errorbar(
                x[ok], yv[ok], yerr=yerr[:, ok], color=OKABE_ITO[col], marker=marker, ls="none",
                markersize=7, markeredgecolor="black", markeredgewidth=0.6, capsize=3, lw=1.2, zorder=4,
            )
            # the line is drawn with NaN gaps so it never bridges a break or a hidden year
            ax.plot(x, yv, color=OKABE_ITO[col], ls=ls, lw=1.8, zorder=3)
        ax.plot([], [], color=OKABE_ITO[col], marker=marker, ls=ls, markeredgecolor="black", label=navn)
        # status marks under the lines: text, not colour alone
        ystat = 0.03 + 0.055 * (2 - row)
        for i, yr in enumerate(years):
            if ok[i]:
                continue
            tag = "brudd" if brudd[i] else ("prikket" if prikket[i] else "mangler")
            ax.text(x[i], ystat, f"{navn[:12]}: {tag}", transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=6.5, color="black",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=OKABE_ITO[col], lw=1.0))
        b_years = [yr for yr, b in zip(years, brudd) if b]
        p_years = [yr for yr, p in zip(years, prikket) if p]
        if b_years:
            kilder = sorted({str(k) for k in s.loc[b_years, "kilde_region"].dropna()} - {""})
            src = ""
            if kilder:
                src = " (før: " + ", ".join(
                    "+".join(_source_name(c, b_years[0]) for c in k.split("+")) for k in kilder
                ) + ")"
            notes.append(
                f"Brudd i serien for {navn} {_years_text(b_years)}: regionen hadde en annen avgrensning{src}, "
                "så tallet kan ikke sammenlignes og er ikke vist."
            )
            # a vertical separator after the last break year that is followed by a comparable year
            last = max(b_years)
            if any(yr > last and okk for yr, okk in zip(years, ok)):
                ax.axvline(last + 0.5, color="#555555", ls=(0, (4, 3)), lw=1.0, zorder=1, gid="brudd")
                ax.text(last + 0.52, 0.98 - 0.05 * row, f"brudd ({navn})", transform=ax.get_xaxis_transform(),
                        fontsize=7, va="top", ha="left", color="#333333")
        if p_years:
            notes.append(f"{navn} {_years_text(p_years)}: prikket (skjult av personvernhensyn).")
        vals = [
            f"{yr} {fmt_pct(v)}" if not np.isnan(v) else f"{yr} {'brudd' if b else ('prikket' if p else 'mangler')}"
            for yr, v, b, p in zip(years, yv, brudd, prikket)
        ]
        alt_values.append(f"{navn}: " + ", ".join(vals) + ".")

    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years])
    if years:
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    ax.set_ylim(0, 105)
    ax.set_ylabel("Andel med innfridd behov (%)")
    ax.grid(True, axis="y", color="#DDDDDD", lw=0.6, zorder=0)
    ax.set_title(f"{indicator_title(indikator, short=True)}: {names[kommunenr]}, {names[fylke]} og landet",
                 fontsize=11)
    ax.legend(fontsize=8, loc="upper left", framealpha=0.9, ncols=3)
    foot = ["Feilstolpene viser 95 % konfidensintervall (Wilson)."] + notes
    fig.supxlabel("\n".join(textwrap.fill(t, 130) for t in foot), fontsize=7.5, color="#333333")

    span = f"{years[0]}\u2013{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
    alt = (
        f"Linjediagram over andelen med innfridd behov (måltall 1) for «{indicator_title(indikator)}» i "
        f"{names[kommunenr]} ({kommunenr}), {names[fylke]} og hele landet, {span}, med 95 % "
        "konfidensintervall (Wilson) som feilstolper. " + " ".join(alt_values)
    )
    if notes:
        alt += " " + " ".join(notes)
    return fig, alt


__all__ = ["OKABE_ITO", "funnel_plot", "trend_plot", "indicator_title", "fmt_pct"]
