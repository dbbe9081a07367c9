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

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from kvi_core.disclosure import elimination
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


@dataclass(eq=False)
class Witness:
    """A table the attacker cannot rule out, as the values of some inner rows (the others take
    their true values): evidence for a hidden cell's interval that anyone can check
    (``witness_tables``)."""

    rows: np.ndarray
    values: np.ndarray


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
    ptr, idx = column_rows(cols)
    size = np.diff(ptr)
    single = np.flatnonzero(size == 1)
    single_row = idx[ptr[single]]
    known = np.full(n_rows, np.nan)
    lower = np.zeros(n_rows)
    pub = np.asarray(published, dtype=bool)
    pub_single = pub[single]
    known[single_row[pub_single]] = np.asarray(values, dtype=float)[single[pub_single]]
    lower[single_row[~pub_single]] = 1.0
    used = np.zeros(n_rows, dtype=bool)
    used[idx] = True
    var_rows = np.flatnonzero(used & np.isnan(known))
    var_of = np.full(n_rows, -1, dtype=np.int64)
    var_of[var_rows] = np.arange(len(var_rows))
    sys_ = _System(var_rows, lower[var_rows])
    # per entry of every column: its variable (or -1: a known row) and the known value
    var = var_of[idx]
    is_var = var >= 0
    owner = np.repeat(np.arange(len(cols)), size)
    kn_sum = np.bincount(owner, weights=np.where(is_var, 0.0, np.nan_to_num(known[idx])), minlength=len(cols))
    n_var = np.bincount(owner, weights=is_var, minlength=len(cols))
    low_sum = np.bincount(owner[is_var], weights=sys_.lower[var[is_var]], minlength=len(cols))

    def split(c: int) -> tuple[np.ndarray, float, tuple[int, ...]]:
        a, b = ptr[c], ptr[c + 1]
        mine = is_var[a:b]
        return var[a:b][mine], float(kn_sum[c]), tuple(idx[a:b][~mine].tolist())

    wanted = (size > 1) & (n_var > 0) & (pub | (1.0 - kn_sum > low_sum + EPS))  # "hidden ≥ 1" says more
    for c in np.flatnonzero(wanted).tolist():  # than the row bounds
        v, kn, krows = split(c)
        if pub[c]:
            sys_.eqs.append(_Item(c, v, values[c] - kn, krows))
        else:
            sys_.ges.append(_Item(c, v, 1.0 - kn, krows))
    for c in targets:
        v, kn, krows = split(c)
        if len(v):
            sys_.targets.append(_Item(c, v, kn, krows))
        else:
            sys_.pinned.append(Pinned(c, kn, kn, tuple(("row", r) for r in krows)))
    return sys_


_ROWS_CACHE: list[tuple[list, list, tuple[np.ndarray, np.ndarray]]] = []


def column_rows(cols: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """The inner rows of every column as (start, rows), CSR-style, read-only (``_system`` and
    ``screening._matrix``). The last few lists of columns are remembered (a suppression audits the
    same columns round after round); a list is reused only while it holds the same tuples it held
    then."""
    for seen, copy, out in _ROWS_CACHE:
        if seen is cols and copy == cols:
            return out
    ptr = np.zeros(len(cols) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in cols], out=ptr[1:])
    idx = np.fromiter((r for rows in cols for r in rows), dtype=np.int64, count=int(ptr[-1]))
    ptr.setflags(write=False)  # shared by every caller
    idx.setflags(write=False)
    _ROWS_CACHE.insert(0, (cols, list(cols), (ptr, idx)))
    del _ROWS_CACHE[4:]
    return ptr, idx


def column_matrix(cols: list[tuple[int, ...]], n_rows: int) -> sparse.csr_matrix:
    """The columns as a sparse 0/1 matrix (one row per column), on its own copy of the cached
    ``column_rows`` arrays (scipy may sort a matrix's indices in place)."""
    ptr, idx = column_rows(cols)
    return sparse.csr_matrix((np.ones(len(idx)), idx, ptr), shape=(len(cols), n_rows), copy=True)


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
        v[-1] = round(e.rhs)
        v = basis.reduce(v)
        rows = [k for k in v if k >= 0]
        if rows:
            pivot = min(rows, key=lambda r: (abs(v[r]) != 1, len(basis.holders.get(r, ())), count[r], r))
            basis.add(v, pivot)
            independent.append(e)
        elif any(v.values()):  # 0 = c with c != 0 (a right-hand side of 0 may be left as a key -1 of 0)
            raise KviInputError(CONTRADICTION)
    return basis, sorted(independent, key=lambda e: e.col)


CONTRADICTION = "de publiserte tallene henger ikke sammen (summene stemmer ikke)"


def _exact_step(eqs: list[_Item], targets: list[_Item]) -> tuple[list[_Item], dict[int, float], np.ndarray]:
    """``_equation_basis``'s independent equations and ``_classify``'s (derived, classes) of the
    targets, by the compiled elimination when there is one (the same results, several times as
    fast), else, or where it gives up (a number beyond 64 bits, a variable twice in one row), by
    the Python functions."""
    if elimination.engine() == "C++":
        try:
            return _exact_step_compiled(eqs, targets)
        except (OverflowError, NotImplementedError):
            pass
    basis, independent = _equation_basis(eqs)
    return (independent, *_classify(basis, targets))


