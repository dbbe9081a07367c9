"""Is a publication folder whole and consistent? (issue 10, item 3; runs before the interval attack)

:func:`check_folder` reads a ``kvi compute`` publication (``indikatorer.csv``, ``regioner.csv``,
``metadata.json`` and, when present, ``indikatorer_3ar.csv``) and returns one line per problem:

- the folder holds no person-level or unsuppressed file, and ``metadata.json`` says ``prikket: true``;
- every cell the geography implies is there exactly once: each indicator × year × region of that
  year's ``regioner.csv`` × måltall 1-16, with the right kategori and aldersgruppe, and nothing else;
- each value is what the contract allows: counts whole and ≥ 0, ``prikket`` true exactly when
  ``antall`` is empty, ``nevner`` the same on a group's four category rows, ``andel`` shown only
  when both counts are and then equal to 100·antall/nevner;
- no shown sum contradicts: for each sum of the contract (categories → nevner, age groups → alle,
  units → kommune, fylke, KOSTRA group and land), with every hidden cell an unknown ≥ 1, the shown
  total equals the shown parts when none is hidden and is at least shown parts + hidden parts
  otherwise; a hidden total with every part shown is at least 1;
- the three-year table (contract §8) by the same rules per period, and, where ``brudd`` is false and
  the region has the same code in all three years, its cells are the sum of the annual cells.

Problems of one kind are summed up in one line per file, indicator and year, with examples.
Pure functions over DataFrames; only :func:`check_folder` reads files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kvi_core.errors import KviInputError
from kvi_core.output import COLUMNS, read_true, share_percent
from kvi_core.publish import forbidden_in_publication
from kvi_core.specs import AGE_GROUPS, CATEGORIES

TOTAL = "nevner"
INNER = AGE_GROUPS[1:]
NEEDED = [c for c in COLUMNS if c != "region_navn"]  # the contract's columns (§4) the checks read
EXAMPLES = 3


def _maltall_frame() -> pd.DataFrame:
    rows = [(ci * len(AGE_GROUPS) + ai + 1, k, a) for ci, k in enumerate(CATEGORIES) for ai, a in enumerate(AGE_GROUPS)]
    return pd.DataFrame(rows, columns=["maltall", "kategori", "aldersgruppe"])


def _line(where: str, what: str, examples: pd.DataFrame | list) -> str:
    if isinstance(examples, pd.DataFrame):
        n = len(examples)
        ex = ["/".join(str(v) for v in r) for r in examples.head(EXAMPLES).itertuples(index=False)]
    else:
        n, ex = len(examples), [str(e) for e in examples[:EXAMPLES]]
    more = f" (f.eks. {', '.join(ex)}{' …' if n > EXAMPLES else ''})" if ex else ""
    return f"{where}: {n} {what}{more}"


class IncompleteError(KviInputError):
    """The folder is not one whole, consistent publication: one line per finding."""

    def __init__(self, folder: Path, findings: list[str]):
        self.findings = findings
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(f"{folder} er ikke en hel og konsistent publisering ({len(findings)} funn):\n{lines}")


def require_complete(folder: str | Path) -> None:
    """Raise IncompleteError unless :func:`check_folder` finds nothing."""
    findings = check_folder(folder)
    if findings:
        raise IncompleteError(Path(folder), findings)


# --- reading ------------------------------------------------------------------------------------


def _read(path: Path, findings: list[str]) -> pd.DataFrame | None:
    if not path.exists():
        findings.append(f"{path.name}: mangler")
        return None
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one finding, not a traceback
        findings.append(f"{path.name}: kan ikke leses ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})")
        return None


def _ints(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(value as float with NaN for empty, bad: neither empty nor a whole number ≥ 0)."""
    txt = pc.utf8_trim_whitespace(pa.array(s.astype(str).to_numpy(dtype=object), type=pa.string()))
    ok = pc.match_substring_regex(txt, r"^\d{1,15}$")
    v = pc.cast(pc.if_else(ok, txt, pa.scalar(None, pa.string())), pa.float64()).to_numpy(zero_copy_only=False)
    bad = ~ok.to_numpy(zero_copy_only=False).astype(bool) & pc.not_equal(txt, "").to_numpy(zero_copy_only=False)
    return pd.Series(v, index=s.index), pd.Series(bad, index=s.index)


# --- one table --------------------------------------------------------------------------------


