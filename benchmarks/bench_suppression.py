"""Suppression + audit on synthetic national tables: time, hidden cells, share hidden, leaks.

    .venv/bin/python benchmarks/bench_suppression.py [--persons 400000 60000] [--bydeler] [--naive]
    .venv/bin/python benchmarks/bench_suppression.py --extract uttrekk.csv   # e.g. from `kvi demo-data`

Inner counts are synthesised per kommune from the 2023 population (kvi_core/data), scaled so
that about 4 % of the extract's persons have a need (most aged 0-66), with Poisson counts per
kommune × age group and multinomial categories (about 60/10/10/20 %). Geography: 2024 with the
demo KOSTRA grouping (and, with --bydeler, the shipped bydeler plus residual units).
Prints figures only; nothing here is asserted. `LP` and `LP-iter` are the suppression's LP solves
and their simplex and interior point iterations: the same in every run of the same code, unlike
seconds on this shared machine (the same LP work measured 180-280 s in one session), so compare
those first when a change is meant to save work.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kvi_core import geography  # noqa: E402
from kvi_core.disclosure.intervals import audit_cells, audit_rule  # noqa: E402
from kvi_core.disclosure.suppression import suppress  # noqa: E402
from kvi_core.specs import CATEGORIES, INNER_AGE_GROUPS  # noqa: E402

AAR = 2024
NEED_RATE = np.array([0.05, 0.045, 0.02])  # 0-17, 18-66, 67+: about 4 % overall
INDICATORS = {  # category shares per indicator (innfridd, delvis, ikke, uten)
    "arbeid_utdanning_bistand": [0.60, 0.10, 0.10, 0.20],
    "arbeid_utdanning_transport": [0.55, 0.12, 0.08, 0.25],
    "kultur_fritid_bistand": [0.62, 0.09, 0.11, 0.18],
    "kultur_fritid_transport": [0.58, 0.10, 0.12, 0.20],
}


def population_2024() -> pd.DataFrame:
    """Population by age per 2024 kommune (2023 figures moved through the change table)."""
    pop = pd.read_csv(geography.data_path("befolkning_2023_geo2020.csv"), dtype={"kommunenummer": str})
    ch = geography.kommune_changes()
    ch["n_new"] = ch.groupby("kommunenummer_2023")["kommunenummer_2024"].transform("count")
    m = ch.merge(pop, left_on="kommunenummer_2023", right_on="kommunenummer")
    cols = ["pop_0_17", "pop_18_66", "pop_67pluss"]
    m[cols] = m[cols].div(m["n_new"], axis=0)
    out = m.groupby("kommunenummer_2024")[cols].sum()
    kom = geography.kommuner(AAR)["kommunenr"]
    return out.reindex(kom).fillna(out.median())


def synth_inner(members: pd.DataFrame, persons: int, shares: list[float], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = population_2024()
    expected = pop.to_numpy() * NEED_RATE * persons / pop.to_numpy().sum()
    units = sorted(members["unit"].unique())
    kommune_of = {u: u[:4] for u in units}
    by_kom: dict[str, list[str]] = {}
    for u in units:
        by_kom.setdefault(kommune_of[u], []).append(u)
    rows = []
    for k, exp in zip(pop.index, expected):
        parts = sorted(by_kom[k], key=lambda u: (u.endswith("uten-bydel"), u))  # residual last
        if len(parts) == 1:
            weights = np.array([1.0])
        else:  # bydeler share 90 %, the residual unit 10 %
            w = rng.uniform(0.5, 1.5, len(parts) - 1)
            weights = np.append(0.9 * w / w.sum(), 0.1)
        for u, wu in zip(parts, weights):
            for a, e in enumerate(exp):
                n = rng.poisson(e * wu)
                for c, x in zip(CATEGORIES, rng.multinomial(n, shares)):
                    rows.append((u, INNER_AGE_GROUPS[a], c, int(x)))
    return pd.DataFrame(rows, columns=["unit", "aldersgruppe", "kategori", "antall"])


def naive_leaks(cells: pd.DataFrame, members: pd.DataFrame, threshold: int) -> int:
    """Pinned cells when only 1..threshold-1 is hidden (to show what the method prevents)."""
    v = cells["antall"]
    shown = cells.assign(antall=v.where(~v.between(1, threshold - 1)).astype(float))
    return len(audit_cells(shown, members))


def synthetic_tables(persons: int, bydeler: bool):
    """(indicator, inner, members) for the four indicators, synthesised."""
    grouping = geography.demo_kostra_grouping(AAR)
    by = sorted(geography.bydel_names()) if bydeler else []
    members = geography.membership(AAR, grouping, by)
    for i, (ind, shares) in enumerate(INDICATORS.items()):
        yield ind, synth_inner(members, persons, shares, seed=1000 * i + persons % 997), members


def extract_tables(path: Path):
    """(indicator, inner, members) per indicator and year of a real (or demo) extract."""
    from kvi_core.indicators import inner_counts, unit_positions
    from kvi_core.intake import read_extract
    from kvi_core.pipeline import year_geography
    from kvi_core.specs import load_specs

    specs = load_specs()
    extract = read_extract(path, specs)
    aar_col = extract.persons["aar"].to_numpy()
    for aar in sorted(set(aar_col.tolist())):
        sel = aar_col == aar
        persons = extract.persons[sel].reset_index(drop=True)
        geo = year_geography(persons, int(aar), None)
        pos = unit_positions(persons, geo.unit_codes)
        for spec in specs:
            inner = inner_counts(persons, spec, pos, geo.unit_codes, extract.excluded[spec.id][sel])
            yield f"{spec.id} {aar}", inner, geo.members


def run(title: str, tables, naive: bool, threshold: int, rule: str = "intervall") -> float:
    """Suppress and audit every table by ``rule``; returns the wall time."""
    print(f"\n== {title}, terskel {threshold}, regel {rule} ==")
    print(
        f"{'indikator':32s} {'celler':>6s} {'primær':>6s} {'prikket':>7s} {'andel':>6s} "
        f"{'runder':>6s} {'LP':>6s} {'LP-iter':>8s} {'prikk s':>7s} {'audit s':>7s} {'funn':>4s}"
        + ("  naiv-lekk" if naive else "")
    )
    total = cpu = 0.0
    n_tables = 0
    for ind, inner, members in tables:
        n_tables += 1
        c0, t0 = time.process_time(), time.perf_counter()
        cells = suppress(inner, members, threshold=threshold, rule=rule)
        t1 = time.perf_counter()
        findings = audit_rule(cells, members, rule, threshold, inner=inner)
        t2 = time.perf_counter()
        total += t2 - t0
        cpu += time.process_time() - c0
        n_hidden = int(cells["hidden"].sum())
        n_prim = int((cells["reason"] == "primær").sum())
        info = cells.attrs.get("prikking", {})
        line = (
            f"{ind:32s} {len(cells):6d} {n_prim:6d} {n_hidden:7d} {n_hidden / len(cells):6.1%} "
            f"{info.get('runder', 0):6d} {info.get('lp_losninger', 0):6d} {info.get('lp_iterasjoner', 0):8d} "
            f"{t1 - t0:7.2f} {t2 - t1:7.2f} {len(findings):4d}"
        )
        if naive:
            line += f"  {naive_leaks(cells, members, threshold):9d}"
        print(line, flush=True)
    print(f"totalt (prikking + audit, {n_tables} tabeller): {total:.1f} s veggtid, {cpu:.1f} s CPU")
    return total


def unsuppressed_time(tables) -> float:
    """The same tables without suppression (aggregation only): the baseline for the ratios."""
    from kvi_core.indicators import aggregate

    t0 = time.perf_counter()
    for _, inner, members in tables:
        aggregate(inner, members)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--persons", type=int, nargs="+", default=[400_000, 60_000])
    p.add_argument("--bydeler", action="store_true", help="also publish bydeler (with residual units)")
    p.add_argument("--naive", action="store_true", help="also count leaks of 'hide 1-4 only'")
    p.add_argument("--terskel", type=int, default=5)
    p.add_argument("--extract", type=Path, help="use this extract instead of synthetic counts")
    p.add_argument("--regel", nargs="+", default=["eksakt", "intervall"], help="rules to run (both by default)")
    a = p.parse_args()
    if a.extract:
        sets = [(f"uttrekk {a.extract}", list(extract_tables(a.extract)))]
    else:
        sets = [
            (
                f"{n} personer (syntetisk), {'med' if a.bydeler else 'uten'} bydeler",
                list(synthetic_tables(n, a.bydeler)),
            )
            for n in a.persons
        ]
    for title, tables in sets:
        base = unsuppressed_time(tables)
        times = {rule: run(title, tables, a.naive, a.terskel, rule) for rule in a.regel}
        print(
            f"uprikket (aggregering): {base:.2f} s; "
            + "; ".join(f"{rule}: {t:.1f} s = {t / max(base, 1e-9):.0f}x" for rule, t in times.items())
        )


if __name__ == "__main__":
    main()
