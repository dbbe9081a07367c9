"""Disclosure control (prikking) of one indicator and year (DATA_CONTRACT §5).

The whole linked table is one linear model (see ``kvi_core.disclosure.model``): categories and ``nevner``,
age groups and ``alle``, kommune → fylke → land, kommune → KOSTRA group → land and bydel →
kommune are all columns of one sparse 0/1 matrix X over the inner cells. Nothing is suppressed
table by table.

1. Primary: counts 1 .. threshold−1 (``antall`` and ``nevner`` alike). Zeros are always shown.
   Identical columns of X (land via both hierarchies, a kommune alone in its KOSTRA group, fylke
   Oslo = kommune Oslo, a nevner equal to its only non-zero category) are one column, so they
   always get the same flag.
2. Secondary, by Gaussian elimination (after SSB's GaussSuppression): the other cells are taken
   in a fixed order of preference (larger counts and totals first, small inner cells last) and
   each is published unless that would make a protected cell a linear combination of published
   cells (a hash lookup of the reduced protected columns), or would reveal a sum of hidden cells
   sitting at their lower bound (hidden 1s; the "anySum" case).
3. Interval stage: knowing hidden ≥ 1, an attacker can still pin cells (two hidden ones summing
   to 2). ``intervals.pinned_cells`` finds every hidden cell that the published ones leave one whole
   number; for each, the least preferred published cell of its LP certificate is hidden too, the
   elimination protects the new ones, and this repeats until nothing is pinned.

Deterministic: the order has a stable tie-break on region codes, column numbers follow a sorted
cell order, and nothing depends on the iteration order of str-keyed dicts or sets; HiGHS runs
single-threaded with a fixed seed.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kvi_core.disclosure import elimination
from kvi_core.disclosure.elimination import SpanBasis, eliminate
from kvi_core.disclosure.intervals import (
    INTERVALL,
    AuditStats,
    Pinned,
    Requirement,
    Witness,
    column_rows,
    pinned_cells,
)
from kvi_core.disclosure.model import N_CAT, PER_UNIT, Layout, LinearTable
from kvi_core.disclosure.screening import row_zones, short_by_zones
from kvi_core.geography import NIVA_ORDER
from kvi_core.indicators import aggregate
from kvi_core.specs import AGE_GROUPS, CATEGORIES, INNER_AGE_GROUPS, KATEGORIER

PRIMARY = "primær"
ELIMINATION, INTERVAL, LINK = "eliminasjon", "intervall", "kobling"  # arsak of a secondary cell
HASH_PRIME = (1 << 61) - 1
HASH_SEED = 7919
MAX_ROUNDS = 200


def suppress(
    inner: pd.DataFrame,
    members: pd.DataFrame,
    threshold: int = 5,
    rule: str = INTERVALL,
    witnesses: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Every published cell of one indicator and year with ``hidden`` and ``reason``.

    inner: unit, aldersgruppe (0-17/18-66/67+), kategori, antall — the complete grid, zeros
    included. members: unit, niva, region, region_navn (a region is the sum of its units).
    Returns niva, region, region_navn, aldersgruppe, kategori (4 + ``nevner``), antall (true
    value), hidden, reason (``primær``/``sekundær``/``""``); ``attrs["prikking"]`` has run figures.
    ``witnesses``, when given, receives the tables that show every hidden cell's audited interval
    (``witness_frame``), for ``kvi audit`` to check instead of solving LPs again.
    """
    cells = published_cells(inner, members)
    layout = Layout(members, extra_units=inner["unit"].astype(str))
    table = LinearTable.build(layout, cells, zero=cells["antall"].to_numpy() == 0)
    truth = inner_vector(layout, inner)
    col_value = np.array([int(truth[list(rows)].sum()) for rows in table.cols], dtype=np.int64)
    if not np.array_equal(col_value[table.cell_col], cells["antall"].to_numpy()):
        raise ValueError("suppress: cells do not add up from inner counts")
    geo = {0: (layout, 0, members)}
    zones = (row_zones(geo, [], layout.n_rows, niva="kommune"), row_zones(geo, [], layout.n_rows, niva="fylke"))

    def prove(published, targets, need, stats) -> list[Pinned]:
        return short_by_zones(table.cols, published, truth, zones, targets, need, stats)

    plan = SuppressionPlan(table, col_value, truth, _preference(cells, table, col_value), threshold, rule, prove=prove)
    hidden, primary = plan.run()
    if witnesses is not None:
        witnesses.append(witness_frame(plan.witness, np.flatnonzero(hidden), layout, truth))
    out = cells.copy()
    out["hidden"] = hidden[table.cell_col]
    reason = np.array([plan.reason.get(c, "") for c in range(len(table.cols))], dtype=object)
    out["reason"] = reason[table.cell_col]
    add_explanation(out, plan, table.cell_col)
    out.attrs["prikking"] = plan.report()
    return out


