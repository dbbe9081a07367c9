"""The kommune report's figures: the four categories by age group, and the trend of måltall 1.

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

from kvi_core.reporting.markdown import fmt_pct, is_missing, norwegian_list
from kvi_core.specs import AGE_GROUPS, CATEGORIES

# Okabe-Ito (colour-blind safe). Colour is never the only carrier: segments have value labels,
# the legend follows the bar order, and the table beside the figure has every number.
CATEGORY_COLOURS = {
    "innfridd": "#009E73",
    "delvis": "#E69F00",
    "ikke_innfridd": "#D55E00",
    "uten_rapportering": "#A6A6A6",
}
CATEGORY_LABELS = {
    "innfridd": "Innfridd",
    "delvis": "Delvis innfridd",
    "ikke_innfridd": "Ikke innfridd",
    "uten_rapportering": "Uten rapportering",
}
TEXT_COLOURS = {"innfridd": "#FFFFFF", "delvis": "#000000", "ikke_innfridd": "#000000", "uten_rapportering": "#000000"}
AGE_LABELS = {"alle": "Alle aldre", "0-17": "0\u201317 år", "18-66": "18\u201366 år", "67+": "67 år og eldre"}
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"


def _x(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


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
    """
    units = list(labels)
    W, left, right = 720.0, 200.0, 16.0
    bar_w = W - left - right
    row_h, bar_h, head_h, gap = 19.0, 14.0, 20.0, 8.0
    top = 62.0
    height = top + len(AGE_GROUPS) * (head_h + row_h * len(units) + gap) + 26.0
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_x(W)} {_x(height)}" width="{_x(W)}" '
        f'height="{_x(height)}" font-family="{FONT}" font-size="11" role="img">',
        f"<title>{escape(title)}</title>",
        '<defs><pattern id="skjult" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#FFFFFF"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#888888" stroke-width="1.5"/></pattern></defs>',
        f'<rect width="{_x(W)}" height="{_x(height)}" fill="#FFFFFF"/>',
        f'<text x="4" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    # legend, in bar order
    lx = left
    for kat in CATEGORIES:
        out.append(f'<rect x="{_x(lx)}" y="30" width="12" height="12" fill="{CATEGORY_COLOURS[kat]}"/>')
        out.append(f'<text x="{_x(lx + 16)}" y="40.5">{escape(CATEGORY_LABELS[kat])}</text>')
        lx += 16 + 6.6 * len(CATEGORY_LABELS[kat]) + 18
    # grid
    y_end = height - 26
    for p in (0, 25, 50, 75, 100):
        gx = left + bar_w * p / 100
        out.append(f'<line x1="{_x(gx)}" y1="{_x(top - 4)}" x2="{_x(gx)}" y2="{_x(y_end)}" stroke="#DDDDDD"/>')
        out.append(f'<text x="{_x(gx)}" y="{_x(y_end + 15)}" text-anchor="middle" font-size="10">{p} %</text>')
    y = top
    for age in AGE_GROUPS:
        out.append(f'<text x="4" y="{_x(y + 14)}" font-weight="bold">{escape(AGE_LABELS[age])}</text>')
        y += head_h
        for u in units:
            cy = y + (row_h - bar_h) / 2
            label = labels[u] if len(labels[u]) <= 28 else labels[u][:27] + "\u2026"
            weight = ' font-weight="bold"' if u == units[0] else ""
            out.append(f'<text x="14" y="{_x(cy + bar_h - 3)}"{weight}>{escape(label)}</text>')
            n = nevner[u].get(age)
            if is_missing(n) or int(n) == 0:
                text = "skjult (prikket)" if is_missing(n) else "ingen med behov"
                out.append(f'<text x="{_x(left + 4)}" y="{_x(cy + bar_h - 3)}" font-style="italic">{text}</text>')
                y += row_h
                continue
            x = left
            for kat in CATEGORIES:
                v = shares[u].get((age, kat))
                if is_missing(v) or float(v) <= 0:
                    continue
                w = bar_w * float(v) / 100
                out.append(f'<rect x="{_x(x)}" y="{_x(cy)}" width="{_x(w)}" height="{_x(bar_h)}" '
                           f'fill="{CATEGORY_COLOURS[kat]}" stroke="#FFFFFF" stroke-width="0.8"/>')
                if float(v) >= 6:
                    out.append(f'<text x="{_x(x + w / 2)}" y="{_x(cy + bar_h - 3)}" text-anchor="middle" '
                               f'font-size="10" fill="{TEXT_COLOURS[kat]}">{float(v):.0f}</text>')
                x += w
            rest = left + bar_w - x
            if rest > 0.5:  # hidden categories: the rest of the row, known from the published numbers
                out.append(f'<rect x="{_x(x)}" y="{_x(cy)}" width="{_x(rest)}" height="{_x(bar_h)}" '
                           'fill="url(#skjult)" stroke="#888888" stroke-width="0.6"/>')
                if rest >= 44:
                    out.append(f'<text x="{_x(x + rest / 2)}" y="{_x(cy + bar_h - 3)}" text-anchor="middle" '
                               'font-size="10" font-style="italic" stroke="#FFFFFF" stroke-width="3" '
                               'paint-order="stroke">skjult</text>')
            y += row_h
        y += gap
    out.append("</svg>")

    def describe(u: str) -> str:
        parts = []
        for age in AGE_GROUPS:
            n = nevner[u].get(age)
            if is_missing(n):
                parts.append(f"{AGE_LABELS[age].lower()} skjult")
            elif int(n) == 0:
                parts.append(f"{AGE_LABELS[age].lower()} ingen med behov")
            else:
                cats = []
                for k in CATEGORIES:
                    v = shares[u].get((age, k))
                    cats.append(f"{CATEGORY_LABELS[k].lower()} {'skjult' if is_missing(v) else fmt_pct(v)}")
                parts.append(f"{AGE_LABELS[age].lower()}: " + ", ".join(cats))
        return f"{labels[u]}: " + "; ".join(parts) + "."

    alt = (
        f"Liggende stolpediagram. {title}. Stolpene viser hvordan personene med behov fordeler seg på "
        f"{norwegian_list([CATEGORY_LABELS[k].lower() for k in CATEGORIES])}, i prosent, for hver "
        f"aldersgruppe og for {norwegian_list([labels[u] for u in units])}. "
        + describe(units[0]) + (" " + describe(units[-1]) if len(units) > 1 else "")
    )
    return "\n".join(out), alt


