"""The reports' figures drawn as SVG: the barometer (page 1), the four categories by age group, and the
trend of måltall 1. (The national overview's funnel plot is matplotlib: ``kvi_core.comparison_plots``.)

Both are written as SVG directly: each is a few dozen rectangles, lines and labels, and a report
has eight of them, so drawing them with matplotlib (0.1-0.3 s a figure, mostly text layout) would
be most of a report's cost (about 1 ms each here). Text stays text (readable by screen readers in HTML); the font is
DejaVu Sans, which matplotlib ships and the Typst renderer is pointed at (``render.font_paths``).

Only published numbers are drawn. A hidden share is drawn as a hatched "skjult" part whose size is
what the published numbers already tell (100 % minus the shown shares of the same row).
Every function returns ``(svg_text, alt_text)``; the alt text states what the figure shows, with
the kommune's and the land's numbers.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from kvi_core.reporting import texts
from kvi_core.reporting.markdown import fmt_pct, is_missing
from kvi_core.reporting.texts import AGE_LABELS, CATEGORY_LABELS
from kvi_core.specs import AGE_GROUPS, CATEGORIES

# Okabe-Ito fills (colour-blind safe), each segment outlined in OUTLINE (at least 3:1 against white and
# every fill: WCAG 1.4.11), value labels in black (at least 5.4:1 on every fill). Colour is never the
# only carrier: segments have value labels, the legend follows the bar order, and a table has every number.
CATEGORY_COLOURS = {
    "innfridd": "#009E73",
    "delvis": "#E69F00",
    "ikke_innfridd": "#D55E00",
    "uten_rapportering": "#A6A6A6",
}
OUTLINE = "#333333"
HATCH = "#595959"  # 7:1 on white
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"


def _x(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg_open(width: float, height: float, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_x(width)} {_x(height)}" width="{_x(width)}" '
        f'height="{_x(height)}" font-family="{FONT}" font-size="11" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{_x(width)}" height="{_x(height)}" fill="#FFFFFF"/>',
    ]


def _wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return lines + ([cur] if cur else [])


# --- barometer (page 1) -----------------------------------------------------------------------------

# (shape, colour) for the comparators: told apart by shape, colours at least 3:1 against white
BAROMETER_MARKS = {
    "fylke": ("square", "#0072B2"),
    "kostragruppe": ("triangle", "#B35C00"),
    "land": ("bar", "#000000"),
}


def _mark(kind: str, x: float, y: float, colour: str, size: float = 5.0) -> str:
    if kind == "diamond":
        return (
            f'<path d="M{_x(x)} {_x(y - size - 1.5)} L{_x(x + size + 1.5)} {_x(y)} L{_x(x)} {_x(y + size + 1.5)} '
            f'L{_x(x - size - 1.5)} {_x(y)} Z" fill="{colour}" stroke="#FFFFFF" stroke-width="1"/>'
        )
    if kind == "square":
        return (
            f'<rect x="{_x(x - size + 0.5)}" y="{_x(y - size + 0.5)}" width="{_x(2 * size - 1)}" '
            f'height="{_x(2 * size - 1)}" fill="{colour}"/>'
        )
    if kind == "triangle":
        return (
            f'<path d="M{_x(x)} {_x(y - size)} L{_x(x + size)} {_x(y + size - 1)} L{_x(x - size)} {_x(y + size - 1)} Z" '
            f'fill="{colour}"/>'
        )
    if kind == "bar":
        return f'<rect x="{_x(x - 1.5)}" y="{_x(y - 11)}" width="3" height="22" fill="{colour}"/>'
    return f'<circle cx="{_x(x)}" cy="{_x(y)}" r="{_x(size)}" fill="{colour}"/>'


def _percent_axis(x_of, y_top: float, y_end: float) -> list[str]:
    """Grid lines and labels at 0, 25, 50, 75 and 100 % (the barometer and the national overview)."""
    out = []
    for p in (0, 25, 50, 75, 100):
        out.append(f'<line x1="{_x(x_of(p))}" y1="{_x(y_top)}" x2="{_x(x_of(p))}" y2="{_x(y_end)}" stroke="#DDDDDD"/>')
        out.append(f'<text x="{_x(x_of(p))}" y="{_x(y_end + 16)}" text-anchor="middle" font-size="10">{p} %</text>')
    return out


def _row_head(i: int, y0: float, width: float, title: str, title_y: float) -> list[str]:
    """A row of a percent chart: a rule above it (not above the first) and its title in two lines."""
    out = [f'<line x1="0" y1="{_x(y0)}" x2="{_x(width)}" y2="{_x(y0)}" stroke="#BBBBBB"/>'] if i else []
    for j, line in enumerate(_wrap(title, 26)[:2]):
        out.append(f'<text x="4" y="{_x(y0 + title_y + 14 * j)}" font-weight="bold">{escape(line)}</text>')
    return out


def barometer(rows: list[dict], navn: str) -> tuple[str, str]:
    """Page 1: one row per indicator with the kommune's share and 95 % interval (black diamond and
    line), marks for fylke (square), KOSTRA group (triangle) and land (vertical bar), the figure's
    period, and the signal in symbol and words.

    ``rows``: dicts with ``title`` (short indicator title), ``andel``/``lo``/``hi`` (kommune; None when
    hidden), ``period`` (label of the period shown), ``marks`` ({'fylke'|'kostragruppe'|'land': share
    or None}), ``signal`` (a code of ``texts.SIGNAL``), ``missing`` (words when the kommune has no number).
    """
    W, left, axis_w, top, row_h = 720.0, 190.0, 330.0, 46.0, 50.0
    right_x = left + axis_w + 22
    height = top + row_h * len(rows) + 30
    title = f"{navn}: andel med behovet innfridd"
    out = _svg_open(W, height, title)

    def X(v: float) -> float:
        return left + axis_w * float(v) / 100

    # legend
    lx = 4.0
    items = [("diamond", "#000000", texts.BAROMETER_MARKS["kommune"])] + [
        (shape, colour, texts.BAROMETER_MARKS[k]) for k, (shape, colour) in BAROMETER_MARKS.items()
    ]
    for shape, colour, label in items:
        out.append(
            _mark(shape, lx + 7, 16, colour, 5)
            if shape != "bar"
            else f'<rect x="{_x(lx + 5.5)}" y="7" width="3" height="18" fill="{colour}"/>'
        )
        if shape == "diamond":
            out.append(
                f'<line x1="{_x(lx - 2)}" y1="16" x2="{_x(lx + 16)}" y2="16" stroke="#000000" stroke-width="2"/>'
            )
        out.append(f'<text x="{_x(lx + 20)}" y="20">{escape(label)}</text>')
        lx += 20 + 6.3 * len(label) + 18
    # grid and axis
    y_end = top + row_h * len(rows)
    out += _percent_axis(X, top - 6, y_end)
    out.append(f'<text x="{_x(right_x)}" y="{_x(top - 10)}" font-weight="bold">Signal</text>')
    described = []
    for i, r in enumerate(rows):
        y0 = top + i * row_h
        cy = y0 + row_h / 2
        out += _row_head(i, y0, W, r["title"], 17)
        value = "" if is_missing(r["andel"]) else fmt_pct(r["andel"])
        out.append(
            f'<text x="4" y="{_x(y0 + 44)}" font-size="10.5">{escape(value)}'
            f"{' ' if value else ''}{escape(r['period'])}</text>"
        )
        for k, (shape, colour) in BAROMETER_MARKS.items():
            v = r["marks"].get(k)
            if not is_missing(v):
                out.append(_mark(shape, X(v), cy, colour))
        if is_missing(r["andel"]):
            out.append(
                f'<text x="{_x(left + 6)}" y="{_x(cy - 12)}" font-style="italic" font-size="10.5">'
                f"{escape(r['missing'])}</text>"
            )
        else:
            if not (is_missing(r["lo"]) or is_missing(r["hi"])):
                out.append(
                    f'<line x1="{_x(X(r["lo"]))}" y1="{_x(cy)}" x2="{_x(X(r["hi"]))}" y2="{_x(cy)}" '
                    'stroke="#000000" stroke-width="3"/>'
                )
            out.append(_mark("diamond", X(r["andel"]), cy, "#000000", 5.5))
        symbol, words = texts.SIGNAL[r["signal"]]
        out.append(f'<text x="{_x(right_x)}" y="{_x(y0 + 22)}" font-size="13" font-weight="bold">{symbol}</text>')
        for j, line in enumerate(_wrap(words, 20)[:3]):
            out.append(f'<text x="{_x(right_x + 30)}" y="{_x(y0 + 21 + 13 * j)}">{escape(line)}</text>')
        marks = ", ".join(
            f"{texts.BAROMETER_MARKS[k].lower()} {fmt_pct(v)}" for k, v in r["marks"].items() if not is_missing(v)
        )
        me = (
            f"{fmt_pct(r['andel'])} ({escape(r['period'])}, intervall {fmt_pct(r['lo'])} til {fmt_pct(r['hi'])})"
            if not is_missing(r["andel"])
            else r["missing"]
        )
        described.append(f"{r['title']}: {me}; {marks}; {words}.")
    out.append("</svg>")
    return "\n".join(out), texts.alt_barometer(navn, described)


# --- the four categories by age -----------------------------------------------------------------------


def categories_by_age(
    shares: dict[str, dict[tuple[str, str], float | None]],
    nevner: dict[str, dict[str, int | None]],
    labels: dict[str, str],
    title: str,
) -> tuple[str, str]:
    """Stacked bars (0-100 %) of the four categories, one bar per unit and age group.

    ``shares[unit][(aldersgruppe, kategori)]`` is the published andel (None when hidden),
    ``nevner[unit][aldersgruppe]`` the published nevner (None when hidden), ``labels[unit]`` the
    unit's name on the axis, in the order the bars are drawn (first = the kommune).

    Segments keep the category order in every bar. Hidden categories are one hatched "skjult"
    segment in the place of the first hidden one, as wide as the published numbers tell (100 %
    minus the shown shares of the bar); the shown ones after it keep their order.
    """
    units = list(labels)
    W, left, right = 900.0, 200.0, 16.0
    bar_w = W - left - right
    row_h, bar_h, head_h, gap = 14.0, 11.0, 15.0, 3.0
    top = 50.0
    height = top + len(AGE_GROUPS) * (head_h + row_h * len(units) + gap) + 22.0
    out = _svg_open(W, height, title)
    out.insert(
        2,
        '<defs><pattern id="skjult" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#FFFFFF"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH}" stroke-width="1.5"/></pattern></defs>',
    )
    out.append(f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>')
    lx = left
    for kat in list(CATEGORIES) + ["skjult"]:
        fill = "url(#skjult)" if kat == "skjult" else CATEGORY_COLOURS[kat]
        label = texts.FIG_HIDDEN.capitalize() if kat == "skjult" else CATEGORY_LABELS[kat]
        out.append(
            f'<rect x="{_x(lx)}" y="25" width="12" height="12" fill="{fill}" stroke="{OUTLINE}" stroke-width="0.8"/>'
        )
        out.append(f'<text x="{_x(lx + 16)}" y="35.5">{escape(label)}</text>')
        lx += 16 + 6.6 * len(label) + 18
    y_end = height - 22
    for p in (0, 25, 50, 75, 100):
        gx = left + bar_w * p / 100
        out.append(f'<line x1="{_x(gx)}" y1="{_x(top - 4)}" x2="{_x(gx)}" y2="{_x(y_end)}" stroke="#DDDDDD"/>')
        out.append(f'<text x="{_x(gx)}" y="{_x(y_end + 14)}" text-anchor="middle" font-size="10">{p} %</text>')

    def seg(x: float, w: float, cy: float, fill: str, label: str) -> list[str]:
        parts = [
            f'<rect x="{_x(x)}" y="{_x(cy)}" width="{_x(w)}" height="{_x(bar_h)}" fill="{fill}" '
            f'stroke="{OUTLINE}" stroke-width="0.8"/>'
        ]
        if label and w >= 6.6 * len(label) + 6:
            halo = ' stroke="#FFFFFF" stroke-width="3" paint-order="stroke"' if fill.startswith("url") else ""
            parts.append(
                f'<text x="{_x(x + w / 2)}" y="{_x(cy + bar_h - 2.5)}" text-anchor="middle" '
                f'font-size="10" fill="#000000"{halo}>{escape(label)}</text>'
            )
        return parts

    y = top
    for age in AGE_GROUPS:
        out.append(f'<text x="4" y="{_x(y + 12)}" font-weight="bold">{escape(AGE_LABELS[age])}</text>')
        y += head_h
        for u in units:
            cy = y + (row_h - bar_h) / 2
            label = labels[u] if len(labels[u]) <= 28 else labels[u][:27] + "\u2026"
            weight = ' font-weight="bold"' if u == units[0] else ""
            out.append(f'<text x="14" y="{_x(cy + bar_h - 2)}"{weight}>{escape(label)}</text>')
            n = nevner[u].get(age)
            if is_missing(n) or int(n) == 0:
                text = texts.FIG_HIDDEN_ROW if is_missing(n) else texts.FIG_NOBODY
                out.append(f'<text x="{_x(left + 4)}" y="{_x(cy + bar_h - 2)}" font-style="italic">{text}</text>')
                y += row_h
                continue
            vals = {k: shares[u].get((age, k)) for k in CATEGORIES}
            rest = 100.0 - sum(float(v) for v in vals.values() if not is_missing(v))
            x, hidden_drawn = left, False
            for kat in CATEGORIES:
                v = vals[kat]
                if is_missing(v):
                    if not hidden_drawn and rest > 0.05:
                        w = bar_w * rest / 100
                        out += seg(x, w, cy, "url(#skjult)", texts.FIG_HIDDEN)
                        x += w
                    hidden_drawn = True
                    continue
                if float(v) <= 0:
                    continue
                w = bar_w * float(v) / 100
                out += seg(x, w, cy, CATEGORY_COLOURS[kat], f"{float(v):.0f}")
                x += w
            y += row_h
        y += gap
    out.append("</svg>")

    def describe(u: str) -> str:
        parts = []
        for age in AGE_GROUPS:
            n = nevner[u].get(age)
            if is_missing(n):
                parts.append(f"{AGE_LABELS[age].lower()} {texts.FIG_HIDDEN}")
            elif int(n) == 0:
                parts.append(f"{AGE_LABELS[age].lower()} {texts.FIG_NOBODY}")
            else:
                cats = []
                for k in CATEGORIES:
                    v = shares[u].get((age, k))
                    cats.append(f"{CATEGORY_LABELS[k].lower()} {texts.FIG_HIDDEN if is_missing(v) else fmt_pct(v)}")
                parts.append(f"{AGE_LABELS[age].lower()}: " + ", ".join(cats))
        return f"{labels[u]}: " + "; ".join(parts) + "."

    described = [describe(units[0])] + ([describe(units[-1])] if len(units) > 1 else [])
    return "\n".join(out), texts.alt_categories(title, [labels[u] for u in units], described)


# --- trend ----------------------------------------------------------------------------------------

TREND_STYLES = (  # (colour, marker, dash) for kommune, fylke, land (and a fourth series in the national
    ("#B35C00", "diamond", ""),  # trend): told apart by marker and dash too; colours at least 3:1 on white
    ("#0072B2", "square", "6 3"),
    ("#000000", "circle", "2 3"),
    ("#AA3377", "triangle", "8 2 2 2"),
)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "diamond":
        return (
            f'<path d="M{_x(x)} {_x(y - 6)} L{_x(x + 6)} {_x(y)} L{_x(x)} {_x(y + 6)} L{_x(x - 6)} {_x(y)} Z" '
            f'fill="{colour}" stroke="#000000" stroke-width="0.7"/>'
        )
    if kind == "square":
        return (
            f'<rect x="{_x(x - 4.5)}" y="{_x(y - 4.5)}" width="9" height="9" fill="{colour}" '
            'stroke="#000000" stroke-width="0.7"/>'
        )
    if kind == "triangle":
        return (
            f'<path d="M{_x(x)} {_x(y - 6)} L{_x(x + 6)} {_x(y + 4.5)} L{_x(x - 6)} {_x(y + 4.5)} Z" '
            f'fill="{colour}" stroke="#000000" stroke-width="0.7"/>'
        )
    return f'<circle cx="{_x(x)}" cy="{_x(y)}" r="4.5" fill="{colour}" stroke="#000000" stroke-width="0.7"/>'


def trend(series: list[dict], years: list[int], title: str, notes: list[str] = ()) -> tuple[str, str]:
    """Måltall 1 over the years for up to three series (kommune, fylke, land), with their 95 %
    intervals as whiskers. A year whose number is hidden or not comparable (``brudd``: the region
    had another extent) is a gap in the line; ``notes`` (break sentences) are written under it.

    ``series``: dicts with ``label`` and per year ``andel``, ``lo``, ``hi`` (None when missing) and
    ``status`` ('' | 'prikket' | 'brudd' | 'mangler'), all lists in the order of ``years``.
    """
    W, left, right, top = 900.0, 52.0, 16.0, 46.0
    plot_h = 104.0
    notes = list(notes) + [
        f"{s['label']}: " + ", ".join(f"{y} {st}" for y, st in zip(years, s["status"]) if st and st != "brudd")
        for s in series
        if any(st and st != "brudd" for st in s["status"])
    ]
    height = top + plot_h + 32 + 14 * len(notes) + 6
    pw = W - left - right
    n = len(years)

    def X(i: int, k: int) -> float:
        return left + pw * (i + 0.5) / n + (k - 1) * 9

    def Y(v: float) -> float:
        return top + plot_h * (1 - v / 100)

    out = _svg_open(W, height, title)
    out.append(f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>')
    lx = left
    for s, (colour, marker, dash) in zip(series, TREND_STYLES):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{_x(lx)}" y1="31" x2="{_x(lx + 26)}" y2="31" stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        out.append(_marker(marker, lx + 13, 31, colour))
        out.append(f'<text x="{_x(lx + 32)}" y="35">{escape(s["label"])}</text>')
        lx += 32 + 6.6 * len(s["label"]) + 22
    for v in (0, 25, 50, 75, 100):
        out.append(f'<line x1="{_x(left)}" y1="{_x(Y(v))}" x2="{_x(W - right)}" y2="{_x(Y(v))}" stroke="#DDDDDD"/>')
        out.append(f'<text x="{_x(left - 6)}" y="{_x(Y(v) + 4)}" text-anchor="end" font-size="10">{v} %</text>')
    for i, y in enumerate(years):
        out.append(
            f'<text x="{_x(X(i, 1))}" y="{_x(top + plot_h + 16)}" text-anchor="middle" font-size="10">{y}</text>'
        )
    for k, (s, (colour, marker, dash)) in enumerate(zip(series, TREND_STYLES)):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for i in range(n - 1):  # a line only between two neighbouring years that both have a number
            a, b = s["andel"][i], s["andel"][i + 1]
            if not (is_missing(a) or is_missing(b)):
                out.append(
                    f'<line x1="{_x(X(i, k))}" y1="{_x(Y(a))}" x2="{_x(X(i + 1, k))}" y2="{_x(Y(b))}" '
                    f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
                )
        for i in range(n):
            a, lo, hi = s["andel"][i], s["lo"][i], s["hi"][i]
            if is_missing(a):
                continue
            if not (is_missing(lo) or is_missing(hi)):
                out.append(
                    f'<line x1="{_x(X(i, k))}" y1="{_x(Y(lo))}" x2="{_x(X(i, k))}" y2="{_x(Y(hi))}" '
                    f'stroke="{colour}" stroke-width="1.2"/>'
                )
                for v in (lo, hi):
                    out.append(
                        f'<line x1="{_x(X(i, k) - 3)}" y1="{_x(Y(v))}" x2="{_x(X(i, k) + 3)}" '
                        f'y2="{_x(Y(v))}" stroke="{colour}" stroke-width="1.2"/>'
                    )
            out.append(_marker(marker, X(i, k), Y(a), colour))
            if k == 0:
                out.append(
                    f'<text x="{_x(X(i, k) - 8)}" y="{_x(Y(a) + 4)}" text-anchor="end" font-size="10" '
                    f'font-weight="bold" stroke="#FFFFFF" stroke-width="3" paint-order="stroke">'
                    f"{fmt_pct(a, unit=False)}</text>"
                )
    y = top + plot_h + 32
    out.append(f'<text x="4" y="{_x(y)}" font-size="10">{escape(texts.FIG_TREND_NOTE)}</text>')
    for note in notes:
        y += 14
        out.append(f'<text x="4" y="{_x(y)}" font-size="10" font-style="italic">{escape(note)}</text>')
    out.append("</svg>")

    def describe(s: dict) -> str:
        vals = [
            f"{y} {fmt_pct(a) if not is_missing(a) else (st or 'mangler')}"
            for y, a, st in zip(years, s["andel"], s["status"])
        ]
        return f"{s['label']}: " + ", ".join(vals) + "."

    span = f"{years[0]}\u2013{years[-1]}" if n > 1 else str(years[0])
    alt = texts.alt_trend(
        title,
        span,
        [s["label"] for s in series],
        [describe(s) for s in series] + list(notes[:0]),
        any("brudd" in s["status"] for s in series),
    )
    return "\n".join(out), alt


# --- the national overview's page 1 -------------------------------------------------------------


def national_overview(rows: list[dict], aar: int) -> tuple[str, str]:
    """One row per indicator: land's share (black bar with its value), the kommuner's spread (grey box
    from the lower to the upper quartile with the median, whiskers from the lowest to the highest),
    and the number of kommuner clearly above (▲▲) and below (▼▼) land.

    ``rows``: dicts with ``title``, ``land`` (share or None), ``quartiles`` ((min, q1, median, q3, max)
    or None), ``over`` and ``under`` (counts)."""
    W, left, axis_w, top, row_h = 720.0, 190.0, 360.0, 44.0, 52.0
    right_x = left + axis_w + 24
    height = top + row_h * len(rows) + 30
    title = f"Hele landet {aar}"
    out = _svg_open(W, height, title)

    def X(v: float) -> float:
        return left + axis_w * float(v) / 100

    out.append(
        f'<rect x="4" y="8" width="3" height="16" fill="#000000"/><text x="14" y="20">{texts.NATIONAL_MARKS["land"]}</text>'
    )
    out.append(
        f'<rect x="80" y="9" width="26" height="14" fill="#D9D9D9" stroke="{OUTLINE}"/>'
        f'<text x="112" y="20">{texts.NATIONAL_MARKS["box"]}</text>'
    )
    out.append(
        f'<line x1="330" y1="16" x2="356" y2="16" stroke="{OUTLINE}" stroke-width="1.5"/>'
        f'<text x="362" y="20">{texts.NATIONAL_MARKS["range"]}</text>'
    )
    y_end = top + row_h * len(rows)
    out += _percent_axis(X, top - 4, y_end)
    out.append(
        f'<text x="{_x(right_x)}" y="{_x(top - 8)}" font-weight="bold" font-size="10">'
        f"{escape(texts.SIGNAL['tydelig_hoyere'][0])} / {escape(texts.SIGNAL['tydelig_lavere'][0])} kommuner</text>"
    )
    described = []
    for i, r in enumerate(rows):
        y0 = top + i * row_h
        cy = y0 + row_h / 2
        out += _row_head(i, y0, W, r["title"], 18)
        q = r["quartiles"]
        if q is not None:
            mn, q1, med, q3, mx = q
            out.append(
                f'<line x1="{_x(X(mn))}" y1="{_x(cy)}" x2="{_x(X(mx))}" y2="{_x(cy)}" stroke="{OUTLINE}" stroke-width="1.5"/>'
            )
            out.append(
                f'<rect x="{_x(X(q1))}" y="{_x(cy - 8)}" width="{_x(max(X(q3) - X(q1), 1))}" height="16" '
                f'fill="#D9D9D9" stroke="{OUTLINE}"/>'
            )
            out.append(
                f'<line x1="{_x(X(med))}" y1="{_x(cy - 8)}" x2="{_x(X(med))}" y2="{_x(cy + 8)}" stroke="{OUTLINE}"/>'
            )
        if not is_missing(r["land"]):
            out.append(f'<rect x="{_x(X(r["land"]) - 1.5)}" y="{_x(cy - 14)}" width="3" height="28" fill="#000000"/>')
            out.append(
                f'<text x="{_x(X(r["land"]))}" y="{_x(cy - 16)}" text-anchor="middle" font-size="10" '
                f'font-weight="bold" stroke="#FFFFFF" stroke-width="3" paint-order="stroke">{fmt_pct(r["land"])}</text>'
            )
        out.append(
            f'<text x="{_x(right_x)}" y="{_x(cy + 4)}">{escape(texts.SIGNAL["tydelig_hoyere"][0])} {r["over"]}   '
            f"{escape(texts.SIGNAL['tydelig_lavere'][0])} {r['under']}</text>"
        )
        spread = (
            f"kommunene fra {fmt_pct(q[0])} til {fmt_pct(q[4])}, midterste halvpart {fmt_pct(q[1])} til {fmt_pct(q[3])}"
            if q is not None
            else "kommunene skjult"
        )
        described.append(
            f"{r['title']}: landet {fmt_pct(r['land'])}; {spread}; {r['over']} kommuner tydelig høyere "
            f"og {r['under']} tydelig lavere."
        )
    out.append("</svg>")
    return "\n".join(out), texts.alt_national(aar, described)
