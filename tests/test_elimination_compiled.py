"""The compiled elimination (kvi_core/disclosure/_gauss.cpp) against the Python one it stands in for:
the same hidden cells, with the same reasons, in the same order, on random and on real geography."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_audit import small_tables  # noqa: E402
from test_suppression import gauss_problem  # noqa: E402

from kvi_core import geography  # noqa: E402
from kvi_core.disclosure import elimination  # noqa: E402
from kvi_core.disclosure.elimination import PURE_PYTHON  # noqa: E402
from kvi_core.disclosure.suppression import (  # noqa: E402
    gauss_secondary,
    gauss_secondary_compiled,
    gauss_secondary_python,
    suppress,
)
from kvi_core.errors import KviInputError  # noqa: E402
from kvi_core.specs import CATEGORIES, INNER_AGE_GROUPS  # noqa: E402

built = pytest.mark.skipif(elimination.compiled is None, reason="kvi was installed without its compiled elimination")


def test_the_compiled_elimination_is_built():
    """`make test` runs where kvi is developed, with a compiler: a missing module means the build
    failed quietly (setup.py makes it optional for users), and every suppression would take a third
    to a half longer."""
    if os.environ.get(PURE_PYTHON):
        pytest.skip(f"{PURE_PYTHON} is set: the Python elimination is wanted")
    assert elimination.compiled is not None, (
        "kvi_core.disclosure._gauss is missing: reinstall with a C++17 compiler "
        "(`.venv/bin/pip install --no-deps --no-build-isolation -e .`), or set KVI_PURE_PYTHON=1"
    )


def _same(a: dict, b: dict) -> None:
    assert list(a.items()) == list(b.items())


@built
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables(), st.randoms(use_true_random=False))
def test_compiled_and_python_elimination_hide_the_same_cells(table, rnd):
    """Random tables, a random part of the hidden cells watched (as in later rounds), random room
    above the bound for hidden rows (rule intervall) and some candidates forced to be published."""
    m, inner = table
    _, tab, truth, v, lower, order = gauss_problem(inner, m)
    primary = (v >= 1) & (v < 5)
    hidden = primary.copy()
    watch = [c for c in np.flatnonzero(primary).tolist() if rnd.random() < 0.7]
    room = np.array([rnd.choice([1, 1, 2, 3]) for _ in range(tab.n_rows)], dtype=np.int64)
    rate = rnd.choice([0, 0, 0.03])  # forced cells (a pattern fixed elsewhere) in a third of the cases
    forced = frozenset(c for c in order if rnd.random() < rate)
    args = (tab.cols, order, watch, hidden, truth, lower, tab.n_rows, room, forced)
    try:
        got = gauss_secondary_compiled(*args)
    except NotImplementedError:  # a forced column with no row to pivot on: left to Python
        reject()
    except AssertionError as e:  # forced cells that reveal a watched one: Python says the same
        with pytest.raises(AssertionError, match=f"^{e}$"):
            gauss_secondary_python(*args)
        event("forced cells reveal a watched one")
        return
    want = gauss_secondary_python(*args)
    event("secondary cells found" if want else "no secondary cell")
    _same(got, want)
    _same(gauss_secondary(*args), want)


def _real_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three fylker of 2024 (Oslo with bydeler), with many small counts."""
    m = geography.membership(2024, geography.demo_kostra_grouping(2024), ["030101", "030102", "030103"])
    kom = geography.kommuner(2024)
    keep = set(kom.loc[kom.fylkenr.isin(["03", "15", "18"]), "kommunenr"])
    m = m[m.unit.str[:4].isin(keep)]
    units = sorted(m.unit.unique())
    inner = pd.DataFrame(
        [(u, a, c) for u in units for a in INNER_AGE_GROUPS for c in CATEGORIES],
        columns=["unit", "aldersgruppe", "kategori"],
    )
    inner["antall"] = np.random.default_rng(5).choice([0, 0, 1, 2, 3, 5, 8, 20, 60], size=len(inner))
    return m, inner


@built
def test_compiled_and_python_give_the_same_suppression_on_real_geography(monkeypatch):
    """The whole suppression (every round of elimination and intervals), once with each."""
    m, inner = _real_tables()
    monkeypatch.delenv(PURE_PYTHON, raising=False)
    assert elimination.engine() == "C++"
    with_cpp = suppress(inner, m)
    monkeypatch.setenv(PURE_PYTHON, "1")
    assert elimination.engine() == "Python"
    with_python = suppress(inner, m)
    pd.testing.assert_frame_equal(with_cpp, with_python)
    assert with_cpp.attrs["prikking"] == with_python.attrs["prikking"]
    assert (with_cpp["reason"] == "eliminasjon").sum() > 50


