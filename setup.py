"""The one compiled part of kvi: the secondary suppression's elimination (kvi_core/disclosure/_gauss.cpp).

Everything else about the package is in pyproject.toml. The extension is optional: without a C++17
compiler (g++ or clang++; the code uses their 128-bit integers and overflow checks) the install still
succeeds and kvi runs the same elimination in Python (kvi_core/disclosure/suppression.py), with the same
cells, about six times slower. `make test` fails when the module is missing, unless KVI_PURE_PYTHON is
set (tests/test_elimination_compiled.py).
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
