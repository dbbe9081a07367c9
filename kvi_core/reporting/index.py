"""``index.html`` of a year's reports: the national overview first, the kommuner grouped by fylke with
a search box that filters as you type (inline script: works offline, keyboard and screen reader
usable: a labelled search field and a live count), the generation date and links to the data files.
Self-contained: no network at view time. Words from ``texts``."""

from __future__ import annotations

import datetime as dt
import os
from html import escape
from pathlib import Path

from kvi_core import __version__
from kvi_core.publish import PUBLISHED_FILES
from kvi_core.reporting import texts

STYLE = """
:root { --ink: #1a1a1a; --muted: #4d4d4d; --line: #c8c8c8; --link: #0b5394; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink);
  line-height: 1.5; margin: 0; }
header, main, footer { max-width: 56rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 .3rem; }
a { color: var(--link); }
.merknad { border-left: 4px solid #6b6b6b; padding: .2rem 0 .2rem 1rem; }
.nasjonal { border: 2px solid var(--ink); padding: .6rem 1rem; margin: 1rem 0 1.5rem; }
.nasjonal h2 { margin: 0 0 .3rem; font-size: 1.3rem; }
label { display: block; font-weight: 600; margin-bottom: .3rem; }
input[type=search] { width: 100%; max-width: 28rem; font-size: 1.05rem; padding: .45rem .6rem;
  border: 2px solid #595959; border-radius: 4px; }
input[type=search]:focus { outline: 3px solid #0b5394; outline-offset: 2px; }
.antall { color: var(--muted); margin: .4rem 0 1rem; }
.mangler { color: var(--muted); }
section.fylke h3 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; border-bottom: 1px solid var(--line); }
ul.kommuner { list-style: none; padding: 0; margin: 0; columns: 2 18rem; }
ul.kommuner li { padding: .15rem 0; break-inside: avoid; }
.nr { font-variant-numeric: tabular-nums; color: var(--muted); }
.data li { margin: .2rem 0; }
footer { color: var(--muted); border-top: 1px solid var(--line); margin-top: 2rem; padding-bottom: 2rem; }
[hidden] { display: none !important; }
"""

SCRIPT = """
(function () {
  var input = document.getElementById('sok');
  var count = document.getElementById('antall');
  var items = Array.prototype.slice.call(document.querySelectorAll('ul.kommuner li'));
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.fylke'));
  var total = items.length;
  function norm(s) { return s.toLowerCase().normalize('NFD').replace(/[\\u0300-\\u036f]/g, ''); }
  function filter() {
    var q = norm(input.value.trim());
    var shown = 0;
    items.forEach(function (li) {
      var hit = !q || norm(li.getAttribute('data-sok')).indexOf(q) !== -1;
      li.hidden = !hit;
      if (hit) { shown += 1; }
    });
    sections.forEach(function (s) { s.hidden = !s.querySelector('li:not([hidden])'); });
    count.textContent = count.getAttribute('data-mal').replace('{n}', shown).replace('{total}', total);
  }
  input.addEventListener('input', filter);
  filter();
})();
"""


def _when(iso: str) -> str:
    """'2026-11-26T12:28:30+00:00' -> '26.11.2026 kl. 12:28' (the text as given when it is not ISO)."""
    try:
        return dt.datetime.fromisoformat(iso).strftime("%d.%m.%Y kl. %H:%M")
    except ValueError:
        return iso


def _links(entry: dict | None, label: str) -> str:
    if not entry or entry.get("status") != "ok":
        return f'{escape(label)} <span class="mangler">{escape(texts.INDEX_MISSING)}</span>'
    f = entry["filer"]
    return (
        f'<a href="{escape(f["html"]["fil"])}">{escape(label)}</a> '
        f'(<a href="{escape(f["pdf"]["fil"])}" aria-label="{escape(label)}, PDF">PDF</a>)'
    )


def index_html(
    aar: int,
    manifest: dict,
    kommuner: list[dict],
    meta: dict,
    national_id: str,
    data_dir: str | None,
    data_files: list[str],
) -> str:
    """The page's HTML. ``kommuner``: dicts with kommunenr, navn, fylke (in classification order)."""
    reports = manifest.get("rapporter", {})
    by_fylke: dict[str, list[dict]] = {}
    for k in kommuner:
        by_fylke.setdefault(k["fylke"], []).append(k)
    sections = []
    for i, (fylke, ks) in enumerate(by_fylke.items()):
        items = "\n".join(
            f'<li data-sok="{escape(k["navn"])} {escape(k["kommunenr"])} {escape(fylke)}">'
            f'<span class="nr">{escape(k["kommunenr"])}</span> {_links(reports.get(k["kommunenr"]), k["navn"])}</li>'
            for k in ks
        )
        sections.append(
            f'<section class="fylke" aria-labelledby="fylke-{i}"><h3 id="fylke-{i}">{escape(fylke)}</h3>\n'
            f'<ul class="kommuner">\n{items}\n</ul></section>'
        )
    notice = texts.synthetic_notice(meta).replace("**", "")
    kostra = (meta.get("kostragruppering") or {}).get("merknad", "")
    data = ""
    if data_dir is not None and data_files:
        data = (
            f'<h2>{escape(texts.INDEX_DATA_HEADING)}</h2>\n<ul class="data">\n'
            + "\n".join(f'<li><a href="{escape(data_dir)}/{escape(n)}">{escape(n)}</a></li>' for n in data_files)
            + "\n</ul>"
        )
    title = f"{texts.TITLE} {aar}"
    template = texts.index_count("{n}", "{total}")
    return f"""<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}: rapporter</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{escape(title)}</h1>
<p>{escape(texts.index_generated(_when(manifest.get("generert", "")), __version__))}</p></header>
<main>
{f'<p class="merknad"><strong>{escape(notice)}</strong></p>' if notice else ""}
<section class="nasjonal" aria-labelledby="nasjonal"><h2 id="nasjonal">{escape(texts.INDEX_NATIONAL_HEADING)}</h2>
<p>{_links(reports.get(national_id), f"{texts.INDEX_NATIONAL_HEADING} {aar}")}</p></section>
<h2>{escape(texts.INDEX_KOMMUNER_HEADING)}</h2>
<search role="search">
<label for="sok">{escape(texts.INDEX_SEARCH_LABEL)}</label>
<input type="search" id="sok" autocomplete="off" aria-describedby="antall">
</search>
<p class="antall" id="antall" role="status" aria-live="polite" data-mal="{escape(template)}">{escape(texts.index_count(len(kommuner), len(kommuner)))}</p>
{chr(10).join(sections)}
{data}
<p>{escape(kostra)}</p>
</main>
<footer><p>{escape(texts.index_generated(_when(manifest.get("generert", "")), __version__))}
<a href="manifest.json">manifest.json</a></p></footer>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_index(
    year_dir: Path,
    aar: int,
    manifest: dict,
    kommuner: list[dict],
    meta: dict,
    national_id: str,
    results_dir: Path | None,
    write_text,
) -> Path:
    """Write ``year_dir/index.html`` with ``write_text(text, path)`` (the caller's atomic writer)."""
    data_dir, files = None, []
    if results_dir is not None and results_dir.is_dir():
        data_dir = Path(os.path.relpath(results_dir, year_dir)).as_posix()
        files = [n for n in PUBLISHED_FILES if (results_dir / n).exists()]
    path = year_dir / "index.html"
    write_text(index_html(aar, manifest, kommuner, meta, national_id, data_dir, files), path)
    return path


__all__ = ["index_html", "write_index"]
