"""Can a hidden number be worked out? The interval audit of hidden cells (DATA_CONTRACT §5).

One indicator and year is one linear system. The *inner* cells are unit × age group (3) ×
category (4); every published cell (region × ``alle``/age group × category/``nevner``) is the sum
of some inner cells, so the table is ``published = Xᵀ · inner`` for a sparse 0/1 matrix X whose
columns are the cells. An attacker knows the published numbers, these sums (both geography
hierarchies, age groups, categories), that a hidden cell is at least 1 (zeros are never hidden)
and that an unpublished inner cell (a residual unit such as ``0301-uten-bydel``) is at least 0.

A hidden cell is *pinned* when that knowledge leaves it only one possible whole number (min = max
is the plain case; an LP interval such as [1, 1.5] also leaves only 1, since counts are whole).
Per connected block of unknowns:
1. exact step: fraction-free integer elimination of the published equations finds hidden cells
   that are linear combinations of published ones, and groups hidden cells that differ only by
   sign and a published constant (they are free or pinned together);
2. one HiGHS model, only the objective changes: a known feasible point (the true values, when
   suppressing) and a few "pushes" of all undecided cells up and down with random weights show
   most cells taking values a whole number apart; only the rest get their own min and max LPs.

The table model is in ``model.py``, the exact elimination in ``elimination.py``.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from kvi_core.disclosure.elimination import SpanBasis
from kvi_core.disclosure.model import Layout, LinearTable
from kvi_core.errors import KviInputError
from kvi_core.solver import new_highs

EPS = 1e-6  # LP tolerance when counting whole numbers in an interval
FINDING_COLUMNS = ["region", "aldersgruppe", "kategori", "nedre", "ovre"]


# --- the interval audit -------------------------------------------------------------------------

@dataclass(frozen=True)
class Pinned:
    """A hidden column whose interval holds at most one whole number."""

    col: int
    lo: float
    hi: float
    # what pins it, from the LP duals: ("col", c) a published column's equation, ("row", r) the
    # published value of inner row r
    support: tuple[tuple[str, int], ...] = ()


def n_whole(lo: float, hi: float) -> int:
    """How many whole numbers lie in [lo, hi] (with LP tolerance)."""
    return math.floor(hi + EPS) - math.ceil(lo - EPS) + 1


@dataclass
class _Item:
    """A constraint row (published: equal, hidden aggregate: ≥) or a target (hidden column)."""

    col: int
    var: np.ndarray  # variable indices
    rhs: float  # constraint: value minus the known rows; target: the known rows (a constant)
    known: tuple[int, ...] = ()  # known rows inside the column


@dataclass
class _System:
    """Variables are the rows not known exactly; known rows are substituted."""

    var_rows: np.ndarray
    lower: np.ndarray
    eqs: list[_Item] = field(default_factory=list)
    ges: list[_Item] = field(default_factory=list)
    targets: list[_Item] = field(default_factory=list)
    pinned: list[Pinned] = field(default_factory=list)  # hidden columns made only of known rows


def _system(
    cols: list[tuple[int, ...]], published: np.ndarray, values: np.ndarray, targets: Iterable[int], n_rows: int
) -> _System:
    single = {rows[0]: c for c, rows in enumerate(cols) if len(rows) == 1}
    known = np.full(n_rows, np.nan)
    lower = np.zeros(n_rows)
    for r, c in single.items():
        if published[c]:
            known[r] = values[c]
        else:
            lower[r] = 1.0
    used = np.zeros(n_rows, dtype=bool)
    for rows in cols:
        used[list(rows)] = True
    var_rows = np.flatnonzero(used & np.isnan(known))
    var_of = np.full(n_rows, -1, dtype=np.int64)
    var_of[var_rows] = np.arange(len(var_rows))
    sys_ = _System(var_rows, lower[var_rows])

    def split(c: int) -> tuple[np.ndarray, float, tuple[int, ...]]:
        rows = np.asarray(cols[c], dtype=np.int64)
        v = var_of[rows]
        k = rows[v < 0]
        return v[v >= 0], float(known[k].sum()), tuple(k.tolist())

    for c, rows in enumerate(cols):
        if len(rows) <= 1:
            continue
        var, kn, krows = split(c)
        if not len(var):
            continue
        if published[c]:
            sys_.eqs.append(_Item(c, var, values[c] - kn, krows))
        elif 1.0 - kn > sys_.lower[var].sum() + EPS:  # "hidden ≥ 1" says more than the row bounds
            sys_.ges.append(_Item(c, var, 1.0 - kn, krows))
    for c in targets:
        var, kn, krows = split(c)
        if len(var):
            sys_.targets.append(_Item(c, var, kn, krows))
        else:
            sys_.pinned.append(Pinned(c, kn, kn, tuple(("row", r) for r in krows)))
    return sys_


def _blocks(sys_: _System) -> tuple[int, np.ndarray]:
    """Connected blocks of variables linked by a constraint or a target."""
    n = len(sys_.var_rows)
    a, b = [], []
    for item in (*sys_.eqs, *sys_.ges, *sys_.targets):
        a.append(np.full(len(item.var) - 1, item.var[0]))
        b.append(item.var[1:])
    a_ = np.concatenate(a) if a else np.zeros(0, dtype=np.int64)
    b_ = np.concatenate(b) if b else np.zeros(0, dtype=np.int64)
    graph = sparse.coo_matrix((np.ones(len(a_)), (a_, b_)), shape=(n, n))
    return connected_components(graph, directed=False)


def _equation_basis(eqs: list[_Item]) -> tuple[SpanBasis, list[_Item]]:
    """Echelon form of the equations (right-hand side carried in key -1), and the equations that
    are not implied by the others (the LP needs only those).

    Short equations first and pivots on the rows held by the fewest basis vectors keep the
    elimination sparse (the order does not change the span, only the speed).
    """
    count: defaultdict[int, int] = defaultdict(int)
    for e in eqs:
        for i in e.var.tolist():
            count[i] += 1
    basis = SpanBasis()
    independent = []
    for e in sorted(eqs, key=lambda e: (len(e.var), e.col)):
        v = {i: 1 for i in e.var.tolist()}
        v[-1] = int(round(e.rhs))
        v = basis.reduce(v)
        rows = [k for k in v if k >= 0]
        if rows:
            pivot = min(rows, key=lambda r: (abs(v[r]) != 1, len(basis.holders.get(r, ())), count[r], r))
            basis.add(v, pivot)
            independent.append(e)
        elif v:
            raise KviInputError("de publiserte tallene henger ikke sammen (summene stemmer ikke)")
    return basis, sorted(independent, key=lambda e: e.col)


def _classify(basis: SpanBasis, targets: list[_Item]) -> tuple[dict[int, float], np.ndarray]:
    """Exact step: which targets are linear combinations of the equations (position -> value),
    and a class per target: targets whose reduced forms agree up to sign and a published constant
    (t1 = ±t2 + c) are free or pinned together.

    A target carries a marker in key -2; after reduction v[rows]·x = m·t(x) + v[-1] with m = v[-2].
    """
    exact: dict[int, float] = {}
    keys: dict[object, int] = {}
    cls = np.empty(len(targets), dtype=np.int64)
    for pos, t in enumerate(targets):
        v = {i: 1 for i in t.var.tolist()}
        v[-2] = 1
        v = basis.reduce(v)
        rows = sorted(k for k in v if k >= 0)
        m = v[-2]
        if not rows:
            exact[pos] = t.rhs - v.get(-1, 0) / m
            key: object = ("exact", pos)
        else:
            g = math.gcd(*(v[r] for r in rows))
            sign = 1 if v[rows[0]] > 0 else -1
            unit = tuple((r, sign * v[r] // g) for r in rows)
            key = (unit, Fraction(g, abs(m)))
        cls[pos] = keys.setdefault(key, len(keys))
    return exact, cls


class _BlockLP:
    """One HiGHS model for a block; only the objective changes between solves."""

    def __init__(self, n: int, lower: np.ndarray, upper: float, rows: list[_Item], row_lo, row_hi):
        self.n = n
        indptr = np.cumsum([0] + [len(it.var) for it in rows])
        data = np.ones(int(indptr[-1]))
        idx = np.concatenate([it.var for it in rows]) if rows else np.zeros(0, dtype=np.int64)
        a = sparse.csr_matrix((data, idx, indptr), shape=(len(rows), n)).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = lower.astype(float)
        lp.col_upper_ = np.full(n, float(upper))
        lp.row_lower_ = np.asarray(row_lo, dtype=float)
        lp.row_upper_ = np.asarray(row_hi, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(rows)
        self.h = new_highs()
        for opt, val in (
            ("output_flag", False), ("presolve", "off"), ("threads", 1), ("random_seed", 0),
            ("simplex_strategy", 4),  # primal: the last basis stays feasible when only costs change
        ):
            self.h.setOptionValue(opt, val)
        self.h.passModel(lp)
        self._all = np.arange(n, dtype=np.int32)
        self.solves = 0

    def solve(self, cost: np.ndarray, maximise: bool = False) -> tuple[float, np.ndarray, np.ndarray]:
        """Optimal objective, solution and row duals."""
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        self.h.changeColsCost(self.n, self._all, np.asarray(cost, dtype=float))
        self.h.run()
        self.solves += 1
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise KviInputError(f"tabellen kan ikke kontrolleres: LP-status {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        return self.h.getInfo().objective_function_value, np.asarray(sol.col_value), np.asarray(sol.row_dual)


@dataclass
class AuditStats:
    blocks: int = 0
    lp_solves: int = 0
    exact: int = 0


def pinned_cells(
    cols: list[tuple[int, ...]],
    published: np.ndarray,
    values: np.ndarray,
    targets: Iterable[int],
    n_rows: int,
    truth: np.ndarray | None = None,
    stats: AuditStats | None = None,
) -> list[Pinned]:
    """Hidden columns (``targets``) that the published columns pin to one whole number.

    ``values`` holds the published values; ``truth`` (inner row values), when known, is a feasible
    point that saves solves.
    """
    stats = stats if stats is not None else AuditStats()
    sys_ = _system(cols, published, values, list(targets), n_rows)
    out = list(sys_.pinned)
    if not sys_.targets:
        return sorted(out, key=lambda p: p.col)
    n_blocks, label = _blocks(sys_)
    stats.blocks += n_blocks
    by_block: dict[int, dict[str, list[_Item]]] = defaultdict(lambda: {"eq": [], "ge": [], "t": []})
    for kind, items in (("eq", sys_.eqs), ("ge", sys_.ges), ("t", sys_.targets)):
        for it in items:
            by_block[int(label[it.var[0]])][kind].append(it)
    vmax = max([1.0] + [float(v) for v in values[published] if np.isfinite(v)])
    if truth is not None and len(truth):
        vmax = max(vmax, float(np.max(truth)))
    upper = 10.0 * vmax + 1000.0  # a box far above any count: keeps every LP bounded
    for b in sorted(by_block):
        grp = by_block[b]
        if not grp["t"]:
            continue
        var = np.flatnonzero(label == b)
        local = np.full(len(label), -1, dtype=np.int64)
        local[var] = np.arange(len(var))
        loc = lambda items: [_Item(it.col, local[it.var], it.rhs, it.known) for it in items]
        x_true = None if truth is None else truth[sys_.var_rows[var]].astype(float)
        block = _Block(loc(grp["eq"]), loc(grp["ge"]), loc(grp["t"]), sys_.lower[var], upper, seed=b)
        out.extend(block.audit(x_true, stats))
    return sorted(out, key=lambda p: p.col)


class _Block:
    """The interval audit of one connected block of variables."""

    MAX_PUSHES = 60

    def __init__(self, eqs, ges, targets, lower, upper, seed):
        self.eqs, self.ges, self.targets = eqs, ges, targets
        self.lower, self.upper, self.seed = lower, upper, seed

    def audit(self, x_true: np.ndarray | None, stats: AuditStats) -> list[Pinned]:
        basis, self.eqs = _equation_basis(self.eqs)
        exact, cls = _classify(basis, self.targets)
        stats.exact += len(exact)
        out = [Pinned(self.targets[i].col, val, val) for i, val in sorted(exact.items())]
        keep = [i for i in range(len(self.targets)) if i not in exact]
        if not keep:
            return out
        tgs = [self.targets[i] for i in keep]
        _, self.cls = np.unique(cls[keep], return_inverse=True)
        n = len(self.lower)
        self.rows = self.eqs + self.ges
        self.lp = _BlockLP(
            n, self.lower, self.upper, self.rows,
            [it.rhs for it in self.rows],
            [it.rhs for it in self.eqs] + [highspy.kHighsInf] * len(self.ges),
        )
        ptr = np.cumsum([0] + [len(t.var) for t in tgs])
        self.tmat = sparse.csr_matrix(
            (np.ones(int(ptr[-1])), np.concatenate([t.var for t in tgs]), ptr), shape=(len(tgs), n)
        )
        self.const = np.array([t.rhs for t in tgs])
        self.seen_lo = np.full(len(tgs), np.inf)
        self.seen_hi = np.full(len(tgs), -np.inf)
        if x_true is not None:
            self.see(x_true)
        self._push()  # without a known point, the first push gives one
        out.extend(self._one_by_one(tgs))
        stats.lp_solves += self.lp.solves
        return out

    def see(self, x: np.ndarray) -> None:
        val = self.tmat @ x + self.const
        np.minimum(self.seen_lo, val, out=self.seen_lo)
        np.maximum(self.seen_hi, val, out=self.seen_hi)

    def done(self) -> np.ndarray:
        """Targets shown free: some target of their class took values two whole numbers apart."""
        free = np.floor(self.seen_hi + EPS) - np.ceil(self.seen_lo - EPS) >= 1
        free_cls = np.zeros(self.cls.max() + 1, dtype=bool)
        free_cls[self.cls[free]] = True
        return free_cls[self.cls]

    def _push(self) -> None:
        """Push all undecided targets up (then down) together, with random positive weights, while
        that decides targets faster than one LP per target would (judged by simplex iterations, a
        deterministic measure: about 1 target per 60 iterations one by one)."""
        rng = np.random.default_rng(20240531 + self.seed)
        todo = ~self.done()
        for k in range(self.MAX_PUSHES):
            before = int(todo.sum())
            if before == 0:
                return
            w = np.where(todo, rng.uniform(0.2, 1.0, len(todo)), 0.0)
            self.see(self.lp.solve(self.tmat.T @ w, maximise=k % 2 == 0)[1])
            todo = ~self.done()
            work = self.lp.h.getInfo().simplex_iteration_count + 20
            if k >= 1 and (before - int(todo.sum())) * 60 < work:
                return

    def _one_by_one(self, tgs: list[_Item]) -> list[Pinned]:
        """Max and min of each still-undecided class (one target for the class, then, if it is
        pinned, every target of the class for its own interval)."""
        out: list[Pinned] = []
        done = self.done()
        for c in np.unique(self.cls[~done]):
            members = np.flatnonzero(self.cls == c)
            pin = self._interval(int(members[0]), tgs)
            if pin is None:
                continue
            out.append(pin)
            for j in members[1:]:
                pj = self._interval(int(j), tgs)
                out.append(pj if pj is not None else Pinned(tgs[j].col, pin.lo, pin.hi, pin.support))
        return out

    def _interval(self, i: int, tgs: list[_Item]) -> Pinned | None:
        """The target's exact interval if it is pinned (None when it is free)."""
        if self.done()[i]:
            return None
        cost = self.tmat[i].toarray().ravel()
        hi, x, dual_hi = self.lp.solve(cost, maximise=True)
        self.see(x)
        if self.done()[i]:
            return None
        lo, x, dual_lo = self.lp.solve(cost)
        self.see(x)
        lo, hi = lo + self.const[i], hi + self.const[i]
        if n_whole(lo, hi) >= 2:
            return None
        return Pinned(tgs[i].col, lo, hi, _support(self.rows, dual_hi, dual_lo))