def add_explanation(out: pd.DataFrame, plan: SuppressionPlan, cell_col: np.ndarray, label=None) -> None:
    """Columns for the reasons file (internal): ``beskytter``, the hidden cells a secondary cell was
    hidden to protect ("region aldersgruppe kategori", ";"-separated), and ``nedre``/``ovre``, the
    interval the final audit showed for a hidden cell, rounded inward to whole numbers. ``cell_col`` maps the rows of
    ``out`` to the plan's columns; ``label`` names a column (default: its first row in ``out``)."""
    if label is None:
        first: dict[int, str] = {}
        for reg, a, k, c in zip(out["region"], out["aldersgruppe"], out["kategori"], cell_col.tolist()):
            first.setdefault(c, f"{reg} {a} {k}")
        label = first.get
    protects = {c: ";".join(str(label(p)) for p in what if label(p)) for c, what in plan.protects.items()}
    hidden = out["hidden"].to_numpy(dtype=bool)
    out["beskytter"] = [protects.get(c, "") if h else "" for c, h in zip(cell_col.tolist(), hidden)]
    lo = [plan.shown.get(c, (np.nan, np.nan))[0] if h else np.nan for c, h in zip(cell_col.tolist(), hidden)]
    up = [plan.shown.get(c, (np.nan, np.nan))[1] if h else np.nan for c, h in zip(cell_col.tolist(), hidden)]
    out["nedre"] = pd.array(lo, dtype="Float64").round(0).astype("Int64")
    out["ovre"] = pd.array(up, dtype="Float64").round(0).astype("Int64")


WITNESS_PARENTS = 50  # a witness is stored against the true table or one of the last this many before it


def witness_frame(witness: dict, hidden: Iterable[int], layout: Layout, truth: np.ndarray) -> pd.DataFrame:
    """The tables that show the hidden columns' intervals, long: vitne (a number per table),
    grunnlag (the table it is written against: an earlier vitne, or -1 for the true table), unit,
    aldersgruppe, kategori (categorical), antall: only the inner cells where the table differs from
    its grunnlag. Tables found one after the other differ in a third as many cells as from the true
    table (measured), so each is written against whichever of the true table and the last
    ``WITNESS_PARENTS`` it differs from least."""
    tables: dict[int, Witness] = {}
    for c in hidden:
        for w in witness.get(int(c), ()):
            if w is not None:
                tables.setdefault(id(w), w)
    full = np.tile(np.asarray(truth, dtype=float), (len(tables) + 1, 1))  # row 0: the true table
    for k, w in enumerate(tables.values(), start=1):
        full[k, w.rows] = w.values
    none = np.zeros(0, dtype=np.int64)
    vitne, parent, rows, values = [none], [none], [none], [np.zeros(0)]
    written: list[int] = []  # rows of ``full`` written so far (a table equal to one of them is not)
    for k in range(1, len(full)):
        base = np.array([0, *written[-WITNESS_PARENTS:]])
        p = int(base[np.argmin((full[base] != full[k]).sum(axis=1))])  # ties: the true table, the earliest
        diff = np.flatnonzero(full[p] != full[k])
        if not len(diff):
            continue
        written.append(k)
        vitne.append(np.full(len(diff), k - 1))
        parent.append(np.full(len(diff), p - 1))
        rows.append(diff)
        values.append(full[k, diff])
    vitne, parent, rows, values = (np.concatenate(x) for x in (vitne, parent, rows, values))
    unit, rest = np.divmod(rows, PER_UNIT)
    age, cat = np.divmod(rest, N_CAT)
    return pd.DataFrame(
        {
            "vitne": vitne,
            "grunnlag": parent,
            "unit": pd.Categorical.from_codes(unit, categories=layout.units),
            "aldersgruppe": pd.Categorical.from_codes(age, categories=INNER_AGE_GROUPS),
            "kategori": pd.Categorical.from_codes(cat, categories=CATEGORIES),
            "antall": values,
        }
    )


