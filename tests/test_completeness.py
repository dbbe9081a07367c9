"""The completeness check finds every way a publication folder can be cut, mixed or inconsistent."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import HAND_ROWS, row, write_extract

from kvi_core.cli import main
from kvi_core.completeness import check_folder
from kvi_core.disclosure.audit_command import audit_directory
from kvi_core.pipeline import compute


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("pub")
    rows = HAND_ROWS + [row(f"x{i}", "1103", "1980", "1", str(1 + i % 3)) for i in range(40)]
    ext = write_extract(rows, d / "x.csv")
    compute(ext, d / "ut", quiet=True)
    return d / "ut"


@pytest.fixture
def pub(good, tmp_path):
    shutil.copytree(good, tmp_path / "p")
    return tmp_path / "p"


def read(p):
    return pd.read_csv(p / "indikatorer.csv", dtype=str, keep_default_na=False)


def write(df, p):
    df.to_csv(p / "indikatorer.csv", index=False)


def test_a_fresh_publication_is_complete(good):
    assert check_folder(good) == []
    assert main(["audit", str(good)]) == 0


def test_truncated_table_is_found_and_audit_fails(pub, capsys):
    data = (pub / "indikatorer.csv").read_bytes()
    (pub / "indikatorer.csv").write_bytes(data[:100_000])
    f = check_folder(pub)
    assert any("celler mangler" in x for x in f)
    assert main(["audit", str(pub)]) == 2
    err = capsys.readouterr().err
    assert "celler mangler" in err and "Traceback" not in err


def test_a_changed_shown_number_breaks_a_sum(pub):
    t = read(pub)
    i = t.index[(t["region"] == "1103") & (t["maltall"] == "1") & (t["prikket"] == "false")][0]
    t.loc[i, "antall"] = str(int(t.loc[i, "antall"]) + 1)
    t.loc[i, "andel"] = ""
    write(t, pub)
    f = check_folder(pub)
    assert any("går opp" in x for x in f), f


def test_duplicate_and_foreign_rows(pub):
    t = read(pub)
    extra = t.iloc[[5]].assign(region="9999")
    write(pd.concat([t, t.iloc[[0]], extra]), pub)
    f = "\n".join(check_folder(pub))
    assert "mer enn én gang" in f and "geografien ikke gir" in f


def test_hidden_number_with_a_share_is_found(pub):
    t = read(pub)
    i = t.index[t["prikket"] == "true"][0]
    t.loc[i, "andel"] = "50.0"
    write(t, pub)
    assert any("andeler vist" in x for x in check_folder(pub))


def test_unsuppressed_metadata_and_internal_files_are_found(pub):
    meta = json.loads((pub / "metadata.json").read_text())
    (pub / "metadata.json").write_text(json.dumps(dict(meta, prikket=False)))
    (pub / "avvist.csv").write_text("rad,person_id\n1,p1\n")
    (pub / "indikatorer_uprikket.csv").write_text("x\n")
    f = "\n".join(check_folder(pub))
    assert "prikket" in f and "avvist.csv" in f and "indikatorer_uprikket.csv" in f


def test_missing_files(pub):
    (pub / "regioner.csv").unlink()
    (pub / "metadata.json").unlink()
    f = "\n".join(check_folder(pub))
    assert "regioner.csv: mangler" in f and "metadata.json: mangler" in f


def _three_years(pub):
    """A hand-made three-year table: the 2024 table taken as all of 2022-2024 (3x each shown cell)."""
    t = read(pub)
    reg = pd.read_csv(pub / "regioner.csv", dtype=str, keep_default_na=False)
    years = [t.assign(aar=str(y)) for y in (2022, 2023, 2024)]
    write(pd.concat(years), pub)
    pd.concat([reg.assign(aar=str(y)) for y in (2022, 2023, 2024)]).to_csv(pub / "regioner.csv", index=False)
    t3 = t.copy()
    for c in ("antall", "nevner"):
        t3[c] = t3[c].map(lambda v: str(3 * int(v)) if v else "")
    t3["periode"], t3["brudd"] = "2022-2024", "false"
    return t3


def test_three_year_table_checked_when_present(pub):
    meta = json.loads((pub / "metadata.json").read_text())
    (pub / "metadata.json").write_text(json.dumps(dict(meta, aar=[2022, 2023, 2024])))
    t3 = _three_years(pub)
    t3.to_csv(pub / "indikatorer_3ar.csv", index=False)
    assert check_folder(pub) == []
    i = t3.index[(t3["region"] == "1103") & (t3["maltall"] == "1") & (t3["prikket"] == "false")][0]
    t3.loc[i, "antall"] = str(int(t3.loc[i, "antall"]) - 1)
    t3.loc[i, "andel"] = ""
    t3.to_csv(pub / "indikatorer_3ar.csv", index=False)
    f = "\n".join(check_folder(pub))
    assert "indikatorer_3ar.csv" in f and "summen av årene" in f
    t3.head(1000).to_csv(pub / "indikatorer_3ar.csv", index=False)
    assert "celler mangler" in "\n".join(check_folder(pub))


def test_variasjon_showing_a_hidden_nevner_is_found(pub):
    t = read(pub)
    v = pd.read_csv(pub / "variasjon.csv", dtype=str, keep_default_na=False)
    hidden = t[(t["maltall"] == "1") & (t["nevner"] == "") & (t["niva"] == "kommune")].iloc[0]
    i = v.index[(v["region"] == hidden["region"]) & (v["indikator"] == hidden["indikator"])][0]
    v.loc[i, "nevner"] = "3"
    v.to_csv(pub / "variasjon.csv", index=False)
    assert any("variasjon.csv" in x and "nevner" in x for x in check_folder(pub))


def test_tidsserie_forms_no_new_numbers():
    from kvi_core.completeness import check_tidsserie

    table = pd.DataFrame(
        {
            "indikator": "i",
            "aar": "2023",
            "maltall": "1",
            "region": ["3001", "0301"],
            "antall": ["7", ""],
            "nevner": ["10", ""],
            "andel": ["70.0", ""],
        }
    )
    ts = pd.DataFrame(
        {
            "indikator": "i",
            "aar": "2023",
            "maltall": "1",
            "region": ["3101", "0301"],
            "kilde_region": ["3001", "0301"],
            "antall": ["7", ""],
            "nevner": ["10", ""],
            "andel": ["70.0", ""],
            "brudd": "false",
        }
    )
    assert check_tidsserie(ts, table) == []
    ts.loc[1, "antall"] = "3"  # a number the annual table hides
    assert any("antall" in x for x in check_tidsserie(ts, table))


def test_three_years_across_a_split_pass_completeness_and_audit(tmp_path):
    """2022-2024 across the 2024 reform: 1507 Ålesund split into 1508 Ålesund and 1580 Haram, so the
    period rows of 1508 and 1580 are brudd (empty, not prikket), and sums that contain them (Møre og
    Romsdal, land) cannot be checked; the rest must still add up, and kvi audit must pass."""
    rows = []
    for aar, kommuner in (("2022", ("1507", "1103")), ("2023", ("1507", "1103")), ("2024", ("1508", "1580", "1103"))):
        for k in kommuner:
            rows += [row(f"{aar}-{k}-{i}", k, "1980", "1", str(1 + i % 3), aar=aar) for i in range(12)]
    ext = write_extract(rows, tmp_path / "x.csv")
    compute(ext, tmp_path / "ut", quiet=True)
    t3 = pd.read_csv(tmp_path / "ut" / "indikatorer_3ar.csv", dtype=str, keep_default_na=False)
    brudd = t3[t3["brudd"] == "true"]
    assert {"1508", "1580"} <= set(brudd["region"]) and (brudd["antall"] == "").all()
    assert (brudd["prikket"] == "false").all()
    assert check_folder(tmp_path / "ut") == []
    assert main(["audit", str(tmp_path / "ut")]) == 0
    # the audit counts the break's empty cells apart: its hidden cells are metadata.json's
    summary = audit_directory(tmp_path / "ut").attrs["summary"]
    meta = json.loads((tmp_path / "ut" / "metadata.json").read_text(encoding="utf-8"))
    assert summary["brudd"] > 0 and summary["prikket"] == meta["prikking"]["prikkede_celler"]


def test_a_renumbered_kommune_keeps_its_three_year_trend(tmp_path):
    """Sør-Varanger was 5444 until 2023 and is 5605 from 2024 (same kommune, new number): the period
    2021-2023 is in 2023's geography, so the 2024 report finds it under 5444 and says it in words
    (before, 113 renumbered kommuner on the national demo lost this sentence silently)."""
    from kvi_core.reporting.kommune import KommuneRapport

    rows = []
    for aar, k in (("2021", "5444"), ("2022", "5444"), ("2023", "5444"), ("2024", "5605")):
        rows += [row(f"{aar}-{k}-{i}", k, "1980", "1", "1" if i % 4 else "3", aar=aar) for i in range(24)]
    compute(write_extract(rows, tmp_path / "x.csv"), tmp_path / "ut", quiet=True)
    rapport = KommuneRapport(tmp_path / "ut", "5605", 2024)
    assert rapport.results.source_region("5605", 2023, 2024) == "5444"
    spec = next(s for s in rapport.specs if s.id == "arbeid_utdanning_bistand")
    assert rapport._earlier_three_year(spec) == [("2021-2023", "75,0\u00a0%")]
