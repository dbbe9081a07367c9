"""Small building blocks for the reports: number formats, Markdown tables, figures, display.

Everything a notebook cell shows goes out as ``text/markdown`` (and nothing else), because that
is the one output type that Quarto, pandoc (through ``filters/kvi.lua``) and JupyterLab all turn
into real headings, real tables and real figures with alt text.
"""

from __future__ import annotations

import base64
import io
import re

import pandas as pd

HIDDEN = ":"  # the published sign for a hidden (suppressed) cell
NOT_APPLICABLE = "\u2013"  # en dash: a share that cannot be computed (nobody with a need)


def is_missing(v) -> bool:
    """None, NaN, pd.NA or an empty string: a cell with no published number."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def fmt_int(v) -> str:
    """1234 -> '1 234' (non-breaking space); missing -> ':'."""
    if is_missing(v):
        return HIDDEN
    return f"{int(v):,}".replace(",", "\u00a0")


def fmt_pct(v, unit: bool = True) -> str:
    """69.9 -> '69,9 %'; missing -> ':'."""
    if is_missing(v):
        return HIDDEN
    s = f"{float(v):.1f}".replace(".", ",")
    return s + "\u00a0%" if unit else s


def fmt_share(andel, antall, nevner, unit: bool = True) -> str:
    """A published share: the number, ':' when hidden, '–' when nobody has a need (nevner 0)."""
    if not is_missing(andel):
        return fmt_pct(andel, unit)
    if not is_missing(nevner) and int(nevner) == 0:
        return NOT_APPLICABLE
    return HIDDEN


def fmt_interval(lo, hi) -> str:
    if is_missing(lo) or is_missing(hi):
        return ""
    return f"{fmt_pct(lo, False)}\u2013{fmt_pct(hi, False)}\u00a0%"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def esc(text) -> str:
    """Escape Markdown's special characters in a piece of running text (names, titles)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def table(
    header: list[str],
    rows: list[list[str]],
    caption: str | None = None,
    align: str | None = None,
    ident: str | None = None,
) -> str:
    """A pipe table. ``align`` is one letter per column: l(eft), r(ight) or c(enter). The first
    column is each row's header (``render.finish_html`` marks it ``<th scope="row">``)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    out = "\n".join(lines) + "\n"
    if caption:
        out += f"\n: {caption}" + (f" {{#{ident}}}" if ident else "") + "\n"
    return out


def _attr(text: str) -> str:
    """A value for a Markdown attribute in double quotes."""
    return " ".join(str(text).replace("\\", "/").replace('"', "'").split())


def figure(fig, caption: str, alt: str, ident: str | None = None, fmt: str = "svg") -> str:
    """A figure (SVG text, or a matplotlib Figure) as a Markdown image with caption and alt text,
    embedded as a data URI.

    ``kvi_core.reporting.render`` moves the image into a file in the job's own folder before
    rendering, so both Quarto and pandoc/Typst see an ordinary image file.
    """
    if isinstance(fig, str):
        payload, mime = fig.encode("utf-8"), "image/svg+xml"
    else:
        import matplotlib

        buf = io.BytesIO()
        # a fixed salt: the SVG's clip-path ids (random by default) are the same every run (byte-stable)
        with matplotlib.rc_context({"svg.hashsalt": "kvi"}):
            fig.savefig(
                buf, format=fmt, dpi=110 if fmt == "png" else 72, metadata={"Date": None} if fmt == "svg" else None
            )
        try:  # free the figure's memory at once: a kernel makes hundreds of reports in a row
            fig.clf()
        except Exception:
            pass
        payload, mime = buf.getvalue(), ("image/svg+xml" if fmt == "svg" else "image/png")
    data = base64.b64encode(payload).decode("ascii")
    ident_attr = f"#{ident} " if ident else ""
    return f'![{esc(caption)}](data:{mime};base64,{data}){{{ident_attr}fig-alt="{_attr(alt)}"}}\n'


def pagebreak() -> str:
    """A page break in the PDF (Typst), nothing in HTML."""
    return "\n```{=typst}\n#pagebreak(weak: true)\n```\n"


def show(*parts: str) -> None:
    """Display Markdown as the cell's only output (``text/markdown`` only, no ``text/plain``)."""
    from IPython.display import display

    md = "\n\n".join(p.strip("\n") for p in parts if p)
    display({"text/markdown": md}, raw=True)


def details(summary: str, body: str) -> str:
    """A collapsible section in HTML (``<details>``); in the PDF just the body."""
    return f"```{{=html}}\n<details><summary>{summary}</summary>\n```\n\n{body}\n\n```{{=html}}\n</details>\n```\n"
