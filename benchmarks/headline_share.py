"""Share of kommune x indicator pairs whose report shows a headline number (måltall 1): the year's
figure, or (reports v2) the three-year figure where the year's is hidden. Reads a published folder.

    PYTHONPATH=. python benchmarks/headline_share.py REPORTS_OUT/tabeller --aar 2024
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def shown(folder: Path, aar: int) -> pd.DataFrame:
    """Per (region, indikator) of the kommuner: ``year`` (måltall 1's share shown for ``aar``),
    ``three`` (the three-year share ending in ``aar`` shown, not a break) and ``nobody`` (nevner 0)."""
    t = pd.read_csv(folder / "indikatorer.csv", dtype={"region": str})
    t = t[(t["aar"] == aar) & (t["niva"] == "kommune") & (t["maltall"] == 1)].set_index(["region", "indikator"])
    out = pd.DataFrame({"year": t["andel"].notna(), "nobody": t["nevner"].eq(0)})
    out["three"] = False
    p3 = folder / "indikatorer_3ar.csv"
    if p3.exists():
        t3 = pd.read_csv(p3, dtype={"region": str})
        t3 = t3[(t3["aar"] == aar) & (t3["niva"] == "kommune") & (t3["maltall"] == 1)]
        brudd = t3["brudd"].astype(str).str.lower().eq("true") if "brudd" in t3 else False
        three = t3[~brudd].set_index(["region", "indikator"])["andel"].notna()
        out["three"] = three.reindex(out.index, fill_value=False).astype(bool)
    return out


def shares(folder: Path, aar: int) -> dict[str, float]:
    s = shown(folder, aar)
    out = {"pairs": float(len(s)), "year": float(s["year"].mean())}
    if (folder / "indikatorer_3ar.csv").exists():
        out["three"] = float(s["three"].mean())
        out["year_or_three"] = float((s["year"] | s["three"]).mean())
    out["nobody_with_need"] = float(s["nobody"].mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--aar", type=int, required=True)
    a = ap.parse_args()
    for k, v in shares(a.folder, a.aar).items():
        print(f"{k}: {v:.3f}" if k != "pairs" else f"{k}: {int(v)}")


if __name__ == "__main__":
    main()
