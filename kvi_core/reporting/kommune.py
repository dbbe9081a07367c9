"""Content of the kommune report (``notebooks/kommunerapport.ipynb``).

The notebook only creates a :class:`KommuneRapport` and shows its parts; every table, figure and
sentence is made here, from the published files (``kvi_core.reporting.data``).
"""
from __future__ import annotations

from functools import cached_property

import pandas as pd

from kvi_core.geography import LAND
from kvi_core.reporting import content
from kvi_core.reporting.data import Results, ResultsError
from kvi_core.reporting.figures import AGE_LABELS, categories_by_age, trend
from kvi_core.reporting.markdown import (
    esc, figure, fmt_int, fmt_interval, fmt_pct, fmt_share, is_missing, norwegian_list,
    pagebreak, show, table,
)
from kvi_core.specs import AGE_GROUPS, CATEGORIES, IndicatorSpec, load_specs, maltall

try:  # comparison helpers (another module); the report still works without them
    from kvi_core.comparison import barometer_signal
except ImportError:  # pragma: no cover - exercised only while that module is missing
    barometer_signal = None
try:
    from kvi_core.comparison_plots import trend_plot
except ImportError:  # pragma: no cover
    trend_plot = None

# The trend figure: "svg" (kvi_core.reporting.figures.trend, about 1 ms) or "matplotlib"
# (kvi_core.comparison_plots.trend_plot, 0.1-0.3 s a figure: four of them would double a report's cost).
TREND_FIGURE = "svg"

MAIN = maltall("innfridd", "alle")  # måltall 1: the indicator's main number
UNREPORTED = maltall("uten_rapportering", "alle")  # måltall 13: the data-quality signal

_FALLBACK_SIGNAL = {
    "over": ("\u25b2", "høyere enn landet"),
    "innenfor": ("\u25cf", "som landet"),
    "under": ("\u25bc", "lavere enn landet"),
    "prikket": ("\u25cb", "ikke vist (prikket)"),
    "ingen": ("\u2013", "ingen med behov"),
}


def signal(posisjon, nevner) -> tuple[str, str]:
    """(symbol, words) for a funnel position, from ``kvi_core.comparison`` when it is there."""
    if barometer_signal is not None:
        return barometer_signal(posisjon, nevner)
    if is_missing(posisjon):
        return _FALLBACK_SIGNAL["ingen" if not is_missing(nevner) and int(nevner) == 0 else "prikket"]
    p = str(posisjon)
    return _FALLBACK_SIGNAL["over" if p.startswith("over") else "under" if p.startswith("under") else "innenfor"]


