"""Content of the national overview (``notebooks/nasjonal_oversikt.ipynb``): land, fylker,
KOSTRA groups, and the variation between kommuner with the units outside the 99.8 % funnel limits
("Politiske aktører blir varslet hvis det er store variasjoner")."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kvi_core.geography import LAND
from kvi_core.reporting import content
from kvi_core.reporting.data import Results
from kvi_core.reporting.figures import AGE_LABELS
from kvi_core.reporting.kommune import MAIN, UNREPORTED, signal
from kvi_core.reporting.markdown import (
    esc, figure, fmt_int, fmt_pct, fmt_share, pagebreak, show, table,
)
from kvi_core.specs import AGE_GROUPS, CATEGORIES, load_specs, maltall

try:
    from kvi_core import comparison
except ImportError:  # pragma: no cover
    comparison = None
try:
    from kvi_core.comparison_plots import funnel_plot
except ImportError:  # pragma: no cover
    funnel_plot = None

NO_KOMMUNE = "0000"  # a kommunenr that never exists: no kommune is highlighted in the overview's funnels
MAX_LISTED = 12  # units listed per indicator outside the 99.8 % limits; the rest are counted
POSITION_WORDS = {
    "innenfor": "Innenfor 95 %-grensene",
    "over_95": "Over 95 %-grensen",
    "over_998": "Over 99,8 %-grensen",
    "under_95": "Under 95 %-grensen",
    "under_998": "Under 99,8 %-grensen",
}


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

    def title(self) -> str:
        return content.national_title(self.aar)

    # --- parts -----------------------------------------------------------------------------
    def forside(self) -> str:
        rows = []
        for s in self.specs:
            c, u = self._cell(s.id, LAND, MAIN), self._cell(s.id, LAND, UNREPORTED)
            kv = self._kommune_v(s.id)
            pos = kv["posisjon"].astype(str) if len(kv) else pd.Series(dtype=str)
            rows.append([esc(s.tittel), fmt_share(c.get("andel"), c.get("antall"), c.get("nevner")),
                         fmt_int(c.get("nevner")), fmt_share(u.get("andel"), u.get("antall"), u.get("nevner")),
                         fmt_int(int(pos.isin(["over_998", "under_998"]).sum()))])
        return "\n\n".join(p for p in [
            content.synthetic_notice(self.meta),
            "## Kort oppsummert",
            (f"Oversikten viser de fire nasjonale kvalitetsindikatorene for deltakelse for hele landet i {self.aar}, "
             "for fylkene og KOSTRA-gruppene, og hvor mye kommunene varierer. Politiske aktører blir varslet hvis "
             "det er store variasjoner; derfor står kommunene og fylkene som ligger utenfor 99,8 %-grensene i "
             "traktplottet, oppført med navn."),
            table(["Indikator", "Andel innfridd", "Personer med behov", "Uten rapportering",
                   "Kommuner utenfor 99,8 %-grensene"], rows,
                  caption=f"Hele landet {self.aar}: måltall 1 (innfridd) og 13 (uten rapportering), alle aldre",
                  align="lrrrr", ident="tbl-landet"),
            pagebreak(),
        ] if p)

    def landet(self) -> str:
        parts = ["## Hele landet"]
        for s in self.specs:
            rows = []
            for kat in CATEGORIES:
                row = [esc(s.category_text[kat])]
                for age in AGE_GROUPS:
                    c = self._cell(s.id, LAND, maltall(kat, age))
                    row.append(f"{fmt_share(c.get('andel'), c.get('antall'), c.get('nevner'))} "
                               f"({fmt_int(c.get('antall'))})")
                rows.append(row)
            nev = ["Personer med behov (nevner)"] + [fmt_int(self._cell(s.id, LAND, maltall("innfridd", a)).get("nevner"))
                                                     for a in AGE_GROUPS]
            rows.append(nev)
            parts += [f"### {esc(s.tittel)}", f"**Definisjon.** {esc(s.definisjon)}",
                      table(["Kategori"] + [AGE_LABELS[a] for a in AGE_GROUPS], rows,
                            caption=f"{esc(s.kort_tittel)}, hele landet {self.aar}: andel (antall), måltall 1\u201316",
                            align="lrrrr")]
        parts.append(content.HIDDEN_LINE)
        return "\n\n".join(parts)

    def _funnel(self, s) -> str:
        if funnel_plot is None or comparison is None or self.v is None or self.v.empty:
            return ""
        shares = comparison.land_shares(self.results.table[self.results.table["aar"] == self.aar])
        p0 = shares.loc[shares["indikator"] == s.id, "p0"]
        land = float(p0.iloc[0]) * 100 if len(p0) and np.isfinite(p0.iloc[0]) else None
        fig, alt = funnel_plot(self.v, land, s.id, self.aar, NO_KOMMUNE, title=f"{s.kort_tittel} {self.aar}: alle kommuner")
        # funnel_plot always highlights one kommune; here none is: drop its "not in the table" note
        for ax in fig.axes:
            for t in list(ax.texts):
                if NO_KOMMUNE in t.get_text():
                    t.remove()
        alt = re.sub(r"\s*Kommune\s+" + NO_KOMMUNE + r"\s+finnes ikke i tabellen[^.]*\.", "", alt).strip()
        return figure(fig, f"{s.tittel}: traktplott over alle kommuner, {self.aar}.", alt,
                      ident=f"fig-trakt-{s.id.replace('_', '-')}", fmt="png")

    def variasjon(self) -> str:
        parts = [
            "## Variasjon mellom kommuner",
            ("Traktplottet viser andelen med innfridd behov i hver kommune mot antallet med behov. Små kommuner "
             "varierer mer av tilfeldige grunner, derfor blir grensene smalere jo flere personer kommunen har "
             "med behov. En kommune utenfor 99,8 %-grensene skiller seg fra landet mer enn tilfeldig variasjon "
             "kan forklare."),
        ]
        for s in self.specs:
            kv = self._kommune_v(s.id)
            andel = pd.to_numeric(kv["andel"], errors="coerce").dropna() if len(kv) else pd.Series(dtype=float)
            pos = kv["posisjon"].fillna("").astype(str) if len(kv) else pd.Series(dtype=str)
            counts = [[POSITION_WORDS[p], fmt_int(int((pos == p).sum()))] for p in POSITION_WORDS]
            counts.append(["Uten plassering (prikket eller ingen med behov)", fmt_int(int((pos == "").sum()))])
            spread = ""
            if len(andel):
                q1, med, q3 = np.percentile(andel, [25, 50, 75])
                spread = (f"Blant de {fmt_int(len(andel))} kommunene med viste tall er medianen {fmt_pct(med)}; "
                          f"halvparten av kommunene ligger mellom {fmt_pct(q1)} og {fmt_pct(q3)}, og andelene "
                          f"går fra {fmt_pct(andel.min())} til {fmt_pct(andel.max())}.")
            parts += [f"### {esc(s.tittel)}", spread, self._funnel(s),
                      table(["Plassering i traktplottet", "Kommuner"], counts,
                            caption=f"{esc(s.kort_tittel)} {self.aar}: kommunenes plassering", align="lr")]
        parts.append(self.utenfor())
        return "\n\n".join(p for p in parts if p)

    def utenfor(self) -> str:
        parts = ["## Kommuner og fylker utenfor 99,8 %-grensene"]
        if comparison is None or self.v is None or self.v.empty:
            return "\n\n".join(parts + ["Variasjonstabellen (variasjon.csv) finnes ikke for dette året."])
        out = comparison.outliers(self.v, "998")
        for s in self.specs:
            o = out[out["indikator"] == s.id]
            land = self._cell(s.id, LAND, MAIN).get("andel")
            if o.empty:
                parts.append(f"**{esc(s.tittel)}:** ingen kommuner eller fylker utenfor 99,8 %-grensene.")
                continue
            shown = o.head(MAX_LISTED)
            rows = []
            for r in shown.to_dict("records"):
                symbol, words = signal(r["posisjon"], r["nevner"])
                rows.append([esc(r["region_navn"]), r["region"], "Fylke" if r["niva"] == "fylke" else "Kommune",
                             fmt_pct(r["andel"]), fmt_int(r["nevner"]), f"{symbol} {words}"])
            rest = len(o) - len(shown)
            parts += [
                f"### {esc(s.tittel)}",
                table(["Enhet", "Nummer", "Nivå", "Andel innfridd", "Personer med behov", "Signal"], rows,
                      caption=f"{esc(s.kort_tittel)} {self.aar}: utenfor 99,8 %-grensene (landet: {fmt_pct(land)})",
                      align="lllrrl"),
            ]
            if rest > 0:
                parts.append(f"Og {rest} til; alle står i variasjon.csv (kolonnen posisjon).")
        return "\n\n".join(parts)

    def _region_table(self, niva: str, caption: str) -> str:
        regions = self.view.regions[self.view.regions["niva"] == niva]
        rows = []
        for r in regions.to_dict("records"):
            row = [esc(r["region_navn"])]
            for s in self.specs:
                c = self._cell(s.id, r["region"], MAIN)
                row.append(f"{fmt_share(c.get('andel'), c.get('antall'), c.get('nevner'))} ({fmt_int(c.get('nevner'))})")
            rows.append(row)
        return table([niva.capitalize() if niva == "fylke" else "KOSTRA-gruppe"] + [esc(s.kort_tittel) for s in self.specs],
                     rows, caption=caption, align="l" + "r" * len(self.specs))

    def fylker_og_kostragrupper(self) -> str:
        return "\n\n".join([
            "## Fylker",
            self._region_table("fylke", f"Andel med behovet innfridd (personer med behov), fylker {self.aar}"),
            "## KOSTRA-grupper",
            content.kostra_text(self.meta),
            self._region_table("kostragruppe", f"Andel med behovet innfridd (personer med behov), KOSTRA-grupper {self.aar}"),
            content.HIDDEN_LINE,
        ])

    def metode(self) -> str:
        return content.method_section(self.meta, self.aar)

    # --- for the notebook ------------------------------------------------------------------
    def vis_forside(self, vis_tittel: bool = True) -> None:
        show(f"# {esc(self.title())}" if vis_tittel else "", self.forside())

    def vis_landet(self) -> None:
        show(self.landet())

    def vis_variasjon(self) -> None:
        show(self.variasjon())

    def vis_fylker_og_kostragrupper(self) -> None:
        show(self.fylker_og_kostragrupper())

    def vis_metode(self) -> None:
        show(self.metode(), content.footer(self.meta))


__all__ = ["NasjonalOversikt"]