class _GivesUp:
    def __init__(self, error: type[Exception]):
        self.error, self.calls = error, 0

    def gauss_secondary(self, *args):
        self.calls += 1
        raise self.error("gives up")


@pytest.mark.parametrize("error", [OverflowError, NotImplementedError])
def test_python_takes_over_where_the_compiled_elimination_gives_up(monkeypatch, error):
    m, inner = small_tables_example()
    _, tab, truth, v, lower, order = gauss_problem(inner, m)
    primary = (v >= 1) & (v < 5)
    args = (tab.cols, order, np.flatnonzero(primary).tolist(), primary, truth, lower, tab.n_rows)
    fake = _GivesUp(error)
    monkeypatch.setattr(elimination, "compiled", fake)
    monkeypatch.delenv(PURE_PYTHON, raising=False)
    got = gauss_secondary(*args)
    assert fake.calls == 1
    _same(got, gauss_secondary_python(*args))
    assert got


def test_pure_python_is_used_when_asked_or_when_the_module_is_missing(monkeypatch):
    fake = _GivesUp(AssertionError)
    monkeypatch.setattr(elimination, "compiled", fake)
    monkeypatch.setenv(PURE_PYTHON, "1")
    m, inner = small_tables_example()
    _, tab, truth, v, lower, order = gauss_problem(inner, m)
    primary = (v >= 1) & (v < 5)
    gauss_secondary(tab.cols, order, np.flatnonzero(primary).tolist(), primary, truth, lower, tab.n_rows)
    assert fake.calls == 0 and elimination.engine() == "Python"
    monkeypatch.delenv(PURE_PYTHON)
    assert elimination.engine() == "C++"
    monkeypatch.setattr(elimination, "compiled", None)
    assert elimination.engine() == "Python"


@built
def test_the_compiled_module_refuses_inconsistent_arrays():
    ptr = np.array([0, 1, 2], dtype=np.int64)
    rows = np.array([0, 5], dtype=np.int64)  # row 5 of a 2-row table
    one = np.ones(2, dtype=np.int64)
    args = [ptr, rows, one[:0], one[:0], np.zeros(2, np.uint8), one, one, one, np.zeros(2, np.uint8), one, one, 2]
    with pytest.raises(ValueError, match="outside the table"):
        elimination.compiled.gauss_secondary(*args)
    args[1] = np.array([0, 1], dtype=np.int64)
    args[4] = np.zeros(3, np.uint8)
    with pytest.raises(ValueError, match="lengths"):
        elimination.compiled.gauss_secondary(*args)
    args[4] = np.zeros(2, np.uint8)
    args[2] = np.array([2], dtype=np.int64)  # column 2 of 2
    with pytest.raises(ValueError, match="out of order"):
        elimination.compiled.gauss_secondary(*args)
    args[2] = one[:0]
    args[0] = np.array([0, 2, 1], dtype=np.int64)
    with pytest.raises(ValueError, match="out of order"):
        elimination.compiled.gauss_secondary(*args)
    args[0] = ptr.astype(np.int32)  # an int32 array where int64 is expected
    with pytest.raises(ValueError, match="item size"):
        elimination.compiled.gauss_secondary(*args)
    args[0] = ptr
    assert elimination.compiled.gauss_secondary(*args) == {}
    z = np.zeros(0, dtype=np.int64)
    eq = (np.array([0, 2], dtype=np.int64), np.array([0, 3], dtype=np.int64), np.array([4], dtype=np.int64))
    with pytest.raises(ValueError, match="inconsistent"):  # variable 3 of 2
        elimination.compiled.equation_basis(*eq, np.zeros(2, dtype=np.int64), 2, np.zeros(1, dtype=np.int64), z)


