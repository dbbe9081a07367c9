"""Regions: kommuner and fylker per year, KOSTRA groups, bydeler, and who belongs to what.

Everything is read from the files in ``kvi_core/data`` (see PROVENANCE.md there), so nothing
needs the network. Years 2020-2023 use the 2020 classification (KLASS 131), 2024 on the 2024 one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from kvi_core.errors import KviInputError

LAND = "EAK"
LAND_NAME = "Hele landet"
FIRST_YEAR = 2020
NIVA_ORDER = ("land", "fylke", "kostragruppe", "kommune", "bydel")
RESIDUAL_SUFFIX = "99"
RESIDUAL_NAME = "Uten oppgitt bydel"


class GeographyError(KviInputError):
    """A geography input (e.g. a KOSTRA grouping file) cannot be used."""


def data_path(name: str) -> Path:
    return Path(__file__).resolve().parent / "data" / name


def classification_year(aar: int) -> int:
    """The KLASS 131 version kvi uses for a statistics year."""
    if aar < FIRST_YEAR:
        raise GeographyError(f"år {aar}: kvi har kommuneinndeling fra {FIRST_YEAR}")
    return 2024 if aar >= 2024 else 2020


@cache
def _kommuner(version: int) -> pd.DataFrame:
    return pd.read_csv(data_path(f"kommuner_{version}.csv"), dtype=str, encoding="utf-8")


def kommuner(aar: int) -> pd.DataFrame:
    """Kommuner valid in ``aar``: kommunenr, kommune_navn, fylkenr, fylke_navn (all text)."""
    return _kommuner(classification_year(aar)).copy()


def fylke_region(fylkenr: str) -> str:
    return "EKA" + fylkenr


@cache
def bydel_names() -> dict[str, str]:
    df = pd.read_csv(data_path("bydeler.csv"), dtype=str, encoding="utf-8")
    return dict(zip(df["bydelsnr"], df["bydel_navn"]))


def kommune_changes() -> pd.DataFrame:
    """2020-2023 codes to 2024 codes (KLASS change table): one row per (old, new) pair, with type."""
    return pd.read_csv(data_path("kommuneendringer_2023_2024.csv"), dtype=str, encoding="utf-8")


# --- KOSTRA grouping ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KostraGrouping:
    """kommunenr -> kostragruppe (as ``EKGnn``), and where the grouping comes from."""

    table: pd.DataFrame  # columns kommunenr, kostragruppe
    official: bool
    source: str
    missing: tuple[str, ...] = ()  # kommuner the grouping file places in no group

    @property
    def notice(self) -> str:
        if self.official:
            return f"KOSTRA-gruppering: {self.source}."
        return (
            f"KOSTRA-gruppering: {self.source}. Dette er IKKE SSBs offisielle KOSTRA-gruppering, "
            "men en demonstrasjonsgruppering etter folketall; tall for KOSTRA-grupper kan ikke "
            "sammenlignes med SSBs."
        )


def _normalise_group(value: str) -> str | None:
    v = str(value).strip().upper()
    if v.startswith("EKG"):
        v = v[3:]
    if not v.isdigit() or not 1 <= len(v) <= 2:
        return None
    return "EKG" + v.zfill(2)


def read_kostra_grouping(path: str | Path, aar: int) -> KostraGrouping:
    """Read a ``kommunenr,kostragruppe`` CSV (group as ``EKG01`` or ``01``) and check it covers
    every kommune of the year exactly once."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    except FileNotFoundError:
        raise GeographyError(f"finner ikke KOSTRA-grupperingsfilen {path}") from None
    except Exception as exc:  # unreadable file: one clear line, no traceback
        raise GeographyError(f"kan ikke lese KOSTRA-grupperingsfilen {path}: {exc}") from None
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = {"kommunenr", "kostragruppe"} - set(raw.columns)
    if missing:
        raise GeographyError(f"{path}: mangler kolonne(r) {', '.join(sorted(missing))}")
    df = pd.DataFrame(
        {
            "kommunenr": raw["kommunenr"].str.strip().str.zfill(4),
            "kostragruppe": raw["kostragruppe"].map(_normalise_group),
        }
    )
    bad = df["kostragruppe"].isna()
    if bad.any():
        i = int(bad.idxmax())
        raise GeographyError(
            f"{path} rad {i + 1}: kolonne kostragruppe har verdien {raw['kostragruppe'].iloc[i]!r}, "
            "som ikke er en gruppe (EKGnn eller nn)"
        )
    dup = df["kommunenr"].duplicated(keep=False)
    if dup.any():
        raise GeographyError(f"{path}: kommunenr {df.loc[dup, 'kommunenr'].iloc[0]} står flere ganger")
    groups = dict(zip(df["kommunenr"], df["kostragruppe"]))
    known = kommuner(aar)["kommunenr"].tolist()
    inherited = _inherit_groups([k for k in known if k not in groups], groups)
    missing = [k for k in known if k not in groups and k not in inherited]
    table = pd.DataFrame(
        [(k, groups.get(k) or inherited[k]) for k in known if k in groups or k in inherited],
        columns=["kommunenr", "kostragruppe"],
    )
    source = f"fra filen {path.name}"
    if inherited:
        source += f" ({len(inherited)} kommuner i {aar} har gruppen til sitt nye kommunenummer)"
    if missing:
        source += f"; {len(missing)} kommune(r) uten gruppe i filen er ikke med i noen KOSTRA-gruppe"
        print(
            f"kvi: advarsel: {path.name} gir ingen KOSTRA-gruppe for {len(missing)} kommune(r) i {aar}, "
            f"f.eks. {', '.join(missing[:5])}; de er ikke med i noen gruppe",
            file=sys.stderr,
        )
    return KostraGrouping(table, official=True, source=source, missing=tuple(missing))


