"""Shared fixtures: small hand-made extracts in the contract's input format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

CODES = [f"kode_{i:02d}" for i in range(9, 17)]
HEADER = ["aar", "person_id", "kommunenr", "fodselsaar", "kjonn", "bydelsnr"] + CODES


def row(pid, kommunenr, fodselsaar, k09="", k10="", aar="2024", kjonn="1", bydel="", **codes):
    r = {
        "aar": aar,
        "person_id": pid,
        "kommunenr": kommunenr,
        "fodselsaar": fodselsaar,
        "kjonn": kjonn,
        "bydelsnr": bydel,
    }
    r.update({c: "" for c in CODES})
    r["kode_09"], r["kode_10"] = k09, k10
    r.update(codes)
    return r


# Hand-computed: arbeid_utdanning_bistand (kode_09/kode_10) in 2024.
# Oslo: 0-17 -> p1 innfridd, p2 delvis; 18-66 -> p3 ikke, p4 uten, p9 innfridd; 67+ -> p5 innfridd.
HAND_ROWS = [
    row("p1", "0301", "2014", "1", "1"),  # age 10
    row("p2", "0301", "2007", "1", "2"),  # age 17: still 0-17
    row("p3", "0301", "2006", "1", "3"),  # age 18: 18-66
    row("p4", "0301", "1958", "1", ""),  # age 66, no receipt registered
    row("p5", "0301", "1957", "1", "1"),  # age 67: 67+
    row("p6", "1101", "1984", "2", "1"),  # need = 2: excluded
    row("p7", "1101", "1984", "9", ""),  # need = 9: excluded
    row("p8", "1101", "1984", "", ""),  # need not registered
    row("p9", "301", "1974", "1", "1"),  # '301' means 0301; age 50
    row("p10", "1101", "1994", "1", "4"),  # receives 4: excluded from this indicator only
    row("p11", "1101", "1994", "1", "1.5"),  # receives 1.5: excluded from this indicator only
    row("p12", "1101", "1994", "1", "1"),  # duplicate id: both copies rejected
    row("p12", "1101", "1990", "1", "1"),
    row("p13", "9998", "1994", "1", "1"),  # unknown kommune
    row("p14", "1101", "1898", "1", "1"),  # age 126
    row("", "1101", "1994", "1", "1"),  # empty person_id
    row("p16", "1101", "abc", "1", "1"),  # birth year not a number
    row("p17", "1101", "1994", "", "", kode_13="1", kode_14="2"),  # counts in kultur_fritid_bistand
]


def write_extract(rows, path: Path, sep=",", encoding="utf-8") -> Path:
    pd.DataFrame(rows, columns=HEADER).to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


@pytest.fixture
def hand_extract(tmp_path) -> Path:
    return write_extract(HAND_ROWS, tmp_path / "hand.csv")