def small_tables_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One table of the kind ``small_tables`` draws, with enough small counts to need secondaries."""
    m, inner = _real_tables()
    keep = set(sorted(m["unit"].unique())[:12])
    m = m[m["unit"].isin(keep)]
    return m, inner[inner["unit"].isin(keep)].reset_index(drop=True)


def _system(rnd, n: int, n_eq: int, n_tg: int, contradict: bool = False):
    from kvi_core.disclosure.intervals import _Item

    x = [rnd.randint(0, 6) for _ in range(n)]
    items = []
    for c in range(n_eq + n_tg):
        var = np.array(sorted(rnd.sample(range(n), rnd.randint(1, min(n, 6)))), dtype=np.int64)
        rnd.shuffle(var)  # a column's variables come in its own row order, not sorted
        items.append(_Item(c, var, float(sum(x[i] for i in var.tolist()))))
    eqs, targets = items[:n_eq], items[n_eq:]
    eqs += [_Item(n_eq + n_tg + k, e.var.copy(), e.rhs) for k, e in enumerate(rnd.sample(eqs, n_eq // 3))]  # implied
    if contradict:
        eqs.append(_Item(999, eqs[0].var.copy(), eqs[0].rhs + 1))
    return eqs, targets


@built
@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.randoms(use_true_random=False), st.integers(2, 30), st.integers(0, 30), st.integers(0, 20))
def test_compiled_and_python_exact_step_agree(rnd, n, n_eq, n_tg):
    """The audit's exact step (independent equations; targets that are derived, and classes of
    targets free or pinned together) is the same from the compiled and the Python elimination."""
    from kvi_core.disclosure.intervals import _classify, _equation_basis, _exact_step_compiled

    eqs, targets = _system(rnd, n, n_eq, n_tg)
    basis, independent = _equation_basis(eqs)
    derived, cls = _classify(basis, targets)
    got = _exact_step_compiled(eqs, targets)
    assert [e.col for e in got[0]] == [e.col for e in independent]
    assert got[1] == derived
    assert got[2].tolist() == cls.tolist()
    event("some targets derived" if derived else "no target derived")


@built
def test_contradicting_equations_are_refused_by_both():
    import random

    from kvi_core.disclosure.intervals import _equation_basis, _exact_step_compiled
    from kvi_core.errors import KviInputError

    eqs, targets = _system(random.Random(3), 10, 8, 3, contradict=True)
    for run in (lambda: _equation_basis(eqs), lambda: _exact_step_compiled(eqs, targets)):
        with pytest.raises(KviInputError, match="henger ikke sammen"):
            run()


@built
def test_beyond_64_bits_and_repeated_rows_are_left_to_python():
    """A coefficient that leaves 64 bits (here the negation of -2**63) and a row twice in one
    column (a Python dict holds it once): the compiled module refuses, the Python one answers."""
    from kvi_core.disclosure.intervals import _classify, _equation_basis, _exact_step, _exact_step_compiled, _Item

    items = [([0, 1], 0.0), ([2, 3], 0.0), ([0, 2], float(-(2**63))), ([4, 5], 5.0)]
    eqs = [_Item(c, np.array(v), rhs) for c, (v, rhs) in enumerate(items)]
    targets = [_Item(100, np.array([4, 5, 1, 3]), 0.0)]
    with pytest.raises(OverflowError):
        _exact_step_compiled(eqs, targets)
    basis, independent = _equation_basis(eqs)
    derived, cls = _classify(basis, targets)
    got = _exact_step(eqs, targets)
    assert [e.col for e in got[0]] == [e.col for e in independent] and got[1] == derived == {0: 2.0**63}

    args = ([(0, 1, 1), (0, 1)], [1], [0], np.array([True, False]), np.ones(2, np.int64), np.ones(2, np.int64), 2)
    with pytest.raises(NotImplementedError, match="twice"):
        gauss_secondary_compiled(*args)
    _same(gauss_secondary(*args), gauss_secondary_python(*args))
    assert gauss_secondary_python(*args) == {1: (0,)}
    twice = [_Item(0, np.array([0, 1, 1]), 3.0), _Item(1, np.array([0, 1]), 2.0)]
    with pytest.raises(NotImplementedError, match="twice"):
        _exact_step_compiled(twice, [])
    with pytest.raises(KviInputError):  # read as a dict (as Python does): x0 + x1 = 3 against x0 + x1 = 2
        _exact_step(twice, [])


@built
def test_the_compiled_module_takes_integer_arrays_only():
    ptr, rows = np.array([0, 1], dtype=np.int64), np.array([0], dtype=np.int64)
    one, none = np.ones(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flags = np.zeros(1, np.uint8)
    args = [ptr, rows, none, none, flags, one, one, one, flags, one, one, 1]
    assert elimination.compiled.gauss_secondary(*args) == {}
    args[5] = np.ones(1)  # float64: its bits would be read as integers
    with pytest.raises(ValueError, match="truth must be integers"):
        elimination.compiled.gauss_secondary(*args)
