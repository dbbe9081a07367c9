"""Funnel and trend figures: they build, say what they show, and never draw a hidden number."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from published_rows import frame, published_row
from kvi_core import geography
from kvi_core.comparison import add_confidence_intervals, variasjon
from kvi_core.comparison_plots import funnel_plot, trend_plot
from kvi_core.timeseries import tidsserie





def row(aar, niva, region, antall, nevner, navn=None, maltall=1, indikator="arbeid_utdanning_bistand"):
    return published_row(indikator, aar, niva, region, navn or f"Navn {region}", antall, nevner, maltall)


def as_table(rows) -> pd.DataFrame:
    return add_confidence_intervals(frame(rows))


# Hidden numbers that must never be drawn (they are not even in the table; the test checks that
# no point sits on the published nevner of a unit whose share is hidden either).
def funnel_table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = [row(2024, "land", "EAK", 6000, 10000, "Hele landet")]
    kom = geography.kommuner(2024).head(60)
    for i, (nr, navn) in enumerate(zip(kom["kommunenr"], kom["kommune_navn"])):
        n = int(rng.integers(5, 400))
        k = int(rng.binomial(n, 0.6 if i % 7 else 0.85))
        rows.append(row(2024, "kommune", nr, k, n, navn))
    rows[2] = row(2024, "kommune", rows[2]["region"], None, 137, rows[2]["region_navn"])  # antall hidden
    rows[3] = row(2024, "kommune", rows[3]["region"], None, None, rows[3]["region_navn"])  # both hidden
    rows[4] = row(2024, "kommune", rows[4]["region"], 0, 0, rows[4]["region_navn"])  # no need
    return as_table(rows)


def points(fig: Figure) -> set[tuple[float, float]]:
    out = set()
    for ax in fig.axes:
        for coll in ax.collections:
            if isinstance(coll, PathCollection):
                for x, y in coll.get_offsets():
                    out.add((float(x), float(y)))
    return out


def render(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_funnel_plot_builds_and_highlights_the_kommune():
    t = funnel_table()
    v = variasjon(t)
    me = v[v["posisjon"].notna()].iloc[3]
    fig, alt = funnel_plot(v, 60.0, "arbeid_utdanning_bistand", 2024, me["region"])
    assert isinstance(fig, Figure)
    assert render(fig)[:4] == b"\x89PNG"
    assert me["region_navn"] in alt and me["region"] in alt
    assert "Traktplott" in alt and "60,0 %" in alt and "99,8 %" in alt
    assert "1 kommuner med prikkede tall" not in alt  # two are hidden
    assert "2 kommuner med prikkede tall" in alt and "1 uten personer med behov" in alt
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert me["region_navn"] in texts  # labelled, not only coloured
    assert (float(me["nevner"]), float(me["andel"])) in points(fig)


def test_funnel_plot_draws_only_published_shares():
    t = funnel_table()
    v = variasjon(t)
    hidden = v[v["andel"].isna()]
    assert len(hidden) == 3
    for region in hidden["region"]:
        fig, alt = funnel_plot(v, 60.0, "arbeid_utdanning_bistand", 2024, region)
        pts = points(fig)
        published = {(float(n), float(a)) for n, a in zip(v["nevner"], v["andel"]) if pd.notna(a)}
        assert pts <= published
        assert len(pts) == len(published)
        assert not any(np.isnan(x) or np.isnan(y) for x, y in pts)
        assert not any(x == 137.0 for x, _ in pts)  # the hidden unit's nevner is not used as a point
        assert "ikke vist" in alt and region in alt
        render(fig)


def test_funnel_plot_without_land_share():
    v = variasjon(funnel_table())
    fig, alt = funnel_plot(v, None, "arbeid_utdanning_bistand", 2024, v["region"].iloc[5])
    assert "ingen kontrollgrenser" in alt
    render(fig)


def trend_table() -> pd.DataFrame:
    rows = []
    for y in range(2020, 2025):
        rows.append(row(y, "land", "EAK", 6000 + y % 10, 10000, "Hele landet"))
        if y < 2024:
            rows.append(row(y, "kommune", "3001", None if y == 2022 else 20 + y % 10, 31, "Halden"))
            rows.append(row(y, "fylke", "EKA30", 900, 1500, "Viken"))
            rows.append(row(y, "kommune", "1507", 77, 100, "Ålesund"))
        else:
            rows.append(row(y, "kommune", "3101", 25, 33, "Halden"))
            rows.append(row(y, "fylke", "EKA31", 300, 500, "Østfold"))
            rows.append(row(y, "kommune", "1580", 12, 20, "Haram"))
            rows.append(row(y, "kommune", "1508", 50, 80, "Ålesund"))
        rows.append(row(y, "fylke", "EKA15", 400, 600, "Møre og Romsdal"))
    return as_table(rows)


@pytest.fixture(scope="module")
def ts() -> pd.DataFrame:
    members = pd.concat(
        [geography.membership(y, geography.demo_kostra_grouping(y)).assign(aar=y) for y in range(2020, 2025)],
        ignore_index=True,
    )
    return tidsserie(trend_table(), members)


def errorbar_points(fig: Figure) -> set[tuple[float, float]]:
    out = set()
    for line in fig.axes[0].lines:
        if line.get_marker() in ("_", "|") or line.get_gid() == "brudd":  # caps and break lines
            continue
        for x, y in zip(line.get_xdata(), line.get_ydata()):
            if not (np.isnan(float(x)) or np.isnan(float(y))):
                out.add((round(float(x)), float(y)))
    return out


def test_trend_plot_halden_marks_fylke_break_and_hidden_year(ts):
    fig, alt = trend_plot(ts, "arbeid_utdanning_bistand", "3101", "EKA31")
    assert render(fig)[:4] == b"\x89PNG"
    assert "Halden" in alt and "3101" in alt and "Østfold" in alt and "hele landet" in alt
    assert "2022 prikket" in alt
    assert "Brudd i serien for Østfold 2020\u20132023" in alt and "Viken" in alt
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "brudd" in texts and "prikket" in texts
    foot = fig.get_supxlabel()
    assert "Brudd i serien" in foot and "Wilson" in foot
    # drawn values are exactly the published, comparable ones
    published = ts[(ts["maltall"] == 1) & ts["region"].isin(["3101", "EKA31", "EAK"]) & ts["andel"].notna()]
    drawn = errorbar_points(fig)
    assert {(int(a), float(v)) for a, v in zip(published["aar"], published["andel"])} == drawn
    halden_2022 = ts[(ts["region"] == "3101") & (ts["aar"] == 2022) & (ts["maltall"] == 1)].iloc[0]
    assert pd.isna(halden_2022["andel"])
    assert all(2020 <= x <= 2024 for x, _ in drawn)


def test_trend_plot_split_kommune(ts):
    fig, alt = trend_plot(ts, "arbeid_utdanning_bistand", "1580", "15")
    assert "Haram" in alt and "1580" in alt
    assert "Brudd i serien for Haram 2020\u20132023" in alt and "Ålesund (1507)" in alt
    drawn = errorbar_points(fig)
    assert not any(x < 2024 and y == 77.0 for x, y in drawn)  # old Ålesund's share is not Haram's
    render(fig)


def test_trend_plot_unknown_indicator(ts):
    with pytest.raises(ValueError):
        trend_plot(ts, "finnes_ikke", "3101", "EKA31")
