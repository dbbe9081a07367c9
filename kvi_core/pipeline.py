"""``kvi compute``: extract in, the published (suppressed and audited) tables out."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
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
from kvi_core.output import long_table, sort_table, write_csv, write_json, write_parquet
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
    suppressed: bool, threshold: int,
) -> pd.DataFrame:
    """All published cells of one indicator and year, suppressed (and audited) unless told not to."""
    inner = inner_counts(persons, spec, pos, geo.unit_codes, excluded)
    if not suppressed:
        return aggregate(inner, geo.members)
    from kvi_core.disclosure.intervals import audit_cells
    from kvi_core.disclosure.suppression import suppress

    cells = suppress(inner, geo.members, threshold=threshold)
    published = cells.assign(antall=cells["antall"].where(~cells["hidden"]))
    findings = audit_cells(published, geo.members)
    if len(findings):
        raise DisclosureError(
            f"{spec.id} {geo.aar}: {len(findings)} prikkede celler kan regnes ut; ingenting er skrevet"
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
) -> dict:
    """Run the whole computation and write the output folder. Returns the metadata written."""
    input_path, out_dir = Path(input_path), Path(out_dir)
    if threshold < 1:
        raise KviInputError(f"terskelen må være minst 1 (fikk {threshold})")
    specs = load_specs()
    extract = read_extract(input_path, specs)
    out_dir.mkdir(parents=True, exist_ok=True)
    # avvist.csv names person_ids: internal quality assurance only, readable by its owner only
    write_csv(extract.rejections.rename(columns={"avvist_rad": "hele_raden_avvist"}), out_dir / "avvist.csv",
              private=True)
    if not extract.years:  # no row names a year kvi can place: nothing to publish
        raise KviInputError(f"ingen rader i {input_path} har et brukbart år; se {out_dir / 'avvist.csv'}")

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
            cells = year_cells(persons, pos, excluded, geo, spec, not unsuppressed, threshold)
            tables.append(long_table(cells, spec.id, aar))
    table = sort_table(pd.concat(tables, ignore_index=True), [s.id for s in specs])
    regioner = pd.concat(regioner, ignore_index=True)

    from kvi_core.comparison import add_confidence_intervals

    table = add_confidence_intervals(table)
    grouping = geo.grouping  # the newest year's, as the reports show it
    meta = {
        "kvi_versjon": __version__,
        "generert": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "input_fil": input_path.name,
        "input_sha256": sha256(input_path),
        "aar": years,
        "terskel": threshold,
        "prikket": not unsuppressed,
        "kostragruppering": {"offisiell": grouping.official, "kilde": grouping.source, "merknad": grouping.notice},
        "syntetisk": bool(read_sidecar(input_path).get("syntetisk", False)),
        "indikatorer": [s.id for s in specs],
        "rader_inn": extract.rows_in,
        "rader_brukt": len(extract.persons),
        "rader_avvist": extract.rows_rejected,
    }
    write_csv(regioner, out_dir / "regioner.csv")
    if unsuppressed:
        write_csv(table, out_dir / "indikatorer_uprikket.csv")
        write_parquet(table, out_dir / "indikatorer_uprikket.parquet")
    else:
        from kvi_core.comparison import variasjon
        from kvi_core.timeseries import tidsserie

        write_csv(table, out_dir / "indikatorer.csv")
        write_parquet(table, out_dir / "indikatorer.parquet")
        write_csv(variasjon(table), out_dir / "variasjon.csv")
        if len(years) > 1:
            write_csv(tidsserie(table, regioner), out_dir / "tidsserie.csv")
        else:  # a series from an earlier run on other input must not sit beside these tables
            (out_dir / "tidsserie.csv").unlink(missing_ok=True)
    write_json(meta, out_dir / "metadata.json")
    if not quiet:
        print(f"kvi: {extract.summary()}", file=sys.stderr)
        what = "UPRIKKEDE tall (kun intern kvalitetssikring)" if unsuppressed else "prikkede og kontrollerte tabeller"
        print(f"kvi: skrev {what} for {len(specs)} indikatorer, år {', '.join(map(str, years))} til {out_dir}",
              file=sys.stderr)
    return meta
