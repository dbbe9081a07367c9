"""Bydeler add up exactly to their kommune: a hidden bydel must not be the kommune minus the rest."""

from __future__ import annotations

import pandas as pd
from conftest import row, write_extract

from kvi_core.pipeline import compute


def test_hidden_bydel_is_not_kommune_minus_the_other_bydeler(tmp_path):
    rows, i = [], 0
    # Trondheim, everybody with a bydel: 3 in 500101 (must be hidden), 20 in each of the others
    for bydel, n in (("500101", 3), ("500102", 20), ("500103", 20), ("500104", 20)):
        for _ in range(n):
            i += 1
            rows.append(row(f"t{i}", "5001", "1990", "1", "1", bydel=bydel))
    for j in range(60):  # a neighbour, so that the fylke is not Trondheim alone
        rows.append(row(f"n{j}", "5007", "1990", "1", "1"))
    out = tmp_path / "out"
    compute(write_extract(rows, tmp_path / "x.csv"), out, quiet=True)
    t = pd.read_csv(out / "indikatorer.csv", dtype={"region": str})
    t = t[(t["indikator"] == "arbeid_utdanning_bistand") & t["region"].str.startswith("5001")]
    assert set(t["region"]) == {"5001", "500101", "500102", "500103", "500104", "500199"}
    assert (t.loc[t["region"] == "500199", "nevner"] == 0).all()  # published: nobody lacks a bydel
    for m, g in t.groupby("maltall"):
        kommune = g[g["region"] == "5001"]
        bydeler = g[g["region"] != "5001"]
        for col in ("antall", "nevner"):
            hidden = bydeler[col].isna().sum()
            assert hidden != 1 or kommune[col].isna().any(), (m, col, g)
    assert t.loc[(t["region"] == "500101") & (t["maltall"] == 1), "antall"].isna().all()
