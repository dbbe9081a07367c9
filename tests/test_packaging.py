"""The lock, environment.yml and pyproject.toml agree (issue 9, item 1)."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("environment_from_lock", ROOT / "tools" / "environment_from_lock.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _lock_text() -> str:
    return (ROOT / "requirements.lock").read_text(encoding="utf-8")


def test_environment_yml_is_generated_from_the_lock():
    want = _tool().environment_yml(_lock_text())
    assert (ROOT / "environment.yml").read_text(encoding="utf-8") == want, "run: python tools/environment_from_lock.py"


def test_every_declared_dependency_is_locked_within_its_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = list(project["project"]["dependencies"])
    for extra in ("test", "lint"):
        declared += project["project"]["optional-dependencies"][extra]
    declared += project["dependency-groups"]["build"]
    pins = {canonicalize_name(n): v for n, v in _tool().locked_pins(_lock_text())}
    problems = []
    for text in declared:
        req = Requirement(text)
        version = pins.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            problems.append(f"{text}: locked {version}")
    assert problems == []


def test_every_locked_package_has_a_hash():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", _lock_text())
    pinned = [b for b in blocks if re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*==", b)]
    assert len(pinned) > 50
    assert [b.splitlines()[0] for b in pinned if "--hash=sha256:" not in b] == []


def test_check_mode_notices_a_hand_edited_environment(tmp_path, monkeypatch):
    tool = _tool()
    env = tmp_path / "environment.yml"
    env.write_text(tool.environment_yml(_lock_text()).replace("pandas==", "pandas>="), encoding="utf-8")
    monkeypatch.setattr(tool, "ENVIRONMENT", env)
    assert tool.main(["--check"]) == 1
    env.write_text(tool.environment_yml(_lock_text()), encoding="utf-8")
    assert tool.main(["--check"]) == 0


def _smoke():
    spec = importlib.util.spec_from_file_location("smoke_installed", ROOT / "tools" / "smoke_installed.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake_kvi(tmp_path, stdout: str, stderr: str = "", code: int = 0) -> str:
    exe = tmp_path / "kvi"
    exe.write_text(f"#!/bin/sh\nprintf '{stdout}'\nprintf '{stderr}' >&2\nexit {code}\n", encoding="utf-8")
    exe.chmod(0o755)
    return str(exe)


def test_smoke_check_accepts_kvis_own_audit_lines(tmp_path):
    ok = "Kontrollert 4 tabeller (indikator og år eller treårsperiode) med 10 celler, hvorav 2 prikket.\\n"
    assert _smoke().run(_fake_kvi(tmp_path, ok, "kvi: ferdig\\n"), ["audit", "x"], tmp_path) == [ok[:-2]]


@pytest.mark.parametrize(
    "stdout,stderr,code",
    [
        ("Running HiGHS 1.16.0 (git hash: f3f113d): Copyright (c) 2026\\n", "", 0),  # banner on stdout
        ("", "Running HiGHS 1.16.0\\n", 0),  # banner on stderr
        ("", "Traceback (most recent call last):\\n", 0),
        ("", "kvi: noe gikk galt\\n", 2),  # non-zero exit
    ],
)
def test_smoke_check_rejects_foreign_output_and_failures(tmp_path, stdout, stderr, code):
    with pytest.raises(SystemExit, match="FAILED"):
        _smoke().run(_fake_kvi(tmp_path, stdout, stderr, code), ["audit", "x"], tmp_path)


def test_every_resource_file_of_the_package_goes_into_the_wheel():
    """A new template, asset or spec under kvi_core/ (or the linked params/, notebooks/) must be named
    in pyproject's package-data, or the installed kvi would not find it."""
    import os

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = set()
    for package, patterns in project["tool"]["setuptools"]["package-data"].items():
        base = ROOT / package.replace(".", "/")
        for pattern in patterns:
            shipped |= {p.relative_to(ROOT) for p in base.glob(pattern) if p.is_file()}
    present = set()
    for folder, dirs, names in os.walk(ROOT / "kvi_core", followlinks=True):
        dirs[:] = [d for d in dirs if d not in {"__pycache__", ".ipynb_checkpoints"}]
        present |= {(Path(folder) / n).relative_to(ROOT) for n in names if not n.endswith((".py", ".pyc"))}
    # the compiled elimination: its source is the extension's (setup.py), its module goes in by build_ext
    compiled = {p for p in present if p.suffix in {".so", ".pyd"}}
    source = Path("kvi_core/disclosure/_gauss.cpp")
    assert source.as_posix() in (ROOT / "setup.py").read_text(encoding="utf-8")
    assert present - shipped - compiled - {source} == set()
    assert {Path("kvi_core/params/indicators"), Path("kvi_core/notebooks")} <= {p.parent for p in shipped}
