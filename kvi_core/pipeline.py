"""``kvi compute``: extract in, the published (suppressed and audited) tables out."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from kvi_core import __version__, geography
from kvi_core.errors import KviInputError
from kvi_core.indicators import aggregate, inner_counts, unit_positions
from kvi_core.intake import arrow_of, read_extract
from kvi_core.output import long_table, sort_table
from kvi_core.specs import IndicatorSpec, load_specs


class DisclosureError(RuntimeError):
    """The audit found a hidden cell that can be worked out: nothing is published."""


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


def year_cells(
    persons: pd.DataFrame, pos: np.ndarray, excluded: np.ndarray, geo: YearGeography, spec: IndicatorSpec,
    suppressed: bool, threshold: int, rule: str = "intervall",
) -> pd.DataFrame:
    """All published cells of one indicator and year, suppressed by ``rule`` (DATA_CONTRACT §5) and
    audited against it, unless told not to."""
    inner = inner_counts(persons, spec, pos, geo.unit_codes, excluded)
    if not suppressed:
        return aggregate(inner, geo.members)
    from kvi_core.disclosure.intervals import audit_rule
    from kvi_core.disclosure.suppression import suppress

    cells = suppress(inner, geo.members, threshold=threshold, rule=rule)
    findings = audit_rule(cells, geo.members, rule, threshold)
    if len(findings):
        raise DisclosureError(
            f"{spec.id} {geo.aar}: {len(findings)} prikkede celler er ikke beskyttet etter regel {rule}; "
            "ingenting er skrevet"
        )
    return cells


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
) -> dict:
    """Run the whole computation and publish one generation (:mod:`kvi_core.publish`): the
    publication in ``out_dir``, the internal material in ``intern_dir`` (default ``<out_dir>-intern``).
    ``extra`` adds bookkeeping files to the publication folder (``kvi reports``' stamp).
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
        files = outputs(input_path, kostragrupper, unsuppressed, threshold, quiet, rule)
        files.update(extra or {})
        meta = files.get("metadata.json") or files["intern_metadata.json"]
        if files.pop(_NO_YEAR, None):
            publish.publish(files, None, intern_dir)
            raise KviInputError(f"ingen rader i {input_path} har et brukbart år; se {intern_dir / 'avvist.csv'}")
        publish.publish(files, None if unsuppressed else out_dir, intern_dir)
    if not quiet:
        what = "UPRIKKEDE tall (kun intern kvalitetssikring)" if unsuppressed else "prikkede og kontrollerte tabeller"
        where = intern_dir if unsuppressed else out_dir
        print(f"kvi: skrev {what} for {len(meta['indikatorer'])} indikatorer, år "
              f"{', '.join(map(str, meta['aar']))} til {where}; avvist.csv i {intern_dir}", file=sys.stderr)
    return meta


_NO_YEAR = "_ingen_brukbare_aar"


def outputs(input_path: Path, kostragrupper: str | Path | None, unsuppressed: bool, threshold: int,
            quiet: bool = True, rule: str = "intervall") -> dict[str, object]:
    """Every file of one run, by name (:data:`kvi_core.publish.PUBLISHED_FILES` and
    :data:`~kvi_core.publish.INTERNAL_FILES`), as DataFrames and dicts; nothing is written here."""
    specs = load_specs()
    extract = read_extract(input_path, specs)
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
    years = extract.years
    aar_col = extract.persons["aar"].to_numpy()
    tables, regioner = [], []
    for aar in years:
        sel = aar_col == aar
        whole = bool(sel.all())
        persons = extract.persons if whole else extract.persons[sel].reset_index(drop=True)
        geo = year_geography(persons, aar, kostragrupper)
        pos = unit_positions(persons, geo.unit_codes)
        regioner.append(geo.members.assign(aar=aar)[["aar", "unit", "niva", "region", "region_navn"]])
        for spec in specs:
            excluded = extract.excluded[spec.id] if whole else extract.excluded[spec.id][sel]
            cells = year_cells(persons, pos, excluded, geo, spec, not unsuppressed, threshold, rule)
            tables.append(long_table(cells, spec.id, aar))
    table = sort_table(pd.concat(tables, ignore_index=True), [s.id for s in specs])
    regioner = pd.concat(regioner, ignore_index=True)

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
    if len(years) > 1:
        files["tidsserie.csv"] = tidsserie(table, regioner)
    files["regioner.csv"] = regioner
    files["metadata.json"] = meta
    return files
