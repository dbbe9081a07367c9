"""The ``kvi`` command end to end: exit codes, one-line errors, files written."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from kvi_core.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "kvi_core", *map(str, args)], capture_output=True, text=True)


def test_unsuppressed_writes_only_the_internal_file(hand_extract, tmp_path):
    out = tmp_path / "out"
    intern = tmp_path / "out-intern"
    assert main(["compute", "--input", str(hand_extract), "--out", str(out), "--unsuppressed"]) == 0
    assert (intern / "indikatorer_uprikket.csv").exists() and (intern / "avvist.csv").exists()
    assert not out.exists()  # --unsuppressed publishes nothing
    assert intern.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in intern.iterdir())
    t = pd.read_csv(intern / "indikatorer_uprikket.csv", dtype={"region": str})
    assert list(t.columns[:12]) == [
        "indikator",
        "aar",
        "niva",
        "region",
        "region_navn",
        "maltall",
        "kategori",
        "aldersgruppe",
        "antall",
        "nevner",
        "andel",
        "prikket",
    ]
    assert len(t) == 4 * 16 * (1 + 15 + 16 + 357)
    assert (
        t.loc[
            (t["region"] == "0301") & (t["maltall"] == 1) & (t["indikator"] == "arbeid_utdanning_bistand"), "antall"
        ].item()
        == 3
    )
    avvist = pd.read_csv(intern / "avvist.csv")
    assert list(avvist.columns[:5]) == ["rad", "person_id", "kolonne", "verdi", "arsak"]
    assert "demogruppering" in t.loc[t["niva"] == "kostragruppe", "region_navn"].iloc[0]


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: None, "finner ikke"),
        (lambda p: p.write_text("aar;person_id\n2024;a\n", encoding="utf-8"), "mangler påkrevd"),
        (lambda p: p.write_bytes(b"\x89PNG\x00\x00\x00binary"), "ikke en tekstfil"),
    ],
)
def test_unusable_input_gives_one_line_and_exit_2(tmp_path, make, message):
    path = tmp_path / "in.csv"
    make(path)
    r = run("compute", "--input", path, "--out", tmp_path / "o", "--unsuppressed")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert message in r.stderr


def test_grouping_file_missing_kommuner_warns_and_leaves_them_out(hand_extract, tmp_path):
    g = tmp_path / "g.csv"
    g.write_text("kommunenr,kostragruppe\n0301,13\n", encoding="utf-8")
    out = tmp_path / "o"
    r = run("compute", "--input", hand_extract, "--out", out, "--kostragrupper", g, "--unsuppressed")
    assert r.returncode == 0 and "ingen KOSTRA-gruppe for 356 kommune(r)" in r.stderr
    t = pd.read_csv(tmp_path / "o-intern" / "indikatorer_uprikket.csv")
    assert set(t.loc[t["niva"] == "kostragruppe", "region"]) == {"EKG13"}


def test_bad_kostra_grouping_file_is_named(hand_extract, tmp_path):
    g = tmp_path / "g.csv"
    g.write_text("kommunenr,kostragruppe\n0301,tretten\n", encoding="utf-8")
    r = run("compute", "--input", hand_extract, "--out", tmp_path / "o", "--kostragrupper", g, "--unsuppressed")
    assert r.returncode == 2 and "rad 1: kolonne kostragruppe" in r.stderr


def test_grouping_in_2024_codes_serves_older_years(tmp_path):
    from kvi_core import geography

    groups = geography.demo_kostra_grouping(2024).table
    g = geography.read_kostra_grouping(_write(groups, tmp_path / "g.csv"), 2023)
    got = dict(zip(g.table["kommunenr"], g.table["kostragruppe"]))
    want = dict(zip(groups["kommunenr"], groups["kostragruppe"]))
    assert len(got) == 356 and not g.missing
    assert got["3001"] == want["3101"]  # renumbered Halden
    assert got["1507"] == want["1508"]  # split Ålesund: the successor that kept the name


def _write(df, path):
    df.to_csv(path, index=False)
    return path


def test_official_grouping_file_is_used(hand_extract, tmp_path):
    from kvi_core import geography

    g = tmp_path / "g.csv"
    demo = geography.demo_kostra_grouping(2024).table.copy()
    demo["kostragruppe"] = demo["kostragruppe"].str[3:]  # '01' is accepted as well as 'EKG01'
    demo.to_csv(g, index=False)
    out = tmp_path / "o"
    assert (
        main(["compute", "--input", str(hand_extract), "--out", str(out), "--kostragrupper", str(g), "--unsuppressed"])
        == 0
    )
    t = pd.read_csv(tmp_path / "o-intern" / "indikatorer_uprikket.csv")
    assert not t["region_navn"].str.contains("demogruppering").any()


def test_all_rows_rejected_still_publishes_the_year_with_zeros(tmp_path):
    from conftest import row, write_extract

    path = write_extract([row("a", "9999", "1990", "1", "1"), row("b", "0301", "1850", "1", "1")], tmp_path / "x.csv")
    out = tmp_path / "o"
    assert main(["compute", "--input", str(path), "--out", str(out)]) == 0
    t = pd.read_csv(out / "indikatorer.csv")
    assert (t["nevner"] == 0).all() and len(t) == 4 * 16 * (1 + 15 + 16 + 357)
    assert len(pd.read_csv(tmp_path / "o-intern" / "avvist.csv")) == 2


def test_header_only_file_is_unusable(tmp_path):
    from conftest import HEADER

    path = tmp_path / "x.csv"
    path.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    r = run("compute", "--input", path, "--out", tmp_path / "o")
    assert r.returncode == 2 and "brukbart år" in r.stderr


def test_published_files_are_readable_and_rejections_private(hand_extract, tmp_path):
    out = tmp_path / "o"
    assert main(["compute", "--input", str(hand_extract), "--out", str(out)]) == 0
    assert (out / "indikatorer.csv").stat().st_mode & 0o044 == 0o044
    assert (tmp_path / "o-intern" / "avvist.csv").stat().st_mode & 0o077 == 0
    assert not (out / "avvist.csv").exists()


def test_reports_pass_the_protection_rule_to_the_tables(hand_extract, tmp_path):
    """`kvi reports --beskyttelse eksakt` computes its tables under that rule, and a changed rule
    is a reason to compute them again."""
    import json

    from kvi_core.cli import build_parser
    from kvi_core.reporting.tables import ensure_results

    a = build_parser().parse_args(
        ["reports", "--input", str(hand_extract), "--aar", "2024", "--out", "x", "--beskyttelse", "eksakt"]
    )
    assert a.beskyttelse == "eksakt"
    out = tmp_path / "rapporter"
    folder, made = ensure_results(hand_extract, out, None, 5, log=lambda *_: None, rule="eksakt")
    assert made and json.loads((folder / "metadata.json").read_text())["beskyttelse"] == "eksakt"
    folder, made = ensure_results(hand_extract, out, None, 5, log=lambda *_: None, rule="intervall")
    assert made and json.loads((folder / "metadata.json").read_text())["beskyttelse"] == "intervall"
