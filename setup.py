"""The one compiled part of kvi: the exact elimination (kvi_core/disclosure/_gauss.cpp), used by the
secondary suppression and by the audit's exact step.

Everything else about the package is in pyproject.toml. The extension is optional: without a C++17
compiler (g++ or clang++; the code uses their 128-bit integers and overflow checks) the install still
succeeds and kvi runs the same elimination in Python, with the same cells: the elimination about six
times slower, a national year's `kvi compute` a third to a half. `make test` fails when the module is
missing, unless KVI_PURE_PYTHON is set (tests/test_elimination_compiled.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "kvi_core.disclosure._gauss",
            sources=["kvi_core/disclosure/_gauss.cpp"],
            language="c++",
            extra_compile_args=["-std=c++17", "-O2"],
            optional=True,
        )
    ]
)
