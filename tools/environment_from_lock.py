"""Write environment.yml (conda users) from requirements.lock, so the two cannot drift.

    python tools/environment_from_lock.py           # rewrite environment.yml
    python tools/environment_from_lock.py --check   # exit 1 if environment.yml is not what the lock gives

Conda gives what pip cannot: Python itself, the Quarto CLI and poppler. Every Python package comes
from pip at exactly the locked version (conda-forge names and builds differ from PyPI's, so pinning
them through conda would be a second, different lock).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
ENVIRONMENT = ROOT / "environment.yml"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
# Packages only needed to build kvi itself; conda users get them through pip's build isolation.
BUILD_ONLY = {"build", "pyproject-hooks", "setuptools", "uv"}

HEADER = """\
# GENERATED from requirements.lock by tools/environment_from_lock.py (`make lock`); do not edit.
# For users with conda (conda-forge): conda env create -f environment.yml
# Conda gives Python, the Quarto CLI and poppler; every Python package comes from pip at the
# locked version (tests/test_packaging.py checks that this file matches the lock).
name: kvi
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - quarto>=1.4,<2
  - poppler
  - pip:
"""


def locked_pins(lock_text: str) -> list[tuple[str, str]]:
    """(name, version) of every ``name==version`` line of a pip requirements lock, in file order."""
    return [(m[1], m[2]) for line in lock_text.splitlines() if (m := PIN.match(line))]


def environment_yml(lock_text: str) -> str:
    pins = [f"      - {name}=={version}\n" for name, version in locked_pins(lock_text) if name not in BUILD_ONLY]
    return HEADER + "".join(pins) + "      - -e .\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when environment.yml differs")
    a = ap.parse_args(argv)
    want = environment_yml(LOCK.read_text(encoding="utf-8"))
    if a.check:
        if ENVIRONMENT.read_text(encoding="utf-8") != want:
            print(
                "environment.yml does not match requirements.lock; run: python tools/environment_from_lock.py",
                file=sys.stderr,
            )
            return 1
        return 0
    ENVIRONMENT.write_text(want, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
