"""Every bokmål sentence of the reports, in one place.

Statistics modules (``kvi_core.comparison``) return codes and numbers; the report modules
(``kommune``, ``nasjonal``, ``figures``, ``index``) put them in words from here. A word that names a
signal, a category, an age group or a funnel position exists once, in this file. Numbers come in
already formatted (``markdown.fmt_*``); Markdown in running text is escaped by the caller.
"""

from __future__ import annotations

from kvi_core import __version__
from kvi_core.comparison import UNCERTAIN_WIDTH

TITLE = "Kvalitetsindikatorer for deltakelse"
LAND_LABEL = "Hele landet"


def kommune_title(navn: str, kommunenr: str, aar: int) -> str:
    return f"{navn} ({kommunenr}): {TITLE.lower()} {aar}"


def national_title(aar: int) -> str:
    return f"Nasjonal oversikt: {TITLE.lower()} {aar}"


def fylke_label(navn: str) -> str:
    return f"{navn} (fylke)"


def kostra_label(code: str, unofficial: bool) -> str:
    return f"KOSTRA-gruppe {code[3:]}{'*' if unofficial else ''}"


# --- vocabulary ----------------------------------------------------------------------------------

CATEGORY_LABELS = {
    "innfridd": "Innfridd",
    "delvis": "Delvis innfridd",
    "ikke_innfridd": "Ikke innfridd",
    "uten_rapportering": "Uten rapportering",
}
AGE_LABELS = {"alle": "Alle aldre", "0-17": "0\u201317 år", "18-66": "18\u201366 år", "67+": "67 år og eldre"}

# The one signal rule (kvi_core.comparison.signal) in symbol and words. Symbols differ in shape,
# so that nothing is told by colour alone.
SIGNAL = {
    "tydelig_hoyere": ("\u25b2\u25b2", "tydelig høyere enn landet"),
    "hoyere": ("\u25b2", "høyere enn landet"),
    "som_landet": ("\u25cf", "som landet"),
    "usikkert": ("\u25c7", "usikkert (for få personer til å si)"),
    "lavere": ("\u25bc", "lavere enn landet"),
    "tydelig_lavere": ("\u25bc\u25bc", "tydelig lavere enn landet"),
    "skjult": ("\u25cb", "skjult (prikket)"),
    "ingen": ("\u2013", "ingen med behov"),
}
SIGNAL_ORDER = tuple(SIGNAL)


def signal_words(code: str, short: bool = False) -> str:
    """Symbol and words; ``short`` drops the explanation in brackets (for narrow table cells)."""
    symbol, words = SIGNAL[code]
    return f"{symbol} {words.split(' (')[0] if short else words}"


# --- method and everyday explanations ----------------------------------------------------------

INTERVAL_EVERYDAY = (
    "**Usikkerhet.** Når få personer har et behov, kan andelen endre seg mye av tilfeldige grunner fra "
    "år til år. Derfor viser vi et intervall (95 % konfidensintervall) rundt hver andel: den egentlige "
    "andelen ligger nesten alltid innenfor det. Jo færre personer, jo bredere intervall. Intervallet er "
    "regnet med Wilsons metode, som også virker for små tall og for andeler nær 0 % og 100 %."
)


def signal_everyday() -> str:
    width = f"{UNCERTAIN_WIDTH:.0f}".replace(".", ",")
    return (
        "**Signalet.** Vi sammenligner kommunens andel med landets. Er forskjellen større enn det tilfeldig "
        "variasjon kan forklare for en kommune med like mange personer, står det «høyere» eller «lavere» enn "
        "landet; er den svært stor (sjansen for at den er tilfeldig er under 1 av 500), står det «tydelig "
        "høyere» eller «tydelig lavere». Ellers står det «som landet», men bare når intervallet er smalere enn "
        f"{width} prosentpoeng. Er det bredere, vet vi for lite til å si om kommunen skiller seg fra landet, og "
        "da står det «usikkert». Samme regel gjelder i kommunerapportene, i den nasjonale oversikten og i "
        "variasjon.csv."
    )


FUNNEL_EVERYDAY = (
    "Traktplottet viser hver kommune som et punkt: andelen med behovet innfridd mot antallet personer med "
    "behov. Små kommuner varierer mer av tilfeldige grunner, derfor er grensene vide til venstre og smale "
    "til høyre, som en trakt. Et punkt utenfor de ytre grensene (99,8 %) skiller seg tydelig fra landet."
)

