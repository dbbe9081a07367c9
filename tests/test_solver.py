"""No solver banner: kvi's commands print only kvi's own words (issue 9, item 2)."""

from __future__ import annotations

import re
import subprocess
import sys

# Every line ``kvi audit`` may print (kvi_core/audit.py, print_audit).
AUDIT_LINE = re.compile(
    r"Kontrollert \d+ tabeller \(indikator og år\) med \d+ celler, hvorav \d+ prikket\."
    r"|Ingen prikket celle kan regnes ut eller avgrenses til ett tall\. Prikkingen er trygg\."
    r"|ADVARSEL: \d+ prikkede celler kan regnes ut:"
    r"|  \S.*"
)


def _kvi(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kvi_core", *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False
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
    out = tmp_path / "ut"
    c = _kvi("compute", "--input", hand_extract, "--out", out)
    assert c.returncode == 0, c.stderr
    assert "HiGHS" not in c.stdout + c.stderr
    a = _kvi("audit", out, cwd=tmp_path)
    assert a.returncode == 0, a.stdout + a.stderr
    lines = a.stdout.splitlines()
    assert lines and lines[0].startswith("Kontrollert ")
    assert [ln for ln in lines if not AUDIT_LINE.fullmatch(ln)] == []
    assert a.stderr == ""
