"""Reading a ``kvi compute`` output folder for the reports: the *published* files only.

The reports can never show a number that is not already published, because this module is the only
way they read data, and it opens nothing but the files in :data:`PUBLISHED_FILES`. It refuses a
folder whose ``metadata.json`` says the numbers are not suppressed, and it never opens
``avvist.csv`` (row numbers and person ids) or ``indikatorer_uprikket.*``.

Tables are cached per process, keyed by path, size and modification time, so a kernel that makes
hundreds of reports in a row reads each file once (see ``kvi_core.reporting.execute``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kvi_core.errors import KviInputError
from kvi_core.geography import LAND
from kvi_core.publish import (  # the one list of published files
    PUBLISHED_FILES,
    forbidden_in_publication,
)

# Read as text so that codes such as "0301" keep their leading zero.
_TEXT_COLUMNS = {
    "region": str,
    "kilde_region": str,
    "unit": str,
    "region_navn": str,
    "posisjon": str,
    "periode": str,
    "signal": str,
}

_CACHE: dict[tuple, object] = {}


class ResultsError(KviInputError):
    """The results folder cannot be used for reports."""


def _published(folder: Path, name: str) -> Path:
    if name not in PUBLISHED_FILES:  # a programming error, not a user error
        raise ValueError(f"{name} er ikke en publisert fil; rapportene leser bare {', '.join(PUBLISHED_FILES)}")
    return folder / name


def _key(path: Path) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _cached(path: Path, reader):
    key = _key(path)
    hit = _CACHE.get(key)
    if hit is None:
        for old in [k for k in _CACHE if k[0] == key[0]]:  # drop older versions of the same file
            del _CACHE[old]
        hit = _CACHE[key] = reader(path)
    return hit


def _read_csv(path: Path) -> pd.DataFrame:
    head = pd.read_csv(path, nrows=0).columns
    dtypes = {c: t for c, t in _TEXT_COLUMNS.items() if c in head}
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=True, encoding="utf-8")
    for col in ("prikket", "brudd"):
        if col in df and df[col].dtype != bool:
            df[col] = df[col].astype(str).str.lower().eq("true")
    return df


def _read_indikatorer(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        df["region"] = df["region"].astype(str)
    else:
        df = _read_csv(path)
    for col in ("antall", "nevner"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    for col in ("andel", "ki_nedre", "ki_ovre"):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["maltall"] = df["maltall"].astype(int)
    df["aar"] = df["aar"].astype(int)
    return df


@dataclass
class YearView:
    """One year of the published table, indexed for fast look-ups by region."""

    aar: int
    by_region: dict[str, pd.DataFrame]
    regions: pd.DataFrame  # niva, region, region_navn
    members: pd.DataFrame  # unit, niva, region, region_navn (regioner.csv for this year)
    variasjon: pd.DataFrame
    periode: str | None = None  # "2022-2024" for a three-year view
    _parents: dict[str, dict[str, str]] = field(default_factory=dict)

    def region_rows(self, region: str) -> pd.DataFrame:
        return self.by_region.get(region, self.by_region[LAND].iloc[0:0])

    def parents(self, kommunenr: str) -> dict[str, str]:
        """{'fylke': 'EKA03', 'kostragruppe': 'EKG13', 'land': 'EAK'} for a kommune."""
        if kommunenr not in self._parents:
            m = self.members
            units = m.loc[(m["niva"] == "kommune") & (m["region"] == kommunenr), "unit"]
            if units.empty:
                raise ResultsError(f"kommune {kommunenr} finnes ikke i kommuneinndelingen for {self.aar}")
            rows = m[m["unit"] == units.iloc[0]]
            self._parents[kommunenr] = dict(zip(rows["niva"], rows["region"]))
        return self._parents[kommunenr]

    def name(self, region: str) -> str:
        r = self.regions.loc[self.regions["region"] == region, "region_navn"]
        return str(r.iloc[0]) if len(r) else region

    def kommuner(self) -> pd.DataFrame:
        return self.regions[self.regions["niva"] == "kommune"].reset_index(drop=True)

    def bydeler(self, kommunenr: str) -> pd.DataFrame:
        r = self.regions
        return r[(r["niva"] == "bydel") & r["region"].str.startswith(kommunenr)].reset_index(drop=True)


class Results:
    """The published output of ``kvi compute`` in ``folder``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).expanduser().resolve()
        if not self.folder.is_dir():
            raise ResultsError(
                f"finner ikke resultatmappen {self.folder}; kjør først `make compute` eller "
                "`kvi compute --input UTTREKK --out MAPPE`"
            )
        bad = forbidden_in_publication(self.folder)
        if bad:
            raise ResultsError(
                f"{self.folder} inneholder {bad[0]}, som er internt materiale (personopplysninger eller uprikkede "
                "tall); flytt det ut av mappen (kvi compute legger det i <out>-intern)"
            )
        meta_path = _published(self.folder, "metadata.json")
        if not meta_path.exists():
            raise ResultsError(f"{self.folder} mangler metadata.json; er det en mappe fra `kvi compute`?")
        self.metadata: dict = _cached(meta_path, lambda p: json.loads(p.read_text(encoding="utf-8")))
        if self.metadata.get("prikket") is False:
            raise ResultsError(f"{self.folder} inneholder uprikkede tall; rapporter lages bare fra prikkede tabeller")
        parquet = _published(self.folder, "indikatorer.parquet")
        csv = _published(self.folder, "indikatorer.csv")
        source = parquet if parquet.exists() else csv
        if not source.exists():
            raise ResultsError(f"{self.folder} mangler indikatorer.csv; rapporter lages bare fra prikkede tabeller")
        self.table: pd.DataFrame = _cached(source, _read_indikatorer)
        self.members_all: pd.DataFrame = _cached(_published(self.folder, "regioner.csv"), _read_csv)
        self._variasjon_path = _published(self.folder, "variasjon.csv")
        self._tidsserie_path = _published(self.folder, "tidsserie.csv")
        self._three_paths = [_published(self.folder, n) for n in ("indikatorer_3ar.parquet", "indikatorer_3ar.csv")]
        self._variasjon3_path = _published(self.folder, "variasjon_3ar.csv")

    @property
    def years(self) -> list[int]:
        return sorted(int(a) for a in pd.unique(self.table["aar"]))

    @property
    def variasjon(self) -> pd.DataFrame:
        if not self._variasjon_path.exists():
            return pd.DataFrame(
                columns=["indikator", "aar", "niva", "region", "region_navn", "nevner", "andel", "posisjon"]
            )
        return _cached(self._variasjon_path, _read_csv)

    @property
    def tidsserie(self) -> pd.DataFrame | None:
        """The time series (contract §7), or None for a one-year input."""
        return _cached(self._tidsserie_path, _read_csv) if self._tidsserie_path.exists() else None

    @property
    def tidsserie_main(self) -> pd.DataFrame | None:
        """The time series' måltall 1 only (what the trend figures use), cached like the files."""
        if not self._tidsserie_path.exists():
            return None
        key = ("tidsserie_main",) + _key(self._tidsserie_path)
        hit = _CACHE.get(key)
        if hit is None:
            for old in [k for k in _CACHE if k[:2] == key[:2]]:
                del _CACHE[old]
            ts = self.tidsserie
            ts = ts[ts["maltall"].astype(int) == 1].copy()
            ts["aar"] = ts["aar"].astype(int)
            ts["region"] = ts["region"].astype(str)
            hit = _CACHE[key] = ts.reset_index(drop=True)
        return hit

    def source_region(self, region: str, aar: int, newest: int) -> str | None:
        """``region`` of ``newest``'s geography as the region of ``aar`` it is comparable with (the
        same code, or its old code when only the number changed, e.g. 5444 Sør-Varanger before 2024
        and 5605 after), or None where its members changed (a break, from the KLASS change table).
        A region table without that year says nothing about changes: the code is taken as it is
        (the period table's own ``brudd`` still marks a break)."""
        if int(aar) == int(newest):
            return str(region)
        key = ("region_map", str(self.folder), id(self.members_all), int(aar), int(newest))
        hit = _CACHE.get(key)
        if hit is None:
            from kvi_core.timeseries import region_map

            hit = {}  # empty: the region table lacks one of the years
            if {int(aar), int(newest)} <= set(pd.to_numeric(self.members_all["aar"]).astype(int)):
                m = region_map(self.members_all, int(aar), int(newest))
                hit = {
                    str(r): None if bool(b) or pd.isna(k) else str(k)
                    for r, k, b in zip(m["region"], m["kilde_region"], m["brudd"])
                }
            _CACHE[key] = hit
        return hit.get(str(region)) if hit else str(region)

    def three_year(self, aar: int) -> YearView | None:
        """The three-year figures (contract §8) for the period ending in ``aar``, or None when the
        folder has none for it (fewer than three years of input)."""
        source = next((p for p in self._three_paths if p.exists()), None)
        if source is None:
            return None
        table = _cached(source, _read_indikatorer)
        key = ("three_year", str(self.folder), id(table), id(self.members_all), int(aar))
        hit = _CACHE.get(key)
        if hit is None:
            t = table[table["aar"] == int(aar)]
            if t.empty:
                return None
            for old in [k for k in _CACHE if k[:2] == key[:2] and k[-1] == int(aar)]:
                del _CACHE[old]
            v = (
                _cached(self._variasjon3_path, _read_csv)
                if self._variasjon3_path.exists()
                else self.variasjon.iloc[0:0]
            )
            v = v[v["aar"].astype(int) == int(aar)] if len(v) else v
            by_region = {str(k): g for k, g in t.groupby("region", sort=False)}
            regions = t.drop_duplicates("region")[["niva", "region", "region_navn"]].reset_index(drop=True)
            members = self.members_all[self.members_all["aar"].astype(int) == int(aar)]
            periode = str(t["periode"].iloc[0]) if "periode" in t else f"{int(aar) - 2}-{int(aar)}"
            hit = _CACHE[key] = YearView(
                int(aar), by_region, regions, members.reset_index(drop=True), v.reset_index(drop=True), periode
            )
        return hit

    def year(self, aar: int) -> YearView:
        aar = int(aar)
        if aar not in self.years:
            raise ResultsError(
                f"år {aar} finnes ikke i resultatene i {self.folder} (har {', '.join(map(str, self.years))})"
            )
        key = ("year", str(self.folder), id(self.table), id(self.members_all), id(self.variasjon), aar)

        def build(_):
            t = self.table[self.table["aar"] == aar]
            by_region = {str(k): g for k, g in t.groupby("region", sort=False)}
            regions = t.drop_duplicates("region")[["niva", "region", "region_navn"]].reset_index(drop=True)
            members = self.members_all[self.members_all["aar"].astype(int) == aar]
            v = self.variasjon
            v = v[v["aar"].astype(int) == aar] if len(v) else v
            return YearView(aar, by_region, regions, members.reset_index(drop=True), v.reset_index(drop=True))

        hit = _CACHE.get(key)
        if hit is None:
            for old in [k for k in _CACHE if k[:2] == key[:2] and k[-1] == aar]:
                del _CACHE[old]
            hit = _CACHE[key] = build(None)
        return hit
