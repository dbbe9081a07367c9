"""The kommune report's content from small hand-made published tables: the latest shown figure
(year or three-year), the signal, comparators equal to the kommune, breaks in words, short tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kvi_core import geography
from kvi_core.comparison import add_confidence_intervals, variasjon
from kvi_core.reporting import texts
from kvi_core.reporting.figures import barometer, categories_by_age
from kvi_core.reporting.kommune import KommuneRapport
from kvi_core.specs import AGE_GROUPS, CATEGORIES, load_specs, maltall

AAR = 2024
IND = "arbeid_utdanning_bistand"


def _rows(region, niva, navn, counts: dict[int, int | None], nevner: dict[str, int | None], aar=AAR):
    """All 16 måltall of one region for IND; ``counts``: måltall -> antall (None = hidden)."""
    out = []
    for kat in CATEGORIES:
        for age in AGE_GROUPS:
            m = maltall(kat, age)
            k, n = counts.get(m, 0), nevner.get(age, 0)
            hidden = k is None or n is None
            out.append(
                {
                    "indikator": IND,
                    "aar": aar,
                    "niva": niva,
                    "region": region,
                    "region_navn": navn,
                    "maltall": m,
                    "kategori": kat,
                    "aldersgruppe": age,
                    "antall": None if hidden else k,
                    "nevner": None if n is None else n,
                    "andel": None if hidden or not n else round(100 * k / n, 1),
                    "prikket": hidden,
                }
            )
    return out


def _tables(tmp_path, three: bool):
    """Utsira (1151) hidden in the year, shown in the three-year figure; its fylke and land shown."""
    rows = (
        _rows("EAK", "land", "Hele landet", {1: 600, 5: 100, 9: 100, 13: 200}, {"alle": 1000})
        + _rows("EKA11", "fylke", "Rogaland", {1: 60, 5: 10, 9: 10, 13: 20}, {"alle": 100})
        + _rows("EKG16", "kostragruppe", "KOSTRA-gruppe 16", {1: 30, 5: 5, 9: 5, 13: 10}, {"alle": 50})
        + _rows("1151", "kommune", "Utsira", {1: None, 5: None, 9: None, 13: None}, {"alle": 6})
        + _rows("0301", "kommune", "Oslo", {1: 300, 5: 50, 9: 50, 13: 100}, {"alle": 500})
        + _rows("EKA03", "fylke", "Oslo", {1: 300, 5: 50, 9: 50, 13: 100}, {"alle": 500})
    )
    t = add_confidence_intervals(pd.DataFrame(rows))
    t.to_csv(tmp_path / "indikatorer.csv", index=False)
    variasjon(t).to_csv(tmp_path / "variasjon.csv", index=False)
    members = pd.DataFrame(
        [
            {"aar": AAR, "unit": "1151", "niva": n, "region": r, "region_navn": nm}
            for n, r, nm in (
                ("kommune", "1151", "Utsira"),
                ("fylke", "EKA11", "Rogaland"),
                ("kostragruppe", "EKG16", "KOSTRA-gruppe 16"),
                ("land", "EAK", "Hele landet"),
            )
        ]
        + [
            {"aar": AAR, "unit": "0301", "niva": n, "region": r, "region_navn": nm}
            for n, r, nm in (("kommune", "0301", "Oslo"), ("fylke", "EKA03", "Oslo"), ("land", "EAK", "Hele landet"))
        ]
    )
    members.to_csv(tmp_path / "regioner.csv", index=False)
    (tmp_path / "metadata.json").write_text(json.dumps({"prikket": True, "aar": [AAR], "terskel": 5}))
    if three:
        t3 = (
            _rows("EAK", "land", "Hele landet", {1: 1800, 5: 300, 9: 300, 13: 600}, {"alle": 3000})
            + _rows("EKA11", "fylke", "Rogaland", {1: 180, 5: 30, 9: 30, 13: 60}, {"alle": 300})
            + _rows("EKG16", "kostragruppe", "KOSTRA-gruppe 16", {1: 90, 5: 15, 9: 15, 13: 30}, {"alle": 150})
            + _rows("1151", "kommune", "Utsira", {1: 12, 5: None, 9: None, 13: None}, {"alle": 18})
            + _rows("0301", "kommune", "Oslo", {1: 900, 5: 150, 9: 150, 13: 300}, {"alle": 1500})
            + _rows("EKA03", "fylke", "Oslo", {1: 900, 5: 150, 9: 150, 13: 300}, {"alle": 1500})
        )
        t3 = add_confidence_intervals(pd.DataFrame(t3)).assign(periode="2022-2024", brudd=False)
        before = _rows("EAK", "land", "Hele landet", {1: 1800, 13: 600}, {"alle": 3000}, aar=2023) + _rows(
            "1151", "kommune", "Utsira", {1: 9, 5: None, 9: None, 13: None}, {"alle": 18}, aar=2023
        )
        before = add_confidence_intervals(pd.DataFrame(before)).assign(periode="2021-2023", brudd=False)
        t3 = pd.concat([before, t3], ignore_index=True)
        t3.to_csv(tmp_path / "indikatorer_3ar.csv", index=False)
        variasjon(t3).assign(periode="2022-2024").to_csv(tmp_path / "variasjon_3ar.csv", index=False)
    return tmp_path


def test_hidden_year_shows_the_three_year_figure_and_says_why(tmp_path):
    r = KommuneRapport(_tables(tmp_path, three=True), "1151", AAR)
    h = r.headline(next(s for s in r.specs if s.id == IND))
    assert h["kind"] == "treaar" and h["andel"] == 66.7 and h["periode"] == "2022-2024"
    assert h["signal"] == "usikkert"  # 18 person-years: the interval is far wider than UNCERTAIN_WIDTH
    text = texts.headline_sentence("Utsira", h, lambda v: f"{v:.1f} %", str)
    assert "2024 alene er skjult" in text and "2022\u20132024" in text and "66.7 %" in text
    assert "treårstallet 50,0\u00a0% for 2021\u20132023" in r.indikator(next(s for s in r.specs if s.id == IND))
    page1 = r.forside()
    assert "2022\u20132024 (tre år samlet)" in page1
    assert "usikkert" in page1


def test_without_three_year_file_the_report_says_hidden_once(tmp_path):
    r = KommuneRapport(_tables(tmp_path, three=False), "1151", AAR)
    s = next(s for s in r.specs if s.id == IND)
    h = r.headline(s)
    assert h["kind"] == "skjult" and h["signal"] == "skjult"
    assert "tre år" not in texts.headline_sentence("Utsira", h, str, str)
    assert r._figure(s) == ""  # nothing of the kommune to draw
    # the 16-måltall table of only hidden cells and zeros is one sentence
    assert r._maltall_table(s).startswith("**Bistand arbeid/utdanning:** alle 16 måltall")


def test_comparator_equal_to_the_kommune_is_said_and_left_out(tmp_path):
    r = KommuneRapport(_tables(tmp_path, three=False), "0301", AAR)
    assert r.same_as_kommune == ["EKA03"]
    assert "EKA03" not in r.shown_comparators
    page1 = r.forside()
    assert "Oslo (fylke) består av de samme personene som Oslo" in page1
    assert "| Oslo (fylke)" not in page1


@pytest.mark.parametrize(
    "k, words",
    [
        (
            "1580",
            "Haram ble skilt ut fra Ålesund 1. januar 2024; tall før 2024 gjelder gamle Ålesund og kan ikke sammenlignes.",
        ),
        ("1508", "Haram ble skilt ut fra Ålesund 1. januar 2024"),
        ("3101", "Østfold ble skilt ut fra Viken 1. januar 2024; fylkestall før 2024 gjelder gamle Viken"),
        ("5636", "Finnmark ble skilt ut fra Troms og Finnmark 1. januar 2024"),
    ],
)
def test_breaks_in_words(k, words, tmp_path):
    from kvi_core.reporting.breaks import kommune_breaks

    assert kommune_breaks(k)
    r = KommuneRapport.__new__(KommuneRapport)
    r.kommunenr = k
    assert any(b.startswith(words) for b in r.breaks), r.breaks
    assert KommuneRapport.breaks.func(_Stub("0301")) == []  # Oslo: no change


class _Stub:
    def __init__(self, k):
        self.kommunenr = k


def test_stacked_bars_keep_category_order_with_hidden_parts_in_place():
    units = {"1": "K", "EAK": "Landet"}
    shares = {u: {(a, k): 25.0 for a in AGE_GROUPS for k in CATEGORIES} for u in units}
    shares["1"][("alle", "delvis")] = None  # hidden: drawn where delvis belongs, not at the end
    nevner = {u: {a: 40 for a in AGE_GROUPS} for u in units}
    svg, _ = categories_by_age(shares, nevner, units, "T")
    rects = [ln for ln in svg.splitlines() if ln.startswith("<rect") and 'stroke="#333333"' in ln]
    bar = rects[len(CATEGORIES) + 1 :][:4]  # after the legend: the kommune, alle aldre
    fills = [ln.split('fill="')[1].split('"')[0] for ln in bar]
    assert fills == ["#009E73", "url(#skjult)", "#D55E00", "#A6A6A6"]


def test_barometer_states_signal_in_words_and_symbols_not_colour_alone():
    rows = [
        {
            "title": s.kort_tittel,
            "andel": 50.0,
            "lo": 40.0,
            "hi": 60.0,
            "period": "2024",
            "marks": {"fylke": 55.0, "kostragruppe": None, "land": 60.0},
            "signal": code,
            "missing": "",
        }
        for s, code in zip(load_specs(), ("hoyere", "tydelig_lavere", "usikkert", "som_landet"))
    ]
    svg, alt = barometer(rows, "Kommune")
    for code in ("hoyere", "tydelig_lavere", "usikkert", "som_landet"):
        symbol, words = texts.SIGNAL[code]
        assert symbol in svg and words.split()[0] in svg and words in alt
    alt = alt.replace("\u00a0", " ")
    assert "50,0 %" in alt and "landet 60,0 %" in alt


def test_every_signal_has_one_symbol_and_words():
    from kvi_core.comparison import SIGNALS

    assert set(texts.SIGNAL) == set(SIGNALS)
    assert len({s for s, _ in texts.SIGNAL.values()}) == len(SIGNALS)  # told apart by shape


def test_no_row_counts_in_the_method_text():
    text = texts.source_text(AAR, [AAR])
    assert "rader;" not in text and "ble brukt" not in text
    assert geography.LAND == "EAK"
