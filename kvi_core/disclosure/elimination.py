"""Fraction-free exact elimination over sparse integer vectors (no floating tolerance).

Its two heavy uses, the secondary suppression (``suppression.gauss_secondary``) and the audit's
equations (``intervals._equation_basis``, ``intervals._classify``), also run compiled
(``_gauss.cpp``), step for step the same; ``engine()`` says which one runs.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict

try:  # the compiled elimination, built when kvi is installed with a C++17 compiler (setup.py)
    from kvi_core.disclosure import _gauss as compiled
except ImportError:  # installed without one: the Python functions, the same results, slower
    compiled = None

PURE_PYTHON = "KVI_PURE_PYTHON"  # environment variable: set (non-empty), the Python elimination runs


def engine() -> str:
    """Which elimination runs: "C++" (the compiled module) or "Python"."""
    return "C++" if compiled is not None and not os.environ.get(PURE_PYTHON) else "Python"


def eliminate(
    v: dict[int, int], p: dict[int, int], r: int, holders: dict[int, set[int]] | None = None, owner: int = 0
) -> tuple[int, int, int]:
    """In place, v := (a·v − c·p) / g with integers a > 0, c chosen so that v[r] becomes 0.

    Fraction-free, so no tolerance is needed (Python ints do not overflow). Returns (a, c, g) so a
    caller can update a linear hash of v. ``holders`` (row -> the vectors holding it, a
    ``defaultdict(set)``), when given, is kept up to date for v, named ``owner``, in the same pass
    over p: rows that enter v gain it, rows that cancel lose it (r itself excepted, and keys < 0,
    which are values, not rows). This is the elimination's inner loop.
    """
    g0 = math.gcd(p[r], v[r])
    a, c = p[r] // g0, v[r] // g0
    if a < 0:
        a, c = -a, -c
    if a != 1:
        for k in v:
            v[k] *= a
    get = v.get
    for k, x in p.items():
        old = get(k)
        if old is None:
            v[k] = -c * x
            if holders is not None and k >= 0:
                holders[k].add(owner)
        elif old != c * x:
            v[k] = old - c * x
        else:
            del v[k]
            if holders is not None and k != r and k >= 0:
                holders[k].discard(owner)
    g = 1
    if a != 1 and v:
        g = math.gcd(*v.values())
        if g > 1:
            for k in v:
                v[k] //= g
    return a, c, g


class SpanBasis:
    """The span of the cells published so far, in reduced row echelon form.

    ``pivots[r]`` is a basis vector with pivot row r; it holds no other pivot row, so a vector is
    reduced by one elimination per pivot row it holds. A vector reduces to {} exactly when it is a
    linear combination of the basis. Keys < 0 are carried along (values), never pivots.
    """

    def __init__(self) -> None:
        self.pivots: dict[int, dict[int, int]] = {}
        self.holders: defaultdict[int, set[int]] = defaultdict(set)  # row -> pivots holding it

    def reduce(self, v: dict[int, int]) -> dict[int, int]:
        out = dict(v)
        for r in [r for r in v if r in self.pivots]:
            eliminate(out, self.pivots[r], r)
        return out

    def add(self, q: dict[int, int], s: int) -> None:
        """Add a reduced vector q with pivot row s (q[s] != 0), keeping the echelon form: s is
        eliminated from every basis vector holding it."""
        for r2 in sorted(self.holders.pop(s, ())):
            eliminate(self.pivots[r2], q, s, self.holders, r2)
        self.pivots[s] = q
        for k in q:
            if k != s and k >= 0:
                self.holders[k].add(s)
