"""The national overview's funnel plot (matplotlib, written as SVG: a vector figure).

Figures are built with ``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot state), so they
work the same in batch runs, threads and notebooks. Colours are the Okabe-Ito colour-blind-safe
palette, and nothing is told by colour alone: every series also has its own marker and line
style, and labels name it. Only published numbers are drawn: a unit whose share is hidden is left
out (and counted in the note), never placed on an axis.

``funnel_plot`` returns ``(figure, alt_text)``; the alt text describes what the figure shows. The
figure's words are here because they are the figure's labels; the report's sentences are in
``kvi_core.reporting.texts``.
"""

from __future__ import annotations

import textwrap
from functools import cache

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kvi_core.comparison import funnel_limits
from kvi_core.reporting.texts import position_text

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


@cache
def _titles() -> dict[str, tuple[str, str]]:
    from kvi_core.specs import load_specs

    return {s.id: (s.tittel, s.kort_tittel) for s in load_specs()}


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


# --- funnel plot ------------------------------------------------------------------------------


def funnel_plot(
    variasjon_df: pd.DataFrame,
    land_share: float | None,
    indikator: str,
    aar: int,
    kommunenr: str | None = None,
    title: str | None = None,
) -> tuple[Figure, str]:
    """Funnel plot of måltall 1 for all kommuner of one indicator and year, with ``kommunenr``
    highlighted when given (the national overview gives none). ``land_share`` is the national share in percent (0-100), preferably unrounded
    (``100 * p0`` from ``comparison.land_shares``); the limits are ``comparison.funnel_limits``."""
    kommunenr = _kommunenr(kommunenr) if kommunenr else None
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

    me = v[v["region"] == kommunenr] if kommunenr else v.iloc[0:0]
    navn = str(me["region_navn"].iloc[0]) if len(me) else (kommunenr or "")
    me_shown = bool(len(me)) and bool(shown[me.index].iloc[0])
    others = v[shown & (v["region"] != kommunenr)] if kommunenr else v[shown]

    has_land = land_share is not None and np.isfinite(float(land_share))
    p0 = float(land_share) / 100.0 if has_land else None

    fig = _new_figure(5.6)
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
    who = "Andre kommuner" if kommunenr else "Kommuner"
    groups = (
        ("innenfor", pos == "innenfor", "o", OKABE_ITO["grey"], f"{who}, innenfor grensene"),
        ("over", pos.str.startswith("over"), "^", OKABE_ITO["blue"], f"{who} over grensene"),
        ("under", pos.str.startswith("under"), "v", OKABE_ITO["vermillion"], f"{who} under grensene"),
    )
    for _, mask, marker, colour, label in groups:
        g = others[mask.to_numpy()]
        if g.empty:
            continue
        ax.scatter(
            pd.to_numeric(g["nevner"]).astype(float),
            g["andel"].astype(float),
            s=22,
            marker=marker,
            facecolor=colour,
            edgecolor="#404040",
            linewidth=0.4,
            alpha=0.8,
            zorder=3,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                markerfacecolor=colour,
                markeredgecolor="#404040",
                markersize=6,
                label=f"{label} ({len(g)})",
            )
        )

    if me_shown:
        mx = float(pd.to_numeric(me["nevner"]).iloc[0])
        my = float(me["andel"].iloc[0])
        ax.scatter(
            [mx], [my], s=130, marker="D", facecolor=OKABE_ITO["orange"], edgecolor="black", linewidth=1.3, zorder=5
        )
        ax.annotate(
            f"{navn}\n{fmt_pct(my)}",
            (mx, my),
            xytext=(12, 14 if my < 80 else -26),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
            zorder=6,
            arrowprops=dict(arrowstyle="-", color="black", lw=0.8),
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="black", lw=0.6, alpha=0.9),
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="D",
                markerfacecolor=OKABE_ITO["orange"],
                markeredgecolor="black",
                markersize=8,
                label=navn,
            )
        )

    if kommunenr and not me_shown:
        why = "ingen med behov" if len(me) and bool((n[me.index] == 0).any()) else "prikket"
        ax.text(
            0.02,
            0.97,
            f"{navn}: {why}, ikke vist" if len(me) else f"{kommunenr}: ikke i tabellen",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=9,
            fontweight="bold",
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=OKABE_ITO["orange"], lw=1.5),
            zorder=6,
        )
    if log_x:  # plain numbers on the axis (1, 2, 5, 10, 20, 50, ...), not powers of ten
        ax.set_xscale("log")
        ticks = [t * 10**e for e in range(0, 7) for t in (1, 2, 5) if t * 10**e <= max_n * 1.2]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_int(round(x))))
    ax.set_xlim(left=0.8 if log_x else 0, right=max_n * 1.2 if max_n > 0 else 10)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("Antall personer med behov (nevner)" + (", logaritmisk skala" if log_x else ""))
    ax.set_ylabel("Andel med innfridd behov (%)")
    ax.grid(True, color="#DDDDDD", lw=0.6, zorder=0)
    ax.set_title(title or f"{indicator_title(indikator, short=True)} {aar}: {navn} blant alle kommuner", fontsize=11)
    # the legend below the plot, never over the data
    fig.legend(handles=handles, fontsize=8, loc="outside lower center", ncols=3, frameon=False)
    note = []
    if n_hidden:
        note.append(f"{_kom(n_hidden)} med prikkede tall er ikke vist.")
    if n_zero:
        note.append(f"{_kom(n_zero)} uten personer med behov er ikke vist.")
    if has_land:
        note.append("Grensene er eksakte binomiske grenser (Spiegelhalter 2005) rundt landsandelen.")
    if note:
        ax.set_xlabel(ax.get_xlabel() + "\n" + textwrap.fill(" ".join(note), 120), fontsize=8)

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
                t
                for t in (
                    f"{_kom(n_hidden)} med prikkede tall" if n_hidden else "",
                    f"{n_zero} uten personer med behov" if n_zero else "",
                )
                if t
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
    elif kommunenr:
        parts.append(f"Kommune {kommunenr} finnes ikke i tabellen for {aar} og er ikke vist.")
    return fig, " ".join(parts)


__all__ = ["OKABE_ITO", "funnel_plot", "indicator_title"]
