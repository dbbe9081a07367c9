"""Intake: reading every accepted file form, and rejecting/excluding exactly as the contract says."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import HAND_ROWS, HEADER, row, write_extract

from kvi_core.errors import KviInputError
from kvi_core.intake import read_extract, read_raw, rows_hint
from kvi_core.specs import load_specs

SPECS = load_specs()


def test_rejections_and_exclusions_are_listed_with_reasons(hand_extract):
    ex = read_extract(hand_extract, SPECS)
    rej = ex.rejections
    whole = rej[rej["avvist_rad"]]
    # header = row 0, so p12's copies are rows 12 and 13
    assert sorted(whole["rad"]) == [12, 13, 14, 15, 16, 17]
    by_row = dict(zip(whole["rad"], whole["kolonne"]))
    assert by_row == {
        12: "person_id",
        13: "person_id",
        14: "kommunenr",
        15: "fodselsaar",
        16: "person_id",
        17: "fodselsaar",
    }
    assert "flere ganger" in whole.loc[whole["rad"] == 12, "arsak"].item()
    partial = rej[~rej["avvist_rad"]]
    assert set(zip(partial["rad"], partial["kolonne"], partial["verdi"])) == {
        (10, "kode_10", "4"),
        (11, "kode_10", "1.5"),
    }
    assert all("arbeid_utdanning_bistand" in a for a in partial["arsak"])


def test_every_row_is_accounted_for(hand_extract):
    ex = read_extract(hand_extract, SPECS)
    assert ex.rows_in == len(HAND_ROWS)
    assert len(ex.persons) + ex.rows_rejected == ex.rows_in
    assert "18 rader lest: 12 brukt, 6 avvist" in ex.summary()


def test_short_kommunenr_is_padded(hand_extract):
    ex = read_extract(hand_extract, SPECS)
    assert ex.persons.loc[ex.persons["rad"] == 9, "kommunenr"].item() == "0301"  # p9 wrote '301'


def test_exclusion_applies_to_one_indicator_only(hand_extract):
    ex = read_extract(hand_extract, SPECS)
    i10 = ex.persons.index[ex.persons["rad"] == 10][0]  # p10
    assert ex.excluded["arbeid_utdanning_bistand"][i10]
    assert not ex.excluded["kultur_fritid_bistand"][i10]


@pytest.mark.parametrize("sep,encoding", [(";", "cp1252"), (",", "utf-8-sig"), (";", "utf-8")])
def test_csv_dialects_read_the_same(tmp_path, hand_extract, sep, encoding):
    rows = [dict(r) for r in HAND_ROWS]
    rows[0]["person_id"] = "bjørn-å"  # a non-ASCII id must survive decoding
    a = read_raw(write_extract(rows, tmp_path / "a.csv"))
    b = read_raw(write_extract(rows, tmp_path / "b.csv", sep=sep, encoding=encoding))
    pd.testing.assert_frame_equal(a, b)
    assert b["person_id"].iloc[0] == "bjørn-å"


def test_parquet_reads_like_csv(tmp_path, hand_extract):
    df = pd.DataFrame(HAND_ROWS, columns=HEADER)
    typed = df.copy()
    for c in ["aar"] + [c for c in HEADER if c.startswith("kode_")]:
        typed[c] = pd.to_numeric(typed[c], errors="coerce")  # floats with NaN, as exports make them
    typed.loc[typed["person_id"] == "p16", "fodselsaar"] = "abc"
    typed.to_parquet(tmp_path / "x.parquet")
    a = read_extract(hand_extract, SPECS)
    b = read_extract(tmp_path / "x.parquet", SPECS)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    pd.testing.assert_frame_equal(a.rejections, b.rejections)


def test_the_row_hint_counts_rows_without_reading_the_extract(tmp_path, hand_extract):
    """``rows_hint`` (whether ``kvi compute`` starts its workers before reading): the data rows of
    a Parquet file from its footer, the lines of a CSV (its header included), 0 when it cannot tell."""
    df = pd.DataFrame(HAND_ROWS, columns=HEADER)
    df.to_parquet(tmp_path / "x.parquet")
    assert rows_hint(tmp_path / "x.parquet") == len(HAND_ROWS)
    assert rows_hint(hand_extract) == len(HAND_ROWS) + 1
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    assert rows_hint(tmp_path / "broken.parquet") == 0
    assert rows_hint(tmp_path / "missing.csv") == 0


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "finner ikke"),
        (b"", "tom"),
        (b"\x00\x01\x02binary\x00", "ikke en tekstfil"),
        (b"aar,person_id,kommunenr\n2024,a,0301\n", "mangler påkrevd"),
    ],
)
def test_unusable_input_raises_one_clear_error(tmp_path, content, message):
    path = tmp_path / "x.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KviInputError, match=message):
        read_extract(path, SPECS)


def test_row_level_faults_never_stop_the_run(tmp_path):
    rows = [
        row("a", "03O1", "1990", "1", "1"),
        row("b", "0301", "19x0", "1", "1"),
        row("c", "0301", "1990", "1.5", "1"),
        row("d", "0301", "1990", "1", "1", aar=""),
    ]
    ex = read_extract(write_extract(rows, tmp_path / "x.csv"), SPECS)
    assert len(ex.persons) == 1  # only c is used (and excluded from one indicator)
    assert set(ex.rejections["rad"]) == {1, 2, 3, 4}


def test_bydel_not_matching_kommune_is_dropped_not_the_row(tmp_path):
    rows = [row("a", "0301", "1990", "1", "1", bydel="030101"), row("b", "0301", "1990", "1", "1", bydel="460101")]
    ex = read_extract(write_extract(rows, tmp_path / "x.csv"), SPECS)
    assert list(ex.persons["bydelsnr"]) == ["030101", ""]
    assert list(ex.rejections["kolonne"]) == ["bydelsnr"]


def test_year_decides_the_geography(tmp_path):
    rows = [
        row("a", "3001", "1990", "1", "1", aar="2023"),
        row("a", "3001", "1990", "1", "1", aar="2024"),
        row("b", "3101", "1990", "1", "1", aar="2024"),
    ]
    ex = read_extract(write_extract(rows, tmp_path / "x.csv"), SPECS)
    assert list(ex.persons["rad"]) == [1, 3]  # the same id in two years is fine; 3001 is gone in 2024
    assert ex.rejections["arsak"].str.contains("ukjent kommunenummer").all()


def test_row_with_wrong_number_of_fields_is_listed_not_fatal(tmp_path):
    path = write_extract([row("a", "0301", "1990", "1", "1"), row("c", "0301", "1980", "1", "2")], tmp_path / "x.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "2024,b,0301,1990")  # a cut-off line between a and c
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ex = read_extract(path, SPECS)
    assert list(ex.persons["rad"]) == [1, 3]
    bad = ex.rejections.set_index("rad").loc[2]
    assert bad["person_id"] == "b" and "feil antall felt" in bad["arsak"]
    assert ex.rows_in == 3 and ex.rows_rejected == 1


def test_latin1_byte_far_into_a_utf8_looking_file(tmp_path):
    """The encoding guess sees the first 64 KiB; a Latin-1 byte after that must not stop the run."""
    rows = [row(f"p{i:06d}", "0301", "1990", "1", "1") for i in range(2000)]  # ~100 KiB of ASCII
    path = write_extract(rows, tmp_path / "x.csv", sep=";")
    with open(path, "ab") as fh:
        fh.write("2024;bjørn;0301;1990;1;;1;1;;;;;;\n".encode("cp1252"))
    ex = read_extract(path, SPECS)
    assert len(ex.persons) == 2001 and ex.rejections.empty
