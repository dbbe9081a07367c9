"""Three-year figures (DATA_CONTRACT §8), suppressed jointly with the annual tables.

For every three consecutive years ending in Y, a cell is the sum over the three years of that
year's cell, in Y's geography: older codes are re-labelled with the KLASS change table exactly as
the time series does it (``timeseries.region_map``). A region whose members are not the same in
every year of the period (a split kommune, a divided fylke, a KOSTRA group whose members changed)
gets its rows with empty numbers and ``brudd`` = true.

Suppression: the annual patterns are given (computed first, unchanged). All years and all periods
are one linear model: inner rows of every year, annual cells as sums of one year's rows, period
cells as sums over three years. Annual cells keep their pattern (fixed); only period cells are
chosen. Where two or three years are hidden, only the headline (alle × innfridd and nevner) is
pooled, and only when its sum alone leaves the hidden annual cells inside it room for the rule
(``_sum_leaves_room``); the other such period cells, and those with one hidden year, are hidden
from the start. Then interval rounds (no elimination, no exact step: both cost minutes at national
size) hide period cells of the audit's certificates until every hidden cell of every table meets
the rule in the linked system (overlapping periods included: 2021-2023 minus 2020-2022 is 2023
minus 2020). Each round's audit settles what it can year by year, then fylke by fylke
(``disclosure/screening.py``), proves what it can short kommune by kommune, and runs the LP over
all years only for the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kvi_core.disclosure.intervals import INTERVALL, Pinned
from kvi_core.disclosure.model import Layout, LinearTable
from kvi_core.disclosure.screening import row_zones, settled_cheaply, short_by_zones
from kvi_core.disclosure.suppression import (
    INTERVAL,
    LINK,
    RoundFigures,
    SuppressionPlan,
    _preference,
    add_explanation,
    inner_vector,
)
from kvi_core.period_calendar import label, periods_of
from kvi_core.specs import AGE_GROUPS, ALL_AGES, CATEGORIES, KATEGORIER, TOTAL
from kvi_core.timeseries import region_map

SHOWN, HIDDEN, UNPUBLISHED = 0, 1, 2  # what an attacker knows of an inner row (``_sum_leaves_room``)

PERIOD_COLUMNS = [
    "periode",
    "aar",
    "niva",
    "region",
    "region_navn",
    "aldersgruppe",
    "kategori",
    "antall",
    "hidden",
    "reason",
    "brudd",
]


@dataclass
class YearTable:
    """One indicator and year: inner counts, geography and the suppressed annual cells."""

    aar: int
    inner: pd.DataFrame  # unit, aldersgruppe, kategori, antall
    members: pd.DataFrame  # unit, niva, region, region_navn
    cells: pd.DataFrame  # suppress() output: niva, region, ..., antall, hidden, reason


def _period_regions(period: tuple[int, int, int], regioner: pd.DataFrame) -> pd.DataFrame:
    """Regions of the last year with, per year of the period, the region they are (kilde_<y>),
    and ``brudd`` where a year has no comparable region."""
    last = period[-1]
    out = None
    for y in period:
        m = region_map(regioner, y, last)[["niva", "region", "region_navn", "kilde_region", "brudd"]]
        m = m.rename(columns={"kilde_region": f"kilde_{y}", "brudd": f"brudd_{y}"})
        out = m if out is None else out.merge(m.drop(columns="region_navn"), on=["niva", "region"], how="left")
    out["brudd"] = out[[f"brudd_{y}" for y in period]].fillna(True).any(axis=1)
    for y in period:
        out["brudd"] |= out[f"kilde_{y}"].isna()
    return out


def suppress_periods(
    years: dict[int, YearTable],
    regioner: pd.DataFrame,
    threshold: int,
    rule: str,
    on_round: Callable[[RoundFigures], None] | None = None,
) -> pd.DataFrame:
    """Every cell of every three-year period (``PERIOD_COLUMNS``), with its pattern chosen jointly
    with the fixed annual patterns. ``attrs["prikking"]`` has the run figures. ``on_round`` is told
    how every round goes (``SuppressionPlan.on_round``): at national size a round takes minutes."""
    periods = periods_of(years)
    if not periods:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    used = sorted({y for p in periods for y in p})
    layouts, base, truth = {}, {}, []
    offset = 0
    for y in used:
        yt = years[y]
        layouts[y] = Layout(yt.members, extra_units=yt.inner["unit"].astype(str))
        base[y] = offset
        truth.append(inner_vector(layouts[y], yt.inner))
        offset += layouts[y].n_rows
    truth_all = np.concatenate(truth)
    n_rows = offset

    # annual cells (fixed) ---------------------------------------------------------------------
    row_sets: list[np.ndarray] = []
    keys = []
    fixed_cell, fixed_hidden_cell = [], []
    annual_hidden: dict[tuple, bool] = {}
    annual_index: dict[tuple, int] = {}
    for y in used:
        c = years[y].cells
        for niva, r, a, k, h in zip(c["niva"], c["region"], c["aldersgruppe"], c["kategori"], c["hidden"]):
            row_sets.append(layouts[y].rows(r, a, k) + base[y])
            keys.append((f"{y}", niva, r, a, k))
            fixed_cell.append(True)
            fixed_hidden_cell.append(bool(h))
            annual_hidden[(y, r, a, k)] = bool(h)
            annual_index[(y, r, a, k)] = len(row_sets) - 1
    n_annual = len(row_sets)
    row_state = np.full(n_rows, UNPUBLISHED, dtype=np.int8)  # what an attacker knows of each inner row
    for rows, h in zip(row_sets, fixed_hidden_cell):
        if len(rows) == 1:
            row_state[rows[0]] = HIDDEN if h else SHOWN

    # period cells --------------------------------------------------------------------------------
    period_rows = []  # (periode, aar, niva, region, region_navn, age, kat, antall or None, in_model index)
    period_parts: dict[int, list[int]] = {}  # in-model index -> its annual cells
    known_first: dict[tuple[str, str], np.ndarray] = {}  # (periode, region) -> rows of its shown alle × innfridd
    same_zone: list[tuple[tuple[int, str], tuple[int, str]]] = []  # a kommune's fylke, year by year
    for p in periods:
        regs = _period_regions(p, regioner)
        same_zone += _kommune_links(p, regs)
        for rec in regs.itertuples(index=False):
            for a in AGE_GROUPS:
                for k in KATEGORIER:
                    if rec.brudd:
                        period_rows.append(
                            (label(p), p[-1], rec.niva, rec.region, rec.region_navn, a, k, None, -1, True)
                        )
                        continue
                    parts = [layouts[y].rows(getattr(rec, f"kilde_{y}"), a, k) + base[y] for y in p]
                    rows = np.concatenate(parts)
                    value = int(truth_all[rows].sum())
                    n_hidden = sum(annual_hidden[(y, getattr(rec, f"kilde_{y}"), a, k)] for y in p)
                    idx = -1
                    if a == ALL_AGES and k == CATEGORIES[0] and not n_hidden:
                        known_first[(label(p), rec.region)] = rows
                    if n_hidden:  # a sum of shown annual cells is shown: it adds nothing
                        # pooled only for the headline, and never with one hidden year (the period
                        # minus the two shown years is that year), nor when the sum alone would
                        # narrow a hidden year below the rule: these are hidden from the start
                        pooled = a == ALL_AGES and k in (CATEGORIES[0], TOTAL) and n_hidden > 1

                        def room(cell_rows, cats, rec=rec, p=p):
                            inside = [
                                annual_index[(y, getattr(rec, f"kilde_{y}"), a2, k2)]
                                for y in p
                                for a2 in AGE_GROUPS
                                for k2 in cats
                                if annual_hidden.get((y, getattr(rec, f"kilde_{y}"), a2, k2))
                            ]
                            cells = [(row_sets[i], int(truth_all[row_sets[i]].sum())) for i in inside]
                            return _sum_leaves_room(cell_rows, truth_all, row_state, cells, threshold, rule)

                        if pooled:
                            pooled = room(rows, KATEGORIER if k == TOTAL else (k,))
                        if pooled and k == TOTAL and (label(p), rec.region) in known_first:
                            # with the first category's period known, the others' sum is known too
                            other = np.setdiff1d(rows, known_first[(label(p), rec.region)])
                            pooled = room(other, CATEGORIES[1:])
                        hide = not pooled and not 1 <= value < threshold
                        if a == ALL_AGES and k == CATEGORIES[0] and pooled:
                            known_first[(label(p), rec.region)] = rows
                        idx = len(row_sets)
                        period_parts[idx] = [annual_index[(y, getattr(rec, f"kilde_{y}"), a, k)] for y in p]
                        row_sets.append(rows)
                        keys.append((label(p), rec.niva, rec.region, a, k))
                        fixed_cell.append(hide)
                        fixed_hidden_cell.append(hide)
                    period_rows.append(
                        (label(p), p[-1], rec.niva, rec.region, rec.region_navn, a, k, value, idx, False)
                    )

    cells_all = pd.DataFrame(keys, columns=["tabell", "niva", "region", "aldersgruppe", "kategori"])
    values = np.array([int(truth_all[r].sum()) for r in row_sets], dtype=np.int64)
    table = LinearTable.from_rows(n_rows, row_sets, values == 0, np.arange(len(row_sets)))
    n_cols = len(table.cols)
    col_value = np.array([int(truth_all[list(r)].sum()) for r in table.cols], dtype=np.int64)
    fixed = np.zeros(n_cols, dtype=bool)
    fixed_hidden = np.zeros(n_cols, dtype=bool)
    fixed[table.cell_col[np.array(fixed_cell)]] = True
    fixed_hidden[table.cell_col[np.array(fixed_hidden_cell) & np.array(fixed_cell)]] = True
    rank = _preference(cells_all.assign(region=cells_all["tabell"] + ":" + cells_all["region"]), table, col_value)
    annual_cols = set(table.cell_col[:n_annual].tolist())
    parts = _period_parts(table.cell_col, period_parts, annual_cols)
    geo = {y: (layouts[y], base[y], years[y].members) for y in used}
    zone = row_zones(geo, same_zone, n_rows)  # a fylke over the years
    kommune_zone = row_zones(geo, same_zone, n_rows, niva="kommune")

    def screen(published, targets, need, stats, evidence) -> set[int]:
        return settled_cheaply(table.cols, published, truth_all, parts, zone, targets, need, stats, evidence)

    def prove(published, targets, need, stats) -> list[Pinned]:
        return short_by_zones(table.cols, published, truth_all, (kommune_zone, zone), targets, need, stats)

    plan = SuppressionPlan(
        table,
        col_value,
        truth_all,
        rank,
        threshold,
        rule,
        fixed,
        fixed_hidden,
        eliminate=False,
        exact=False,
        screen=screen,
        prove=prove,
        on_round=on_round,
    )
    hidden, _ = plan.run()

    out = []
    for per, aar, niva, region, navn, a, k, value, idx, brudd in period_rows:
        if brudd:
            out.append((per, aar, niva, region, navn, a, k, 0, True, "", True))
            continue
        if idx < 0:
            out.append((per, aar, niva, region, navn, a, k, value, False, "", False))
            continue
        c = int(table.cell_col[idx])
        why = plan.reason.get(c, "") if hidden[c] else ""
        if fixed[c] and hidden[c]:
            why = LINK  # the same number as a hidden annual cell
        elif why == INTERVAL and annual_cols.intersection(plan.protects.get(c, ())):
            why = LINK
        out.append((per, aar, niva, region, navn, a, k, value, bool(hidden[c]), why, False))
    res = pd.DataFrame(out, columns=PERIOD_COLUMNS)
    first: dict[int, str] = {}
    for i, c in enumerate(table.cell_col.tolist()):
        first.setdefault(c, "{} {} {} {}".format(*keys[i][:1], *keys[i][2:]))
    cell_col = np.array([int(table.cell_col[r[8]]) if r[8] >= 0 else -1 for r in period_rows], dtype=np.int64)
    add_explanation(res, plan, cell_col, label=first.get)
    res.attrs["prikking"] = plan.report()
    return res


def _sum_leaves_room(
    rows: np.ndarray, truth: np.ndarray, row_state: np.ndarray, inside: list[tuple[np.ndarray, int]], threshold, rule
) -> bool:
    """Can the sum over ``rows`` (a pooled period cell) be published without narrowing a hidden
    annual cell inside it below the rule, by that sum alone? Integer reasoning before any LP: the
    hidden inner rows (``row_state`` HIDDEN, each ≥ 1) add up to the sum minus the shown rows, so
    a hidden cell C of ``inside`` ((rows, true value) each) with shown rows adding up to K_C and
    m_C of the m hidden rows lies in [max(1, K_C + m_C), K_C + S − (m − m_C)]. A primary cell x
    (1 .. threshold−1) under rule ``intervall`` needs up ≥ x + 2 and three whole numbers (the LP
    margin of ``intervals._Block``), any other two. A sum that fails here would fail the linked
    audit anyway."""
    state = row_state[rows]
    m = int(np.count_nonzero(state == HIDDEN))
    rest = int(truth[rows].sum() - truth[rows[state == SHOWN]].sum())
    for c_rows, x in inside:
        c_state = row_state[c_rows]
        m_c, known = int(np.count_nonzero(c_state == HIDDEN)), int(truth[c_rows[c_state == SHOWN]].sum())
        up, lo = known + rest - (m - m_c), max(1, known + m_c)
        if rule == INTERVALL and 1 <= x < threshold:
            if up < x + 2 or up - lo < 3:
                return False
        elif up - lo < 1:
            return False
    return True


def _kommune_links(p: tuple[int, ...], regs: pd.DataFrame) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    """For ``screening.row_zones``: each kommune of period ``p`` without a break, as (year, its code
    that year) paired with (last year, its code then), for every year of the period."""
    kommuner = regs[(regs["niva"] == "kommune") & ~regs["brudd"].astype(bool)]
    return [
        ((y, getattr(rec, f"kilde_{y}")), (p[-1], rec.region)) for rec in kommuner.itertuples(index=False) for y in p
    ]


def _period_parts(cell_col: np.ndarray, period_parts: dict[int, list[int]], annual_cols: set[int]) -> dict:
    """Period column -> the columns of its annual parts (for ``settled_year_by_year``); a period
    cell that is the same column as an annual cell (its other years are published zeros) is left
    out: it is an annual column."""
    out: dict[int, tuple[int, ...]] = {}
    for idx, cells in period_parts.items():
        c = int(cell_col[idx])
        if c not in annual_cols:
            out[c] = tuple(int(cell_col[i]) for i in cells)
    return out


__all__ = ["PERIOD_COLUMNS", "YearTable", "suppress_periods"]


def audit_linked(
    annual: dict[int, pd.DataFrame],
    periods: dict[str, pd.DataFrame],
    regioner: pd.DataFrame,
    rule: str = "eksakt",
    threshold: int = 5,
    truth: dict[tuple, np.ndarray] | None = None,
    inner: dict[int, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The published annual and three-year tables of one indicator as one linked system: hidden
    cells (annual or period) that fall short of ``rule`` in it (without ``truth``: that it pins to
    one whole number). ``annual[y]`` and ``periods[label]`` hold region, aldersgruppe, kategori
    (incl. ``nevner``), antall (NaN where hidden); ``regioner`` the regions of every year;
    ``truth[("", y)]`` and ``truth[(label, 0)]``, aligned with those rows, the true values (from
    the reasons file) that say which hidden cells are primary; ``inner[y]`` (unit, aldersgruppe,
    kategori, antall), when known for every year, the true inner table: used as a feasible point
    that saves solves (as in the annual audit) only if it adds up to every published cell. Returns
    periode ("" for a year), aar, region, aldersgruppe, kategori, nedre, ovre."""
    from kvi_core.disclosure.intervals import EKSAKT, Requirement, pinned_cells

    regioner = regioner.assign(aar=pd.to_numeric(regioner["aar"]).astype(int))
    used = sorted(annual)
    layouts, base, offset = {}, {}, 0
    for y in used:
        layouts[y] = Layout(regioner[regioner["aar"] == y])
        base[y] = offset
        offset += layouts[y].n_rows
    row_sets, keys, values, true = [], [], [], []
    annual_index: dict[tuple, int] = {}
    for y in used:
        c = annual[y]
        t = truth.get(("", y)) if truth else None
        t = np.full(len(c), np.nan) if t is None else t
        for r, a, k, v, tv in zip(c["region"], c["aldersgruppe"], c["kategori"], c["antall"], t):
            annual_index[(y, r, a, k)] = len(row_sets)
            row_sets.append(layouts[y].rows(r, a, k) + base[y])
            keys.append(("", y, r, a, k))
            values.append(v)
            true.append(tv)
    n_annual = len(row_sets)
    period_parts: dict[int, list[int]] = {}
    same_zone: list[tuple[tuple[int, str], tuple[int, str]]] = []
    for per in sorted(periods):
        first, last = (int(x) for x in per.split("-"))
        p = tuple(range(first, last + 1))
        if any(y not in layouts for y in p):
            raise ValueError(f"periode {per}: mangler årstabell for et av årene")
        regs = _period_regions(p, regioner)
        same_zone += _kommune_links(p, regs)
        regs = regs.set_index("region")
        c = periods[per]
        t = truth.get((per, 0)) if truth else None
        t = np.full(len(c), np.nan) if t is None else t
        for r, a, k, v, tv in zip(c["region"], c["aldersgruppe"], c["kategori"], c["antall"], t):
            rec = regs.loc[r]
            if bool(rec["brudd"]):
                continue
            found = [annual_index.get((y, rec[f"kilde_{y}"], a, k)) for y in p]
            if all(i is not None for i in found):
                period_parts[len(row_sets)] = found
            row_sets.append(np.concatenate([layouts[y].rows(rec[f"kilde_{y}"], a, k) + base[y] for y in p]))
            keys.append((per, last, r, a, k))
            values.append(v)
            true.append(tv)
    values = np.asarray(values, dtype=float)
    shown = ~np.isnan(values)
    table = LinearTable.from_rows(offset, row_sets, shown & (values == 0), np.arange(len(row_sets)))
    n = len(table.cols)
    published = np.zeros(n, dtype=bool)
    published[table.cell_col[shown]] = True
    col_value = np.full(n, np.nan)
    col_value[table.cell_col[shown]] = values[shown]
    targets = sorted(set(table.cell_col[~shown].tolist()) - set(np.flatnonzero(published).tolist()))
    need = None
    true = np.asarray(true, dtype=float)
    if rule != EKSAKT and truth:
        col_true = np.full(n, np.nan)
        col_true[table.cell_col] = true
        primary = [c for c in targets if 1 <= col_true[c] < threshold]
        need = Requirement.for_rule(rule, primary, np.nan_to_num(col_true).astype(np.int64))
    x_true = None
    if inner is not None and all(y in inner for y in used):
        x_true = np.concatenate([inner_vector(layouts[y], inner[y]) for y in used])
        if any(x_true[r].sum() != v for r, v, s in zip(row_sets, values, shown) if s):
            x_true = None  # not the table that was published: no evidence from it
    if x_true is not None:  # most targets are settled one year at a time (screening.py)
        parts = _period_parts(table.cell_col, period_parts, set(table.cell_col[:n_annual].tolist()))
        members = {y: regioner[regioner["aar"] == y] for y in used}
        zone = row_zones({y: (layouts[y], base[y], members[y]) for y in used}, same_zone, offset)
        settled = settled_cheaply(table.cols, published, x_true, parts, zone, targets, need)
        targets = [c for c in targets if c not in settled]
    pins = {
        q.col: q
        for q in pinned_cells(table.cols, published, col_value, targets, offset, truth=x_true, need=need, exact=False)
    }
    rows = []
    for i in np.flatnonzero(~shown):
        c = int(table.cell_col[i])
        if published[c]:
            lo = hi = col_value[c]
        elif c in pins:
            lo, hi = pins[c].lo, pins[c].hi
        else:
            continue
        rows.append((*keys[i], lo, hi))
    return pd.DataFrame(rows, columns=["periode", "aar", "region", "aldersgruppe", "kategori", "nedre", "ovre"])