METHOD_TEXT = (
    "Kontrollgrensene er eksakte binomiske grenser etter Spiegelhalter (2005) rundt landsandelen p\u2080 for "
    "samme indikator og år: for en enhet med n personer med behov er nedre grense det antallet der den "
    "kumulative binomialfordelingen Bin(n, p\u2080) passerer 2,5 % (95 %-grensen) eller 0,1 % "
    "(99,8 %-grensen), med lineær interpolasjon mellom hele tall, delt på n; øvre grense er regnet på samme "
    "måte for dem som ikke fikk behovet innfridd. Enheter med skjulte tall får ingen plassering."
)


def synthetic_notice(meta: dict) -> str:
    if not meta.get("syntetisk"):
        return ""
    return (
        "**Syntetiske data.** Tallene er laget fra et syntetisk demonstrasjonsuttrekk. De beskriver ingen "
        "virkelige personer og sier ingenting om tjenestene i kommunene."
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


def kostra_text(meta: dict, escape) -> str:
    g = meta.get("kostragruppering") or {}
    text = g.get("merknad") or "KOSTRA-gruppering: ukjent kilde."
    if g.get("offisiell") is False:
        return f"\\* **Merk:** {escape(text)}"
    return escape(text)


def kostra_footnote(meta: dict) -> str:
    """One line under page 1's table when the KOSTRA grouping is not SSB's (the whole note is in «Om tallene»)."""
    if (meta.get("kostragruppering") or {}).get("offisiell") is not False:
        return ""
    return "\\* Ikke SSBs offisielle KOSTRA-gruppering, men en demonstrasjonsgruppering; se «Om tallene»."


BREAKS_LEAD = "**Brudd i tidsserien.**"


def source_text(aar: int, years: list[int]) -> str:
    # No row counts (read, used, rejected): for a small extract they would narrow hidden cells
    # (issue 10, item 4), and the published tables hold every count a reader needs.
    return (
        "**Kilde.** Individbasert pleie- og omsorgsstatistikk (IPLOS) i Kommunalt pasient- og brukerregister "
        f"(KPR), status per 31.12.{aar}. Rader i uttrekket som ikke besto kontrollen, er holdt utenfor og "
        "listet i en intern fil som ikke publiseres. "
        f"Resultatene er beregnet for {'årene' if len(years) > 1 else 'året'} {', '.join(map(str, years))}."
    )


WHO_IS_COUNTED = (
    "**Hvem telles.** Nevneren er søkere og tjenestemottakere som er registrert med behov for tjenesten. De "
    "fordeles på fire kategorier etter om de mottar den: behov innfridd, delvis innfridd (udekket behov), "
    "ikke innfridd, og uten rapportering (ingen registrering av om de mottar tjenesten). Måltall a er "
    "andelen i prosent, måltall b er antallet."
)

THREE_YEAR_METHOD = (
    "**Treårstall.** Der årets tall for en kommune er skjult fordi det gjelder få personer, viser rapporten "
    "tallet for de tre siste årene samlet (for eksempel 2022\u20132024). Da teller hver person med for hvert år "
    "hen var registrert. Treårstallene er prikket etter samme regler, sammen med årstallene."
)


def method_heading(appendix: bool = False) -> str:
    """«Om tallene»; in the kommune report the second appendix (after the four pages of the main body)."""
    return "## Vedlegg 2: Om tallene" if appendix else "## Om tallene"


def funnel_method_heading() -> str:
    return "**Kontrollgrensene (for spesielt interesserte).**"


def footer(meta: dict, escape) -> str:
    """The report is a function of the tables: it names their generation time, not the render time,
    so the same tables give the same bytes (issue 10, byte-stable outputs)."""
    sha = meta.get("input_sha256", "ukjent")
    return (
        f"*Laget med kvi {escape(__version__)} fra tabellene beregnet med kvi "
        f"{escape(meta.get('kvi_versjon', '?'))} {escape(meta.get('generert', ''))}. "
        f"Sjekksum (SHA-256) for inndata: {sha[:32]} {sha[32:]}.*"
    )


# --- kommune report -------------------------------------------------------------------------------


def kommune_intro(navn: str, aar: int) -> str:
    return (
        f"Fire nasjonale kvalitetsindikatorer for {navn} kommune i {aar}: får de som har behov for bistand eller "
        "transport for å delta i arbeid, utdanning, kultur og fritid, behovet innfridd? Figuren viser kommunens "
        "andel med behovet innfridd, med usikkerhet, sammenlignet med fylket, KOSTRA-gruppen og landet."
    )


BAROMETER_HOW_TO_READ = (
    "**Slik leser du figuren.** Den svarte ruteren er kommunens andel, og streken rundt den er intervallet der "
    "den egentlige andelen nesten sikkert ligger. Høyere andel innfridd er bedre. Signalet til høyre sier om "
    "kommunen skiller seg fra landet mer enn tilfeldig variasjon kan forklare (se «Om tallene»)."
)


def barometer_caption(navn: str, aar: int) -> str:
    return f"Andel med behovet innfridd i {navn}, sammenlignet med fylket, KOSTRA-gruppen og landet ({aar} eller siste treårsperiode)."


def period_label(headline: dict) -> str:
    """'2024' or '2022–2024 (tre år samlet)'."""
    if headline.get("periode"):
        return f"{headline['periode'].replace('-', chr(0x2013))} (tre år samlet)"
    return str(headline["aar"])


def summary_sentences(navn: str, groups: dict[str, list[str]], has_three: bool = True) -> list[str]:
    """Three or four plain sentences under the barometer. ``groups`` maps 'bedre', 'lavere', 'som',
    'usikkert', 'skjult', 'ingen', 'uten_rapportering' to indicator short titles."""
    out = []
    good, low, same = groups.get("bedre", []), groups.get("lavere", []), groups.get("som", [])
    if good:
        out.append(f"{navn} har høyere andel med behovet innfridd enn landet for {_list_lower(good)}.")
    if low:
        out.append(f"Andelen er lavere enn i landet for {_list_lower(low)}.")
    if same:
        out.append(f"For {_list_lower(same)} er kommunen på nivå med landet.")
    unsure = groups.get("usikkert", [])
    if unsure and not (good or low or same):
        out.append(f"Ingen av indikatorene viser en sikker forskjell mellom {navn} og landet.")
    if unsure:
        out.append(f"For {_list_lower(unsure)} er det for få personer til å si om kommunen skiller seg fra landet.")
    hidden = groups.get("skjult", [])
    if hidden:
        also = ", også for tre år samlet" if has_three else ""
        out.append(f"For {_list_lower(hidden)} er tallene skjult fordi de gjelder svært få personer{also}.")
    nobody = groups.get("ingen", [])
    if nobody:
        out.append(f"Ingen er registrert med behov for {_list_lower(nobody)}.")
    weak, known = groups.get("uten_rapportering", []), groups.get("registrering_kjent", [])
    if weak:
        out.append(
            f"Registreringen er svak for {_list_lower(weak)}: mange med behov mangler opplysning om de "
            "mottar tjenesten («uten rapportering»), så tallene er mer usikre."
        )
    elif known:
        out.append(
            f"Registreringen ser god ut for {_list_lower(known)}: få med behov mangler opplysning om de "
            "mottar tjenesten."
        )
    return out


def _list_lower(items: list[str]) -> str:
    items = [i[0].lower() + i[1:] if i else i for i in items]
    return norwegian_list(items)


def norwegian_list(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def headline_sentence(navn: str, headline: dict, fmt_pct, fmt_int) -> str:
    """The lead of an indicator section: the number shown, or why none is."""
    kind = headline["kind"]
    if kind == "aar":
        return (
            f"I {navn} fikk {fmt_pct(headline['andel'])} av de {fmt_int(headline['nevner'])} personene med "
            f"behov, behovet innfridd i {headline['aar']}."
        )
    if kind == "treaar":
        return (
            f"Tallet for {headline['aar']} alene er skjult fordi det gjelder få personer. For de tre årene "
            f"{headline['periode'].replace('-', chr(0x2013))} samlet fikk {fmt_pct(headline['andel'])} av "
            f"{fmt_int(headline['nevner'])} personår med behov, behovet innfridd."
        )
    if kind == "ingen":
        return f"Ingen i {navn} er registrert med dette behovet i {headline['aar']}."
    if headline.get("has_three"):
        return (
            f"Tallene for {navn} er skjult fordi de gjelder svært få personer, både for {headline['aar']} og for "
            "tre år samlet."
        )
    return f"Tallene for {navn} er skjult fordi de gjelder svært få personer."


def three_year_trend_sentence(earlier: list[tuple[str, str]]) -> str:
    """The earlier three-year figures of the kommune, e.g. [("2021-2023", "61,0 %")], oldest first."""
    if not earlier:
        return ""
    parts = [f"{v} for {p.replace('-', chr(0x2013))}" for p, v in earlier]
    return f"Til sammenligning var treårstallet {norwegian_list(parts)}."


def same_as_kommune(labels: list[str], navn: str) -> str:
    if not labels:
        return ""
    what = norwegian_list(labels)
    which = "egen sammenligning" if len(labels) == 1 else "egne sammenligninger"
    return f"{what} består av de samme personene som {navn} og er derfor ikke vist som {which}."


def unreported_sentence(navn: str, aar, me: dict, land: dict, fmt_pct) -> str:
    head = "**Datakvalitet: uten rapportering.** "
    # a hidden share (None, as for the kommune below) reads as a word in running text, not as ":"
    land_pct = FIG_HIDDEN if land.get("andel") is None else fmt_pct(land["andel"])
    if me.get("andel") is None:
        if me.get("nevner") == 0:
            return head + f"Ingen i {navn} er registrert med dette behovet i {aar}."
        return head + f"Andelen uten rapportering er skjult for {navn}. Landet: {land_pct}."
    compare = {
        "hoyere": " Det er høyere enn i landet, også når vi tar hensyn til tilfeldig variasjon.",
        "lavere": " Det er lavere enn i landet, også når vi tar hensyn til tilfeldig variasjon.",
        "som": " Forskjellen fra landet er innenfor tilfeldig variasjon.",
        None: "",
    }[me.get("sammenlignet")]
    return (
        head + f"For {fmt_pct(me['andel'])} av personene med behov i {navn} er det ikke registrert om de "
        f"mottar tjenesten (landet: {land_pct})."
        + compare
        + " Jo høyere denne andelen er, jo mer usikre er de andre tallene."
    )


def main_table_header(aar) -> list[str]:
    return [
        "Indikator",
        "Kommunen",
        "Intervall (95 %)",
        "Personer med behov",
        "Fylket",
        "KOSTRA-gruppen",
        "Landet",
        "Signal",
    ]


def main_table_caption(navn: str, aar: int) -> str:
    return f"Tallene bak figuren: andel med behovet innfridd (måltall 1, alle aldre), {navn} {aar}"


def categories_caption(tittel: str, navn: str, aar: int, compared: list[str]) -> str:
    return f"{tittel}: de fire kategoriene etter alder, {navn} sammenlignet med {norwegian_list(compared)}, {aar}."


COMPARATOR_WORDS = {"fylke": "fylket", "kostragruppe": "KOSTRA-gruppen", "land": "landet"}


def trend_caption(tittel: str, navn: str) -> str:
    return f"{tittel}: andel med behovet innfridd over tid, {navn}, fylket og landet."


def all_maltall_caption(navn: str, aar: int, kort_tittel: str) -> str:
    return f"{kort_tittel}: alle 16 måltall for {navn} {aar}"


ALL_MALTALL_HEADER = ["Måltall", "Kategori", "Alder", "a: andel (%)", "b: antall", "Nevner"]


def all_maltall_empty(kort_tittel: str, navn: str, aar: int, nobody: bool) -> str:
    if nobody:
        return f"**{kort_tittel}:** ingen i {navn} er registrert med dette behovet i {aar}, så alle 16 måltall er 0."
    return f"**{kort_tittel}:** alle 16 måltall for {navn} i {aar} er skjult eller 0."


def appendix_heading() -> str:
    return "## Vedlegg 3: Alle måltall"


APPENDIX_SUMMARY = "Vis alle 16 måltall for hver indikator"
# The kommune report's main body ends where its appendices begin: about the indicators, about the
# numbers, and all 16 måltall.
INDICATORS_ABOUT_HEADING = "## Vedlegg 1: Om indikatorene"
CODES_NOT_CONFIRMED = (
    "*Merk: kodene for denne indikatoren er ikke endelig bekreftet mot gjeldende kodeverk, og tallene er foreløpige.*"
)


def definition(tittel: str, definisjon: str, forbehold: str, confirmed: bool) -> str:
    out = f"**{tittel}.** {definisjon} *Forbehold:* {forbehold}"
    return out if confirmed else out + " " + CODES_NOT_CONFIRMED


def bydel_heading() -> str:
    return "## Bydeler"


def bydel_caption(aar: int) -> str:
    return f"Andel med behovet innfridd (måltall 1) per bydel, {aar}"


# --- breaks in a series (KLASS changes) --------------------------------------------------------


def break_kommune_split(new_name: str, old_name: str, date_text: str, year: int) -> str:
    return (
        f"{new_name} ble skilt ut fra {old_name} {date_text}; tall før {year} gjelder gamle {old_name} og kan "
        "ikke sammenlignes."
    )


def break_kommune_merged(name: str, parts: list[str], date_text: str, year: int) -> str:
    return (
        f"{name} ble slått sammen av {norwegian_list(parts)} {date_text}; tall før {year} gjelder et annet "
        "område og kan ikke sammenlignes."
    )


def break_fylke_divided(fylke: str, old: str, date_text: str, year: int) -> str:
    return (
        f"{fylke} ble skilt ut fra {old} {date_text}; fylkestall før {year} gjelder gamle {old} og kan ikke "
        "sammenlignes."
    )


def break_figure_note(year: int) -> str:
    """The one line under a trend figure whose series breaks (the sentences are on page 1)."""
    return f"Brudd: en region hadde en annen avgrensning før {year}; se «Brudd i tidsserien» først i rapporten."


def date_text(year: int) -> str:
    return f"1. januar {year}"


# --- figures -------------------------------------------------------------------------------------

FIG_HIDDEN = "skjult"
FIG_HIDDEN_ROW = "skjult (prikket)"
FIG_NOBODY = "ingen med behov"
FIG_TREND_NOTE = "Strekene viser 95 % konfidensintervall. Et år uten tall er et brudd i linjen."
BAROMETER_MARKS = {
    "kommune": "Kommunen (strek: intervall)",
    "fylke": "Fylket",
    "kostragruppe": "KOSTRA-gruppen",
    "land": "Landet",
}


def alt_categories(title: str, units: list[str], described: list[str]) -> str:
    cats = norwegian_list([v.lower() for v in CATEGORY_LABELS.values()])
    return (
        f"Liggende stolpediagram. {title}. Stolpene viser hvordan personene med behov fordeler seg på {cats}, "
        f"i prosent, for hver aldersgruppe og for {norwegian_list(units)}. " + " ".join(described)
    )


def alt_trend(title: str, span: str, labels: list[str], described: list[str], has_break: bool) -> str:
    return (
        f"Linjediagram. {title}, {span}: andelen med behovet innfridd (måltall 1, alle aldre) for "
        f"{norwegian_list(labels)}, med 95 % konfidensintervall. "
        + " ".join(described)
        + (
            " «Brudd» betyr at regionen hadde en annen avgrensning det året, så tallet kan ikke sammenlignes."
            if has_break
            else ""
        )
    )


def alt_barometer(navn: str, described: list[str]) -> str:
    return (
        f"Barometer for {navn}: for hver av de fire indikatorene kommunens andel med behovet innfridd med "
        "95 % konfidensintervall, og andelen i fylket, KOSTRA-gruppen og landet. " + " ".join(described)
    )


def position_text(posisjon) -> str:
    """A short phrase for a funnel position, for alt texts."""
    if posisjon is None or str(posisjon) in ("", "nan", "None"):
        return "uten plassering (skjult eller ingen med behov)"
    return {
        "innenfor": "innenfor kontrollgrensene",
        "over_95": "over 95 %-grensen (høyere enn landet)",
        "under_95": "under 95 %-grensen (lavere enn landet)",
        "over_998": "over 99,8 %-grensen (tydelig høyere enn landet)",
        "under_998": "under 99,8 %-grensen (tydelig lavere enn landet)",
    }[str(posisjon)]


# --- national overview ---------------------------------------------------------------------------

NATIONAL_INTRO = (
    "Oversikten viser de fire nasjonale kvalitetsindikatorene for deltakelse for hele landet, fylkene og "
    "KOSTRA-gruppene, og hvor mye kommunene varierer. Politiske aktører blir varslet hvis det er store "
    "variasjoner; derfor står alle kommuner og fylker som ligger tydelig over eller under landet (utenfor "
    "99,8 %-grensene), oppført med navn."
)


def outliers_none(tittel: str) -> str:
    return f"**{tittel}:** ingen kommuner eller fylker er tydelig høyere eller lavere enn landet."


def spread_sentence(n: int, med: str, q1: str, q3: str, lo: str, hi: str) -> str:
    return (
        f"Blant de {n} kommunene med viste tall er medianen {med}; halvparten av kommunene ligger mellom "
        f"{q1} og {q3}, og andelene går fra {lo} til {hi}."
    )


# --- index ---------------------------------------------------------------------------------------

INDEX_SEARCH_LABEL = "Søk etter kommune (navn eller nummer)"
INDEX_NATIONAL_HEADING = "Nasjonal oversikt"
INDEX_KOMMUNER_HEADING = "Kommunerapporter etter fylke"
INDEX_DATA_HEADING = "Datafiler"
INDEX_MISSING = "mangler (se manifest.json)"


def index_count(shown: int, total: int) -> str:
    return f"Viser {shown} av {total} kommuner."


def index_generated(when: str, version: str) -> str:
    return f"Laget {when} med kvi {version}."


NATIONAL_HOW_TO_READ = (
    "**Slik leser du figuren.** Den svarte streken er landets andel med behovet innfridd. Den grå boksen viser "
    "hvor den midterste halvparten av kommunene ligger, og de tynne strekene går fra laveste til høyeste "
    "kommune. Tallene til høyre er antall kommuner som ligger tydelig over eller under landet."
)
VARIATION_HEADING = "## Variasjon mellom kommuner"
OUTLIERS_HEADING = "## Kommuner og fylker tydelig over eller under landet"
OUTLIERS_INTRO = (
    "Alle kommuner og fylker som ligger utenfor 99,8 %-grensene i traktplottet, med andelen med "
    "behovet innfridd. Kommuner med skjulte tall får ingen plassering og står ikke her."
)
NO_VARIATION_FILE = "Variasjonstabellen (variasjon.csv) finnes ikke for dette året."
LAND_SUMMARY = "Vis alle 16 måltall for hele landet"
NEVNER_ROW = "Personer med behov (nevner)"
FYLKER_HEADING = "## Fylker"
KOSTRA_HEADING = "## KOSTRA-grupper"
NIVA_LABEL = {"fylke": "Fylke", "kostragruppe": "KOSTRA-gruppe"}


def national_figure_caption(aar: int) -> str:
    return f"Hele landet {aar}: andel med behovet innfridd, og spredningen mellom kommunene."


def national_table_caption(aar: int) -> str:
    return f"Hele landet {aar}: måltall 1 (innfridd) og 13 (uten rapportering), alle aldre"


def national_trend_heading() -> str:
    return "## Utviklingen i landet"


def national_trend_title(first: int, last: int) -> str:
    return f"Hele landet {first}\u2013{last}: andel med behovet innfridd"


def funnel_caption(tittel: str, aar: int) -> str:
    return f"{tittel}: traktplott over alle kommuner, {aar}."


def signal_count_caption(kort_tittel: str, aar: int) -> str:
    return f"{kort_tittel} {aar}: antall kommuner per signal"


def land_share_words(andel: str) -> str:
    return f"landet: {andel}"


def land_table_caption(kort_tittel: str, aar: int) -> str:
    return f"{kort_tittel}, hele landet {aar}: andel (antall), måltall 1\u201316"


def region_table_caption(what: str, aar: int) -> str:
    return f"Andel med behovet innfridd (personer med behov), {what} {aar}"


def appendix_heading_national() -> str:
    return "## Vedlegg: alle måltall for landet"


def alt_national(aar: int, described: list[str]) -> str:
    return (
        f"Figur over de fire indikatorene for hele landet {aar}: landets andel med behovet innfridd, "
        "spredningen mellom kommunene og antall kommuner tydelig over og under landet. " + " ".join(described)
    )


NATIONAL_MARKS = {"land": "Landet", "box": "Midterste halvpart av kommunene", "range": "Laveste til høyeste"}


def method_section(meta: dict, aar: int, esc, three_year: bool = False, appendix: bool = False) -> str:
    """The method section of the kommune report (an appendix there) and the national overview (the
    same text; the three-year paragraph where three-year figures are shown). ``esc`` escapes for
    Markdown."""
    years = meta.get("aar") or [aar]
    parts = [
        method_heading(appendix),
        source_text(aar, years),
        WHO_IS_COUNTED,
        suppression_text(meta),
        THREE_YEAR_METHOD if three_year else "",
        INTERVAL_EVERYDAY,
        signal_everyday(),
        f"{funnel_method_heading()} {METHOD_TEXT}",
        kostra_text(meta, esc),
        synthetic_notice(meta),
        footer(meta, esc),
    ]
    return "\n\n".join(p for p in parts if p)