# --- building the table ------------------------------------------------------------------------


def published_cells(inner: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """niva, region, region_navn, aldersgruppe, kategori, antall for every published cell."""
    return aggregate(inner, members).reset_index(drop=True)


def inner_vector(layout: Layout, inner: pd.DataFrame) -> np.ndarray:
    """Inner counts as a vector over the layout's rows."""
    rows = layout.rows_of(inner)
    if (rows < 0).any():
        raise ValueError("inner: unknown unit, aldersgruppe or kategori")
    out = np.zeros(layout.n_rows, dtype=np.int64)
    np.add.at(out, rows, inner["antall"].to_numpy(dtype=np.int64))
    return out


def _preference(cells: pd.DataFrame, table: LinearTable, col_value: np.ndarray) -> np.ndarray:
    """Position of every unique column in the order of preference to publish.

    Larger counts first; among equal counts the cell with more inner cells (a total before its
    part), then the more aggregated level, then region code, age group and category: a stable
    key, so the same input always gives the same order.
    """
    niva = cells["niva"].map({n: i for i, n in enumerate(NIVA_ORDER)}).to_numpy()
    age = cells["aldersgruppe"].map({a: i for i, a in enumerate(AGE_GROUPS)}).to_numpy()
    kat = cells["kategori"].map({k: i for i, k in enumerate(KATEGORIER)}).to_numpy()
    first = (
        pd.DataFrame(
            {"col": table.cell_col, "niva": niva, "region": cells["region"].to_numpy(), "age": age, "kat": kat}
        )
        .sort_values(["col", "niva", "region", "age", "kat"], kind="stable")
        .drop_duplicates("col")
    )
    n_rows = np.array([len(r) for r in table.cols])
    key = first.assign(value=-col_value[first["col"]], size=-n_rows[first["col"]])
    order = key.sort_values(["value", "size", "niva", "region", "age", "kat"], kind="stable")["col"].to_numpy()
    rank = np.empty(len(table.cols), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


# --- the Gaussian elimination ------------------------------------------------------------------


class ProtectedSet:
    """Reduced forms of the protected (hidden) columns, kept up to date as pivots are added.

    A linear hash h(v) = Σ v_r·w_r mod p is kept for each; h1/h2 is the same for proportional
    vectors, so "would publishing q make a protected cell derivable" (q ∝ some protected v) is a
    dictionary lookup, confirmed exactly.
    """

    def __init__(self, n_rows: int):
        w1, w2 = hash_weights(n_rows)
        self.w1, self.w2 = w1.tolist(), w2.tolist()
        self.vecs: dict[int, dict[int, int]] = {}
        self.hash: dict[int, tuple[int, int]] = {}
        self.key: dict[int, object] = {}
        self.holders: defaultdict[int, set[int]] = defaultdict(set)  # row -> protected vectors holding it
        self.buckets: dict[object, set[int]] = {}

    def hash_of(self, v: dict[int, int]) -> tuple[int, int]:
        w1, w2 = self.w1, self.w2
        h1 = h2 = 0
        for r, x in v.items():
            h1 += x * w1[r]
            h2 += x * w2[r]
        return h1 % HASH_PRIME, h2 % HASH_PRIME

    @staticmethod
    def _key(h: tuple[int, int], v: dict[int, int]) -> object:
        if h[1]:
            return h[0] * pow(h[1], -1, HASH_PRIME) % HASH_PRIME
        # h2 = 0 (practically never): the exact vector, scaled to coprime with a positive lead
        g = math.gcd(*v.values()) * (1 if v[min(v)] > 0 else -1)
        return ("exact", tuple(sorted((r, x // g) for r, x in v.items())))

    def add(self, cid: int, v: dict[int, int], h: tuple[int, int]) -> None:
        self.vecs[cid], self.hash[cid] = v, h
        for r in v:
            self.holders[r].add(cid)
        self.key[cid] = self._key(h, v)
        self.buckets.setdefault(self.key[cid], set()).add(cid)

    def reveals(self, q: dict[int, int], h: tuple[int, int]) -> int | None:
        """The protected column whose reduced form q is proportional to (None: none)."""
        return next((c for c in sorted(self.buckets.get(self._key(h, q), ())) if _proportional(q, self.vecs[c])), None)

    def pivot(self, q: dict[int, int], s: int, hq: tuple[int, int]) -> None:
        """Eliminate row s (now a pivot of the published span) from every protected vector."""
        for cid in sorted(self.holders.pop(s, ())):
            v = self.vecs[cid]
            self.buckets[self.key[cid]].discard(cid)
            a, c, g = eliminate(v, q, s, self.holders, cid)
            if not v:
                raise AssertionError(f"protected column {cid} became derivable")
            h1, h2 = self.hash[cid]
            h1, h2 = (a * h1 - c * hq[0]) % HASH_PRIME, (a * h2 - c * hq[1]) % HASH_PRIME
            if g != 1:
                inv = pow(g, -1, HASH_PRIME)
                h1, h2 = h1 * inv % HASH_PRIME, h2 * inv % HASH_PRIME
            self.hash[cid] = (h1, h2)
            self.key[cid] = self._key((h1, h2), v)
            self.buckets.setdefault(self.key[cid], set()).add(cid)


def hash_weights(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The weights w1, w2 of ProtectedSet's hashes, per row (the compiled elimination uses the same)."""
    rng = np.random.default_rng(HASH_SEED)
    return rng.integers(1, HASH_PRIME, n_rows), rng.integers(1, HASH_PRIME, n_rows)


def _proportional(u: dict[int, int], v: dict[int, int]) -> bool:
    if len(u) != len(v):
        return False
    r0 = next(iter(u))
    if r0 not in v:
        return False
    a, b = u[r0], v[r0]
    return all(k in v and x * b == v[k] * a for k, x in u.items())


def gauss_secondary(
    cols: list[tuple[int, ...]],
    order: list[int],
    watch: list[int],
    hidden: np.ndarray,
    truth: np.ndarray,
    lower: np.ndarray,
    n_rows: int,
    room: np.ndarray | None = None,
    forced: frozenset[int] = frozenset(),
) -> dict[int, tuple[int, ...]]:
    """``gauss_secondary_python``, run by the compiled module when kvi was built with it: the same
    steps, pivots and hashes, so the same cells in the same order, 5-8 times as fast (measured on the
    national demo tables). The Python function runs instead when the module is missing, when
    ``KVI_PURE_PYTHON`` is set, or when the module gives up: a coefficient beyond 64 bits
    (OverflowError; Python's integers have no limit) or a case it leaves to Python
    (NotImplementedError: a hash h2 of 0, a forced column with no row to pivot on, a row twice in one
    column)."""
    args = (cols, order, watch, hidden, truth, lower, n_rows, room, forced)
    if elimination.engine() == "C++":
        try:
            return gauss_secondary_compiled(*args)
        except (OverflowError, NotImplementedError):
            pass
    return gauss_secondary_python(*args)


def gauss_secondary_compiled(
    cols: list[tuple[int, ...]],
    order: list[int],
    watch: list[int],
    hidden: np.ndarray,
    truth: np.ndarray,
    lower: np.ndarray,
    n_rows: int,
    room: np.ndarray | None = None,
    forced: frozenset[int] = frozenset(),
) -> dict[int, tuple[int, ...]]:
    """``gauss_secondary_python`` in C++ (``_gauss.cpp``, which raises where it gives up; see above)."""
    ptr, flat = column_rows(cols)  # remembered: the audit of the same round reads them too
    w1, w2 = hash_weights(n_rows)
    forced_mask = np.zeros(len(cols), dtype=np.uint8)
    forced_mask[[c for c in forced if 0 <= c < len(cols)]] = 1  # others never meet a column of ``order``
    as64 = lambda x: np.ascontiguousarray(x, dtype=np.int64)  # noqa: E731
    room = np.ones(n_rows) if room is None else room
    return elimination.compiled.gauss_secondary(
        ptr, flat, as64(order), as64(watch), np.ascontiguousarray(hidden, dtype=np.uint8), as64(truth),
        as64(lower), as64(room), forced_mask, w1, w2, n_rows,
    )  # fmt: skip


def gauss_secondary_python(
    cols: list[tuple[int, ...]],
    order: list[int],
    watch: list[int],
    hidden: np.ndarray,
    truth: np.ndarray,
    lower: np.ndarray,
    n_rows: int,
    room: np.ndarray | None = None,
    forced: frozenset[int] = frozenset(),
) -> dict[int, tuple[int, ...]]:
    """Secondary suppression of the candidates ``order`` (most preferred first) by fraction-free
    Gaussian elimination; returns the candidates to hide, each with the hidden columns it protects.

    ``watch``: hidden columns that must not become linear combinations of published ones (the
    others in ``hidden`` are known to be safe). ``truth`` are the inner values and ``lower`` what
    an attacker knows as their lower bound (1 for an inner cell, shown or hidden; 0 for an
    unpublished one). Rows sitting at that bound in hidden cells ("singletons": hidden 1s,
    unpublished 0s) are never pivots while another row is available, so a candidate reducing to
    singleton rows only is exactly one that would reveal a sum of them (the anySum case).
    ``room[r]``: how far above its lower bound a hidden inner row must stay possible (1: not
    pinned; rule ``intervall`` asks more of primary rows). ``forced``: columns of ``order`` that are
    published whatever happens (a pattern fixed elsewhere).
    """
    basis = SpanBasis()
    prot = ProtectedSet(n_rows)
    for c in watch:
        v = {r: 1 for r in cols[c]}
        prot.add(c, v, prot.hash_of(v))
    hidden_row = np.zeros(n_rows, dtype=bool)
    row_col: dict[int, int] = {}
    for c, rows in enumerate(cols):
        if len(rows) == 1:
            row_col[rows[0]] = c
            hidden_row[rows[0]] = bool(hidden[c])
    room_l = (np.ones(n_rows, dtype=np.int64) if room is None else room).tolist()
    at_bound = ((hidden_row | (lower == 0)) & (truth == lower)).tolist()
    truth_l, lower_l = truth.tolist(), lower.tolist()
    secondary: dict[int, tuple[int, ...]] = {}

    for c in order:
        q = basis.reduce({r: 1 for r in cols[c]})
        if not q:
            continue  # already a combination of published cells
        h = prot.hash_of(q)
        if c not in forced:
            revealed = prot.reveals(q, h)
            if revealed is not None:
                secondary[c] = (revealed,)
            elif all(at_bound[r] for r in q):
                secondary[c] = tuple(sorted(row_col[r] for r in q if hidden_row[r] and r in row_col))
                prot.add(c, q, h)
            else:
                narrowed = _narrows_hidden(q, truth_l, lower_l, hidden_row, room_l)
                if narrowed:
                    secondary[c] = tuple(sorted(row_col[r] for r in narrowed if r in row_col))
                    prot.add(c, q, h)
            if c in secondary:
                if len(cols[c]) == 1:
                    hidden_row[cols[c][0]] = True
                continue
        s = _choose_pivot(q, at_bound, prot.holders, basis.holders)
        prot.pivot(q, s, h)
        basis.add(q, s)
    return secondary


def _choose_pivot(q: dict[int, int], at_bound: list[bool], *holders: dict[int, set[int]]) -> int:
    """A row that is not a singleton, preferably with coefficient ±1 (no scaling later), held by
    the fewest vectors that must then be updated; ties to the highest row number."""
    best, best_key = -1, None
    for r, x in q.items():
        if at_bound[r]:
            continue
        held = 0
        for h in holders:
            by = h.get(r)
            if by:
                held += len(by)
        key = (x != 1 and x != -1, held, -r)
        if best_key is None or key < best_key:
            best, best_key = r, key
    return best


def _narrows_hidden(
    q: dict[int, int], truth: list[int], lower: list[int], hidden_row: np.ndarray, room: list[int]
) -> list[int]:
    """Publishing q tells Σ q_r·x_r. If all q_r have one sign, every x_r lies in
    [lower_r, lower_r + slack/|q_r|]; the hidden rows left less than their ``room`` above the
    lower bound (an empty list: none)."""
    sign = 1 if next(iter(q.values())) > 0 else -1
    total = bound = 0
    for r, x in q.items():
        if x * sign < 0:
            return []
        total += x * sign * truth[r]
        bound += x * sign * lower[r]
    slack = total - bound
    return [r for r, x in q.items() if hidden_row[r] and slack // (x * sign) < room[r]]


# --- Gauss + interval rounds -------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFigures:
    """How a round of ``SuppressionPlan.run`` went, for progress lines."""

    runde: int
    audited: int  # hidden cells to audit this round
    screened: int  # of them settled by the cheaper screening (``SuppressionPlan.screen``)
    short: int | None = None  # of them short of the rule; None: the audit is still to come
    added: int = 0  # cells hidden to cover those


@dataclass
class SuppressionPlan:
    """Runs elimination and interval audit until every hidden cell meets the rule.

    ``fixed``: columns whose pattern is given (the annual tables when the three-year tables are
    suppressed jointly with them); ``fixed_hidden`` says which of those are hidden. Only the other
    columns are ever chosen.
    """

    table: LinearTable
    col_value: np.ndarray
    truth: np.ndarray
    rank: np.ndarray  # preference position of each unique column
    threshold: int
    rule: str = INTERVALL
    fixed: np.ndarray | None = None
    fixed_hidden: np.ndarray | None = None
    # the joint three-year stage: no elimination (each round hides cells of the audit's certificates
    # only) and no exact step in the audit (measured: both cost minutes on a national linked system)
    eliminate: bool = True
    exact: bool = True
    # settles some audit targets more cheaply, with evidence (screening.settled_year_by_year):
    # (published, targets, need, stats, evidence) -> the settled targets; the rest get the full audit
    screen: Callable[..., set[int]] | None = None
    # proves short, with certificates, some of the targets that the audit's known point and pushes
    # left undecided (screening.short_by_zones): (published, targets, need=, stats=) -> shortfalls;
    # only the rest get their own LPs over the whole table
    prove: Callable[..., list[Pinned]] | None = None
    # told how a round goes (``RoundFigures``): after the screening (when there is one) and at its
    # end; the three-year stage's progress, whose rounds take minutes at national size
    on_round: Callable[[RoundFigures], None] | None = None
    rounds: int = 0
    reason: dict[int, str] = field(default_factory=dict)  # hidden column -> arsak
    protects: dict[int, tuple[int, ...]] = field(default_factory=dict)  # hidden column -> what it protects
    audit: AuditStats = field(default_factory=AuditStats)
    findings: dict[int, Pinned] = field(default_factory=dict)
    audited: bool = False  # the last audit covered every hidden cell of the final pattern and found nothing
    shown: dict[int, tuple[int, int]] = field(default_factory=dict)  # hidden column -> audited [lo, up]
    # hidden column -> the tables that show [lo, up] (None: the true table); pinned_cells(witnesses=)
    witness: dict[int, tuple[Witness | None, Witness | None]] = field(default_factory=dict)

    def run(self) -> tuple[np.ndarray, np.ndarray]:
        """(hidden, primary) per unique column.

        Later rounds keep everything hidden so far and only add to it, so the published cells only
        shrink: every table the attacker could not rule out before still fits, so the evidence that
        a cell met the rule (tables in which it takes those values) still holds, and only the cells
        that fell short or are newly hidden are audited again (the elimination, too, only watches
        the newly hidden ones). The run ends when a round's audit finds nothing: then every hidden
        cell met the rule when it was last audited, and still does. (A final audit of the whole
        table, which this replaces, never found anything on the national demo tables; ``kvi audit``
        is the independent check of the written tables.)
        """
        v = self.col_value
        n = len(v)
        fixed = np.zeros(n, dtype=bool) if self.fixed is None else self.fixed
        fixed_hidden = np.zeros(n, dtype=bool) if self.fixed_hidden is None else self.fixed_hidden & fixed
        primary = (v >= 1) & (v < self.threshold)
        hidden = (primary & ~fixed) | fixed_hidden
        for c in np.flatnonzero(primary & ~fixed).tolist():
            self.reason[c] = PRIMARY
        if not hidden.any():
            self.audited = True
            return hidden, primary
        cols, n_rows = self.table.cols, self.table.n_rows
        single = self.table.singleton_col()
        lower = np.zeros(n_rows, dtype=np.int64)
        lower[list(single)] = 1  # every inner cell left is ≥ 1: shown exactly, or hidden
        need = Requirement.for_rule(self.rule, np.flatnonzero(primary & hidden), v)
        room = np.ones(n_rows, dtype=np.int64)
        for r, c in single.items():
            if c in need.up:
                room[r] = max(need.width[c], need.up[c] - 1) + 1  # bound 1: up ≥ x + 1, width 2, margin 1
        by_rank = np.argsort(self.rank, kind="stable").tolist()
        forced = [c for c in by_rank if fixed[c] and not fixed_hidden[c]]
        candidates = [c for c in by_rank if v[c] >= self.threshold and not fixed[c]]
        new: dict[int, tuple[int, ...]] = {}
        targets: set[int] = set()
        while self.rounds < MAX_ROUNDS:
            self.rounds += 1
            watch = sorted(new) if self.rounds > 1 else np.flatnonzero(hidden).tolist()
            hidden[list(new)] = True
            added: dict[int, tuple[int, ...]] = {}
            if self.eliminate:
                order = forced + [c for c in candidates if not hidden[c]]
                added = gauss_secondary(
                    cols, order, watch, hidden, self.truth, lower, n_rows, room=room, forced=frozenset(forced)
                )
            for c, what in added.items():
                self.reason[c], self.protects[c] = ELIMINATION, what
            hidden[list(added)] = True
            fresh = set(new) | set(added)
            targets = (targets | fresh) if self.rounds > 1 else set(np.flatnonzero(hidden).tolist())
            audited = len(targets)
            if self.screen is not None:
                targets -= self.screen(~hidden, sorted(targets), need, self.audit, self.shown)
                self._tell(RoundFigures(self.rounds, audited, audited - len(targets)))
            prove = None
            if self.prove is not None:
                prove = functools.partial(self.prove, ~hidden, need=need, stats=self.audit)
            pins = pinned_cells(
                cols,
                ~hidden,
                v.astype(float),
                sorted(targets),
                n_rows,
                truth=self.truth,
                stats=self.audit,
                need=need,
                evidence=self.shown,
                exact=self.exact,
                prove=prove,
                witnesses=self.witness,
            )
            if not pins:  # every hidden cell met the rule when last audited, and still does (above)
                self.audited = True
                self._tell(RoundFigures(self.rounds, audited, audited - len(targets), 0, 0))
                return hidden, primary
            new = self._cover(pins, hidden, single, fixed)
            for c, what in new.items():
                self.reason[c], self.protects[c] = INTERVAL, what
            self._tell(RoundFigures(self.rounds, audited, audited - len(targets), len(pins), len(new)))
            targets = {p.col for p in pins}
        raise RuntimeError(f"prikking: fortsatt celler som ikke er beskyttet etter {MAX_ROUNDS} runder")

    def _tell(self, figures: RoundFigures) -> None:
        if self.on_round is not None:
            self.on_round(figures)

    def _candidates(
        self, pin: Pinned, hidden: np.ndarray, single: dict[int, int], fixed: np.ndarray, again: bool
    ) -> set[int]:
        """Published cells in the certificate of a shortfall (else any sharing inner cells with it).

        ``again``: the cell fell short in an earlier round too. Then only certificate cells that
        share inner cells with it, when there are any: a certificate through the national totals
        names the same far-away cells for many shortfalls, the greedy cover hides one of them per
        round, it widens little, and the rounds go on (measured: 200 rounds, 7 minutes, on one
        national indicator-year). Used only then, since the wider choice keeps more headline totals
        shown."""
        ok = lambda c: not hidden[c] and not fixed[c] and self.col_value[c] > 0  # noqa: E731
        cand = {c for c in (single.get(x) if kind == "row" else x for kind, x in pin.support) if c is not None}
        cand = {c for c in cand if ok(c)}
        rows = set(self.table.cols[pin.col])
        near = {c for c in cand if rows.intersection(self.table.cols[c])} if again else set()
        if near:
            return near
        if not cand:
            cand = {c for c, r in enumerate(self.table.cols) if ok(c) and rows.intersection(r)}
        if not cand:
            raise RuntimeError(f"prikking: finner ingen celle å skjule for kolonne {pin.col}")
        return cand

    def _cover(
        self, pins: list[Pinned], hidden: np.ndarray, single: dict[int, int], fixed: np.ndarray
    ) -> dict[int, tuple[int, ...]]:
        """Cells to hide so that every shortfall loses a cell of its certificate: greedily the cell
        in the most certificates (it protects several cells at once), ties to the least preferred."""
        sets = [self._candidates(p, hidden, single, fixed, p.col in self.findings) for p in pins]
        todo = list(range(len(pins)))
        chosen: dict[int, tuple[int, ...]] = {}
        while todo:
            count: dict[int, int] = {}
            for i in todo:
                for c in sets[i]:
                    count[c] = count.get(c, 0) + 1
            best = max(count, key=lambda c: (count[c], self.rank[c]))
            chosen[best] = tuple(sorted(pins[i].col for i in todo if best in sets[i]))
            todo = [i for i in todo if best not in sets[i]]
        for p in pins:
            self.findings[p.col] = p
        return chosen

    def report(self) -> dict:
        by_reason: dict[str, int] = {}
        for r in self.reason.values():
            by_reason[r] = by_reason.get(r, 0) + 1
        return {
            "regel": self.rule,
            "runder": self.rounds,
            "kontrollert": self.audited,
            "etter_arsak": dict(sorted(by_reason.items())),
            "lp_losninger": self.audit.lp_solves,
            "lp_iterasjoner": self.audit.iterations,
        }
