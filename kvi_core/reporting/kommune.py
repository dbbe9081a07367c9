"""Content of the kommune report (``notebooks/kommunerapport.ipynb``).

The notebook only creates a :class:`KommuneRapport` and shows its parts; every table and figure is
made here, from the published files (``kvi_core.reporting.data``), with the words of ``texts``.

Layout (issue 12): page 1 is the barometer figure, three to four plain sentences and the numbers
behind the figure; then one short section per indicator (categories and trend figures, data
quality); then bydeler, the indicators' definitions, the method, and the full 16-måltall tables as an
appendix (a collapsible section in HTML).
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from kvi_core.comparison import signal
from kvi_core.geography import LAND
from kvi_core.reporting import texts
from kvi_core.reporting.breaks import kommune_breaks
from kvi_core.reporting.data import Results, ResultsError, YearView
from kvi_core.reporting.figures import barometer, categories_by_age, trend
from kvi_core.reporting.markdown import (
    details,
    esc,
    figure,
    fmt_int,
    fmt_interval,
    fmt_pct,
    fmt_share,
    is_missing,
    pagebreak,
    show,
    table,
)
from kvi_core.specs import AGE_GROUPS, CATEGORIES, IndicatorSpec, load_specs, maltall

MAIN = maltall("innfridd", "alle")  # måltall 1: the indicator's main number
UNREPORTED = maltall("uten_rapportering", "alle")  # måltall 13: the data-quality signal
# Registration is called weak ("uten rapportering") when the kommune's share without a registration
# is at least this many percent, or higher than land's beyond random variation (interval above it).
WEAK_REGISTRATION = 25.0


def _num(v):
    return None if is_missing(v) else float(v)


class KommuneRapport:
    """Everything the kommune report shows, for one kommune and year."""

    def __init__(self, resultater, kommunenr, aar):
        self.kommunenr = str(kommunenr).strip().zfill(4)
        self.aar = int(aar)
        self.results = resultater if isinstance(resultater, Results) else Results(resultater)
        self.view = self.results.year(self.aar)
        self.three: YearView | None = self.results.three_year(self.aar)
        self.meta = self.results.metadata
        parents = self.view.parents(self.kommunenr)
        self.fylke = parents["fylke"]
        self.kostragruppe = parents.get("kostragruppe")
        self.navn = self.view.name(self.kommunenr)
        self._positions: dict[int, dict] = {}
        self.specs: list[IndicatorSpec] = [
            s for s in load_specs() if s.id in set(self._rows(self.kommunenr)["indikator"])
        ]
        if not self.specs:
            raise ResultsError(f"ingen indikatorer for {self.kommunenr} i {self.aar}")

    # --- data --------------------------------------------------------------------------------
    def _rows(self, region: str, view: YearView | None = None) -> pd.DataFrame:
        return (view or self.view).region_rows(region)

    def _index(self, view: YearView) -> dict[tuple[str, str, int], dict]:
        out = {}
        for region in self.comparators:
            for r in self._rows(region, view).to_dict("records"):
                out[(r["indikator"], region, int(r["maltall"]))] = r
        return out

    @cached_property
    def _cells(self) -> dict[tuple[str, str, int], dict]:
        return self._index(self.view)

    @cached_property
    def _cells3(self) -> dict[tuple[str, str, int], dict]:
        return self._index(self.three) if self.three is not None else {}

    def cell(self, indikator: str, region: str, maltall_nr: int, three: bool = False) -> dict:
        return (self._cells3 if three else self._cells).get((indikator, region, maltall_nr), {})

    def _members(self, niva: str, region: str) -> set[str]:
        m = self.view.members
        return set(m.loc[(m["niva"] == niva) & (m["region"] == region), "unit"].astype(str))

    @cached_property
    def same_as_kommune(self) -> list[str]:
        """Comparators (region codes) made of exactly the kommune (Oslo: its fylke and KOSTRA group)."""
        mine = self._members("kommune", self.kommunenr)
        out = []
        for niva, region in (("fylke", self.fylke), ("kostragruppe", self.kostragruppe)):
            if region and self._members(niva, region) == mine:
                out.append(region)
        return out

    @cached_property
    def comparators(self) -> dict[str, str]:
        """region code -> label, in display order: kommune, fylke, KOSTRA group, land (all of them,
        also those equal to the kommune; see :attr:`shown_comparators`)."""
        out = {self.kommunenr: self.navn, self.fylke: texts.fylke_label(self.view.name(self.fylke))}
        if self.kostragruppe:
            unofficial = (self.meta.get("kostragruppering") or {}).get("offisiell") is False
            out[self.kostragruppe] = texts.kostra_label(self.kostragruppe, unofficial)
        out[LAND] = texts.LAND_LABEL
        return out

    @property
    def shown_comparators(self) -> dict[str, str]:
        return {k: v for k, v in self.comparators.items() if k not in self.same_as_kommune}

    def _position(self, view: YearView, indikator: str):
        key = id(view)
        if key not in self._positions:
            v = view.variasjon
            mine = v[(v["niva"] == "kommune") & (v["region"] == self.kommunenr)] if v is not None and len(v) else None
            self._positions[key] = {} if mine is None else dict(zip(mine["indikator"], mine["posisjon"]))
        return self._positions[key].get(indikator)

    def headline(self, s: IndicatorSpec) -> dict:
        """The latest shown figure of måltall 1: the year's (``kind`` 'aar'), else the three-year figure
        ('treaar'), else 'ingen' (nobody with a need) or 'skjult'; with its signal code."""
        me = self.cell(s.id, self.kommunenr, MAIN)
        base = {"aar": self.aar, "periode": None, "three": False}
        if not is_missing(me.get("andel")):
            pos = self._position(self.view, s.id)
            return dict(
                base,
                kind="aar",
                andel=float(me["andel"]),
                lo=_num(me.get("ki_nedre")),
                hi=_num(me.get("ki_ovre")),
                nevner=me.get("nevner"),
                signal=signal(pos, me.get("nevner"), me.get("ki_nedre"), me.get("ki_ovre"), me.get("andel")),
            )
        if not is_missing(me.get("nevner")) and int(me["nevner"]) == 0:
            return dict(base, kind="ingen", andel=None, lo=None, hi=None, nevner=0, signal="ingen")
        three = self.cell(s.id, self.kommunenr, MAIN, three=True)
        if three and not is_missing(three.get("andel")) and not bool(three.get("brudd", False)):
            pos = self._position(self.three, s.id)
            return dict(
                base,
                kind="treaar",
                periode=self.three.periode,
                three=True,
                andel=float(three["andel"]),
                lo=_num(three.get("ki_nedre")),
                hi=_num(three.get("ki_ovre")),
                nevner=three.get("nevner"),
                signal=signal(
                    pos, three.get("nevner"), three.get("ki_nedre"), three.get("ki_ovre"), three.get("andel")
                ),
            )
        return dict(
            base,
            kind="skjult",
            andel=None,
            lo=None,
            hi=None,
            nevner=None,
            signal="skjult",
            has_three=self.three is not None,
        )

    @cached_property
    def headlines(self) -> dict[str, dict]:
        return {s.id: self.headline(s) for s in self.specs}

    def weak_registration(self, s: IndicatorSpec) -> bool:
        me, land = self.cell(s.id, self.kommunenr, UNREPORTED), self.cell(s.id, LAND, UNREPORTED)
        if is_missing(me.get("andel")):
            return False
        above = not (is_missing(me.get("ki_nedre")) or is_missing(land.get("andel"))) and float(me["ki_nedre"]) > float(
            land["andel"]
        )
        return float(me["andel"]) >= WEAK_REGISTRATION or above

    @cached_property
    def breaks(self) -> list[str]:
        """The classification changes that break this kommune's or its fylke's series, in words."""
        out = []
        for b in kommune_breaks(self.kommunenr):
            when = texts.date_text(b["year"])
            if b["kind"] == "split":
                out.append(texts.break_kommune_split(b["new"], b["old"], when, b["year"]))
            elif b["kind"] == "merged":
                out.append(texts.break_kommune_merged(b["name"], b["parts"], when, b["year"]))
            else:
                out.append(texts.break_fylke_divided(b["fylke"], b["old"], when, b["year"]))
        return out

    # --- page 1 ------------------------------------------------------------------------------
    def title(self) -> str:
        return texts.kommune_title(self.navn, self.kommunenr, self.aar)

    def _barometer_rows(self) -> list[dict]:
        rows = []
        for s in self.specs:
            h = self.headlines[s.id]
            marks = {}
            for region, niva in ((self.fylke, "fylke"), (self.kostragruppe, "kostragruppe"), (LAND, "land")):
                if region and region not in self.same_as_kommune:
                    marks[niva] = _num(self.cell(s.id, region, MAIN, three=h["three"]).get("andel"))
            missing = texts.SIGNAL[h["signal"]][1] if h["kind"] in ("ingen", "skjult") else ""
            rows.append(
                {
                    "title": s.kort_tittel,
                    "andel": h["andel"],
                    "lo": h["lo"],
                    "hi": h["hi"],
                    "period": texts.period_label(h),
                    "marks": marks,
                    "signal": h["signal"],
                    "missing": missing,
                }
            )
        return rows

    def summary(self) -> list[str]:
        groups: dict[str, list[str]] = {}
        key = {
            "tydelig_hoyere": "bedre",
            "hoyere": "bedre",
            "som_landet": "som",
            "usikkert": "usikkert",
            "lavere": "lavere",
            "tydelig_lavere": "lavere",
            "skjult": "skjult",
            "ingen": "ingen",
        }
        for s in self.specs:
            groups.setdefault(key[self.headlines[s.id]["signal"]], []).append(s.kort_tittel)
            if self.weak_registration(s):
                groups.setdefault("uten_rapportering", []).append(s.kort_tittel)
            elif not is_missing(self.cell(s.id, self.kommunenr, UNREPORTED).get("andel")):
                groups.setdefault("registrering_kjent", []).append(s.kort_tittel)
        return texts.summary_sentences(esc(self.navn), groups, has_three=self.three is not None)

    def numbers_table(self) -> str:
        """The numbers behind the barometer: one row per indicator."""
        comps = [(r, label) for r, label in self.shown_comparators.items() if r != self.kommunenr]
        periods = any(h["three"] for h in self.headlines.values())  # a column only when periods differ
        header = (
            [texts.main_table_header(self.aar)[0], esc(self.navn)]
            + (["Periode"] if periods else [])
            + ["Intervall (95 %)", "Personer med behov"]
            + [esc(label) for _, label in comps]
            + ["Signal"]
        )
        rows = []
        for s in self.specs:
            h = self.headlines[s.id]
            share = fmt_pct(h["andel"]) if h["andel"] is not None else ("\u2013" if h["kind"] == "ingen" else ":")
            row = (
                [esc(s.kort_tittel), share]
                + ([texts.period_label(h)] if periods else [])
                + [fmt_interval(h["lo"], h["hi"]), fmt_int(h["nevner"])]
            )
            for region, _ in comps:
                c = self.cell(s.id, region, MAIN, three=h["three"])
                row.append(fmt_share(c.get("andel"), c.get("antall"), c.get("nevner")))
            row.append(texts.signal_words(h["signal"], short=True))
            rows.append(row)
        return table(
            header,
            rows,
            caption=texts.main_table_caption(esc(self.navn), self.aar),
            align="lr" + ("l" if periods else "") + "rr" + "r" * len(comps) + "l",
            ident="tbl-tallene",
        )

    def forside(self) -> str:
        svg, alt = barometer(self._barometer_rows(), self.navn)
        same = [self.comparators[r] for r in self.same_as_kommune]
        return "\n\n".join(
            p
            for p in [
                texts.synthetic_notice(self.meta),
                texts.kommune_intro(esc(self.navn), self.aar),
                figure(svg, texts.barometer_caption(self.navn, self.aar), alt, ident="fig-barometer"),
                " ".join(self.summary()),
                f"{texts.BREAKS_LEAD} {' '.join(self.breaks)}" if self.breaks else "",
                texts.BAROMETER_HOW_TO_READ,
                texts.same_as_kommune(same, esc(self.navn)),
                self.numbers_table(),
                texts.HIDDEN_LINE
                + (" " + texts.kostra_footnote(self.meta) if "*" in "".join(self.shown_comparators.values()) else ""),
                pagebreak(),
            ]
            if p
        )

    # --- one section per indicator -----------------------------------------------------------
    def _figure(self, s: IndicatorSpec) -> str:
        """The categories by age; none when the kommune has no published share in any category and age
        group (the sentence above says why)."""
        mine = [
            self.cell(s.id, self.kommunenr, maltall(kat, age)).get("andel") for kat in CATEGORIES for age in AGE_GROUPS
        ]
        if all(is_missing(a) for a in mine):
            return ""
        comps = self.shown_comparators
        shares, nevner = {}, {}
        for region in comps:
            shares[region] = {
                (age, kat): self.cell(s.id, region, maltall(kat, age)).get("andel")
                for age in AGE_GROUPS
                for kat in CATEGORIES
            }
            nevner[region] = {
                age: self.cell(s.id, region, maltall("innfridd", age)).get("nevner") for age in AGE_GROUPS
            }
        svg, alt = categories_by_age(shares, nevner, comps, f"{s.kort_tittel}: {self.navn} {self.aar}")
        niva = {self.fylke: "fylke", self.kostragruppe: "kostragruppe", LAND: "land"}
        compared = [texts.COMPARATOR_WORDS[niva[r]] for r in comps if r != self.kommunenr]
        return figure(
            svg,
            texts.categories_caption(s.kort_tittel, self.navn, self.aar, compared),
            alt,
            ident=f"fig-kategorier-{s.id.replace('_', '-')}",
        )

    def _unreported(self, s: IndicatorSpec) -> str:
        me, land = self.cell(s.id, self.kommunenr, UNREPORTED), self.cell(s.id, LAND, UNREPORTED)
        lo, hi, la = me.get("ki_nedre"), me.get("ki_ovre"), land.get("andel")
        compared = None
        if not (is_missing(lo) or is_missing(hi) or is_missing(la)):
            compared = "hoyere" if float(lo) > float(la) else "lavere" if float(hi) < float(la) else "som"
        info = {
            "andel": _num(me.get("andel")),
            "nevner": None if is_missing(me.get("nevner")) else int(me["nevner"]),
            "sammenlignet": compared,
        }
        return texts.unreported_sentence(esc(self.navn), self.aar, info, {"andel": _num(la)}, fmt_pct)

    @cached_property
    def _trend_rows(self) -> tuple[list[int], dict[tuple[str, str], dict[int, dict]]] | None:
        """Måltall 1 of this kommune, its fylke and land in the time series up to ``aar``: the years,
        and (indikator, region) -> {aar: row}."""
        ts = self.results.tidsserie_main
        if ts is None:
            return None
        ts = ts[ts["region"].isin([self.kommunenr, self.fylke, LAND]) & (ts["aar"] <= self.aar)]
        if ts["aar"].nunique() < 2:
            return None
        index: dict[tuple[str, str], dict[int, dict]] = {}
        for r in ts.to_dict("records"):
            index.setdefault((r["indikator"], r["region"]), {})[int(r["aar"])] = r
        return sorted(int(y) for y in ts["aar"].unique()), index

    def _trend(self, s: IndicatorSpec) -> str:
        if self._trend_rows is None:
            return ""
        years, index = self._trend_rows
        if all(is_missing(r["andel"]) for r in index.get((s.id, self.kommunenr), {}).values()):
            return ""  # the kommune has no shown number in any year: the trend would show only others
        regions = [(self.kommunenr, self.comparators[self.kommunenr])]
        if self.fylke not in self.same_as_kommune:
            regions.append((self.fylke, self.comparators[self.fylke]))
        regions.append((LAND, texts.LAND_LABEL))
        series = []
        for region, label in regions:
            rows = index.get((s.id, region), {})
            d = {"label": label, "andel": [], "lo": [], "hi": [], "status": []}
            for y in years:
                r = rows.get(y)
                a = None if r is None else r["andel"]
                d["andel"].append(_num(a))
                d["lo"].append(None if r is None else _num(r["ki_nedre"]))
                d["hi"].append(None if r is None else _num(r["ki_ovre"]))
                if r is None:
                    d["status"].append("mangler")
                elif bool(r.get("brudd", False)):
                    d["status"].append("brudd")
                elif is_missing(a):
                    nobody = not is_missing(r["nevner"]) and int(r["nevner"]) == 0
                    d["status"].append(texts.FIG_NOBODY if nobody else "skjult")
                else:
                    d["status"].append("")
            series.append(d)
        notes = sorted({texts.break_figure_note(b["year"]) for b in kommune_breaks(self.kommunenr)})
        svg, alt = trend(series, years, f"{s.kort_tittel}: {self.navn}, fylket og landet", notes=notes)
        return figure(
            svg, texts.trend_caption(s.kort_tittel, self.navn), alt, ident=f"fig-trend-{s.id.replace('_', '-')}"
        )

    def _earlier_three_year(self, s: IndicatorSpec) -> list[tuple[str, str]]:
        """The kommune's shown three-year figures of the two periods before (its three-year trend),
        each period in its last year's geography (a renumbered kommune under its code then)."""
        out = []
        for aar in (self.aar - 2, self.aar - 1):
            view = self.results.three_year(aar)
            if view is None:
                continue
            code = self.results.source_region(self.kommunenr, aar, self.aar)  # its code then
            if code is None:
                continue
            hit = view.region_rows(code)
            hit = hit[(hit["indikator"] == s.id) & (hit["maltall"] == MAIN)]
            if (
                len(hit)
                and not is_missing(hit["andel"].iloc[0])
                and not bool(hit.get("brudd", pd.Series([False])).iloc[0])
            ):
                out.append((view.periode, fmt_pct(hit["andel"].iloc[0])))
        return out

    def indikator(self, s: IndicatorSpec) -> str:
        h = self.headlines[s.id]
        return "\n\n".join(
            p
            for p in [
                f"## {esc(s.tittel)}",
                texts.headline_sentence(esc(self.navn), h, fmt_pct, fmt_int)
                + (" " + texts.three_year_trend_sentence(self._earlier_three_year(s)) if h["kind"] == "treaar" else ""),
                self._figure(s),
                self._trend(s),
                self._unreported(s),
            ]
            if p
        )

    # --- the rest ----------------------------------------------------------------------------
    def bydeler(self) -> str:
        """Main måltall per bydel, where the kommune is published by bydel."""
        byd = self.view.bydeler(self.kommunenr)
        if byd.empty:
            return ""
        rows = []
        for b in byd.to_dict("records"):
            cells = {r["indikator"]: r for r in self._rows(b["region"]).to_dict("records") if int(r["maltall"]) == MAIN}
            rows.append(
                [esc(b["region_navn"])]
                + [
                    fmt_share(
                        cells.get(s.id, {}).get("andel"),
                        cells.get(s.id, {}).get("antall"),
                        cells.get(s.id, {}).get("nevner"),
                    )
                    for s in self.specs
                ]
            )
        return "\n\n".join(
            [
                texts.bydel_heading(),
                table(
                    ["Bydel"] + [esc(s.kort_tittel) for s in self.specs], rows, caption=texts.bydel_caption(self.aar)
                ),
                texts.HIDDEN_LINE,
            ]
        )

    def om_indikatorene(self) -> str:
        return "\n\n".join(
            [texts.INDICATORS_ABOUT_HEADING]
            + [
                texts.definition(esc(s.tittel), esc(s.definisjon), esc(s.feilkilder), s.codes_confirmed)
                for s in self.specs
            ]
        )

    def _maltall_table(self, s: IndicatorSpec) -> str:
        rows, cells = [], []
        for kat in CATEGORIES:
            for age in AGE_GROUPS:
                m = maltall(kat, age)
                c = self.cell(s.id, self.kommunenr, m)
                cells.append(c)
                rows.append(
                    [
                        f"{m}",
                        esc(s.category_text[kat]),
                        texts.AGE_LABELS[age],
                        fmt_share(c.get("andel"), c.get("antall"), c.get("nevner"), unit=False),
                        fmt_int(c.get("antall")),
                        fmt_int(c.get("nevner")),
                    ]
                )
        if all(is_missing(c.get("antall")) or int(c["antall"]) == 0 for c in cells):
            nobody = all(not is_missing(c.get("nevner")) and int(c["nevner"]) == 0 for c in cells)
            return texts.all_maltall_empty(esc(s.kort_tittel), esc(self.navn), self.aar, nobody)
        return table(
            texts.ALL_MALTALL_HEADER,
            rows,
            caption=texts.all_maltall_caption(esc(self.navn), self.aar, esc(s.kort_tittel)),
            align="rllrrr",
            ident=f"tbl-maltall-{s.id.replace('_', '-')}",
        )

    def vedlegg(self) -> str:
        body = "\n\n".join([self._maltall_table(s) for s in self.specs] + [texts.HIDDEN_LINE])
        return "\n\n".join([pagebreak(), texts.appendix_heading(), details(texts.APPENDIX_SUMMARY, body)])

    def metode(self) -> str:
        return texts.method_section(self.meta, self.aar, esc, three_year=self.three is not None, appendix=True)

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
        show(self.om_indikatorene(), self.metode())

    def vis_vedlegg(self) -> None:
        show(self.vedlegg())


__all__ = ["KommuneRapport", "MAIN", "UNREPORTED", "WEAK_REGISTRATION"]
