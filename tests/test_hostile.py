"""Hostile input: number formats, formulas, markup, paths, NUL, long lines, encodings, broken files.
Every case either runs with the bad values listed in avvist.csv, or ends with one line and exit 2."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import HAND_ROWS, HEADER, row, write_extract

from kvi_core import publish
from kvi_core.cli import main
from kvi_core.output import neutralise_formulas

REPO = Path(__file__).resolve().parents[1]


def compute(path: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["compute", "--input", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code:
        assert all(line.startswith("kvi: ") for line in err.strip().splitlines()), err  # the error: one line
    return code, err


def avvist(out: Path) -> pd.DataFrame:
    return pd.read_csv(publish.default_intern(out) / "avvist.csv", dtype=str, keep_default_na=False)


BAD_CODES = ["NaN", "nan", "1e0", "inf", "-inf", "0x1", "1,0", "+1", "1.00", "１", "1 1", "NA", "null", "#N/A"]


@pytest.mark.parametrize("sep", [",", ";"])
def test_code_values_outside_the_contract_forms_are_listed(tmp_path, capsys, sep):
    rows = [row(f"n{i}", "0301", "1980", v, "1") for i, v in enumerate(BAD_CODES)]
    rows += [row("ok1", "0301", "1980", " 1.0 ", "1"), row("ok2", "0301", "1980", "1", " 2 ")]
    code, _ = compute(write_extract(HAND_ROWS + rows, tmp_path / "x.csv", sep=sep), tmp_path / "o", capsys)
    assert code == 0
    a = avvist(tmp_path / "o")
    listed = a[a["kolonne"] == "kode_09"]
    assert sorted(listed["person_id"]) == sorted(f"n{i}" for i in range(len(BAD_CODES)))
    assert set(listed["hele_raden_avvist"]) == {"false"}
    assert not {"ok1", "ok2"} & set(a["person_id"])


def test_formulas_are_neutralised_in_every_csv(tmp_path, capsys):
    rows = [
        row('=HYPERLINK("http://x","y")', "0301", "1980", "1", "1"),
        row("+cmd|' /C calc'!A0", "9999", "1980"),
        row("@SUM(1+1)", "0301", "1980", "=1+1", "1"),
        row("-2+3", "0301", "1980", "\t=1", "1"),
        row("p-1", "0301", "1980", "-1", "1"),
    ]
    code, _ = compute(write_extract(HAND_ROWS + rows, tmp_path / "x.csv"), tmp_path / "o", capsys)
    assert code == 0
    raw = (publish.default_intern(tmp_path / "o") / "avvist.csv").read_text(encoding="utf-8")
    for line in raw.splitlines()[1:]:
        for field in line.split(","):
            assert not field.lstrip('"').startswith(("=", "+", "@", "\t")), line
    a = avvist(tmp_path / "o")
    assert "'=1+1" in set(a["verdi"]) and "-1" in set(a["verdi"])  # a plain number stays a number
    assert "'+cmd|' /C calc'!A0" in set(a["person_id"])


def test_neutralise_keeps_numbers_and_plain_text():
    s = pd.Series(["=1", "-1", "-1.5", "-x", "a", "", None, "\rx"], dtype=object)
    assert neutralise_formulas(s).tolist() == ["'=1", "-1", "-1.5", "'-x", "a", "", None, "'\rx"]


def test_markup_paths_and_nul_stay_out_of_the_publication(tmp_path, capsys):
    rows = [
        row("<script>alert(1)</script>", "0301", "1980", "1", "<b>1</b>"),
        row("../../etc/passwd", "0301", "1980", "1", "1"),
        row("nul\x00id", "0301", "1980", "1\x00", "1"),
    ]
    path = tmp_path / "x.csv"
    lines = [",".join(HEADER)] + [",".join(str(r[h]) for h in HEADER) for r in HAND_ROWS + rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    code, _ = compute(path, tmp_path / "o", capsys)
    assert code == 0
    published = b"".join(p.read_bytes() for p in (tmp_path / "o").iterdir())
    for token in (b"script", b"passwd", b"nul\x00"):
        assert token not in published
    assert publish.forbidden_in_publication(tmp_path / "o") == []


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: write_extract(HAND_ROWS, p, encoding="utf-16"), "UTF-16"),
        (
            lambda p: p.write_bytes(pd.DataFrame(HAND_ROWS, columns=HEADER).to_csv(index=False).encode("utf-16-le")),
            "UTF-16",
        ),
        (lambda p: write_extract(HAND_ROWS, p, encoding="utf-32"), "UTF-32"),
        (
            lambda p: p.write_text(
                ",".join(HEADER + ["kode_09"]) + "\n" + ",".join(["2024", "a", "0301", "1980"] + [""] * 11) + "\n"
            ),
            "mer enn én gang",
        ),
        (
            lambda p: p.write_text(",".join(HEADER) + "\n2024," + "x" * (3 << 20) + ",0301,1980,1,,,,,,,,,\n"),
            "lengre enn",
        ),
        (lambda p: p.write_text(",".join(HEADER) + '\n2024,"open,0301,1980,1,,,,,,,,,\n' + "2024,b,0301\n" * 5), ""),
        (lambda p: p.write_bytes(b"\x00" * 100), "ikke en tekstfil"),
    ],
    ids=["utf16-bom", "utf16-nobom", "utf32", "dup-column", "long-line", "open-quote", "binary"],
)
def test_unusable_files_give_one_line(tmp_path, capsys, make, message):
    path = tmp_path / "x.csv"
    make(path)
    code, err = compute(path, tmp_path / "o", capsys)
    assert code == 2 and message in err


def test_truncated_parquet_is_one_line(tmp_path, capsys):
    src = write_extract(HAND_ROWS, tmp_path / "x.csv")
    pd.read_csv(src, dtype=str, keep_default_na=False).to_parquet(tmp_path / "x.parquet")
    data = (tmp_path / "x.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    code, err = compute(tmp_path / "cut.parquet", tmp_path / "o", capsys)
    assert code == 2 and "ødelagt eller avkortet" in err


def test_latin1_semicolon_extract_is_read(tmp_path, capsys):
    rows = HAND_ROWS + [row("Ærlig-Øystein-Åse", "0301", "1980", "1", "1")]
    code, _ = compute(write_extract(rows, tmp_path / "x.csv", sep=";", encoding="cp1252"), tmp_path / "o", capsys)
    assert code == 0


# --- environment problems ---------------------------------------------------------------------


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT])
def test_write_errors_are_one_line(tmp_path, capsys, monkeypatch, err):
    def boom(*a, **k):
        raise OSError(err, os.strerror(err), str(tmp_path / "o" / "indikatorer.csv"))

    monkeypatch.setattr(publish, "_write", boom)
    code, text = compute(write_extract(HAND_ROWS, tmp_path / "x.csv"), tmp_path / "o", capsys)
    assert code == 2 and "indikatorer.csv" in text
    assert not (tmp_path / "o").exists() and publish.leftovers(tmp_path / "o") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_one_line(tmp_path, capsys):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        code, text = compute(write_extract(HAND_ROWS, tmp_path / "x.csv"), parent / "o", capsys)
        assert code == 2 and "tilgang" in text
    finally:
        parent.chmod(0o700)


def test_ctrl_c_is_one_line(tmp_path):
    """SIGINT during compute: one line, exit 130, nothing half-written."""
    rows = [row(f"p{i}", "0301", "1980", "1", "1") for i in range(20000)]
    path = write_extract(rows, tmp_path / "x.csv")
    p = subprocess.Popen(
        [sys.executable, "-m", "kvi_core", "compute", "--input", str(path), "--out", str(tmp_path / "o")],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    first = p.stderr.readline()  # "kvi: N rader lest ...": the run is inside kvi's own code now
    p.send_signal(2)
    err = first + p.communicate(timeout=120)[1]
    if p.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert p.returncode == 130 and "Traceback" not in err and len(err.strip().splitlines()) <= 3
    assert "avbrutt" in err.strip().splitlines()[-1]
    assert not (tmp_path / "o").exists()
