"""Planning a reports run: one job per report (the national overview first, then each kommune),
each with the key that says whether its finished files are still current."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kvi_core import __version__
from kvi_core.errors import KviInputError
from kvi_core.pipeline import sha256 as sha256_file
from kvi_core.publish import PUBLISHED_FILES
from kvi_core.reporting.tables import _sha_json, code_sha
from kvi_core.resources import KOMMUNE_NOTEBOOK, NATIONAL_NOTEBOOK

NATIONAL = "nasjonal"


@dataclass
class Job:
    id: str  # kommunenr, or NATIONAL
    name: str  # region name
    notebook: str
    parameters: dict
    front_matter: dict
    key: str = ""
    stem: str = ""  # output file name without suffix


def plan(results_dir: Path, aar: int, kommuner: list[str] | None, year_dir: Path) -> tuple[list[Job], list[dict], dict]:
    """All report jobs (national overview first), the kommune list for the index, and the
    results' metadata."""
    from kvi_core.reporting import render, texts
    from kvi_core.reporting.data import Results

    res = Results(results_dir)
    view = res.year(aar)
    kom = view.kommuner()
    m = view.members
    unit_kommune = m.loc[m["niva"] == "kommune", ["unit", "region"]].drop_duplicates("region")
    fylke_of_unit = dict(zip(m.loc[m["niva"] == "fylke", "unit"], m.loc[m["niva"] == "fylke", "region"]))
    fylke_of = {k: fylke_of_unit.get(u, "") for u, k in zip(unit_kommune["unit"], unit_kommune["region"])}
    names = dict(zip(view.regions["region"], view.regions["region_navn"]))
    all_k = [
        {"kommunenr": r["region"], "navn": r["region_navn"], "fylke": names.get(fylke_of.get(r["region"], ""), "")}
        for r in kom.to_dict("records")
    ]
    wanted = all_k
    if kommuner:
        codes = [str(k).strip().zfill(4) for k in kommuner]
        known = {k["kommunenr"] for k in all_k}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise KviInputError(f"ukjent kommunenummer for {aar}: {', '.join(unknown)}")
        wanted = [k for k in all_k if k["kommunenr"] in set(codes)]
    files = {name: sha256_file(results_dir / name) for name in PUBLISHED_FILES if (results_dir / name).exists()}
    base = {
        "aar": aar,
        "resultater": files,
        "kode_sha256": code_sha(reporting=True),
        "motor": render.versions(),
        "kvi": __version__,
    }
    common = {"aar": aar, "resultater": str(results_dir), "vis_tittel": False}
    jobs = [
        Job(
            NATIONAL,
            "Hele landet",
            str(NATIONAL_NOTEBOOK),
            dict(common),
            {"title": texts.national_title(aar), "subtitle": "Nasjonal oversikt"},
            stem="nasjonal_oversikt",
        )
    ]
    for k in wanted:
        jobs.append(
            Job(
                k["kommunenr"],
                k["navn"],
                str(KOMMUNE_NOTEBOOK),
                dict(common, kommunenr=k["kommunenr"]),
                {"title": texts.kommune_title(k["navn"], k["kommunenr"], aar), "subtitle": "Kommunerapport"},
                stem=f"kommunerapport_{k['kommunenr']}",
            )
        )
    for j in jobs:
        j.key = _sha_json(dict(base, id=j.id, notebook=Path(j.notebook).name, front_matter=j.front_matter))
    return jobs, all_k, res.metadata
