"""No solver banner: kvi's commands print only kvi's own words (issue 9, item 2)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from kvi_core.resources import params_dir

# Every line ``kvi audit`` may print (kvi_core/disclosure/audit_command.py, print_audit).
AUDIT_LINE = re.compile(
    r"Kontrollert \d+ tabeller \(indikator og år eller treårsperiode\) med \d+ celler, hvorav \d+ prikket"
    r"( og \d+ tomme på grunn av brudd)?\."
    r"|Ingen prikket celle kan regnes ut .*Prikkingen er trygg\."
    r"|ADVARSEL: \d+ prikkede celler kan regnes ut.*:"
    r"|  \S.*"
)


def _kvi(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "kvi_core", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_new_highs_prints_nothing_even_to_a_pipe():
    code = "from kvi_core.solver import new_highs\nh = new_highs()\nh.run()\nprint('kvi')\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (r.returncode, r.stdout, r.stderr) == (0, "kvi\n", "")


def test_output_written_around_the_solver_is_kept(capfd):
    from kvi_core.solver import new_highs

    print("før", flush=True)
    new_highs()
    print("etter", flush=True)
    out, err = capfd.readouterr()
    assert out == "før\netter\n" and err == ""


def test_compute_and_audit_print_only_kvi_lines(hand_extract, tmp_path):
    # one indicator is enough to create solvers, and a quarter of the work
    params = tmp_path / "params" / "indicators"
    params.mkdir(parents=True)
    shutil.copy(params_dir() / "indicators" / "arbeid_utdanning_bistand.toml", params)
    env = dict(os.environ, KVI_PARAMS=str(params.parent))
    out = tmp_path / "ut"
    c = _kvi("compute", "--input", hand_extract, "--out", out, env=env)
    assert c.returncode == 0, c.stderr
    assert "HiGHS" not in c.stdout + c.stderr
    a = _kvi("audit", out, cwd=tmp_path, env=env)
    assert a.returncode == 0, a.stdout + a.stderr
    lines = a.stdout.splitlines()
    assert lines and lines[0].startswith("Kontrollert ")
    assert [ln for ln in lines if not AUDIT_LINE.fullmatch(ln)] == []
    assert [ln for ln in a.stderr.splitlines() if not ln.startswith("kvi: kontroll [")] == []  # progress only
