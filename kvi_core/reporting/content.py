"""Text shared by the kommune report and the national overview: method, suppression, footer.

All wording is bokmål. Numbers come from ``metadata.json`` of the results folder.
"""
from __future__ import annotations

import datetime as dt

from kvi_core import __version__
from kvi_core.reporting.markdown import esc, fmt_int

TITLE = "Kvalitetsindikatorer for deltakelse"


def kommune_title(navn: str, kommunenr: str, aar: int) -> str:
    return f"{navn} ({kommunenr}): {TITLE.lower()} {aar}"


def national_title(aar: int) -> str:
    return f"Nasjonal oversikt: {TITLE.lower()} {aar}"


def synthetic_notice(meta: dict) -> str:
    if not meta.get("syntetisk"):
        return ""
    return (
        "**Syntetiske data.** Tallene i denne rapporten er laget fra et syntetisk demonstrasjonsuttrekk. "
        "De beskriver ingen virkelige personer, og de sier ingenting om tjenestene i kommunen."
    )


def suppression_text(meta: dict) -> str:
    t = int(meta.get("terskel", 5))
    small = f"1 til {t - 1}" if t > 2 else "1"
    return (
        f"**Skjulte tall (prikking).** For at ingen enkeltperson skal kunne kjennes igjen, vises ikke antall "
        f"fra {small}. De står som «:» i tabellene. Tallet 0 vises. I tillegg er enkelte andre tall skjult, "
        "slik at de skjulte tallene ikke kan regnes ut ved å trekke fra andre tall i summene (for eksempel "
        "totalen for kommunen, aldersgruppene, fylket eller landet). En andel vises bare når både antallet "
        "og nevneren vises. «\u2013» betyr at ingen har registrert behov, så andelen kan ikke beregnes."
    )


HIDDEN_LINE = (
    "«:» = skjult av personvernhensyn (prikket), se «Om tallene». "
    "«\u2013» = ingen med behov, andelen kan ikke beregnes."
)


def kostra_text(meta: dict) -> str:
    g = meta.get("kostragruppering") or {}
    text = g.get("merknad") or "KOSTRA-gruppering: ukjent kilde."
    if g.get("offisiell") is False:
        return f"\\* **Merk:** {esc(text)}"
    return esc(text)


def method_section(meta: dict, aar: int, extra: list[str] = ()) -> str:
    """``## Om tallene``: source, year, suppression, grouping, comparison method, synthetic data."""
    try:
        from kvi_core.comparison import METHOD_TEXT, WILSON_TEXT
    except ImportError:  # the report still works without the comparison module's texts
        METHOD_TEXT, WILSON_TEXT = "", ""
    years = meta.get("aar") or [aar]
    parts = [
        "## Om tallene",
        (
            f"**Kilde.** Individbasert pleie- og omsorgsstatistikk (IPLOS) i Kommunalt pasient- og "
            f"brukerregister (KPR), status per 31.12.{aar}. Uttrekket hadde {fmt_int(meta.get('rader_inn'))} "
            f"rader; {fmt_int(meta.get('rader_brukt'))} ble brukt og {fmt_int(meta.get('rader_avvist'))} "
            "ble avvist i kontrollen av uttrekket. "
            f"Resultatene er beregnet for {'årene' if len(years) > 1 else 'året'} "
            f"{', '.join(str(y) for y in years)}."
        ),
        (
            "**Hvem telles.** Nevneren er søkere og tjenestemottakere som er registrert med behov for "
            "tjenesten. De fordeles på fire kategorier etter om de mottar den: behov innfridd, delvis "
            "innfridd (udekket behov), ikke innfridd, og uten rapportering (ingen registrering av om de "
            "mottar tjenesten). Måltall a er andelen i prosent, måltall b er antallet."
        ),
        suppression_text(meta),
        kostra_text(meta),
    ]
    if WILSON_TEXT:
        parts.append(f"**Usikkerhet.** {WILSON_TEXT}")
    if METHOD_TEXT:
        parts.append(f"**Sammenligning med landet (barometer og traktplott).** {METHOD_TEXT}")
    parts.extend(extra)
    notice = synthetic_notice(meta)
    if notice:
        parts.append(notice)
    return "\n\n".join(parts)


def footer(meta: dict, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc).astimezone()
    sha = meta.get("input_sha256", "ukjent")
    return (
        "---\n\n"
        f"*Laget {now.strftime('%d.%m.%Y kl. %H:%M')} med kvi {esc(__version__)} "
        f"(tabellene beregnet med kvi {esc(meta.get('kvi_versjon', '?'))} {esc(meta.get('generert', ''))}). "
        f"Sjekksum (SHA-256) for inndata: {sha[:32]} {sha[32:]}.*"
    )