def _inherit_groups(lacking: list[str], groups: dict[str, str]) -> dict[str, str]:
    """For kommuner of an older classification that a grouping file (in newer codes) lacks: the
    group of the kommune's successor (KLASS change table); for a split, the successor that kept
    the name, else the lowest code."""
    if not lacking:
        return {}
    ch = kommune_changes()
    out = {}
    for old in lacking:
        succ = ch[(ch["kommunenummer_2023"] == old) & ch["kommunenummer_2024"].isin(list(groups))]
        if succ.empty:
            continue
        same_name = succ[succ["kommunenavn_2024"] == succ["kommunenavn_2023"]]
        pick = (same_name if not same_name.empty else succ).sort_values("kommunenummer_2024").iloc[0]
        out[old] = groups[pick["kommunenummer_2024"]]
    return out


def demo_kostra_grouping(aar: int) -> KostraGrouping:
    """The grouping shipped with kvi: by population size, NOT SSB's official one."""
    version = classification_year(aar)
    df = pd.read_csv(data_path(f"kostragrupper_demo_{version}.csv"), dtype=str)
    return KostraGrouping(
        df[["kommunenr", "kostragruppe"]],
        official=False,
        source=f"kvis demonstrasjonsgruppering for kommuneinndeling {version}",
    )


def kostra_grouping(aar: int, path: str | Path | None = None) -> KostraGrouping:
    return read_kostra_grouping(path, aar) if path else demo_kostra_grouping(aar)


# --- membership -------------------------------------------------------------------------------


def residual_bydel(kommunenr: str) -> str:
    """The published bydel row for persons of a bydel kommune without a bydelsnr."""
    return f"{kommunenr}{RESIDUAL_SUFFIX}"


def membership(aar: int, grouping: KostraGrouping, bydeler: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Every published region as a set of geographic *units*.

    Returns one row per (unit, region) with columns ``unit, niva, region, region_navn``.
    Units are the finest geography: a kommune, or, for a kommune whose persons carry bydelsnr,
    each of its bydeler plus ``<kommunenr>99`` "Uten oppgitt bydel" for persons there without one.
    That remainder is published as a bydel row of its own, so that the bydeler add up exactly to
    their kommune (contract §5): modelling it as an unknown remainder would let a reader who
    knows that everybody has a bydel work out hidden bydel cells. Every region of the year's
    classification appears, even when nobody there has a need. A kommune that the grouping does
    not place in a KOSTRA group belongs to no group.
    """
    kom = kommuner(aar)
    grp = dict(zip(grouping.table["kommunenr"], grouping.table["kostragruppe"]))
    by_kommune: dict[str, list[str]] = {}
    for b in sorted(set(bydeler)):
        by_kommune.setdefault(b[:4], []).append(b)
    names = bydel_names()
    rows: list[tuple[str, str, str, str]] = []
    for k, kname, f, fname in kom.itertuples(index=False):
        units = [k]
        if k in by_kommune:
            units = sorted(set(by_kommune[k]) | {residual_bydel(k)})
            for b in units:
                default = RESIDUAL_NAME if b == residual_bydel(k) else f"Bydel {b}"
                rows.append((b, "bydel", b, names.get(b, default)))
        g = grp.get(k)
        group_label = g and f"KOSTRA-gruppe {g[3:]}" + ("" if grouping.official else " (demogruppering, ikke SSBs)")
        for u in units:
            rows.append((u, "land", LAND, LAND_NAME))
            rows.append((u, "fylke", fylke_region(f), fname))
            if g:
                rows.append((u, "kostragruppe", g, group_label))
            rows.append((u, "kommune", k, kname))
    return pd.DataFrame(rows, columns=["unit", "niva", "region", "region_navn"])


def regions(members: pd.DataFrame) -> pd.DataFrame:
    """Published regions in publication order (land, fylke, kostragruppe, kommune, bydel)."""
    r = members.drop_duplicates("region")[["niva", "region", "region_navn"]].copy()
    r["_o"] = r["niva"].map({n: i for i, n in enumerate(NIVA_ORDER)})
    return r.sort_values(["_o", "region"]).drop(columns="_o").reset_index(drop=True)
