"""Benchmark: `kvi compute` under both protection rules (and `kvi audit`), against the unsuppressed
run of the same extract in the same session, with the figures the suppression issue asks for.

    .venv/bin/python benchmarks/bench_protection.py EXTRACT [--rules eksakt intervall] [--jobs N] [--compare-python]

Prints, per rule: wall time of `kvi compute` and of `kvi audit`, each as a ratio to
`kvi compute --unsuppressed` (the median of three runs); hidden cells in the annual tables and in
the three-year tables; and the share of kommuner with a shown måltall 1 (alle, innfridd) in the
newest year, in the newest three-year period, and in either, per indicator. With --compare-python,
each rule's `kvi compute` also runs with KVI_PURE_PYTHON=1 (the elimination in Python instead of the
compiled module) right after the compiled run, and the published CSV tables of both runs are compared
byte for byte. Nothing here is asserted; the machine is shared, so compare ratios, not seconds. Make
an extract with `kvi demo-data --out demo.parquet` (five years) or `--aar 2024` (one national year).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))  # headline_share


def run(args: list[str], env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "kvi_core", *args], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"failed: kvi {' '.join(args)}\n{r.stderr[-2000:]}{r.stdout[-2000:]}")
    return time.perf_counter() - t


def headline_shares(out: Path) -> pd.DataFrame:
    """Per indicator: share of kommuner whose måltall 1 share (andel) is shown in the newest year,
    the newest period, and in at least one of them (``headline_share.shown``)."""
    from headline_share import shown

    aar = int(pd.read_csv(out / "indikatorer.csv", usecols=["aar"])["aar"].max())
    s = shown(out, aar).reset_index()
    s = s.assign(aar_vist=s["year"], periode_vist=s["three"], ett_av_dem=s["year"] | s["three"])
    return (s.groupby("indikator")[["aar_vist", "periode_vist", "ett_av_dem"]].mean() * 100).round(1)


def hidden_counts(out: Path) -> tuple[int, int]:
    year = pd.read_csv(out / "indikatorer.csv", usecols=["kategori", "prikket"])
    n_year = int(year["prikket"].astype(str).str.lower().eq("true").sum())
    per_path = out / "indikatorer_3ar.csv"
    n_per = 0
    if per_path.exists():
        per = pd.read_csv(per_path, usecols=["prikket"])
        n_per = int(per["prikket"].astype(str).str.lower().eq("true").sum())
    return n_year, n_per


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("extract", type=Path)
    ap.add_argument("--rules", nargs="+", default=["eksakt", "intervall"])
    ap.add_argument("--jobs", type=int, default=None, help="passed to kvi compute --jobs")
    ap.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    ap.add_argument("--compare-python", action="store_true", help="also time each rule with the Python elimination")
    a = ap.parse_args()
    jobs = [] if a.jobs is None else ["--jobs", str(a.jobs)]
    work = a.keep or Path(tempfile.mkdtemp(prefix="kvi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # the baseline is short (a few seconds) and varies by a fifth between runs on a shared machine,
    # and every ratio below moves with it: the median of three runs
    bases = [
        run(["compute", "--input", str(a.extract), "--out", str(work / "uprikket"), "--unsuppressed"]) for _ in range(3)
    ]
    base = statistics.median(bases)
    from kvi_core.disclosure.elimination import PURE_PYTHON, engine

    print(f"elimination: {engine()}")
    print(
        f"{a.extract.name}: kvi compute --unsuppressed {base:.1f} s (= 1x; median of "
        f"{', '.join(f'{b:.1f}' for b in bases)} s)"
    )
    for rule in a.rules:
        out = work / rule
        t = run(["compute", "--input", str(a.extract), "--out", str(out), "--beskyttelse", rule, *jobs])
        ta = run(["audit", str(out)])
        n_year, n_per = hidden_counts(out)
        print(
            f"  {rule:9s} compute {t:7.1f} s ({t / base:5.1f}x)   audit {ta:7.1f} s ({ta / base:5.1f}x)   "
            f"compute+audit {(t + ta) / base:5.1f}x   hidden: annual {n_year}, three-year {n_per}"
        )
        if a.compare_python:
            py = work / f"{rule}-python"
            tp = run(
                ["compute", "--input", str(a.extract), "--out", str(py), "--beskyttelse", rule, *jobs],
                env={**os.environ, PURE_PYTHON: "1"},
            )
            names = sorted(p.name for p in out.glob("*.csv"))
            same = filecmp.cmpfiles(out, py, names, shallow=False)[0] == names
            print(
                f"            Python elimination: compute {tp:7.1f} s ({tp / base:5.1f}x); compiled/Python "
                f"{t / tp:.2f}; tables {'identical' if same else 'DIFFERENT'}"
            )
        print("    share of kommuner with måltall 1 shown (%), newest year / period / either:")
        for ind, r in headline_shares(out).iterrows():
            print(f"      {ind:28s} {r['aar_vist']:5.1f} {r['periode_vist']:5.1f} {r['ett_av_dem']:5.1f}")


if __name__ == "__main__":
    main()