def _support(rows: list[_Item], *duals: np.ndarray) -> tuple[tuple[str, int], ...]:
    """What certifies a bound: constraint rows with a non-zero dual, and the known rows
    (published inner cells) whose combined dual weight is non-zero."""
    cols: set[tuple[str, int]] = set()
    for d in duals:
        weight: defaultdict[int, float] = defaultdict(float)
        for it, y in zip(rows, d):
            if abs(y) > 1e-7:
                cols.add(("col", it.col))
                for r in it.known:
                    weight[r] += y
        cols.update(("row", r) for r, w in weight.items() if abs(w) > 1e-7)
    return tuple(sorted(cols))


# --- public API -----------------------------------------------------------------------------------

def audit_cells(cells: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Hidden cells pinned to one whole number by the published cells (empty = safe).

    ``cells``: region, aldersgruppe, kategori (incl. ``nevner``), antall (NaN where hidden) — only
    what is published. Returns region, aldersgruppe, kategori, nedre, ovre, one row per pinned
    cell; ``nedre``/``ovre`` is its interval (equal when it is an exact linear combination).
    """
    findings, _ = _audit(cells, members)
    return findings


def _audit(cells: pd.DataFrame, members: pd.DataFrame) -> tuple[pd.DataFrame, AuditStats]:
    stats = AuditStats()
    if cells.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS), stats
    cells = cells.reset_index(drop=True)
    layout = Layout(members)
    values = pd.to_numeric(cells["antall"], errors="coerce").to_numpy(dtype=float)
    shown = ~np.isnan(values)
    table = LinearTable.build(layout, cells, shown & (values == 0))
    n = len(table.cols)
    published = np.zeros(n, dtype=bool)
    published[table.cell_col[shown]] = True
    col_value = np.full(n, np.nan)
    col_value[table.cell_col[shown]] = values[shown]
    hidden_cells = np.flatnonzero(~shown)
    targets = sorted(set(table.cell_col[hidden_cells].tolist()) - set(np.flatnonzero(published).tolist()))
    pins = {p.col: p for p in pinned_cells(table.cols, published, col_value, targets, table.n_rows, stats=stats)}
    rows = []
    for i in hidden_cells:
        c = table.cell_col[i]
        if published[c]:  # the same number is published elsewhere
            lo = hi = col_value[c]
        elif c in pins:
            lo, hi = pins[c].lo, pins[c].hi
        else:
            continue
        rows.append((cells.at[i, "region"], cells.at[i, "aldersgruppe"], cells.at[i, "kategori"], lo, hi))
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out[["nedre", "ovre"]] = out[["nedre", "ovre"]].astype(float).round(6)
    return out, stats
