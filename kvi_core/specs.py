"""Indicator specifications, read from ``params/indicators/*.toml`` (a package resource, see resources.py).

A new indicator is a new spec file; nothing in the code names an indicator.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kvi_core.resources import params_dir

AGE_GROUPS = ("alle", "0-17", "18-66", "67+")
INNER_AGE_GROUPS = AGE_GROUPS[1:]
CATEGORIES = ("innfridd", "delvis", "ikke_innfridd", "uten_rapportering")
ALL_AGES = AGE_GROUPS[0]  # "alle"
TOTAL = "nevner"  # the kategori label of the cell that sums the four categories
KATEGORIER = (*CATEGORIES, TOTAL)  # every kategori of a published cell


def maltall(kategori: str, aldersgruppe: str) -> int:
    """Måltall number: 1-4 innfridd (alle, 0-17, 18-66, 67+), 5-8 delvis, 9-12 ikke, 13-16 uten."""
    return CATEGORIES.index(kategori) * 4 + AGE_GROUPS.index(aldersgruppe) + 1


@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    order: int
    tittel: str
    kort_tittel: str
    definisjon: str
    seed: str
    kilde: str
    codes_confirmed: bool
    feilkilder: str
    need_column: str
    need_values: tuple[str, ...]
    need_included: str
    receives_column: str
    receives_values: tuple[str, ...]
    category_by_receives: dict[str, str]  # "" = empty receives value
    category_text: dict[str, str]

    @property
    def columns(self) -> tuple[str, str]:
        return (self.need_column, self.receives_column)


class SpecError(ValueError):
    pass


def _parse(path: Path) -> IndicatorSpec:
    with open(path, "rb") as fh:
        d = tomllib.load(fh)
    try:
        kat = d["kategorier"]
        if tuple(kat) != CATEGORIES:
            raise SpecError(f"{path}: kategorier må være {', '.join(CATEGORIES)} i den rekkefølgen")
        for k, v in kat.items():
            expected = [maltall(k, a) for a in AGE_GROUPS]
            if list(v["maltall"]) != expected:
                raise SpecError(f"{path}: kategori {k} skal ha måltall {expected}")
        return IndicatorSpec(
            id=d["id"],
            order=int(d["rekkefolge"]),
            tittel=d["tittel"],
            kort_tittel=d["kort_tittel"],
            definisjon=d["definisjon"],
            seed=d["seed"],
            kilde=d["kilde"],
            codes_confirmed=bool(d["koder_bekreftet"]),
            feilkilder=d["feilkilder"],
            need_column=d["behov"]["kolonne"],
            need_values=tuple(d["behov"]["gyldige"]),
            need_included=d["behov"]["inkludert"],
            receives_column=d["mottar"]["kolonne"],
            receives_values=tuple(d["mottar"]["gyldige"]),
            category_by_receives={v["verdi"]: k for k, v in kat.items()},
            category_text={k: v["tekst"] for k, v in kat.items()},
        )
    except KeyError as exc:
        raise SpecError(f"{path}: mangler feltet {exc}") from None


def load_specs(directory: Path | None = None) -> list[IndicatorSpec]:
    """All indicator specs, in their publication order."""
    directory = directory or params_dir() / "indicators"
    specs = sorted((_parse(p) for p in sorted(directory.glob("*.toml"))), key=lambda s: (s.order, s.id))
    if not specs:
        raise SpecError(f"ingen indikatorspesifikasjoner i {directory}")
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        raise SpecError(f"indikator-id brukt flere ganger i {directory}")
    return specs