def _csr(items: list[_Item]) -> tuple[np.ndarray, np.ndarray]:
    """The items' variables as (start, variables), CSR-style."""
    ptr = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(it.var) for it in items], out=ptr[1:])
    flat = np.concatenate([it.var for it in items]).astype(np.int64) if items else np.zeros(0, dtype=np.int64)
    return ptr, np.ascontiguousarray(flat)


def _exact_step_compiled(eqs: list[_Item], targets: list[_Item]) -> tuple[list[_Item], dict[int, float], np.ndarray]:
    order = sorted(eqs, key=lambda e: (len(e.var), e.col))
    eq_ptr, eq_vars = _csr(order)
    tg_ptr, tg_vars = _csr(targets)
    n = int(max(eq_vars.max(initial=-1), tg_vars.max(initial=-1))) + 1
    count = np.bincount(eq_vars, minlength=n).astype(np.int64)
    rhs = np.array([round(e.rhs) for e in order], dtype=np.int64)
    indep, contradiction, ptr, rows, vals = elimination.compiled.equation_basis(
        eq_ptr, eq_vars, rhs, count, n, tg_ptr, tg_vars
    )
    if contradiction >= 0:
        raise KviInputError(CONTRADICTION)
    independent = sorted((e for e, k in zip(order, indep) if k), key=lambda e: e.col)
    ptr = np.frombuffer(ptr, dtype=np.int64).tolist()
    rows = np.frombuffer(rows, dtype=np.int64).tolist()
    vals = np.frombuffer(vals, dtype=np.int64).tolist()
    exact: dict[int, float] = {}
    keys: dict[object, int] = {}
    cls = np.empty(len(targets), dtype=np.int64)
    for pos, t in enumerate(targets):  # as _classify, from the reduced forms (rows sorted; n: -1, n + 1: -2)
        a, b = ptr[pos], ptr[pos + 1]
        v = dict(zip(rows[a:b], vals[a:b]))
        m = v.pop(n + 1)
        c = v.pop(n, 0)
        if not v:
            exact[pos] = t.rhs - c / m
            key: object = ("exact", pos)
        else:
            g = math.gcd(*v.values())
            sign = 1 if next(iter(v.values())) > 0 else -1
            key = (tuple((r, sign * x // g) for r, x in v.items()), Fraction(g, abs(m)))
        cls[pos] = keys.setdefault(key, len(keys))
    return independent, exact, cls


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
    """One HiGHS model for a block; only the objective changes between solves.

    The first solve of a large block runs the interior point method with crossover, which ends in a
    basis like the simplex's: measured on the five-year linked system of one indicator (9 839
    variables, 5 203 equations), about 3 s against 16 s for the primal simplex from the slack basis
    (8 s against 29 s under load), and the warm primal solves after it are as quick. Every later
    solve is a warm primal simplex.
    """

    IPM_FROM = 3000  # variables; below this the simplex's cold start is quicker (``centre`` always uses IPM)

    def __init__(
        self,
        n: int,
        lower: np.ndarray,
        upper: float,
        rows: list[_Item],
        row_lo,
        row_hi,
        goal_row: bool = False,
        interior_first: bool = True,
    ):
        self.n = n
        self.interior_first = interior_first  # ``_cold``: off for a block of many small parts
        self.m = len(rows)  # the block's rows; with ``goal_row``, the goal row (``solve(goal=g)``) follows
        k = self.m + int(goal_row)
        indptr = np.cumsum([0] + [len(it.var) for it in rows] + [0] * int(goal_row))
        data = np.ones(int(indptr[-1]))
        idx = np.concatenate([it.var for it in rows]) if rows else np.zeros(0, dtype=np.int64)
        a = sparse.csr_matrix((data, idx, indptr), shape=(k, n)).tocsc()
        free = [highspy.kHighsInf] * int(goal_row)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, k
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = lower.astype(float)
        lp.col_upper_ = np.full(n, float(upper))
        lp.row_lower_ = np.append(np.asarray(row_lo, dtype=float), np.negative(free))
        lp.row_upper_ = np.append(np.asarray(row_hi, dtype=float), free)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, k
        self.h = new_highs()
        for opt, val in (
            ("output_flag", False),
            ("presolve", "off"),
            ("threads", 1),
            ("random_seed", 0),
            ("simplex_strategy", 4),  # primal: the last basis stays feasible when only costs change
            # the start-of-run condition check costs more than the ~10 iterations of a warm solve
            ("simplex_initial_condition_check", False),
        ):
            self.h.setOptionValue(opt, val)
        self.h.passModel(lp)
        self._cost = np.zeros(n)
        self.solves = 0
        self._centre: highspy.HighsBasis | None = None
        self.goal_row = goal_row
        self._goal_cost = np.zeros(n)  # the goal row's coefficients (the last goal's objective)
        self._goal_on = False
        self.iterations = 0  # simplex and interior point iterations: a measure of work that, unlike
        # seconds on a shared machine, is the same in every run (``AuditStats.iterations``)

    @property
    def _cold(self) -> bool:
        """The first solve of a large block (``IPM_FROM``)."""
        return self.solves == 0 and self.n >= self.IPM_FROM and self.interior_first

    def _run(self, interior: bool = False) -> None:
        if not (interior or self._cold):
            self.h.run()
            return
        self.h.setOptionValue("solver", "ipm")
        self.h.setOptionValue("run_crossover", "on")
        try:
            self.h.run()
        finally:
            self.h.setOptionValue("solver", "simplex")

    def _count(self) -> None:
        info = self.h.getInfo()
        self.iterations += info.simplex_iteration_count + max(info.ipm_iteration_count, 0)

    def centre(self) -> np.ndarray:
        """A vertex near the middle of the block's tables: the first solve, with no objective (the
        interior point method goes to the middle, its crossover to a vertex nearby). Its basis is
        kept as the start of every later ``solve(..., from_centre=True)``."""
        x = self.solve(np.zeros(self.n), interior=True)[1]
        self._centre = self.h.getBasis()
        return x

    @property
    def centred(self) -> bool:
        """``centre`` ran: every ``solve(..., from_centre=True)`` starts from its basis."""
        return self._centre is not None

    def solve(
        self,
        cost: np.ndarray,
        maximise: bool = False,
        from_centre: bool = False,
        interior: bool = False,
        goal: float | None = None,
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Optimal objective, solution and row duals. ``from_centre``: start from the basis of
        ``centre`` (when it ran) instead of the last solve's; ``interior``: run the interior point
        method with crossover (as the first solve of a large block does).

        ``goal`` = g, only with ``goal_row``: the solve only needs to know whether the objective
        reaches g. The goal row (the objective as a row) caps it at g (from above when maximising,
        from below when minimising), so the simplex stops on reaching it instead of going on to the
        optimum. The result is then g (a table the attacker cannot rule out, as always); when g is
        out of reach the cap never binds, its dual is 0, and the result is the optimum of the LP
        without it, with an optimal solution and duals of that LP (which of several, among ties, may
        differ)."""
        cost = np.asarray(cost, dtype=float)
        self._set_goal(cost, goal, maximise)
        if from_centre and self._centre is not None:
            self.h.setBasis(self._centre)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        changed = np.flatnonzero(cost != self._cost).astype(np.int32)  # only these: a cheap update
        if len(changed):
            self.h.changeColsCost(len(changed), changed, cost[changed])
            self._cost = cost.copy()
        self._run(interior)
        self.solves += 1
        self._count()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:  # a warm start after changed bounds can
            self.h.clearSolver()  # stall on a wrong status (seen: "Infeasible" with the true
            self.h.run()  # table feasible); a cold start settles it
            self._count()
            status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise KviInputError(f"tabellen kan ikke kontrolleres: LP-status {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        dual = np.asarray(sol.row_dual)[: self.m]
        return self.h.getInfo().objective_function_value, np.asarray(sol.col_value), dual

    def _set_goal(self, cost: np.ndarray, goal: float | None, maximise: bool) -> None:
        """Make the goal row this objective capped at ``goal``, or free it."""
        inf = highspy.kHighsInf
        if goal is None:
            if self._goal_on:
                _ok(self.h.changeRowBounds(self.m, -inf, inf))
                self._goal_on = False
            return
        if not self.goal_row:
            raise ValueError("_BlockLP.solve: a goal needs goal_row=True")
        for j in np.flatnonzero(cost != self._goal_cost).tolist():  # only the entries that change
            _ok(self.h.changeCoeff(self.m, j, float(cost[j])))
        self._goal_cost = cost.copy()
        _ok(self.h.changeRowBounds(self.m, -inf, goal) if maximise else self.h.changeRowBounds(self.m, goal, inf))
        self._goal_on = True


def _ok(status: highspy.HighsStatus) -> None:
    """HiGHS reports a failed model change only in its return value."""
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS: endring av modellen feilet ({status})")


@dataclass
class AuditStats:
    blocks: int = 0
    lp_solves: int = 0
    iterations: int = 0  # simplex and interior point iterations of those solves (``_BlockLP``)
    exact: int = 0
    witnesses: int = 0  # witness tables checked and used as evidence (``witness_tables``)
    witnesses_rejected: int = 0


@dataclass(frozen=True)
class Requirement:
    """What the rule asks of hidden columns (DATA_CONTRACT §5), in whole numbers.

    Every hidden column must hold at least ``width + 1`` whole numbers (``width`` 1 = not pinned);
    a column in ``up`` must also be able to reach that value (a primary cell with true value x:
    up ≥ x + 1, width 2). Rule ``eksakt`` is the default: width 1 everywhere, no ``up``.
    """

    width: dict[int, int] = field(default_factory=dict)
    up: dict[int, int] = field(default_factory=dict)

    @classmethod
    def for_rule(cls, rule: str, primary: Iterable[int], value: np.ndarray) -> Requirement:
        if rule == EKSAKT:
            return cls()
        if rule != INTERVALL:
            raise KviInputError(f"ukjent beskyttelsesregel {rule!r} (bruk {EKSAKT} eller {INTERVALL})")
        prim = [int(c) for c in primary]
        return cls({c: 2 for c in prim}, {c: int(value[c]) + 1 for c in prim})


EKSAKT, INTERVALL = "eksakt", "intervall"


def pinned_cells(
    cols: list[tuple[int, ...]],
    published: np.ndarray,
    values: np.ndarray,
    targets: Iterable[int],
    n_rows: int,
    truth: np.ndarray | None = None,
    stats: AuditStats | None = None,
    need: Requirement | None = None,
    evidence: dict[int, tuple[int, int]] | None = None,
    exact: bool = True,
    prove: Callable[[list[int]], list[Pinned]] | None = None,
    upper: float | None = None,
    points: list[np.ndarray] | None = None,
    witnesses: dict[int, tuple[Witness | None, Witness | None]] | None = None,
    batch: bool = False,
) -> list[Pinned]:
    """Hidden columns (``targets``) whose interval falls short of ``need`` (default: the ones the
    published columns pin to one whole number).

    ``values`` holds the published values; ``truth`` (inner row values), when known, is a feasible
    point that saves solves. ``evidence``, when given, receives for every target that meets the rule
    the interval the audit showed, rounded inward to whole numbers [ceil(lo), floor(up)]. What
    counts as meeting the rule (LP evidence; a primary cell under ``intervall`` with a margin of one
    whole number) is explained at ``_Block``. ``exact=False`` skips the exact step, so every
    shortfall comes with the LP certificate (``Pinned.support``) of what narrows it. ``prove``, when
    given, gets the targets that the known point and the pushes left undecided and returns those it
    can prove short by cheaper means (``screening.short_by_zones``); only the rest get their own LPs.
    ``upper`` is the box over every inner row (default ``box(values, published, truth)``).
    ``points`` (inner row values, like ``truth``): more tables the attacker cannot rule out, which
    the caller has checked (``witness_tables``). ``witnesses``, when given, receives for every
    target that meets the rule the tables that show it: (lowest, highest), None for ``truth``.
    ``batch``: audit the blocks of fewer than ``_Block.CENTRE_FROM`` variables together, as one
    model whose every solve finds one target's bound in each of them (``_Block.part``); for many
    tiny blocks, such as the zones of ``screening.short_zone_by_zone``.
    """
    stats = stats if stats is not None else AuditStats()
    need = need if need is not None else Requirement()
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
    if upper is None:
        upper = box(values, published, truth)
    part = None
    if batch:  # the small blocks with targets become one (the lowest label), each a part of it
        size = np.bincount(label, minlength=n_blocks)
        small = sorted(b for b, grp in by_block.items() if grp["t"] and size[b] < _Block.CENTRE_FROM)
        if len(small) > 1:
            part = label.copy()
            joined = by_block[small[0]]
            for b in small[1:]:
                for kind, items in by_block.pop(b).items():
                    joined[kind].extend(items)
            label = np.where(np.isin(label, small), small[0], label)
    for b in sorted(by_block):
        grp = by_block[b]
        if not grp["t"]:
            continue
        var = np.flatnonzero(label == b)
        local = np.full(len(label), -1, dtype=np.int64)
        local[var] = np.arange(len(var))
        items = {k: [_Item(it.col, local[it.var], it.rhs, it.known) for it in grp[k]] for k in grp}
        rows = sys_.var_rows[var]
        x_true = None if truth is None else truth[rows].astype(float)
        block = _Block(
            items["eq"],
            items["ge"],
            items["t"],
            sys_.lower[var],
            upper,
            seed=b,
            keep_points=witnesses is not None,
            part=None if part is None or len(np.unique(part[var])) < 2 else part[var],
        )
        out.extend(block.audit(x_true, stats, need, exact, prove, points=[p[rows] for p in points or ()]))
        if evidence is not None:
            evidence.update(block.shown())
        if witnesses is not None:
            tables, which = block.witnesses(x_true)
            ws = [Witness(rows, x) for x in tables]
            witnesses.update(
                {c: (ws[lo] if lo >= 0 else None, ws[hi] if hi >= 0 else None) for c, (lo, hi) in which.items()}
            )
    return sorted(out, key=lambda p: p.col)


def box(values: np.ndarray, published: np.ndarray, truth: np.ndarray | None) -> float:
    """An upper bound for every inner row far above any count (ten times the largest published
    or true value, plus 1000): it keeps every LP bounded and never binds a table that adds up."""
    vmax = max([1.0] + [float(v) for v in values[published] if np.isfinite(v)])
    if truth is not None and len(truth):
        vmax = max(vmax, float(np.max(truth)))
    return 10.0 * vmax + 1000.0


class _Block:
    """The interval audit of one connected block of variables.

    Evidence is the LP: every solution seen (pushes, and each target's own max and min) is a
    real-valued table the attacker cannot rule out, so [lp_lo, lp_hi] lies inside the LP interval,
    and the whole-number interval lies inside [ceil(LP min), floor(LP max)]. A cell that falls short
    there falls short for the whole-number attacker too (a proof). A plain hidden cell (only "not
    pinned", both rules) is accepted when its LP interval holds two whole numbers; a primary cell
    under rule ``intervall`` only when its LP interval meets the rule with a margin of one whole
    number (floor(max) ≥ x + 2 and floor(max) − ceil(min) ≥ 3), so that no claim rests on a
    fractional LP vertex at the limit (docs/METHOD.md). Acceptance only ever needs LP evidence, so
    it does not depend on which cells are audited together: the audit after suppression and
    ``kvi audit`` decide as the suppression did.
    """

    MAX_PUSHES = 60
    CENTRE_FROM = 800  # variables: from here every target's LP starts from the centre (_BlockLP.centre)

    def __init__(self, eqs, ges, targets, lower, upper, seed, keep_points: bool = False, part=None):
        self.eqs, self.ges, self.targets = eqs, ges, targets
        self.lower, self.upper, self.seed = lower, upper, seed
        self.keep_points = keep_points  # for ``witnesses``
        # independent parts (a label per variable; no row or target joins two): the maximum of a
        # sum of targets, one per part, is the sum of their maxima, so one solve bounds one target
        # in every part (``_intervals``)
        self.part = part

    @property
    def _large(self) -> bool:
        """Every solve starts from the centre (``CENTRE_FROM``); never for a block of parts."""
        return len(self.lower) >= self.CENTRE_FROM and self.part is None

    def audit(
        self,
        x_true: np.ndarray | None,
        stats: AuditStats,
        need: Requirement,
        exact: bool = True,
        prove: Callable[[list[int]], list[Pinned]] | None = None,
        points: Iterable[np.ndarray] = (),
    ) -> list[Pinned]:
        """The targets that fall short. ``points``: more tables the attacker cannot rule out (the
        witnesses of an earlier audit, checked by the caller); when they and ``x_true`` settle
        every target, no LP is built."""
        points = list(points)
        if points:
            self._prepare(self.targets, np.arange(len(self.targets)), need)
            self._see_known(x_true, points)
            if self.done().all():
                self.proven = np.zeros(len(self.tgs), dtype=bool)
                return []
        if exact:
            self.eqs, derived, cls = _exact_step(self.eqs, self.targets)
        else:  # every target its own class
            derived, cls = {}, np.arange(len(self.targets))
            if self._large:  # redundant equations make each start from the
                self.eqs = _exact_step(self.eqs, [])[0]  # centre dearer (a larger basis to factor)
        stats.exact += len(derived)
        out = [Pinned(self.targets[i].col, val, val) for i, val in sorted(derived.items())]
        keep = [i for i in range(len(self.targets)) if i not in derived]
        if not keep:
            return out
        self._prepare([self.targets[i] for i in keep], cls[keep], need)
        tgs = self.tgs
        n = len(self.lower)
        self.rows = self.eqs + self.ges
        self.lp = _BlockLP(
            n,
            self.lower,
            self.upper,
            self.rows,
            [it.rhs for it in self.rows],
            [it.rhs for it in self.eqs] + [highspy.kHighsInf] * len(self.ges),
            goal_row=self._large,
            interior_first=self.part is None,
        )
        self._see_known(x_true, points)
        if self._large:
            self.see(self.lp.centre())
        self.proven = np.zeros(len(tgs), dtype=bool)
        self._push()  # without a known point, the first pushes give one
        if prove is not None:
            todo = np.flatnonzero(~self.done()).tolist()
            if todo:
                pos = {tgs[i].col: i for i in todo}
                for p in prove([tgs[i].col for i in todo]):
                    self.proven[pos[p.col]] = True
                    out.append(p)
                if self.proven.any():
                    self._push()
        out.extend(self._one_by_one(stats))
        stats.lp_solves += self.lp.solves
        stats.iterations += self.lp.iterations
        return out

    def _prepare(self, tgs: list[_Item], cls: np.ndarray, need: Requirement) -> None:
        """The targets' requirements and sums, with no evidence yet."""
        self.tgs = tgs
        _, self.cls = np.unique(cls, return_inverse=True)
        self.need = need
        self.need_w = np.array([need.width.get(t.col, 1) for t in tgs], dtype=float)
        self.need_up = np.array([need.up.get(t.col, -np.inf) for t in tgs], dtype=float)
        self.plain = (self.need_w <= 1) & ~np.isfinite(self.need_up)
        self.margin = np.where(self.plain, 0.0, 1.0)  # primary cells under rule intervall
        ptr, idx = _csr(tgs)
        self.tmat = sparse.csr_matrix((np.ones(int(ptr[-1])), idx, ptr), shape=(len(tgs), len(self.lower)))
        self.const = np.array([t.rhs for t in tgs])
        self.lp_lo = np.full(len(tgs), np.inf)
        self.lp_hi = np.full(len(tgs), -np.inf)
        self.points: list[np.ndarray] = []  # every table seen that widened some target's evidence

    def _see_known(self, x_true: np.ndarray | None, points: list[np.ndarray]) -> None:
        """The tables known before any LP: the true one (when given) and the caller's."""
        for x in [x_true, *points]:
            if x is not None:
                self.see(x)

    def shown(self) -> dict[int, tuple[int, int]]:
        """Target column -> the whole numbers [ceil(lo), floor(up)] its evidence spans."""
        if not hasattr(self, "tgs"):
            return {}
        lo = np.ceil(self.lp_lo - EPS).astype(np.int64).tolist()
        up = np.floor(self.lp_hi + EPS).astype(np.int64).tolist()
        return {t.col: (a, b) for t, a, b in zip(self.tgs, lo, up)}

    def witnesses(self, x_true: np.ndarray | None) -> tuple[list[np.ndarray], dict[int, tuple[int, int]]]:
        """Few of the tables seen that still show every settled target meeting the rule: (tables,
        target column -> (k_lo, k_hi)), the tables that give its low and high end (-1: the true
        table ``x_true``). Greedy: the table that shows the most of what is still unshown first.
        With the true table as one end, a target needs only one more table where it is far enough
        up (or, for a plain target, down); otherwise the lowest and highest whole values seen.
        Needs ``keep_points``."""
        if not hasattr(self, "tgs") or not self.points:
            return [], {}
        idx = np.flatnonzero(self.done())
        m = len(idx)
        if not m:
            return [], {}
        tmat, const = self.tmat[idx], self.const[idx]
        values = lambda x: tmat @ x + const  # noqa: E731
        hi_need = np.floor(self.lp_hi[idx] + EPS)
        lo_need = np.ceil(self.lp_lo[idx] - EPS)
        either = np.zeros(m, dtype=bool)  # a plain target: one table a whole number away from the truth
        if x_true is not None:
            t = np.round(values(x_true))
            need_w, need_up, margin = self.need_w[idx], self.need_up[idx], self.margin[idx]
            one_up = np.maximum(t + need_w + margin, need_up + margin)
            up_only = hi_need >= one_up
            hi_need = np.where(up_only, one_up, hi_need)
            lo_need = np.where(up_only, t, lo_need)  # the true table is the low end
            either = self.plain[idx]
            hi_need = np.where(either, t + 1, hi_need)
            lo_need = np.where(either, t - 1, lo_need)

        def shows(x: np.ndarray) -> np.ndarray:
            val = values(x)
            hi, lo = np.floor(val + EPS) >= hi_need, np.ceil(val - EPS) <= lo_need
            return np.concatenate([hi | (either & lo), lo | (either & hi)])

        cover = np.array([shows(x) for x in self.points])
        open_ = np.ones(2 * m, dtype=bool) if x_true is None else ~shows(x_true)
        open_[m:] &= ~either  # a plain target's one table is its "high" end
        count = cover[:, open_].sum(axis=1)
        chosen: list[int] = []
        while open_.any() and count.max() > 0:
            k = int(np.argmax(count))  # ties to the first table seen
            new = cover[k] & open_
            chosen.append(k)
            open_ &= ~new
            count -= cover[:, new].sum(axis=1)
        first = np.full(2 * m, -1)
        for j, k in reversed(list(enumerate(chosen))):
            first[cover[k]] = j
        first[m:][either] = -1
        first[open_] = -2  # nothing shows it (not expected: every bound was set by a table seen)
        out = {
            self.tgs[i].col: (int(first[m + j]), int(first[j]))
            for j, i in enumerate(idx.tolist())
            if first[j] > -2 and first[m + j] > -2
        }
        return [self.points[k] for k in chosen], out

    def see(self, x: np.ndarray) -> np.ndarray:
        """Take table x as evidence; returns every target's value in it."""
        val = self.tmat @ x + self.const
        if self.keep_points and ((val < self.lp_lo).any() or (val > self.lp_hi).any()):
            self.points.append(np.array(x, dtype=float))
        np.minimum(self.lp_lo, val, out=self.lp_lo)
        np.maximum(self.lp_hi, val, out=self.lp_hi)
        return val

    def done(self) -> np.ndarray:
        """Targets whose LP evidence so far meets the rule (with the margin of the class note). A
        plain target (only "not pinned") is also settled when a target of its class is shown free."""
        up = np.floor(self.lp_hi + EPS)
        w_lp = up - np.ceil(self.lp_lo - EPS)
        ok = (w_lp >= self.need_w + self.margin) & (up >= self.need_up + self.margin)
        free_cls = np.zeros(self.cls.max() + 1, dtype=bool)
        free_cls[self.cls[w_lp >= 1]] = True
        return ok | (self.plain & free_cls[self.cls])

    def _push(self) -> None:
        """Push all undecided targets up (then down) together, with random positive weights, while
        that decides targets faster than one LP per target would (judged by simplex iterations, a
        deterministic measure: about 1 target per 60 iterations one by one)."""
        rng = np.random.default_rng(20240531 + self.seed)
        todo = ~self.done() & ~self.proven
        for k in range(self.MAX_PUSHES):
            before = int(todo.sum())
            if before == 0:
                return
            w = np.where(todo, rng.uniform(0.2, 1.0, len(todo)), 0.0)
            self.see(self.lp.solve(self.tmat.T @ w, maximise=k % 2 == 0, from_centre=True)[1])
            todo = ~self.done() & ~self.proven
            work = self.lp.h.getInfo().simplex_iteration_count + 20
            if k >= 1 and (before - int(todo.sum())) * 60 < work:
                return

    def _one_by_one(self, stats: AuditStats) -> list[Pinned]:
        """Max and min of each still-unsettled target: first every maximum, then the minima still
        needed (consecutive solves of neighbouring cells start from a nearby vertex). Plain targets
        of one class are settled together (one target for the class, then, if it falls short, each
        for its own interval)."""
        out: list[Pinned] = []
        todo = np.flatnonzero(~self.done() & ~self.proven)
        first_of: dict[int, int] = {}
        for i in todo.tolist():
            if self.plain[i]:
                first_of.setdefault(int(self.cls[i]), i)
        lead = [i for i in todo.tolist() if not self.plain[i] or first_of[int(self.cls[i])] == i]
        found = self._intervals(lead)
        for i in lead:
            if i not in found:
                continue
            out.append(found[i])
            if self.plain[i]:
                same = (self.cls == self.cls[i]) & self.plain & ~self.proven
                rest = [j for j in np.flatnonzero(same).tolist() if j != i]
                out.extend(self._intervals(rest).values())
        return out

    def _intervals(self, todo: list[int]) -> dict[int, Pinned]:
        """The targets of ``todo`` that fall short, each with its interval and what certifies it.

        The LP bounds hold for any attacker (a whole-number table is also a real-valued one), so
        floor(LP max) and ceil(LP min) bound the whole-number interval from outside: when they fall
        short, the target falls short.
        """
        short: dict[int, Pinned] = {}
        high: dict[int, tuple[float, np.ndarray]] = {}
        for wave in self._waves(todo):
            reach = [
                max(self.need_up[i], math.ceil(self.lp_lo[i] - EPS) + self.need_w[i]) + self.margin[i] for i in wave
            ]
            x_hi, dual = self._solve(wave, True, reach)
            val = self.see(x_hi)
            done = self.done()
            for i in wave:
                if done[i]:
                    continue
                hi = float(val[i])  # the maximum: a goal did not bind
                dual_hi = self._own(dual, i)
                if math.floor(hi + EPS) < self.need_up[i] + self.margin[i]:  # the maximum alone falls short
                    short[i] = Pinned(self.tgs[i].col, float(min(self.lp_lo[i], hi)), hi, self._support(dual_hi))
                else:
                    high[i] = (hi, dual_hi)
        for wave in self._waves(list(high)):
            reach = [math.floor(self.lp_hi[i] + EPS) - self.need_w[i] - self.margin[i] for i in wave]
            x_lo, dual = self._solve(wave, False, reach)
            val = self.see(x_lo)
            done = self.done()
            for i in wave:
                if not done[i]:
                    hi, dual_hi = high[i]
                    lo = float(val[i])
                    short[i] = Pinned(self.tgs[i].col, lo, hi, self._support(dual_hi, self._own(dual, i)))
        return short

    def _waves(self, todo: list[int]) -> Iterator[list[int]]:
        """The targets of ``todo`` not yet settled, in groups to bound with one solve: one target
        each, or, in a block of parts, one target of every part that still has one."""
        if self.part is None:
            for i in todo:
                if not self.done()[i]:
                    yield [i]
            return
        pending = list(todo)
        while pending:
            done = self.done()
            first: dict[int, int] = {}
            for i in pending:
                if not done[i]:
                    first.setdefault(int(self.part[self.tgs[i].var[0]]), i)
            if not first:
                return
            yield list(first.values())
            taken = set(first.values())
            pending = [i for i in pending if i not in taken and not done[i]]

    def _solve(self, wave: list[int], maximise: bool, reach: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """The max or min of the targets of ``wave`` (the solution and the row duals). In a block
        that starts every solve from the centre, the solve of one target stops at ``reach``, the
        value that would settle it (``_BlockLP.solve``'s goal): reaching it settles the target;
        falling short of it gives the true optimum, whose duals certify the shortfall. (Measured:
        about half the simplex iterations on the linked five-year systems. Smaller blocks go on from
        the last vertex in a few iterations, and a changed goal row would cost each solve a new
        factorisation: there it is left out.) A wave of several targets (a block of parts) has one
        in each part: the maximum of their sum is each one's maximum."""
        single = len(wave) == 1 and self.lp.centred and self.lp.goal_row
        goal = reach[0] - self.const[wave[0]] if single else None
        cost = np.zeros(self.lp.n)
        for i in wave:
            cost[self.tgs[i].var] = 1.0
        _, x, dual = self.lp.solve(cost, maximise=maximise, from_centre=True, goal=goal)
        return x, dual

    def _own(self, dual: np.ndarray, i: int) -> np.ndarray:
        """The row duals of target i's own part (all of them in a block without parts)."""
        if self.part is None:
            return dual
        return np.where(self._row_part == self.part[self.tgs[i].var[0]], dual, 0.0)

    @functools.cached_property
    def _row_part(self) -> np.ndarray:
        return np.array([self.part[it.var[0]] for it in self.rows], dtype=np.int64)

    @functools.cached_property
    def _known_of_rows(self) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """For certificates: which known inner rows each constraint row holds (a 0/1 matrix over
        the known rows listed in the second item), and each constraint row's column."""
        ptr = np.cumsum([0] + [len(it.known) for it in self.rows])
        rows = np.fromiter((r for it in self.rows for r in it.known), dtype=np.int64, count=int(ptr[-1]))
        known_rows, local = np.unique(rows, return_inverse=True)
        mat = sparse.csr_matrix((np.ones(len(rows)), local.ravel(), ptr), shape=(len(self.rows), len(known_rows)))
        return mat, known_rows, np.array([it.col for it in self.rows], dtype=np.int64)

    def _support(self, *duals: np.ndarray) -> tuple[tuple[str, int], ...]:
        """What certifies a bound: constraint rows with a non-zero dual, and the known rows
        (published inner cells) whose combined dual weight is non-zero."""
        mat, known_rows, row_col = self._known_of_rows
        cols: set[tuple[str, int]] = set()
        for d in duals:
            d = np.asarray(d)
            nz = np.flatnonzero(np.abs(d) > 1e-7)  # a few rows of thousands
            cols.update(("col", c) for c in row_col[nz].tolist())
            kept = np.zeros(len(d))
            kept[nz] = d[nz]
            weight = mat.T @ kept  # (no slice of mat: scipy's slicing costs more than the product)
            cols.update(("row", r) for r in known_rows[np.abs(weight) > 1e-7].tolist())
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


def audit_rule(
    cells: pd.DataFrame, members: pd.DataFrame, rule: str, threshold: int = 5, inner: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Hidden cells of a suppressed table that fall short of ``rule`` (empty = safe).

    ``cells``: region, aldersgruppe, kategori, antall (the TRUE values) and ``hidden``; the true
    values say which hidden cells are primary (1 .. threshold−1) and what "up ≥ x + 1" means.
    ``inner`` (unit, aldersgruppe, kategori, antall), when given, is the true table: a whole-number
    table the attacker cannot rule out, used as evidence.
    """
    published = cells.assign(antall=cells["antall"].where(~cells["hidden"]))
    truth = pd.to_numeric(cells["antall"], errors="coerce").to_numpy(dtype=float)
    findings, _ = _audit(published, members, rule=rule, truth=truth, threshold=threshold, inner=inner)
    return findings


WITNESS_TOL = 1e-6  # how far a witness may miss a published sum or a bound (LP solutions: ~1e-9)


def witness_tables(
    cols: list[tuple[int, ...]], published: np.ndarray, values: np.ndarray, truth: np.ndarray, rows: np.ndarray, frame
) -> tuple[np.ndarray, int]:
    """The witness tables of ``frame`` that the attacker cannot rule out. ``frame``: vitne,
    grunnlag, antall (``suppression.witness_frame``); ``rows``: each entry's inner row, -1 when it
    has none here. A table is its grunnlag (an earlier vitne, or -1: the true inner table
    ``truth``) with the listed cells changed; it counts only if it adds up to every published
    column (within ``WITNESS_TOL``), with every hidden column at least 1 and every inner cell at
    least 0. Returns (the tables, one per row, and how many were rejected)."""
    vit = frame["vitne"].to_numpy(dtype=np.int64)
    base = frame["grunnlag"].to_numpy(dtype=np.int64)
    val = frame["antall"].to_numpy(dtype=float)
    ids, k = np.unique(vit, return_inverse=True)
    if not len(ids):
        return np.zeros((0, len(truth))), 0
    ok = np.ones(len(ids), dtype=bool)
    ok[k[(rows < 0) | ~np.isfinite(val)]] = False
    order = np.argsort(k, kind="stable")
    start = np.searchsorted(k[order], np.arange(len(ids) + 1))
    pos = {int(v): i for i, v in enumerate(ids.tolist())}
    w = np.empty((len(ids), len(truth)))
    for i, v in enumerate(ids.tolist()):  # increasing: a grunnlag comes before the tables on it
        mine = order[start[i] : start[i + 1]]
        b = int(base[mine[0]])
        if not ok[i] or (base[mine] != b).any() or not (b == -1 or (b < v and b in pos and ok[pos[b]])):
            ok[i] = False
            continue
        w[i] = truth if b == -1 else w[pos[b]]
        w[i, rows[mine]] = val[mine]
    sums = column_matrix(cols, len(truth)) @ w[ok].T  # column × table
    pub = np.asarray(published, dtype=bool)
    good = (np.abs(sums[pub] - np.asarray(values, dtype=float)[pub, None]) <= WITNESS_TOL).all(axis=0)
    good &= (sums[~pub] >= 1 - WITNESS_TOL).all(axis=0)
    good &= (w[ok] >= -WITNESS_TOL).all(axis=1)
    ok[np.flatnonzero(ok)[~good]] = False
    return w[ok], int((~ok).sum())


def _inner_truth(layout: Layout, inner: pd.DataFrame) -> np.ndarray:
    from kvi_core.disclosure.suppression import inner_vector

    return inner_vector(layout, inner)


def _audit(
    cells: pd.DataFrame,
    members: pd.DataFrame,
    rule: str = EKSAKT,
    truth: np.ndarray | None = None,
    threshold: int = 5,
    inner: pd.DataFrame | None = None,
    witnesses: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, AuditStats]:
    """``witnesses`` (vitne, unit, aldersgruppe, kategori, antall; used only with ``inner``): the
    tables ``kvi compute`` found as evidence (``suppression.witness_frame``); each one that adds
    up to what is published is evidence here too, so most cells need no LP."""
    stats = AuditStats()
    if cells.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS), stats
    cells = cells.reset_index(drop=True)
    layout = Layout(members, extra_units=() if inner is None else inner["unit"].astype(str))
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
    need = None
    if truth is not None and rule != EKSAKT:
        col_truth = np.full(n, np.nan)
        col_truth[table.cell_col] = truth
        primary = [c for c in targets if 1 <= col_truth[c] < threshold]
        need = Requirement.for_rule(rule, primary, np.nan_to_num(col_truth).astype(np.int64))
    truth_rows = None if inner is None else _inner_truth(layout, inner)
    points = None
    if truth_rows is not None and witnesses is not None and len(witnesses):
        points, stats.witnesses_rejected = witness_tables(
            table.cols, published, col_value, truth_rows, layout.rows_of(witnesses), witnesses
        )
        stats.witnesses = len(points)
    pins = {
        p.col: p
        for p in pinned_cells(
            table.cols,
            published,
            col_value,
            targets,
            table.n_rows,
            stats=stats,
            need=need,
            truth=truth_rows,
            points=None if points is None else list(points),
        )
    }
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