def check_table(
    table: pd.DataFrame,
    regioner: pd.DataFrame,
    name: str = "indikatorer.csv",
    group: str = "aar",
    geo_year: str = "aar",
) -> tuple[list[str], pd.DataFrame]:
    """Findings for one long table (contract §4), and its cells (``indikator``, ``group``, region,
    aldersgruppe, kategori with ``nevner`` as a kategori of its own, ``verdi`` NaN when hidden)
    for further sums. ``group`` is the column that tells tables apart (``aar``, or ``periode``),
    ``geo_year`` the column that names the year of the geography."""
    findings: list[str] = []
    missing = [c for c in NEEDED + ([group] if group not in NEEDED else []) if c not in table.columns]
    if missing:
        return [f"{name}: mangler kolonne(r) {', '.join(missing)}"], pd.DataFrame()
    if table.empty:
        return [f"{name}: har ingen rader"], pd.DataFrame()
    t = table.copy()
    antall, bad_a = _ints(t["antall"])
    nevner, bad_n = _ints(t["nevner"])
    t["_antall"], t["_nevner"] = antall, nevner
    for col, bad in (("antall", bad_a), ("nevner", bad_n)):
        if bad.any():
            findings.append(
                _line(
                    name,
                    f"verdier i {col} er ikke hele tall ≥ 0 eller tomme",
                    t.loc[bad, ["indikator", group, "region", "maltall", col]],
                )
            )
    prikket = t["prikket"].str.strip().str.lower()
    # a brudd row (tidsserie, three-year table) has no comparable number: empty and not prikket
    brudd = read_true(t["brudd"]) if "brudd" in t.columns else antall.isna() & False
    t["_brudd"] = brudd
    bad_p = ~prikket.isin(["true", "false"])
    bad_p |= ~brudd & ((prikket == "true") != antall.isna())
    bad_p |= brudd & ((prikket == "true") | antall.notna() | nevner.notna())
    if bad_p.any():
        findings.append(
            _line(
                name,
                "rader der prikket ikke stemmer med om antall er tomt",
                t.loc[bad_p, ["indikator", group, "region", "maltall"]],
            )
        )

    # every implied cell exactly once, and nothing else
    mal = _maltall_frame()
    geo = regioner[["aar", "niva", "region"]].drop_duplicates()
    groups = t[list(dict.fromkeys(["indikator", group, geo_year]))].drop_duplicates()
    groups = groups[groups[group] != ""]
    expected = groups.merge(geo.rename(columns={"aar": geo_year}), on=geo_year, how="left")
    no_geo = expected["region"].isna()
    if no_geo.any():
        findings.append(
            _line(name, "år uten regioner i regioner.csv", expected.loc[no_geo, [geo_year]].drop_duplicates())
        )
        expected = expected[~no_geo]
    expected = expected.merge(mal, how="cross")
    key = ["indikator", group, "niva", "region", "maltall"]
    t["maltall"] = t["maltall"].str.strip()
    expected["maltall"] = expected["maltall"].astype(str)
    counts = t.groupby(key, sort=False).size().rename("n").reset_index()
    both = expected.merge(counts, on=key, how="outer", indicator=True)
    absent = both[both["_merge"] == "left_only"]
    extra = both[both["_merge"] == "right_only"]
    dup = both[(both["_merge"] == "both") & (both["n"] > 1)]
    for frame, what in (
        (absent, "celler mangler"),
        (extra, "rader som geografien ikke gir (region, nivå eller måltall)"),
        (dup, "celler står mer enn én gang"),
    ):
        for (ind, g), part in frame.groupby(["indikator", group], sort=True):
            findings.append(_line(f"{name} {ind} {g}", what, part[["niva", "region", "maltall"]]))
    wrong = t.merge(mal.assign(maltall=mal["maltall"].astype(str)), on="maltall", how="left", suffixes=("", "_m"))
    bad_k = (wrong["kategori"] != wrong["kategori_m"]) | (wrong["aldersgruppe"] != wrong["aldersgruppe_m"])
    bad_k &= wrong["kategori_m"].notna()
    if bad_k.any():
        findings.append(
            _line(
                name,
                "rader der kategori eller aldersgruppe ikke passer til måltall",
                wrong.loc[bad_k, ["indikator", group, "region", "maltall"]],
            )
        )

    # nevner the same on the four category rows; andel only where both counts are shown, and right
    gkey = ["indikator", group, "region", "aldersgruppe"]
    nev = t.groupby(gkey, sort=False)["_nevner"].agg(["min", "max", "count", "size"])
    bad_nev = (nev["count"] > 0) & ((nev["min"] != nev["max"]) | (nev["count"] < nev["size"]))
    if bad_nev.any():
        findings.append(
            _line(name, "grupper der nevner ikke er lik på kategoriradene", nev[bad_nev].reset_index()[gkey])
        )
    andel = pd.to_numeric(t["andel"].str.strip(), errors="coerce")
    shown_andel = t["andel"].str.strip() != ""
    leak = shown_andel & (antall.isna() | nevner.isna() | (nevner == 0))
    if leak.any():
        findings.append(
            _line(
                name,
                "andeler vist der antall eller nevner er prikket eller nevner er 0",
                t.loc[leak, ["indikator", group, "region", "maltall"]],
            )
        )
    calc = ~antall.isna() & ~nevner.isna() & (nevner > 0) & (antall <= nevner)
    want = pd.Series(np.nan, index=t.index)
    if calc.any():
        want[calc] = share_percent(antall[calc].astype("int64").to_numpy(), nevner[calc].astype("int64").to_numpy())
    bad_andel = calc & ((andel - want).abs() > 0.05) | (calc & ~shown_andel)
    if bad_andel.any():
        findings.append(
            _line(
                name,
                "andeler som ikke er 100·antall/nevner",
                t.loc[bad_andel, ["indikator", group, "region", "maltall", "andel"]],
            )
        )

    cells = _cells(t, group)
    findings += sum_findings(cells, regioner, group, geo_year, t, name)
    return findings, cells