# --- trend ----------------------------------------------------------------------------------------

TREND_STYLES = (  # (colour, marker, dash) for kommune, fylke, land: told apart by marker and dash too
    ("#E69F00", "diamond", ""),
    ("#0072B2", "square", "6 3"),
    ("#000000", "circle", "2 3"),
)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "diamond":
        return (f'<path d="M{_x(x)} {_x(y - 6)} L{_x(x + 6)} {_x(y)} L{_x(x)} {_x(y + 6)} L{_x(x - 6)} {_x(y)} Z" '
                f'fill="{colour}" stroke="#000000" stroke-width="0.7"/>')
    if kind == "square":
        return (f'<rect x="{_x(x - 4.5)}" y="{_x(y - 4.5)}" width="9" height="9" fill="{colour}" '
                'stroke="#000000" stroke-width="0.7"/>')
    return f'<circle cx="{_x(x)}" cy="{_x(y)}" r="4.5" fill="{colour}" stroke="#000000" stroke-width="0.7"/>'


def trend(series: list[dict], years: list[int], title: str) -> tuple[str, str]:
    """Måltall 1 over the years for up to three series (kommune, fylke, land), with their 95 %
    intervals as whiskers. A year whose number is hidden or not comparable (``brudd``: the region
    had another extent) is a gap in the line, and said so in words under the chart.

    ``series``: dicts with ``label`` and per year ``andel``, ``lo``, ``hi`` (None when missing) and
    ``status`` ('' | 'prikket' | 'brudd' | 'mangler'), all lists in the order of ``years``.
    """
    W, left, right, top = 720.0, 52.0, 16.0, 58.0
    plot_h = 190.0
    notes = [f"{s['label']}: " + ", ".join(f"{y} {st}" for y, st in zip(years, s["status"]) if st)
             for s in series if any(s["status"])]
    height = top + plot_h + 34 + 15 * len(notes) + 6
    pw = W - left - right
    n = len(years)

    def X(i: int, k: int) -> float:
        return left + pw * (i + 0.5) / n + (k - 1) * 9

    def Y(v: float) -> float:
        return top + plot_h * (1 - v / 100)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_x(W)} {_x(height)}" width="{_x(W)}" '
        f'height="{_x(height)}" font-family="{FONT}" font-size="11" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{_x(W)}" height="{_x(height)}" fill="#FFFFFF"/>',
        f'<text x="4" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    lx = left
    for s, (colour, marker, dash) in zip(series, TREND_STYLES):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{_x(lx)}" y1="36" x2="{_x(lx + 26)}" y2="36" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        out.append(_marker(marker, lx + 13, 36, colour))
        out.append(f'<text x="{_x(lx + 32)}" y="40">{escape(s["label"])}</text>')
        lx += 32 + 6.6 * len(s["label"]) + 22
    for v in (0, 25, 50, 75, 100):
        out.append(f'<line x1="{_x(left)}" y1="{_x(Y(v))}" x2="{_x(W - right)}" y2="{_x(Y(v))}" stroke="#DDDDDD"/>')
        out.append(f'<text x="{_x(left - 6)}" y="{_x(Y(v) + 4)}" text-anchor="end" font-size="10">{v} %</text>')
    for i, y in enumerate(years):
        out.append(f'<text x="{_x(X(i, 1))}" y="{_x(top + plot_h + 16)}" text-anchor="middle" font-size="10">{y}</text>')
    for k, (s, (colour, marker, dash)) in enumerate(zip(series, TREND_STYLES)):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for i in range(n - 1):  # a line only between two neighbouring years that both have a number
            a, b = s["andel"][i], s["andel"][i + 1]
            if not (is_missing(a) or is_missing(b)):
                out.append(f'<line x1="{_x(X(i, k))}" y1="{_x(Y(a))}" x2="{_x(X(i + 1, k))}" y2="{_x(Y(b))}" '
                           f'stroke="{colour}" stroke-width="2"{dash_attr}/>')
        for i in range(n):
            a, lo, hi = s["andel"][i], s["lo"][i], s["hi"][i]
            if is_missing(a):
                continue
            if not (is_missing(lo) or is_missing(hi)):
                out.append(f'<line x1="{_x(X(i, k))}" y1="{_x(Y(lo))}" x2="{_x(X(i, k))}" y2="{_x(Y(hi))}" '
                           f'stroke="{colour}" stroke-width="1.2"/>')
                for v in (lo, hi):
                    out.append(f'<line x1="{_x(X(i, k) - 3)}" y1="{_x(Y(v))}" x2="{_x(X(i, k) + 3)}" '
                               f'y2="{_x(Y(v))}" stroke="{colour}" stroke-width="1.2"/>')
            out.append(_marker(marker, X(i, k), Y(a), colour))
            if k == 0:
                out.append(f'<text x="{_x(X(i, k) - 8)}" y="{_x(Y(a) + 4)}" text-anchor="end" font-size="10" '
                           f'font-weight="bold" stroke="#FFFFFF" stroke-width="3" paint-order="stroke">'
                           f'{fmt_pct(a, unit=False)}</text>')
    y = top + plot_h + 34
    out.append(f'<text x="4" y="{_x(y)}" font-size="10">Strekene viser 95 % konfidensintervall (Wilson). '
               'Et år uten tall er et brudd i linjen.</text>')
    for note in notes:
        y += 15
        out.append(f'<text x="4" y="{_x(y)}" font-size="10" font-style="italic">{escape(note)}</text>')
    out.append("</svg>")

    def describe(s: dict) -> str:
        vals = [f"{y} {fmt_pct(a) if not is_missing(a) else (st or 'mangler')}"
                for y, a, st in zip(years, s["andel"], s["status"])]
        return f"{s['label']}: " + ", ".join(vals) + "."

    span = f"{years[0]}\u2013{years[-1]}" if n > 1 else str(years[0])
    alt = (f"Linjediagram. {title}, {span}: andelen med behovet innfridd (måltall 1, alle aldre) for "
           f"{norwegian_list([s['label'] for s in series])}, med 95 % konfidensintervall. "
           + " ".join(describe(s) for s in series)
           + (" «Brudd» betyr at regionen hadde en annen avgrensning det året, så tallet kan ikke sammenlignes."
              if any("brudd" in s["status"] for s in series) else ""))
    return "\n".join(out), alt
