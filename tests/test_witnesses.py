"""Witness tables: ``kvi compute`` keeps, for every hidden cell, the tables that showed its interval,
and ``kvi audit`` checks them against the published numbers and uses them instead of solving the
LPs again. A witness that does not add up is not evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_audit import TWO_SUMMING_TO_TWO, big, cell_rows, geo, inner_counts
from test_protection import small_table

from kvi_core.disclosure import intervals
from kvi_core.disclosure.audit_command import audit_directory
from kvi_core.disclosure.intervals import _audit
from kvi_core.disclosure.suppression import suppress
from kvi_core.indicators import aggregate
from kvi_core.specs import CATEGORIES, INNER_AGE_GROUPS


def published(cells: pd.DataFrame) -> pd.DataFrame:
    return cells[["region", "aldersgruppe", "kategori"]].assign(antall=cells["antall"].where(~cells["hidden"]))


def audit(cells: pd.DataFrame, m: pd.DataFrame, inner: pd.DataFrame, witnesses: pd.DataFrame | None):
    truth = cells["antall"].to_numpy(dtype=float)
    return _audit(published(cells), m, rule="intervall", truth=truth, inner=inner, witnesses=witnesses)


def as_table(inner: pd.DataFrame, witnesses: pd.DataFrame, k: int) -> pd.DataFrame:
    """Witness k as a whole inner table: its grunnlag (the true table, or an earlier witness) with
    its listed cells changed, in the row order of ``cell_rows`` (unit, age group, category)."""
    key = ["unit", "aldersgruppe", "kategori"]
    mine = witnesses[witnesses["vitne"] == k]
    base = int(mine["grunnlag"].iloc[0])
    assert (mine["grunnlag"] == base).all() and base < k
    order = pd.MultiIndex.from_product([sorted(inner["unit"].unique()), INNER_AGE_GROUPS, CATEGORIES], names=key)
    if base == -1:
        table = inner.set_index(key)["antall"].astype(float)
    else:
        table = as_table(inner, witnesses, base).set_index(key)["antall"]
    w = mine.assign(**{c: mine[c].astype(str) for c in key}).set_index(key)["antall"]
    table.loc[w.index] = w
    return table.reindex(order).reset_index()


@pytest.mark.parametrize(("seed", "centre_from"), [(3, None), (17, None), (11, 0), (4242, 0)])
def test_every_witness_is_a_table_the_attacker_cannot_rule_out_and_the_audit_needs_no_lp(
    seed, centre_from, monkeypatch
):
    """Each witness, rebuilt as a whole table and summed by the test's own 0/1 rows, gives every shown
    cell its published number, every hidden cell at least 1 and every inner cell at least 0; with
    them the audit decides as without them, with no LP. ``centre_from`` 0: the national path (every
    LP from the centre, with a goal row) on a small table."""
    if centre_from is not None:
        monkeypatch.setattr(intervals._Block, "CENTRE_FROM", centre_from)
    m, inner = small_table(seed)
    kept: list[pd.DataFrame] = []
    cells = suppress(inner, m, rule="intervall", witnesses=kept)
    witnesses = kept[0]
    assert cells["hidden"].any() and witnesses["vitne"].nunique() >= 1
    hidden = cells["hidden"].to_numpy()
    units = sorted(m["unit"].unique())
    row = cell_rows(m, units, 0, len(units) * 12)
    x = np.array([row(*k) for k in zip(cells["region"], cells["aldersgruppe"], cells["kategori"])])
    for k in sorted(witnesses["vitne"].unique()):
        table = as_table(inner, witnesses, k)
        got = x @ table["antall"].to_numpy()
        assert np.allclose(got[~hidden], cells["antall"].to_numpy()[~hidden], atol=1e-7)
        assert (got[hidden] >= 1 - 1e-7).all() and (table["antall"] >= -1e-7).all()
        assert (np.abs(got - cells["antall"].to_numpy()) > 1e-9).any()  # it moves something
    without, plain = audit(cells, m, inner, None)
    found, stats = audit(cells, m, inner, witnesses)
    assert without.empty and found.empty
    assert stats.lp_solves == 0 < plain.lp_solves
    assert stats.witnesses == witnesses["vitne"].nunique() and stats.witnesses_rejected == 0


def test_a_witness_that_does_not_add_up_is_rejected_and_the_audit_solves_instead():
    m, inner = small_table(3)
    kept: list[pd.DataFrame] = []
    cells = suppress(inner, m, rule="intervall", witnesses=kept)
    witnesses = kept[0]
    altered = witnesses.copy()
    altered.loc[altered.index[0], "antall"] += 0.5  # one inner cell moved: a shown sum no longer holds
    found, stats = audit(cells, m, inner, altered)  # it, and any written against it, are rejected
    assert found.empty and stats.witnesses_rejected >= 1 and stats.lp_solves > 0
    last = witnesses["vitne"].max()
    later = witnesses.assign(grunnlag=np.where(witnesses["vitne"] == last, last + 1, witnesses["grunnlag"]))
    found, stats = audit(cells, m, inner, later)  # written against a table that does not come before it
    assert found.empty and stats.witnesses_rejected == 1
    elsewhere = witnesses.assign(unit="9999")  # cells of a unit this table does not have
    found, stats = audit(cells, m, inner, elsewhere)
    assert found.empty and stats.witnesses == 0 and stats.witnesses_rejected == witnesses["vitne"].nunique()


def test_a_false_witness_cannot_hide_a_pinned_cell():
    """Two hidden ones under a shown sum of 2 are pinned. Witnesses that claim otherwise either break
    a shown sum or put a hidden cell below 1: both are rejected, and the audit still reports them."""
    m = geo({"0101": ("EKA01", "EKG01")})
    inner = inner_counts(m, TWO_SUMMING_TO_TWO, default=big)
    cells = aggregate(inner, m)
    cells = cells.assign(hidden=cells["antall"].between(1, 4))
    pinned = ("0101", "0-17", "innfridd")
    false = pd.DataFrame(
        [
            (0, "0101", "0-17", "innfridd", 2.0),  # alone: row 0-17 and column innfridd no longer add up
            (1, "0101", "0-17", "innfridd", 2.0),  # with its partner at 0: a hidden cell below 1
            (1, "0101", "0-17", "delvis", 0.0),
            (1, "0101", "18-66", "innfridd", 0.0),
            (1, "0101", "18-66", "delvis", 3.0),
        ],
        columns=["vitne", "unit", "aldersgruppe", "kategori", "antall"],
    ).assign(grunnlag=-1)
    found, stats = audit(cells, m, inner, false)
    assert stats.witnesses == 0 and stats.witnesses_rejected == 2
    assert pinned in set(zip(found["region"], found["aldersgruppe"], found["kategori"]))


def test_kvi_compute_writes_the_witnesses_and_kvi_audit_uses_them(tmp_path):
    """One year: the internal folder holds ``prikking_vitner.parquet`` and the audit needs no LP
    (rule intervall, and eksakt); an unreadable witness file costs only time. With three-year tables the annual tables are audited in
    the linked system, so no witnesses are written for them."""
    from conftest import row, write_extract

    from kvi_core.pipeline import compute

    rows = [
        row(f"{aar}-{k}-{i}", k, "1980", "1", str(1 + i % 3), aar=aar)
        for aar in ("2022", "2023", "2024")
        for k in ("0301", "1103", "4601")
        for i in range(7)
    ]
    one = [r for r in rows if r["aar"] == "2024"]
    compute(write_extract(one, tmp_path / "x.csv"), tmp_path / "ut", quiet=True)
    path = tmp_path / "ut-intern" / "prikking_vitner.parquet"
    assert path.exists() and not (tmp_path / "ut" / "prikking_vitner.parquet").exists()
    assert pd.read_parquet(path)["vitne"].nunique() >= 1
    found = audit_directory(tmp_path / "ut")
    s = found.attrs["summary"]
    assert found.empty and s["vitner"] >= 1 and s["lp"] == 0 and s["prikket"] > 0
    path.write_bytes(b"not parquet")
    found = audit_directory(tmp_path / "ut")
    assert found.empty and found.attrs["summary"]["vitner"] == 0 and found.attrs["summary"]["lp"] > 0
    compute(write_extract(one, tmp_path / "x.csv"), tmp_path / "eks", quiet=True, rule="eksakt")
    found = audit_directory(tmp_path / "eks")  # rule eksakt: the same evidence from the internal folder
    s = found.attrs["summary"]
    assert found.empty and s["regel"] == "eksakt" and s["vitner"] >= 1 and s["lp"] == 0
    compute(write_extract(rows, tmp_path / "y.csv"), tmp_path / "tre", quiet=True)
    assert (tmp_path / "tre" / "indikatorer_3ar.csv").exists()
    assert not (tmp_path / "tre-intern" / "prikking_vitner.parquet").exists()
