"""Benchmark of ``kvi reports``: every kommune's HTML + PDF from demo data.

    .venv/bin/python benchmarks/bench_reports.py                 # 357 kommuner, --jobs 2
    .venv/bin/python benchmarks/bench_reports.py --kommuner 40   # a quicker sample
    .venv/bin/python benchmarks/bench_reports.py --input X.csv --aar 2024 --jobs 2

Prints (no assertions; the numbers depend on the machine):
  * the time to compute the tables (``kvi compute``), apart from the reports;
  * wall time of all reports with ``--jobs``, and reports per minute;
  * the per-report cost split (execution, pandoc for HTML and Typst, typst for the PDF) from the
    manifest;
  * the cost of ONE papermill CLI run of an empty notebook in the same run (a new Python, papermill
    and kernel): a whole report, in a reused kernel, should cost less than that;
  * the time of a re-run where nothing changed (everything skipped).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kvi_core.reporting import batch  # noqa: E402


def empty_papermill_cli(runs: int = 3) -> float:
    """Median wall time of ``papermill in.ipynb out.ipynb -p x 2`` for an empty notebook."""
    with tempfile.TemporaryDirectory() as d:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
        src = Path(d) / "tom.ipynb"
        nbformat.write(nb, str(src))
        times = []
        for i in range(runs):
            t = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "papermill",
                    str(src),
                    str(Path(d) / f"ut{i}.ipynb"),
                    "-p",
                    "x",
                    "2",
                    "--no-progress-bar",
                ],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - t)
        return statistics.median(times)


def split(manifest: dict, ids: set[str]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"kjoring": [], "pandoc": [], "typst": [], "totalt": []}
    for jid, e in manifest["rapporter"].items():
        if jid in ids and e.get("status") == "ok":
            for k in out:
                out[k].append(e["sekunder"].get(k, 0.0))
    return out


def fmt(xs: list[float]) -> str:
    if not xs:
        return "-"
    return f"median {statistics.median(xs):.3f} s, mean {statistics.mean(xs):.3f} s, max {max(xs):.3f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, help="extract (default: a demo extract made here)")
    ap.add_argument("--persons", type=int, default=40_000, help="persons in the demo extract (default 40000)")
    ap.add_argument("--years", default="2024", help="years of the demo extract (default 2024)")
    ap.add_argument("--aar", type=int, default=2024)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--kommuner", type=int, default=0, help="only the first N kommuner (default: all)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "output" / "reports")
    a = ap.parse_args()

    out = a.out
    if a.input is None:
        a.input = out.parent / f"demo_{a.years}_{a.persons}.csv"
        if not a.input.exists():
            a.input.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "kvi_core",
                    "demo-data",
                    "--out",
                    str(a.input),
                    "--years",
                    a.years,
                    "--persons",
                    str(a.persons),
                ],
                check=True,
            )
    print(f"inndata: {a.input}  år {a.aar}  jobs {a.jobs}")

    t = time.perf_counter()
    results_dir, recomputed = batch.ensure_results(a.input, out, None, 5, log=lambda m: None)
    t_compute = time.perf_counter() - t
    print(f"tabeller (kvi compute): {t_compute:.1f} s ({'beregnet' if recomputed else 'gjenbrukt'})")

    kommuner = None
    if a.kommuner:
        from kvi_core.reporting.data import Results

        kommuner = list(Results(results_dir).year(a.aar).kommuner()["region"][: a.kommuner])

    shutil.rmtree(out / str(a.aar), ignore_errors=True)
    t = time.perf_counter()
    code = batch.run_reports(a.input, a.aar, out, kommuner=kommuner, jobs=a.jobs, progress=True)
    t_all = time.perf_counter() - t
    manifest = json.loads((out / str(a.aar) / "manifest.json").read_text(encoding="utf-8"))
    kommune_ids = {k for k in manifest["rapporter"] if k != batch.NATIONAL}
    n = len(kommune_ids) + 1
    print(
        f"\nalle rapporter: {n} ({len(kommune_ids)} kommuner + nasjonal oversikt), HTML + PDF, --jobs {a.jobs}: "
        f"{t_all:.1f} s ({60 * n / t_all:.0f} per minutt), exit {code}"
    )
    s = split(manifest, kommune_ids)
    print("per kommunerapport (målt i hver jobb, med parallelle jobber på samme maskin):")
    print(f"  kjøring (papermill, gjenbrukt kjerne): {fmt(s['kjoring'])}")
    print(f"  pandoc (HTML og Typst, én prosess):    {fmt(s['pandoc'])}")
    print(f"  PDF (typst):                           {fmt(s['typst'])}")
    print(f"  i alt per rapport:                     {fmt(s['totalt'])}")
    nat = manifest["rapporter"].get(batch.NATIONAL, {}).get("sekunder", {})
    if nat:
        print(f"  nasjonal oversikt: {nat.get('totalt', 0):.2f} s")

    t_empty = empty_papermill_cli()
    full = statistics.median(s["totalt"]) if s["totalt"] else float("nan")
    print(f"\nén papermill-CLI-kjøring av en tom notatbok: {t_empty:.2f} s")
    print(
        f"én hel rapport (kjøring + HTML + PDF, median): {full:.2f} s "
        f"({'mindre' if full < t_empty else 'IKKE mindre'} enn den tomme CLI-kjøringen)"
    )

    t = time.perf_counter()
    batch.run_reports(a.input, a.aar, out, kommuner=kommuner, jobs=a.jobs, progress=False)
    again = json.loads((out / str(a.aar) / "manifest.json").read_text(encoding="utf-8"))
    s2 = again["siste_kjoring"]
    note = ""
    if again["resultater"]["beregnet_pa_nytt"]:
        note = " (kvi_core endret seg underveis, så tabellene og rapportene ble laget på nytt)"
    print(f"ny kjøring: {time.perf_counter() - t:.1f} s, {s2['hoppet_over']} hoppet over, {s2['laget']} laget{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
