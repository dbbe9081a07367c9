"""``kvi compute``: extract in, the published (suppressed and audited) tables out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from kvi_core import __version__, geography
from kvi_core.errors import KviInputError
from kvi_core.indicators import aggregate, inner_counts, unit_positions
from kvi_core.intake import arrow_of, read_extract, rows_hint
from kvi_core.output import long_table, sort_table
from kvi_core.publish import WITNESS_FILE
from kvi_core.specs import IndicatorSpec, load_specs


@dataclass
class YearGeography:
    aar: int
    grouping: geography.KostraGrouping
    members: pd.DataFrame
    unit_codes: list[str]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def year_geography(persons: pd.DataFrame, aar: int, kostragrupper: Path | None) -> YearGeography:
    grouping = geography.kostra_grouping(aar, kostragrupper)
    bydeler = sorted(set(pc.unique(arrow_of(persons["bydelsnr"])).to_pylist()) - {""})
    members = geography.membership(aar, grouping, bydeler)
    return YearGeography(aar, grouping, members, list(pd.unique(members["unit"])))


def read_sidecar(input_path: Path) -> dict:
    side = Path(f"{input_path}.metadata.json")
    if side.exists():
        try:
            return json.loads(side.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
    return {}


def compute(
    input_path: str | Path,
    out_dir: str | Path,
    kostragrupper: str | Path | None = None,
    unsuppressed: bool = False,
    threshold: int = 5,
    quiet: bool = False,
    intern_dir: str | Path | None = None,
    extra: dict[str, object] | None = None,
    rule: str = "intervall",
    jobs: int | None = None,
    periods: bool = True,
) -> dict:
    """Run the whole computation and publish one generation (:mod:`kvi_core.publish`): the
    publication in ``out_dir``, the internal material in ``intern_dir`` (default ``<out_dir>-intern``).
    ``extra`` adds bookkeeping files to the publication folder (``kvi reports``' stamp). ``jobs``:
    worker processes for the suppression (default: one per core for a large extract). ``periods``
    False skips the three-year figures (contract §8), whose joint suppression is slow at national
    size (README, known limitations).
    Returns the published metadata."""
    from kvi_core import publish
    from kvi_core.runlock import folder_locks

    input_path = Path(input_path)
    out_dir = Path(os.path.abspath(out_dir))
    intern_dir = Path(os.path.abspath(intern_dir)) if intern_dir else publish.default_intern(out_dir)
    if threshold < 1:
        raise KviInputError(f"terskelen må være minst 1 (fikk {threshold})")
    if out_dir == intern_dir or out_dir in intern_dir.parents or intern_dir in out_dir.parents:
        raise KviInputError(f"--intern ({intern_dir}) må være en egen mappe, utenfor --out ({out_dir})")
    with folder_locks(out_dir, intern_dir):
        for target in (out_dir, intern_dir):
            publish.recover(target)
        for target in (intern_dir,) if unsuppressed else (out_dir, intern_dir):
            publish.check_replaceable(target)  # before the work, not after it
        files = outputs(input_path, kostragrupper, unsuppressed, threshold, quiet, rule, jobs, periods)
        files.update(extra or {})
        meta = files.get("metadata.json") or files["intern_metadata.json"]
        if files.pop(_NO_YEAR, None):
            publish.publish(files, None, intern_dir)
            raise KviInputError(f"ingen rader i {input_path} har et brukbart år; se {intern_dir / 'avvist.csv'}")
        publish.publish(files, None if unsuppressed else out_dir, intern_dir)
    if not quiet:
        what = "UPRIKKEDE tall (kun intern kvalitetssikring)" if unsuppressed else "prikkede og kontrollerte tabeller"
        where = intern_dir if unsuppressed else out_dir
        print(
            f"kvi: skrev {what} for {len(meta['indikatorer'])} indikatorer, år "
            f"{', '.join(map(str, meta['aar']))} til {where}; avvist.csv i {intern_dir}",
            file=sys.stderr,
        )
    return meta


_NO_YEAR = "_ingen_brukbare_aar"


def outputs(
    input_path: Path,
    kostragrupper: str | Path | None,
    unsuppressed: bool,
    threshold: int,
    quiet: bool = True,
    rule: str = "intervall",
    jobs: int | None = None,
    periods: bool = True,
) -> dict[str, object]:
    """Every file of one run, by name (:data:`kvi_core.publish.PUBLISHED_FILES` and
    :data:`~kvi_core.publish.INTERNAL_FILES`), as DataFrames and dicts; nothing is written here."""
    from kvi_core.disclosure import runner

    early = None  # worker processes started before the extract is read (runner.start_workers)
    if not unsuppressed:
        n = jobs if jobs is not None else runner.default_jobs(rows_hint(input_path))
        early = (n, runner.start_workers(n)) if n > 1 else None
    try:
        return _outputs(input_path, kostragrupper, unsuppressed, threshold, quiet, rule, jobs, periods, early)
    finally:  # whatever happened: suppress_all has shut them down already, or they were not needed
        if early is not None:
            runner.stop_workers(early[1])


def _outputs(
    input_path, kostragrupper, unsuppressed, threshold, quiet, rule, jobs, periods, early
) -> dict[str, object]:
    """``outputs`` once its workers are started: ``early`` is (their number, the executor) or None.
    They are handed to ``runner.suppress_all``; ``outputs`` stops them in any case."""
    from kvi_core.disclosure import runner

    specs = load_specs()
    extract = read_extract(input_path, specs)
    workers = jobs if jobs is not None else runner.default_jobs(extract.rows_in)
    executor = None if early is None else early[1]
    if early is not None and workers != early[0]:  # the hint was wrong: start afresh
        runner.stop_workers(executor)
        executor = None
    files: dict[str, object] = {
        # names person_ids: internal quality assurance only
        "avvist.csv": extract.rejections.rename(columns={"avvist_rad": "hele_raden_avvist"}),
    }
    run = {
        "kvi_versjon": __version__,
        "generert": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "input_fil": input_path.name,
        "input_sha256": sha256(input_path),
        "aar": extract.years,
        "terskel": threshold,
        "prikket": not unsuppressed,
        "beskyttelse": rule,
        # person counts: they could narrow hidden cells, so they stay internal (issue 10, item 4)
        "rader_inn": extract.rows_in,
        "rader_brukt": len(extract.persons),
        "rader_avvist": extract.rows_rejected,
    }
    if not quiet:
        print(f"kvi: {extract.summary()}", file=sys.stderr)
    if not extract.years:  # no row names a year kvi can place: nothing to publish
        files["intern_metadata.json"] = dict(run, indikatorer=[s.id for s in specs])
        files[_NO_YEAR] = True
        return files

    # a year whose rows were all rejected still gets its tables: every region, with 0
    from kvi_core.period_calendar import periods_of

    years = extract.years
    aar_col = extract.persons["aar"].to_numpy()
    regioner, work = [], []
    for aar in years:
        sel = aar_col == aar
        whole = bool(sel.all())
        persons = extract.persons if whole else extract.persons[sel].reset_index(drop=True)
        geo = year_geography(persons, aar, kostragrupper)
        pos = unit_positions(persons, geo.unit_codes)
        regioner.append(geo.members.assign(aar=aar)[["aar", "unit", "niva", "region", "region_navn"]])
        for spec in specs:
            excluded = extract.excluded[spec.id] if whole else extract.excluded[spec.id][sel]
            inner = inner_counts(persons, spec, pos, geo.unit_codes, excluded)
            work.append(runner.AnnualJob(spec.id, aar, inner, geo.members))
    regioner = pd.concat(regioner, ignore_index=True)
    linked = periods and not unsuppressed and bool(periods_of(years))
    reasons = []  # prikking_begrunnelse.csv (internal)
    period_cells: dict[str, pd.DataFrame] = {}
    witnesses: dict[tuple[str, int], pd.DataFrame] = {}  # prikking_vitner.parquet (internal)
    if unsuppressed:
        cells_of = {(j.indikator, j.aar): aggregate(j.inner, j.members) for j in work}
    else:
        settings = runner.Settings(threshold, rule, regioner, linked, None if quiet else time.time())
        if not quiet:
            n_periods = len(specs) * len(periods_of(years)) if linked else 0
            print(
                f"kvi: prikker {len(work)} årstabeller og {n_periods} treårstabeller (regel {rule}), "
                f"{workers} prosess{'er' if workers > 1 else ''} ...",
                file=sys.stderr,
                flush=True,
            )
        cells_of, period_cells, witnesses = runner.suppress_all(
            work, settings, workers, None if quiet else runner.stderr_progress, when_idle=_warm_up, executor=executor
        )
    tables = []
    for j in work:
        cells = cells_of[(j.indikator, j.aar)]
        tables.append(long_table(cells, j.indikator, j.aar))
        if not unsuppressed:
            reasons.append(_reasons(cells, j.indikator, j.aar, ""))
    table = sort_table(pd.concat(tables, ignore_index=True), [s.id for s in specs])

    from kvi_core.comparison import add_confidence_intervals

    table = add_confidence_intervals(table)
    grouping = geo.grouping  # the newest year's, as the reports show it
    meta = {
        "kvi_versjon": run["kvi_versjon"],
        "generert": run["generert"],
        "input_fil": run["input_fil"],
        "input_sha256": run["input_sha256"],
        "aar": years,
        "terskel": threshold,
        "prikket": not unsuppressed,
        "beskyttelse": rule,
        "kostragruppering": {"offisiell": grouping.official, "kilde": grouping.source, "merknad": grouping.notice},
        "syntetisk": bool(read_sidecar(input_path).get("syntetisk", False)),
        "indikatorer": [s.id for s in specs],
    }
    files["intern_metadata.json"] = dict(meta, **run)
    if unsuppressed:
        files["indikatorer_uprikket.csv"] = table
        files["indikatorer_uprikket.parquet"] = table
        return files

    from kvi_core.comparison import variasjon
    from kvi_core.timeseries import tidsserie

    files["indikatorer.csv"] = table
    files["indikatorer.parquet"] = table
    files["variasjon.csv"] = variasjon(table)
    if linked:
        table_3ar, period_reasons = _three_year_tables(period_cells, specs)
        reasons.extend(period_reasons)
        files["indikatorer_3ar.csv"] = table_3ar
        files["indikatorer_3ar.parquet"] = table_3ar
        files["variasjon_3ar.csv"] = _variasjon_3ar(table_3ar)
    begrunnelse = pd.concat(reasons, ignore_index=True)
    files["prikking_begrunnelse.csv"] = begrunnelse
    if witnesses:
        files[WITNESS_FILE] = _witness_table(witnesses)
    meta["prikking"] = _reason_summary(begrunnelse)
    if len(years) > 1:
        files["tidsserie.csv"] = tidsserie(table, regioner)
    files["regioner.csv"] = regioner
    files["metadata.json"] = meta
    return files


def _warm_up() -> None:
    """Load what the publication needs after the suppression (``variasjon``'s funnel limits use
    scipy.stats: 1.6 s to import here) while the last tables are still being suppressed."""
    import scipy.stats  # noqa: F401


# --- three-year figures and the reason for every hidden cell (contract §8, §6) -----------------


def _witness_table(witnesses: dict[tuple[str, int], pd.DataFrame]) -> pd.DataFrame:
    """``prikking_vitner.parquet`` (internal): every annual table's witness tables (the tables that
    show each hidden cell's audited interval, each as the inner cells where it differs from its
    grunnlag, ``suppression.witness_frame``), which ``kvi audit`` checks and uses instead of solving
    the LPs again."""
    from pandas.api.types import union_categoricals

    parts = [f for _, f in sorted(witnesses.items())]
    cat = lambda c: union_categoricals([f[c] for f in parts])  # noqa: E731 (as categories: 1e6 rows a table)
    keys = sorted(witnesses)
    size = [len(f) for f in parts]
    return pd.DataFrame(
        {
            "indikator": pd.Categorical(np.repeat([k[0] for k in keys], size)),
            "aar": np.repeat([k[1] for k in keys], size),
            "vitne": np.concatenate([f["vitne"].to_numpy() for f in parts]),
            "grunnlag": np.concatenate([f["grunnlag"].to_numpy() for f in parts]),
            "unit": cat("unit"),
            "aldersgruppe": cat("aldersgruppe"),
            "kategori": cat("kategori"),
            "antall": np.concatenate([f["antall"].to_numpy() for f in parts]),
        }
    )


def _reasons(cells: pd.DataFrame, indikator: str, aar: int, periode: str) -> pd.DataFrame:
    """One row per hidden cell: why it is hidden (internal: holds the true count)."""
    from kvi_core.specs import maltall

    h = cells[cells["hidden"]]
    return pd.DataFrame(
        {
            "indikator": indikator,
            "aar": aar,
            "periode": periode,
            "niva": h["niva"].to_numpy(),
            "region": h["region"].to_numpy(),
            "aldersgruppe": h["aldersgruppe"].to_numpy(),
            "kategori": h["kategori"].to_numpy(),
            "maltall": [maltall(k, a) if k != "nevner" else np.nan for k, a in zip(h["kategori"], h["aldersgruppe"])],
            "antall": h["antall"].to_numpy(),
            "arsak": h["reason"].to_numpy(),
            # the hidden cells a secondary cell protects, and what the final audit showed
            "beskytter": h["beskytter"].to_numpy() if "beskytter" in h else "",
            "nedre": h["nedre"].to_numpy() if "nedre" in h else pd.NA,
            "ovre": h["ovre"].to_numpy() if "ovre" in h else pd.NA,
        }
    )


def _reason_summary(begrunnelse: pd.DataFrame) -> dict:
    """Counts of hidden CELLS (not persons) by reason and level: fine to publish."""
    if begrunnelse.empty:
        return {"prikkede_celler": 0}
    table = begrunnelse.assign(tabell=np.where(begrunnelse["periode"] == "", "aar", "3ar"))
    out: dict = {"prikkede_celler": int(len(table))}
    for tab, grp in table.groupby("tabell", sort=True):
        out[tab] = {
            "etter_arsak": {k: int(v) for k, v in grp["arsak"].value_counts().sort_index().items()},
            "etter_niva": {k: int(v) for k, v in grp["niva"].value_counts().sort_index().items()},
        }
    return out


def _three_year_tables(period_cells: dict[str, pd.DataFrame], specs: list[IndicatorSpec]):
    from kvi_core.comparison import add_confidence_intervals

    parts, reasons = [], []
    for spec in specs:
        cells = period_cells[spec.id]
        for (periode, aar), grp in cells.groupby(["periode", "aar"], sort=True):
            t = long_table(grp.reset_index(drop=True), spec.id, int(aar))
            brudd = grp.loc[grp["kategori"] != "nevner", "brudd"].to_numpy(dtype=bool)
            t.insert(2, "periode", periode)
            t["prikket"] = t["prikket"].to_numpy(dtype=bool) & ~brudd  # brudd: empty numbers, not prikket
            t["brudd"] = brudd
            parts.append(t)
            reasons.append(_reasons(grp[~grp["brudd"]], spec.id, int(aar), periode))
    table = pd.concat(parts, ignore_index=True)
    order = {s.id: i for i, s in enumerate(specs)}
    table = (
        table.assign(_i=table["indikator"].map(order))
        .sort_values(["_i", "periode"], kind="stable")
        .drop(columns="_i")
        .reset_index(drop=True)
    )
    return add_confidence_intervals(table), reasons


def _variasjon_3ar(table_3ar: pd.DataFrame) -> pd.DataFrame:
    from kvi_core.comparison import variasjon

    parts = []
    for periode, grp in table_3ar.groupby("periode", sort=True):
        v = variasjon(grp.drop(columns=["periode", "brudd"]))
        v.insert(2, "periode", periode)
        parts.append(v)
    return pd.concat(parts, ignore_index=True)
