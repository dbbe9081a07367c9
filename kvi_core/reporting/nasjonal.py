"""Content of the national overview (``notebooks/nasjonal_oversikt.ipynb``): page 1 with a figure of the
four indicators, the 2020-2024 national trend, the variation between kommuner (funnel plots), the
complete named list of units outside the 99.8 % limits, fylker and KOSTRA groups
("Politiske aktører blir varslet hvis det er store variasjoner"). Words from ``texts``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kvi_core import comparison
from kvi_core.comparison_plots import funnel_plot
from kvi_core.geography import LAND
from kvi_core.reporting import texts
from kvi_core.reporting.data import Results
from kvi_core.reporting.figures import national_overview, trend
from kvi_core.reporting.kommune import MAIN, UNREPORTED
from kvi_core.reporting.markdown import (
    details,
    esc,
    figure,
    fmt_int,
    fmt_pct,
    fmt_share,
    pagebreak,
    show,
    table,
)
from kvi_core.specs import AGE_GROUPS, CATEGORIES, load_specs, maltall


class NasjonalOversikt:
    def __init__(self, resultater, aar):
        self.aar = int(aar)
        self.results = resultater if isinstance(resultater, Results) else Results(resultater)
        self.view = self.results.year(self.aar)
        self.meta = self.results.metadata
        present = set(self.view.region_rows(LAND)["indikator"])
        self.specs = [s for s in load_specs() if s.id in present]
        self.v = self.view.variasjon

    def _cell(self, indikator: str, region: str, m: int) -> dict:
        rows = self.view.region_rows(region)
        hit = rows[(rows["indikator"] == indikator) & (rows["maltall"] == m)]
        return hit.iloc[0].to_dict() if len(hit) else {}

    def _kommune_v(self, indikator: str) -> pd.DataFrame:
        v = self.v
        return v[(v["indikator"] == indikator) & (v["niva"] == "kommune")] if len(v) else v

    def _signals(self, kv: pd.DataFrame) -> pd.Series:
        """The one signal rule per row of variasjon (from its ``signal`` column when it has one)."""
        if "signal" in kv:
            return kv["signal"].fillna("skjult").astype(str)
        return pd.Series(
            [comparison.signal(p, n) for p, n in zip(kv["posisjon"], kv["nevner"])], index=kv.index, dtype=object
        )

    def title(self) -> str:
        return texts.national_title(self.aar)

    # --- page 1 ----------------------------------------------------------------------------
    def forside(self) -> str:
        rows, fig_rows = [], []
        for s in self.specs:
            c, u = self._cell(s.id, LAND, MAIN), self._cell(s.id, LAND, UNREPORTED)
            kv = self._kommune_v(s.id)
            andel = pd.to_numeric(kv["andel"], errors="coerce").dropna() if len(kv) else pd.Series(dtype=float)
            pos = kv["posisjon"].astype(str) if len(kv) else pd.Series(dtype=str)
            over, under = int((pos == "over_998").sum()), int((pos == "under_998").sum())
            fig_rows.append(
                {
                    "title": s.kort_tittel,
                    "land": c.get("andel"),
                    "quartiles": tuple(np.percentile(andel, [0, 25, 50, 75, 100])) if len(andel) else None,
                    "over": over,
                    "under": under,
                }
            )
            rows.append(
                [
                    esc(s.kort_tittel),
                    fmt_share(c.get("andel"), c.get("antall"), c.get("nevner")),
                    fmt_int(c.get("nevner")),
                    fmt_share(u.get("andel"), u.get("antall"), u.get("nevner")),
                    fmt_int(over),
                    fmt_int(under),
                ]
            )
        svg, alt = national_overview(fig_rows, self.aar)
        return "\n\n".join(
            p
            for p in [
                texts.synthetic_notice(self.meta),
                texts.NATIONAL_INTRO,
                figure(svg, texts.national_figure_caption(self.aar), alt, ident="fig-landet"),
                texts.NATIONAL_HOW_TO_READ,
                table(
                    [
                        "Indikator",
                        "Andel innfridd",
                        "Personer med behov",
                        "Uten rapportering",
                        "Kommuner tydelig høyere",
                        "Kommuner tydelig lavere",
                    ],
                    rows,
                    caption=texts.national_table_caption(self.aar),
                    align="lrrrrr",
                    ident="tbl-landet",
                ),
                pagebreak(),
            ]
            if p
        )

    def trend(self) -> str:
        ts = self.results.tidsserie_main
        if ts is None:
            return ""
        ts = ts[(ts["region"] == LAND) & (ts["aar"] <= self.aar)]
        years = sorted(int(y) for y in ts["aar"].unique())
        if len(years) < 2:
            return ""
        series = []
        for s in self.specs:
            rows = ts[ts["indikator"] == s.id].set_index("aar")
            d = {"label": s.kort_tittel, "andel": [], "lo": [], "hi": [], "status": []}
            for y in years:
                r = rows.loc[y] if y in rows.index else None
                a = None if r is None or pd.isna(r["andel"]) else float(r["andel"])
                d["andel"].append(a)
                d["lo"].append(None if r is None or pd.isna(r["ki_nedre"]) else float(r["ki_nedre"]))
                d["hi"].append(None if r is None or pd.isna(r["ki_ovre"]) else float(r["ki_ovre"]))
                d["status"].append("" if a is not None else "skjult")
            series.append(d)
        svg, alt = trend(series, years, texts.national_trend_title(years[0], years[-1]))
        return "\n\n".join(
            [
                texts.national_trend_heading(),
                figure(svg, texts.national_trend_title(years[0], years[-1]) + ".", alt, ident="fig-trend-landet"),
            ]
        )

    # --- variation -------------------------------------------------------------------------
    def _funnel(self, s) -> str:
        if self.v is None or self.v.empty:
            return ""
        shares = comparison.land_shares(self.results.table[self.results.table["aar"] == self.aar])
        p0 = shares.loc[shares["indikator"] == s.id, "p0"]
        land = float(p0.iloc[0]) * 100 if len(p0) and np.isfinite(p0.iloc[0]) else None
        fig, alt = funnel_plot(self.v, land, s.id, self.aar, None, title=f"{s.kort_tittel} {self.aar}: alle kommuner")
        return figure(
            fig, texts.funnel_caption(s.tittel, self.aar), alt, ident=f"fig-trakt-{s.id.replace('_', '-')}", fmt="svg"
        )

    def variasjon(self) -> str:
        parts = [texts.VARIATION_HEADING, texts.FUNNEL_EVERYDAY]
        for s in self.specs:
            kv = self._kommune_v(s.id)
            andel = pd.to_numeric(kv["andel"], errors="coerce").dropna() if len(kv) else pd.Series(dtype=float)
            sig = self._signals(kv) if len(kv) else pd.Series(dtype=str)
            counts = [[f"{texts.signal_words(code)}", fmt_int(int((sig == code).sum()))] for code in texts.SIGNAL_ORDER]
            spread = ""
            if len(andel):
                q1, med, q3 = np.percentile(andel, [25, 50, 75])
                spread = texts.spread_sentence(
                    fmt_int(len(andel)),
                    fmt_pct(med),
                    fmt_pct(q1),
                    fmt_pct(q3),
                    fmt_pct(andel.min()),
                    fmt_pct(andel.max()),
                )
            parts += [
                f"### {esc(s.tittel)}",
                spread,
                self._funnel(s),
                table(
                    ["Signal", "Kommuner"],
                    counts,
                    caption=texts.signal_count_caption(esc(s.kort_tittel), self.aar),
                    align="lr",
                ),
            ]
        parts.append(self.utenfor())
        return "\n\n".join(p for p in parts if p)

    def utenfor(self) -> str:
        """The complete named list of kommuner and fylker outside the 99.8 % limits, per indicator."""
        parts = [texts.OUTLIERS_HEADING, texts.OUTLIERS_INTRO]
        if self.v is None or self.v.empty:
            return "\n\n".join(parts + [texts.NO_VARIATION_FILE])
        out = comparison.outliers(self.v, "998")
        for s in self.specs:
            o = out[out["indikator"] == s.id]
            if o.empty:
                parts.append(texts.outliers_none(esc(s.tittel)))
                continue
            land = self._cell(s.id, LAND, MAIN).get("andel")
            parts.append(f"### {esc(s.tittel)} ({texts.land_share_words(fmt_pct(land))})")
            for retning, code in (("høyere", "tydelig_hoyere"), ("lavere", "tydelig_lavere")):
                sub = o[o["retning"] == retning]
                if sub.empty:
                    continue
                names = [
                    f"{esc(r['region_navn'])} ({'fylke' if r['niva'] == 'fylke' else r['region']}) "
                    f"{fmt_pct(r['andel'])}"
                    for r in sub.to_dict("records")
                ]
                parts.append(f"**{texts.signal_words(code).capitalize()} ({len(names)}):** " + "; ".join(names) + ".")
        return "\n\n".join(parts)

    # --- land, fylker, KOSTRA groups ---------------------------------------------------------
    def landet(self) -> str:
        parts = []
        for s in self.specs:
            rows = []
            for kat in CATEGORIES:
                row = [esc(s.category_text[kat])]
                for age in AGE_GROUPS:
                    c = self._cell(s.id, LAND, maltall(kat, age))
                    row.append(
                        f"{fmt_share(c.get('andel'), c.get('antall'), c.get('nevner'))} ({fmt_int(c.get('antall'))})"
                    )
                rows.append(row)
            rows.append(
                [texts.NEVNER_ROW]
                + [fmt_int(self._cell(s.id, LAND, maltall("innfridd", a)).get("nevner")) for a in AGE_GROUPS]
            )
            parts.append(
                table(
                    ["Kategori"] + [texts.AGE_LABELS[a] for a in AGE_GROUPS],
                    rows,
                    caption=texts.land_table_caption(esc(s.kort_tittel), self.aar),
                    align="lrrrr",
                    ident=f"tbl-landet-{s.id.replace('_', '-')}",
                )
            )
        parts.append(texts.HIDDEN_LINE)
        return "\n\n".join(parts)

    def _region_table(self, niva: str, caption: str, ident: str) -> str:
        regions = self.view.regions[self.view.regions["niva"] == niva]
        rows = []
        for r in regions.to_dict("records"):
            row = [esc(r["region_navn"])]
            for s in self.specs:
                c = self._cell(s.id, r["region"], MAIN)
                row.append(
                    f"{fmt_share(c.get('andel'), c.get('antall'), c.get('nevner'))} ({fmt_int(c.get('nevner'))})"
                )
            rows.append(row)
        return table(
            [texts.NIVA_LABEL[niva]] + [esc(s.kort_tittel) for s in self.specs],
            rows,
            caption=caption,
            align="l" + "r" * len(self.specs),
            ident=ident,
        )

    def fylker_og_kostragrupper(self) -> str:
        return "\n\n".join(
            [
                pagebreak(),
                texts.FYLKER_HEADING,
                self._region_table("fylke", texts.region_table_caption("fylker", self.aar), "tbl-fylker"),
                texts.KOSTRA_HEADING,
                texts.kostra_text(self.meta, esc),
                self._region_table(
                    "kostragruppe", texts.region_table_caption("KOSTRA-grupper", self.aar), "tbl-kostra"
                ),
                texts.HIDDEN_LINE,
            ]
        )

    def metode(self) -> str:
        return texts.method_section(self.meta, self.aar, esc)

    # --- for the notebook ------------------------------------------------------------------
    def vis_forside(self, vis_tittel: bool = True) -> None:
        show(f"# {esc(self.title())}" if vis_tittel else "", self.forside(), self.trend())

    def vis_landet(self) -> None:
        show(pagebreak(), texts.appendix_heading_national(), details(texts.LAND_SUMMARY, self.landet()))

    def vis_variasjon(self) -> None:
        show(self.variasjon())

    def vis_fylker_og_kostragrupper(self) -> None:
        show(self.fylker_og_kostragrupper())

    def vis_metode(self) -> None:
        show(self.metode())


__all__ = ["NasjonalOversikt"]
