"""Build kvi_core/data/ from the public reference snapshots in ../shared/reference.

Run once when the reference snapshots change:  python tools/build_reference_data.py [REFERENCE_DIR]
The outputs are committed, so nothing needs the network or ../shared at run time.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "kvi_core" / "data"


def _klass_items(path: Path) -> list[dict]:
    items = json.loads(path.read_text(encoding="utf-8"))["classificationItems"]
    # 9999 "Uoppgitt" is not a place: rows carrying it are rejected at intake.
    return [i for i in items if i["code"] != "9999"]


def main(ref: Path) -> None:
    counties = {}
    with open(ref / "county_names_numbers.txt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            counties[row["county_code"]] = row["county_name"]
    for year, name in ((2020, "klass131_kommuneinndeling_2020.json"), (2024, "klass131_kommuneinndeling_2024.json")):
        items = sorted(_klass_items(ref / name), key=lambda i: i["code"])
        with open(OUT / f"kommuner_{year}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["kommunenr", "kommune_navn", "fylkenr", "fylke_navn"])
            for i in items:
                w.writerow([i["code"], i["name"], i["code"][:2], counties[i["code"][:2]]])
    with (
        open(ref / "kommune_2023_to_2024.csv", encoding="utf-8") as src,
        open(OUT / "kommuneendringer_2023_2024.csv", "w", encoding="utf-8", newline="") as dst,
    ):
        dst.write(src.read())
    with (
        open(ref / "population_2023_kommune_agegroups_geo2020.csv", encoding="utf-8") as src,
        open(OUT / "befolkning_2023_geo2020.csv", "w", encoding="utf-8", newline="") as dst,
    ):
        dst.write(src.read())
    write_demo_kostra_grouping(ref)
    print(f"wrote reference data to {OUT}")


# Official group sizes (2020 grouping) within each population band; see kostra_grupper_2020_kriterier.csv.
# Within a band with several groups the official criteria (bound costs, free income) are not in the
# public reference data, so kvi orders kommuner by their share aged 67+ as a stand-in and cuts the band
# in the official proportions. This is a demonstration grouping, labelled as such wherever it is shown.
DEMO_BANDS = [
    (0, 600, [("16", 8)]),
    (600, 2000, [("14", 25), ("15", 36)]),
    (2000, 10000, [("01", 39), ("02", 18), ("03", 9), ("04", 39), ("05", 33), ("06", 28)]),
    (10000, 20000, [("07", 38), ("08", 13)]),
    (20000, 30000, [("09", 27)]),
    (30000, 45000, [("10", 13)]),
    (45000, 75000, [("11", 10)]),
    (75000, 10**9, [("12", 11)]),
]


def demo_groups_2020(pop: list[dict]) -> dict[str, str]:
    out = {}
    for lo, hi, groups in DEMO_BANDS:
        band = [r for r in pop if lo <= int(r["pop_total"]) < hi and r["kommunenummer"] != "0301"]
        band.sort(key=lambda r: (int(r["pop_67pluss"]) / int(r["pop_total"]), r["kommunenummer"]))
        total = sum(n for _, n in groups)
        start = 0
        for j, (g, n) in enumerate(groups):
            end = len(band) if j == len(groups) - 1 else start + round(len(band) * n / total)
            for r in band[start:end]:
                out[r["kommunenummer"]] = g
            start = end
    out["0301"] = "13"
    return out


def write_demo_kostra_grouping(ref: Path) -> None:
    with open(ref / "population_2023_kommune_agegroups_geo2020.csv", encoding="utf-8") as fh:
        pop = list(csv.DictReader(fh))
    g2020 = demo_groups_2020(pop)
    g2024 = {}
    with open(ref / "kommune_2023_to_2024.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kommunenummer_2023"] == "9999":
                continue
            # Haram (1580, split from Alesund in 2024) was put in group 01 (kriterier file).
            g2024[row["kommunenummer_2024"]] = (
                "01" if row["kommunenummer_2024"] == "1580" else g2020[row["kommunenummer_2023"]]
            )
    for year, groups in ((2020, g2020), (2024, g2024)):
        with open(OUT / f"kostragrupper_demo_{year}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["kommunenr", "kostragruppe"])
            for k in sorted(groups):
                w.writerow([k, "EKG" + groups[k]])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference")