def _cells(t: pd.DataFrame, group: str) -> pd.DataFrame:
    """One row per cell; nevner as kategori ``nevner`` (shown if any category row shows it)."""
    base = ["indikator", group, "region"]
    a = t[base + ["aldersgruppe", "kategori"]].assign(verdi=t["_antall"], _brudd=t["_brudd"])
    n = t.groupby(base + ["aldersgruppe"], sort=False, as_index=False).agg(
        verdi=("_nevner", "first"), _brudd=("_brudd", "any")
    )
    n = n.assign(kategori=TOTAL)
    return pd.concat([a, n], ignore_index=True).drop_duplicates(base + ["aldersgruppe", "kategori"])


def contradictions(totals: pd.DataFrame, parts: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Sums whose shown numbers contradict, hidden cells being unknowns ≥ 1. ``totals`` and ``parts``
    have ``key`` and ``verdi`` (NaN when hidden); returns the offending totals with shown sum and
    hidden count of their parts."""
    p = parts.assign(_shown=parts["verdi"].fillna(0), _hidden=parts["verdi"].isna().astype(int))
    if "_brudd" not in p.columns:
        p["_brudd"] = False
    agg = (
        p.groupby(key, sort=False)
        .agg(sum_vist=("_shown", "sum"), skjult=("_hidden", "sum"), brudd_del=("_brudd", "any"))
        .reset_index()
    )
    m = totals.merge(agg, on=key, how="inner")
    # a sum with a brudd part (or a brudd total) holds no comparable number to check
    m = m[~m["brudd_del"] & ~(m["_brudd"] if "_brudd" in m.columns else False)]
    shown = m["verdi"].notna()
    bad = shown & (m["skjult"] == 0) & (m["verdi"] != m["sum_vist"])
    bad |= shown & (m["skjult"] > 0) & (m["verdi"] < m["sum_vist"] + m["skjult"])
    bad |= ~shown & (m["skjult"] == 0) & (m["sum_vist"] < 1)
    return m[bad]


def sum_findings(
    cells: pd.DataFrame, regioner: pd.DataFrame, group: str, geo_year: str, t: pd.DataFrame, name: str
) -> list[str]:
    out: list[str] = []
    base = ["indikator", group]
    # categories -> nevner
    parts = cells[cells["kategori"] != TOTAL]
    totals = cells[cells["kategori"] == TOTAL]
    k = base + ["region", "aldersgruppe"]
    out += _report(contradictions(totals, parts, k), name, "summer der kategoriene ikke går opp i nevner", k)
    # age groups -> alle
    k = base + ["region", "kategori"]
    out += _report(
        contradictions(cells[cells["aldersgruppe"] == "alle"], cells[cells["aldersgruppe"].isin(INNER)], k),
        name,
        "summer der aldersgruppene ikke går opp i alle",
        k,
    )
    # units -> kommune (bydeler), fylke, KOSTRA group, land
    years = t[list(dict.fromkeys(base + [geo_year]))].drop_duplicates()
    mem = regioner[regioner["unit"] != regioner["region"]][["aar", "unit", "region"]].rename(columns={"aar": geo_year})
    unit_cells = cells.merge(years, on=base).rename(columns={"region": "unit"})
    parts = unit_cells.merge(mem, on=[geo_year, "unit"])
    k = base + ["region", "aldersgruppe", "kategori"]
    out += _report(
        contradictions(cells, parts.drop(columns=["unit"] + ([geo_year] if geo_year != group else [])), k),
        name,
        "summer der enhetene (kommuner/bydeler) ikke går opp i regionen",
        k,
    )
    return out


def _report(bad: pd.DataFrame, name: str, what: str, key: list[str]) -> list[str]:
    out = []
    for (ind, g), part in bad.groupby(key[:2], sort=True):
        out.append(_line(f"{name} {ind} {g}", what, part[key[2:]]))
    return out


# --- three-year table --------------------------------------------------------------------------


def check_three_year(
    t3: pd.DataFrame, annual_cells: pd.DataFrame, regioner: pd.DataFrame, name: str = "indikatorer_3ar.csv"
) -> list[str]:
    if "periode" not in t3.columns:
        return [f"{name}: mangler kolonne(r) periode"]
    findings, cells = check_table(t3, regioner, name, group="periode", geo_year="aar")
    if cells.empty or annual_cells.empty:
        return findings
    # periode = the sum of its three years, where the region is comparable (brudd false) and has
    # the same code in each of them
    brudd = t3.get("brudd", pd.Series("false", index=t3.index)).astype(str).str.lower().eq("true")
    ok_regions = t3.loc[~brudd, ["indikator", "periode", "region"]].drop_duplicates()
    c3 = cells.merge(ok_regions, on=["indikator", "periode", "region"])
    periods = c3[["periode"]].drop_duplicates()
    rows = []
    for p in periods["periode"]:
        try:
            a, b = (int(x) for x in str(p).split("-"))
        except ValueError:
            findings.append(f"{name}: periode {p} er ikke på formen ÅÅÅÅ-ÅÅÅÅ")
            continue
        rows += [(p, str(y)) for y in range(a, b + 1)]
    py = pd.DataFrame(rows, columns=["periode", "aar"])
    annual = annual_cells.merge(py, on="aar")
    key = ["indikator", "periode", "region", "aldersgruppe", "kategori"]
    n_years = annual.groupby(key, sort=False).size().rename("_n").reset_index()
    annual = annual.merge(n_years, on=key)
    annual = annual[annual["_n"] == 3].drop(columns=["_n", "aar"])
    bad = contradictions(c3, annual, key)
    findings += _report(bad, name, "treårstall som ikke er summen av årene", key)
    return findings


# --- variasjon.csv ------------------------------------------------------------------------------


def check_variasjon(v: pd.DataFrame, table: pd.DataFrame, name: str = "variasjon.csv") -> list[str]:
    """variasjon.csv shows nothing that the main table hides: its nevner and andel are the published
    ones of måltall 1 (or empty)."""
    key = ["indikator", "aar", "niva", "region"]
    need = key + ["nevner", "andel"]
    if any(c not in v.columns for c in need) or any(c not in table.columns for c in need + ["maltall"]):
        return [f"{name}: mangler kolonne(r) {', '.join(c for c in need if c not in v.columns)}"]
    main = table.loc[table["maltall"].astype(str).str.strip() == "1", need]
    m = v[need].merge(main, on=key, how="left", suffixes=("", "_tab"), indicator=True)
    out = []
    absent = m["_merge"] == "left_only"
    if absent.any():
        out.append(_line(name, "rader uten tilsvarende celle i indikatorer.csv", m.loc[absent, key]))
    for col in ("nevner", "andel"):
        shown = m[col].astype(str).str.strip() != ""
        tab = m[f"{col}_tab"].astype(str).str.strip()
        v_num = pd.to_numeric(m[col], errors="coerce")
        t_num = pd.to_numeric(tab, errors="coerce")
        bad = ~absent & shown & ((tab == "") | ((v_num - t_num).abs() > 1e-9))
        if bad.any():
            out.append(_line(name, f"verdier i {col} som ikke er de publiserte (måltall 1)", m.loc[bad, key + [col]]))
    return out


def check_tidsserie(ts: pd.DataFrame, table: pd.DataFrame, name: str = "tidsserie.csv") -> list[str]:
    """tidsserie.csv forms no new numbers: every shown antall, nevner and andel is the one
    indikatorer.csv publishes for that year under ``kilde_region``; rows with brudd are empty."""
    need = ["indikator", "aar", "kilde_region", "maltall", "antall", "nevner", "andel", "brudd"]
    missing = [c for c in need if c not in ts.columns]
    if missing:
        return [f"{name}: mangler kolonne(r) {', '.join(missing)}"]
    key = ["indikator", "aar", "maltall"]
    src = table[key + ["region", "antall", "nevner", "andel"]].rename(columns={"region": "kilde_region"})
    m = ts[need].merge(src.astype(str), on=key + ["kilde_region"], how="left", suffixes=("", "_tab"), indicator=True)
    brudd = read_true(m["brudd"])
    out = []
    for col in ("antall", "nevner", "andel"):
        shown = m[col].astype(str).str.strip() != ""
        tab = m[f"{col}_tab"].fillna("").astype(str).str.strip()
        differs = (pd.to_numeric(m[col], errors="coerce") - pd.to_numeric(tab, errors="coerce")).abs() > 1e-9
        bad = shown & (brudd | (m["_merge"] == "left_only") | (tab == "") | differs)
        if bad.any():
            out.append(
                _line(
                    name,
                    f"verdier i {col} som ikke er de publiserte for året",
                    m.loc[bad, ["indikator", "aar", "kilde_region", "maltall", col]],
                )
            )
    return out


# --- a folder ------------------------------------------------------------------------------------


def check_folder(folder: str | Path) -> list[str]:
    """Every completeness and consistency problem of a publication folder, one line each."""
    folder = Path(folder)
    findings = [
        f"{n}: internt materiale (personopplysninger eller uprikkede tall) i publiseringsmappen"
        for n in forbidden_in_publication(folder)
    ]
    meta_path = folder / "metadata.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("prikket") is not True:
            findings.append('metadata.json: sier ikke at tallene er prikket ("prikket": true)')
    except FileNotFoundError:
        findings.append("metadata.json: mangler")
        meta = {}
    except (OSError, ValueError) as exc:
        findings.append(f"metadata.json: kan ikke leses ({type(exc).__name__})")
        meta = {}
    table = _read(folder / "indikatorer.csv", findings)
    regioner = _read(folder / "regioner.csv", findings)
    if table is None or regioner is None:
        return findings
    if not {"aar", "unit", "niva", "region"} <= set(regioner.columns):
        return findings + ["regioner.csv: mangler kolonne(r) aar, unit, niva eller region"]
    for col in ("indikator", "aar"):
        if col in table.columns:
            table[col] = table[col].str.strip()
    found, cells = check_table(table, regioner)
    findings += found
    if "indikator" in table.columns and meta.get("indikatorer"):
        absent = sorted(set(meta["indikatorer"]) - set(table["indikator"]))
        if absent:
            findings.append(_line("indikatorer.csv", "indikatorer fra metadata.json mangler helt", absent))
    if "aar" in table.columns and meta.get("aar"):
        absent = sorted({str(a) for a in meta["aar"]} - set(table["aar"]))
        if absent:
            findings.append(_line("indikatorer.csv", "år fra metadata.json mangler helt", absent))
    if (folder / "variasjon.csv").exists():
        v = _read(folder / "variasjon.csv", findings)
        if v is not None:
            findings += check_variasjon(v, table)
    if (folder / "tidsserie.csv").exists():
        ts = _read(folder / "tidsserie.csv", findings)
        if ts is not None:
            findings += check_tidsserie(ts, table)
    if (folder / "indikatorer_3ar.csv").exists():
        t3 = _read(folder / "indikatorer_3ar.csv", findings)
        if t3 is not None:
            for col in ("indikator", "aar", "periode"):
                if col in t3.columns:
                    t3[col] = t3[col].str.strip()
            annual = cells.rename(columns={"aar": "aar"}) if not cells.empty else cells
            findings += check_three_year(t3, annual, regioner)
    return findings