class KommuneRapport:
    """Everything the kommune report shows, for one kommune and year."""

    def __init__(self, resultater, kommunenr, aar):
        self.kommunenr = str(kommunenr).strip().zfill(4)
        self.aar = int(aar)
        self.results = resultater if isinstance(resultater, Results) else Results(resultater)
        self.view = self.results.year(self.aar)
        self.meta = self.results.metadata
        parents = self.view.parents(self.kommunenr)
        self.fylke = parents["fylke"]
        self.kostragruppe = parents.get("kostragruppe")
        self.navn = self.view.name(self.kommunenr)
        self.specs: list[IndicatorSpec] = [s for s in load_specs() if s.id in set(self._rows(self.kommunenr)["indikator"])]
        if not self.specs:
            raise ResultsError(f"ingen indikatorer for {self.kommunenr} i {self.aar}")

    # --- data --------------------------------------------------------------------------------
    def _rows(self, region: str) -> pd.DataFrame:
        return self.view.region_rows(region)

    @cached_property
    def _cells(self) -> dict[tuple[str, str, int], dict]:
        """(indikator, region, maltall) -> published row as a dict, for the four comparators."""
        out = {}
        for region in self.comparators:
            for r in self._rows(region).to_dict("records"):
                out[(r["indikator"], region, int(r["maltall"]))] = r
        return out

    def cell(self, indikator: str, region: str, maltall_nr: int) -> dict:
        return self._cells.get((indikator, region, maltall_nr), {})

    @cached_property
    def comparators(self) -> dict[str, str]:
        """region code -> label, in display order: kommune, fylke, KOSTRA group, land."""
        out = {self.kommunenr: self.navn, self.fylke: f"{self.view.name(self.fylke)} (fylke)"}
        if self.kostragruppe:
            star = "*" if (self.meta.get("kostragruppering") or {}).get("offisiell") is False else ""
            out[self.kostragruppe] = f"KOSTRA-gruppe {self.kostragruppe[3:]}{star}"
        out[LAND] = "Hele landet"
        return out

    @cached_property
    def _variasjon(self) -> dict[str, dict]:
        v = self.view.variasjon
        if v is None or v.empty:
            return {}
        mine = v[(v["niva"] == "kommune") & (v["region"] == self.kommunenr)]
        return {r["indikator"]: r for r in mine.to_dict("records")}

    # --- parts -------------------------------------------------------------------------------
    def title(self) -> str:
        return content.kommune_title(self.navn, self.kommunenr, self.aar)

    def barometer_rows(self) -> list[dict]:
        rows = []
        for s in self.specs:
            me, land = self.cell(s.id, self.kommunenr, MAIN), self.cell(s.id, LAND, MAIN)
            pos = self._variasjon.get(s.id, {}).get("posisjon")
            symbol, words = signal(pos, me.get("nevner"))
            rows.append({
                "spec": s, "symbol": symbol, "words": words, "posisjon": pos,
                "andel": me.get("andel"), "antall": me.get("antall"), "nevner": me.get("nevner"),
                "land": land.get("andel"),
            })
        return rows

    def summary(self, rows: list[dict]) -> str:
        """One or two sentences: on how many indicators the kommune is above, like or below land."""
        n = len(rows)
        count = {"over": 0, "innenfor": 0, "under": 0, "prikket": 0, "ingen": 0}
        for r in rows:
            p = "" if is_missing(r["posisjon"]) else str(r["posisjon"])
            if p.startswith("over"):
                count["over"] += 1
            elif p.startswith("under"):
                count["under"] += 1
            elif p == "innenfor":
                count["innenfor"] += 1
            elif not is_missing(r["nevner"]) and int(r["nevner"]) == 0:
                count["ingen"] += 1
            else:
                count["prikket"] += 1
        compared = [f"{w} på {count[k]}" for k, w in (("over", "høyere enn landet"), ("innenfor", "som landet"),
                                                      ("under", "lavere enn landet")) if count[k]]
        out = []
        if compared:
            out.append(f"Sammenlignet med landet er andelen som fikk behovet innfridd i {esc(self.navn)} "
                       f"{norwegian_list(compared)} av de {n} indikatorene.")
        rest = []
        if count["prikket"]:
            rest.append(f"{count['prikket']} av indikatorene er tallet skjult (prikket) fordi det er lite")
        if count["ingen"]:
            rest.append(f"{count['ingen']} av indikatorene er ingen registrert med behov")
        if rest:
            out.append(f"For {norwegian_list(rest)}.")
        return " ".join(out)

    def forside(self) -> str:
        rows = self.barometer_rows()
        barometer = table(
            ["Indikator", f"{esc(self.navn)}", "Hele landet", "Signal", "Personer med behov"],
            [[esc(r["spec"].tittel), fmt_share(r["andel"], r["antall"], r["nevner"]), fmt_pct(r["land"]),
              f"{r['symbol']} {r['words']}", fmt_int(r["nevner"])] for r in rows],
            caption=f"Barometer {self.aar}: andel med behovet innfridd i {esc(self.navn)} sammenlignet med landet",
            align="lrrlr", ident="tbl-barometer",
        )
        legend = (
            "**Slik leser du barometeret.** Tallene er andelen av personene med behov som fikk behovet "
            "innfridd (måltall 1, alle aldre). Signalet sier om kommunens andel skiller seg fra landets mer "
            "enn tilfeldig variasjon kan forklare (95 %-grensen i traktplottet): "
            "▲ høyere enn landet, ● som landet, ▼ lavere enn landet, ○ ikke vist fordi tallet er prikket, "
            "\u2013 ingen med behov. En høyere andel innfridd er bedre, men les forbeholdet om ulik "
            "registreringspraksis under hver indikator."
        )
        return "\n\n".join(p for p in [
            content.synthetic_notice(self.meta),
            "## Kort oppsummert",
            f"Rapporten viser fire nasjonale kvalitetsindikatorer for deltakelse for {esc(self.navn)} "
            f"kommune i {self.aar}: om de som har behov for bistand eller transport for å delta i arbeid, "
            "utdanning, kultur og fritid, får behovet innfridd. " + self.summary(rows),
            barometer,
            legend,
            content.kostra_text(self.meta) if "*" in "".join(self.comparators.values()) else "",
            pagebreak(),
        ] if p)

    def _main_table(self, s: IndicatorSpec) -> str:
        rows = []
        for region, label in self.comparators.items():
            c = self.cell(s.id, region, MAIN)
            rows.append([esc(label), fmt_share(c.get("andel"), c.get("antall"), c.get("nevner")),
                         fmt_interval(c.get("ki_nedre"), c.get("ki_ovre")), fmt_int(c.get("nevner"))])
        return table(["Område", "Andel innfridd", "95 % konfidensintervall", "Personer med behov"], rows,
                     caption=f"Måltall 1: andel med behovet innfridd, alle aldre, {self.aar}", align="lrrr")

    def _maltall_table(self, s: IndicatorSpec) -> str:
        rows = []
        for kat in CATEGORIES:
            for age in AGE_GROUPS:
                m = maltall(kat, age)
                c = self.cell(s.id, self.kommunenr, m)
                rows.append([f"{m}", esc(s.category_text[kat]), AGE_LABELS[age],
                             fmt_share(c.get("andel"), c.get("antall"), c.get("nevner"), unit=False),
                             fmt_int(c.get("antall")), fmt_int(c.get("nevner"))])
        return table(["Måltall", "Kategori", "Alder", "a: andel (%)", "b: antall", "Nevner"], rows,
                     caption=f"Alle 16 måltall for {esc(self.navn)} {self.aar}", align="rllrrr")

    def _figure(self, s: IndicatorSpec) -> str:
        shares, nevner = {}, {}
        for region in self.comparators:
            shares[region] = {(age, kat): self.cell(s.id, region, maltall(kat, age)).get("andel")
                              for age in AGE_GROUPS for kat in CATEGORIES}
            nevner[region] = {age: self.cell(s.id, region, maltall("innfridd", age)).get("nevner")
                              for age in AGE_GROUPS}
        svg, alt = categories_by_age(shares, nevner, self.comparators, f"{s.kort_tittel}: {self.navn} {self.aar}")
        caption = (f"{s.tittel}: fordeling på de fire kategoriene etter aldersgruppe, {self.navn} sammenlignet "
                   f"med fylket, KOSTRA-gruppen og landet, {self.aar}.")
        return figure(svg, caption, alt, ident=f"fig-kategorier-{s.id.replace('_', '-')}")

    def _unreported(self, s: IndicatorSpec) -> str:
        me, land = self.cell(s.id, self.kommunenr, UNREPORTED), self.cell(s.id, LAND, UNREPORTED)
        head = "**Datakvalitet: uten rapportering.** "
        if is_missing(me.get("andel")):
            if not is_missing(me.get("nevner")) and int(me["nevner"]) == 0:
                return head + f"Ingen i {esc(self.navn)} er registrert med dette behovet i {self.aar}."
            return head + ("Andelen uten rapportering på om tjenesten mottas er skjult (prikket) for "
                           f"{esc(self.navn)}. Landet: {fmt_pct(land.get('andel'))}.")
        a, lo, hi, la = me["andel"], me.get("ki_nedre"), me.get("ki_ovre"), land.get("andel")
        compare = ""
        if not (is_missing(lo) or is_missing(hi) or is_missing(la)):
            if float(lo) > float(la):
                compare = " Det er høyere enn i landet, også når vi tar hensyn til tilfeldig variasjon."
            elif float(hi) < float(la):
                compare = " Det er lavere enn i landet, også når vi tar hensyn til tilfeldig variasjon."
            else:
                compare = " Forskjellen fra landet er innenfor tilfeldig variasjon."
        warn = (" Jo høyere denne andelen er, jo mer usikre er de andre tallene for indikatoren, fordi vi ikke "
                "vet om disse personene får tjenesten.")
        return (head + f"For {fmt_pct(a)} av personene med behov i {esc(self.navn)} er det ikke registrert om de "
                f"mottar tjenesten (måltall 13; landet: {fmt_pct(la)})." + compare + warn)

    @cached_property
    def _trend_rows(self) -> pd.DataFrame | None:
        """Måltall 1 of this kommune, its fylke and land in the time series, up to ``aar``."""
        ts = self.results.tidsserie_main
        if ts is None:
            return None
        ts = ts[ts["region"].isin([self.kommunenr, self.fylke, LAND]) & (ts["aar"] <= self.aar)]
        return ts if ts["aar"].nunique() >= 2 else None

    def _trend(self, s: IndicatorSpec) -> str:
        ts = self._trend_rows
        if ts is None:
            return ""
        ts = ts[ts["indikator"] == s.id]
        caption = f"{s.tittel}: utvikling i andelen med behovet innfridd, {self.navn}, fylket og landet."
        ident = f"fig-trend-{s.id.replace('_', '-')}"
        if TREND_FIGURE == "matplotlib" and trend_plot is not None:
            fig, alt = trend_plot(ts, s.id, self.kommunenr, self.fylke)
            return figure(fig, caption, alt, ident=ident)
        years = sorted(int(y) for y in ts["aar"].unique())
        series = []
        for region, label in ((self.kommunenr, self.comparators[self.kommunenr]),
                              (self.fylke, self.comparators[self.fylke]), (LAND, "Hele landet")):
            rows = ts[ts["region"] == region].set_index("aar")
            d = {"label": label, "andel": [], "lo": [], "hi": [], "status": []}
            for y in years:
                r = rows.loc[y] if y in rows.index else None
                a = None if r is None else r["andel"]
                d["andel"].append(None if is_missing(a) else float(a))
                d["lo"].append(None if r is None or is_missing(r["ki_nedre"]) else float(r["ki_nedre"]))
                d["hi"].append(None if r is None or is_missing(r["ki_ovre"]) else float(r["ki_ovre"]))
                if r is None:
                    d["status"].append("mangler")
                elif bool(r.get("brudd", False)):
                    d["status"].append("brudd")
                elif is_missing(a):
                    nobody = not is_missing(r["nevner"]) and int(r["nevner"]) == 0
                    d["status"].append("ingen med behov" if nobody else "prikket")
                else:
                    d["status"].append("")
            series.append(d)
        svg, alt = trend(series, years, f"{s.kort_tittel}: {self.navn}, fylket og landet")
        return figure(svg, caption, alt, ident=ident)

    def indikator(self, s: IndicatorSpec) -> str:
        me = self.cell(s.id, self.kommunenr, MAIN)
        if is_missing(me.get("andel")):
            lead = ("Ingen i kommunen er registrert med dette behovet."
                    if not is_missing(me.get("nevner")) and int(me["nevner"]) == 0
                    else "Andelen for kommunen er skjult (prikket) fordi tallene er små.")
        else:
            lead = (f"I {esc(self.navn)} fikk {fmt_pct(me['andel'])} av de {fmt_int(me['nevner'])} personene "
                    f"med behov, behovet innfridd i {self.aar}.")
        codes_note = ("" if s.codes_confirmed else
                      "\n\n*Merk: kodene for denne indikatoren er ikke endelig bekreftet mot gjeldende "
                      "kodeverk, og tallene er foreløpige.*")
        return "\n\n".join(p for p in [
            f"## {esc(s.tittel)}",
            f"**Definisjon.** {esc(s.definisjon)}{codes_note}",
            lead,
            self._main_table(s),
            self._figure(s),
            self._trend(s),
            "### Alle måltall",
            self._maltall_table(s),
            content.HIDDEN_LINE,
            self._unreported(s),
            f"**Forbehold.** {esc(s.feilkilder)}",
        ] if p)

    def bydeler(self) -> str:
        """Main måltall per bydel, where the kommune is published by bydel."""
        byd = self.view.bydeler(self.kommunenr)
        if byd.empty:
            return ""
        rows = []
        for b in byd.to_dict("records"):
            cells = {r["indikator"]: r for r in self._rows(b["region"]).to_dict("records") if int(r["maltall"]) == MAIN}
            rows.append([esc(b["region_navn"])] + [
                fmt_share(cells.get(s.id, {}).get("andel"), cells.get(s.id, {}).get("antall"),
                          cells.get(s.id, {}).get("nevner")) for s in self.specs])
        return "\n\n".join([
            "## Bydeler",
            table(["Bydel"] + [esc(s.kort_tittel) for s in self.specs], rows,
                  caption=f"Andel med behovet innfridd (måltall 1) per bydel, {self.aar}"),
            content.HIDDEN_LINE,
        ])

    def metode(self) -> str:
        return content.method_section(self.meta, self.aar)

    def bunntekst(self) -> str:
        return content.footer(self.meta)

    # --- for the notebook --------------------------------------------------------------------
    def vis_forside(self, vis_tittel: bool = True) -> None:
        """The first page; with the title as a heading when run interactively (``vis_tittel``)."""
        show(f"# {esc(self.title())}" if vis_tittel else "", self.forside())

    def vis_indikatorer(self) -> None:
        for s in self.specs:
            show(self.indikator(s))

    def vis_bydeler(self) -> None:
        show(self.bydeler())

    def vis_metode(self) -> None:
        show(self.metode(), self.bunntekst())


__all__ = ["KommuneRapport", "MAIN", "UNREPORTED", "TREND_FIGURE", "signal"]
