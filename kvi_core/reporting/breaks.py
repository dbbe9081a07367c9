"""What changed in the classification, for the report's break sentences (codes and names only).

From the KLASS change table (``geography.kommune_changes``, 2023 -> 2024) and the kommune lists of
both versions: a kommune that was split (1507 Ålesund -> 1508 Ålesund + 1580 Haram), merged, or whose
fylke was divided (Viken -> Østfold, Akershus, Buskerud). Renumbering and renaming are not breaks
(contract §7). The words are in ``texts``.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from kvi_core import geography

CHANGE_YEAR = 2024  # the first year of the newest classification in the change table


@lru_cache(maxsize=1)
def _tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return geography.kommune_changes(), geography.kommuner(CHANGE_YEAR - 1), geography.kommuner(CHANGE_YEAR)


def kommune_breaks(kommunenr: str) -> list[dict]:
    """Breaks of one kommune (in the newest classification): dicts with ``kind`` ('split' |
    'merged' | 'fylke_divided') and the names the sentence needs, plus ``year``."""
    changes, old, new = _tables()
    mine = changes[changes["kommunenummer_2024"] == kommunenr]
    out: list[dict] = []
    if mine.empty:
        return out
    old_codes = list(dict.fromkeys(mine["kommunenummer_2023"]))
    if len(old_codes) > 1:  # several old kommuner became this one
        out.append(
            {
                "kind": "merged",
                "name": mine["kommunenavn_2024"].iloc[0],
                "parts": list(dict.fromkeys(mine["kommunenavn_2023"])),
                "year": CHANGE_YEAR,
            }
        )
    elif (mine["type"] == "split").any():
        source = changes[changes["kommunenummer_2023"] == old_codes[0]]
        old_name = source["kommunenavn_2023"].iloc[0]
        for r in source.to_dict("records"):
            if r["kommunenavn_2024"] != old_name or len(source) == 1:
                out.append({"kind": "split", "new": r["kommunenavn_2024"], "old": old_name, "year": CHANGE_YEAR})
    # the fylke: divided when the old fylke's kommuner went to more than one new fylke
    old_f = old.loc[old["kommunenr"] == old_codes[0], ["fylkenr", "fylke_navn"]]
    new_f = new.loc[new["kommunenr"] == kommunenr, ["fylkenr", "fylke_navn"]]
    if len(old_f) and len(new_f):
        of, nf = old_f.iloc[0], new_f.iloc[0]
        members = changes[changes["kommunenummer_2023"].str[:2] == of["fylkenr"]]["kommunenummer_2024"].str[:2]
        if members.nunique() > 1 and of["fylke_navn"] != nf["fylke_navn"]:
            out.append(
                {"kind": "fylke_divided", "fylke": nf["fylke_navn"], "old": of["fylke_navn"], "year": CHANGE_YEAR}
            )
    return out


__all__ = ["CHANGE_YEAR", "kommune_breaks"]
