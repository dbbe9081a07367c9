"""The funnel plot: it builds, says what it shows, and never draws a hidden number."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from published_rows import frame, published_row

from kvi_core import geography
from kvi_core.comparison import add_confidence_intervals, variasjon
from kvi_core.comparison_plots import funnel_plot


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


def test_national_funnel_highlights_no_kommune_is_vector_and_keeps_the_legend_off_the_data():
    v = variasjon(funnel_table())
    fig, alt = funnel_plot(v, 60.0, "arbeid_utdanning_bistand", 2024, None)
    assert "ikke i tabellen" not in alt and "uthevet" not in alt
    assert not fig.axes[0].texts  # no "not in the table" box for a kommune that was never asked for
    assert fig.axes[0].get_legend() is None and fig.legends  # the legend is the figure's, outside the axes
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    assert buf.getvalue().lstrip().startswith(b"<?xml")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert fig.axes[0].get_xscale() == "log" and "10" in labels and "100" in labels  # not 10^1, 10^2
