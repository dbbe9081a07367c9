"""Reports: notebooks, rendering, batch, accessibility and disclosure safety.

One small synthetic extract goes through the real ``kvi compute`` (suppressed, and unsuppressed for
comparison) and ``kvi reports`` for a large kommune (Oslo, with bydeler), a small one and a
one-person kommune with a Sámi name. The published folder is also "baited" with the unsuppressed
table and the rejection list, to show that the reports read only the published files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from kvi_core.demo import make_demo_extract
from kvi_core.pipeline import compute
from kvi_core.reporting import batch, render
from kvi_core.reporting.data import Results, ResultsError
from kvi_core.reporting.figures import categories_by_age
from kvi_core.specs import AGE_GROUPS, CATEGORIES, load_specs

REPO = Path(__file__).resolve().parents[1]
AAR = 2024
LARGE, SMALL, ONE = "0301", "1811", "5636"  # Oslo; Bindal; Unjárga - Nesseby (one person)
KOMMUNER = [LARGE, SMALL, ONE]
HAS_PDFTOTEXT = shutil.which("pdftotext") is not None


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("uttrekk")
    df = make_demo_extract([2023, 2024], persons_per_year=5000, seed=7)
    df = df[~((df["kommunenr"] == ONE) & (df["aar"].astype(int) == AAR))]
    one = {c: "" for c in df.columns}
    one.update(aar=AAR, person_id="ENPERSON0000001", kommunenr=ONE, fodselsaar=1980, kjonn=2, kode_09=1, kode_10=1)
    df = pd.concat([df, pd.DataFrame([one])], ignore_index=True)
    path = d / "uttrekk.csv"
    df.to_csv(path, index=False)
    Path(f"{path}.metadata.json").write_text(json.dumps({"syntetisk": True}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def person_ids(extract) -> set[str]:
    return set(pd.read_csv(extract, dtype=str, usecols=["person_id"])["person_id"])


@pytest.fixture(scope="module")
def raw(extract, tmp_path_factory) -> Path:
    """The internal folder of an ``--unsuppressed`` run (indikatorer_uprikket.csv, avvist.csv)."""
    out = tmp_path_factory.mktemp("uprikket")
    compute(extract, out / "ut", unsuppressed=True, quiet=True, intern_dir=out / "intern")
    return out / "intern"


@pytest.fixture(scope="module")
def run(extract, raw, tmp_path_factory):
    """``kvi reports`` for three kommuner, with bait (unsuppressed table, rejections) in the tables."""
    out = tmp_path_factory.mktemp("rapporter")
    batch.ensure_results(extract, out, None, 5, log=lambda m: None)
    tab = out / batch.RESULTS_DIR
    for f in ("indikatorer_uprikket.csv", "indikatorer_uprikket.parquet"):
        shutil.copy(raw / f, tab / f)
    pd.DataFrame(
        {"rad": [1], "person_id": ["AVVISTPERSON123"], "kolonne": ["kode_09"], "verdi": ["7"], "arsak": ["ugyldig"]}
    ).to_csv(tab / "avvist.csv", index=False)
    code = batch.run_reports(extract, AAR, out, kommuner=KOMMUNER, jobs=2, progress=False)
    return {"out": out, "year": out / str(AAR), "code": code, "tables": tab}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


class _Tables(HTMLParser):
    """Every <table> as (caption, rows of cell texts); every <img> as its attributes."""

    def __init__(self):
        super().__init__()
        self.tables, self.imgs, self.headings = [], [], []
        self._cell = self._row = self._table = None
        self._caption = None
        self._heading = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = {"caption": "", "rows": []}
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "img":
            self.imgs.append(dict(attrs))
        elif tag in ("h1", "h2", "h3"):
            self._heading = ""

    def handle_endtag(self, tag):
        if tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag == "caption" and self._table is not None:
            self._table["caption"] = self._caption.strip()
            self._caption = None
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append((tag, self._heading.strip()))
            self._heading = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._caption is not None:
            self._caption += data
        if self._heading is not None:
            self._heading += data


def _parse(path: Path) -> _Tables:
    p = _Tables()
    p.feed(_text(path))
    return p


def _published(run) -> pd.DataFrame:
    t = pd.read_csv(run["tables"] / "indikatorer.csv", dtype={"region": str})
    return t[t["aar"] == AAR]


# --- the batch ---------------------------------------------------------------------------------


def test_batch_writes_one_pair_per_kommune_plus_overview_index_and_manifest(run, extract):
    assert run["code"] == 0
    year = run["year"]
    for k in KOMMUNER:
        assert (year / f"kommunerapport_{k}.html").stat().st_size > 10_000
        assert (year / f"kommunerapport_{k}.pdf").read_bytes().startswith(b"%PDF")
        assert (year / "notebooker" / f"kommunerapport_{k}.ipynb").exists()
    assert (year / "nasjonal_oversikt.pdf").exists()
    index = _text(year / "index.html")
    assert '<html lang="nb">' in index
    for k in KOMMUNER:
        assert f'href="kommunerapport_{k}.html"' in index and f'href="kommunerapport_{k}.pdf"' in index
    assert 'href="nasjonal_oversikt.html"' in index
    manifest = json.loads(_text(year / "manifest.json"))
    assert set(manifest["rapporter"]) == {"nasjonal", *KOMMUNER}
    assert manifest["inndata"]["sha256"] == batch.sha256_file(extract)
    assert manifest["parametere"]["terskel"] == 5 and manifest["parametere"]["aar"] == AAR
    for entry in manifest["rapporter"].values():
        assert entry["status"] == "ok"
        for f in entry["filer"].values():
            assert batch.sha256_file(year / f["fil"]) == f["sha256"]
    assert manifest["versjoner"]["kvi"] and manifest["versjoner"]["motor"] in {"pandoc", "quarto"}
    assert not (year / batch.WORK_DIR).exists(), "the jobs' work folders are cleaned up"


def test_rerun_skips_unchanged_reports_and_redoes_a_changed_one(run, extract, capsys):
    year = run["year"]
    before = {k: (year / f"kommunerapport_{k}.pdf").stat().st_mtime_ns for k in KOMMUNER}
    (year / f"kommunerapport_{SMALL}.pdf").write_bytes(b"%PDF-1.7 broken")  # a damaged output is redone
    code = batch.run_reports(extract, AAR, run["out"], kommuner=KOMMUNER, jobs=1, progress=False)
    assert code == 0
    m = json.loads(_text(year / "manifest.json"))
    assert m["siste_kjoring"] == {**m["siste_kjoring"], "laget": 1, "hoppet_over": 3, "feilet": 0}
    assert (year / f"kommunerapport_{LARGE}.pdf").stat().st_mtime_ns == before[LARGE]
    assert (year / f"kommunerapport_{SMALL}.pdf").read_bytes() != b"%PDF-1.7 broken"
    assert "gjenbruker tabellene" in capsys.readouterr().err


def test_one_failing_report_does_not_stop_the_batch(run, extract, monkeypatch, capsys):
    real_plan = batch.plan

    def plan_with_a_broken_job(*a, **kw):
        jobs, kommuner, meta = real_plan(*a, **kw)
        bad = batch.Job(
            "9999",
            "Finnes ikke",
            jobs[1].notebook,
            dict(jobs[1].parameters, kommunenr="9999"),
            {"title": "x"},
            key="x",
            stem="kommunerapport_9999",
        )
        return [bad] + jobs, kommuner, meta

    monkeypatch.setattr(batch, "plan", plan_with_a_broken_job)
    code = batch.run_reports(extract, AAR, run["out"], kommuner=KOMMUNER, jobs=1, progress=False)
    assert code == 1
    err = capsys.readouterr().err
    assert "9999 Finnes ikke" in err and "finnes ikke i kommuneinndelingen" in err
    m = json.loads(_text(run["year"] / "manifest.json"))
    assert m["rapporter"]["9999"]["status"] == "feilet"
    assert all(m["rapporter"][k]["status"] == "ok" for k in KOMMUNER)
    assert not (run["year"] / "kommunerapport_9999.html").exists()


# --- content, accessibility ----------------------------------------------------------------------


@pytest.mark.parametrize("k", KOMMUNER)
def test_html_is_accessible_and_has_no_code(run, k):
    path = run["year"] / f"kommunerapport_{k}.html"
    html = _text(path)
    assert re.search(r'<html[^>]*\blang="nb"', html)
    p = _parse(path)
    assert p.imgs, "figures are there"
    for img in p.imgs:
        assert len(img.get("alt", "")) > 40, img.get("src", "")[:60]
    assert p.tables[0]["caption"].startswith("Tallene bak figuren")  # the numbers behind the barometer
    assert all(t["caption"] for t in p.tables)
    assert '<th scope="row"' in html and '<th scope="col"' in html
    assert html.count("<main") == 1 and "</main>" in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)[:5]
    assert re.search(r"<td[^>]*>\s*:\s*</td>", html) is None  # every hidden cell is <abbr title="skjult">
    assert "<details>" in html  # the 16 måltall tables fold away
    levels = {h[0] for h in p.headings}
    assert {"h1", "h2"} <= levels
    for code in ("KommuneRapport", "import ", "vis_indikatorer", "papermill", "resultater ="):
        assert code not in html


def test_report_says_what_it_must(run):
    html = _text(run["year"] / f"kommunerapport_{LARGE}.html")
    for spec in load_specs():
        assert spec.definisjon.split(".")[0] in html
        assert spec.feilkilder[:60] in html
    for needle in (
        "Syntetiske data",
        "IKKE SSBs offisielle KOSTRA-gruppering",
        "1 til 4",
        "«:»",
        "Sjekksum (SHA-256)",
        "Slik leser du figuren",
        "Bydeler",
        "uten rapportering",
        "består av de samme personene som Oslo",
        "usikkert",
    ):
        assert needle in html, needle


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("k", KOMMUNER)
def test_pdf_has_name_and_published_numbers(run, k):
    text = _pdf_text(run["year"] / f"kommunerapport_{k}.pdf")
    flat = " ".join(text.split())
    t = _published(run)
    name = t.loc[t["region"] == k, "region_navn"].iloc[0]
    assert name in flat
    main = t[(t["region"] == k) & (t["maltall"] == 1)]
    for r in main.itertuples():
        if pd.notna(r.andel):
            assert f"{r.andel:.1f}".replace(".", ",") + " %" in flat.replace("\u00a0", " ")
    assert "Side 1 av" in flat


@pytest.mark.parametrize("k", [LARGE, ONE])
def test_pdf_is_tagged_pdf_ua_a4_in_norwegian(run, k):
    pdf = (run["year"] / f"kommunerapport_{k}.pdf").read_bytes()
    assert b"pdfuaid:part>1<" in pdf  # Typst checked PDF/UA-1 (alt text, headings, language) when writing it
    assert b"/StructTreeRoot" in pdf and b"/MarkInfo<</Marked true" in pdf
    assert b"/Lang(nb-NO)" in pdf and b"/Lang(en" not in pdf
    boxes = set(re.findall(rb"/MediaBox\[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert boxes and all(abs(float(w) - 595.28) < 0.1 and abs(float(h) - 841.89) < 0.1 for w, h in boxes)  # A4


# --- disclosure safety ----------------------------------------------------------------------------


@pytest.mark.parametrize("k", KOMMUNER)
def test_hidden_cells_show_colon_and_never_their_true_value(run, raw, k):
    """The 16 måltall of each indicator: a hidden cell is ':' where the true number would be."""
    pub = _published(run)
    true = pd.read_csv(raw / "indikatorer_uprikket.csv", dtype={"region": str})
    true = true[(true["aar"] == AAR) & (true["region"] == k)].set_index(["indikator", "maltall"])
    html = _text(run["year"] / f"kommunerapport_{k}.html")
    tables = {
        t["caption"].split(":")[0]: t
        for t in _parse(run["year"] / f"kommunerapport_{k}.html").tables
        if "alle 16 måltall" in t["caption"]
    }
    specs = load_specs()
    checked_hidden = 0
    for spec in specs:
        if spec.kort_tittel not in tables:  # a table of only hidden cells and zeros is one sentence
            mine = pub[(pub["indikator"] == spec.id) & (pub["region"] == k)]
            assert (mine["prikket"] | (mine["antall"] == 0)).all(), spec.id
            checked_hidden += int(mine["prikket"].sum())
            assert f"{spec.kort_tittel}:** alle 16 måltall" in html or f"{spec.kort_tittel}:</strong>" in html
            continue
        tab = tables[spec.kort_tittel]
        rows = {int(r[0]): r for r in tab["rows"][1:]}
        assert sorted(rows) == list(range(1, 17))
        mine = pub[(pub["indikator"] == spec.id) & (pub["region"] == k)].set_index("maltall")
        for m, r in rows.items():
            antall_cell = r[4].replace("\u00a0", "")
            published = mine.loc[m]
            if bool(published["prikket"]):
                checked_hidden += 1
                assert antall_cell == ":", (spec.id, m)
                assert r[3] == ":"
            else:
                assert antall_cell == str(int(published["antall"])), (spec.id, m)
                assert int(true.loc[(spec.id, m), "antall"]) == int(published["antall"])
    if k == ONE:
        assert checked_hidden > 0, "the one-person kommune must have hidden cells"


def test_no_person_id_iplos_code_or_unsuppressed_value_in_any_output(run, person_ids):
    year = run["year"]
    outputs = sorted(year.glob("*.html")) + sorted((year / "notebooker").glob("*.ipynb"))
    texts = {p.name: _text(p) for p in outputs}
    if HAS_PDFTOTEXT:
        texts.update({p.name: _pdf_text(p) for p in sorted(year.glob("*.pdf"))})
    tokens = re.compile(r"[A-Za-z0-9]{12,}")
    for name, text in texts.items():
        found = set(tokens.findall(text)) & (person_ids | {"AVVISTPERSON123"})
        assert not found, (name, sorted(found)[:3])
        assert "ENPERSON0000001" not in text
        assert not re.search(r"kode_\d\d", text), name
        assert "uprikket" not in text.lower(), name
        assert "avvist.csv" not in text, name


def test_results_refuse_an_unsuppressed_folder(raw):
    with pytest.raises(ResultsError):
        Results(raw)


# --- rendering --------------------------------------------------------------------------------


def _notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = nbformat.v4.new_code_cell
    nb.cells = [
        nbformat.v4.new_raw_cell('---\ntitle: "Tittel"\n---'),
        code("x = 1", metadata={"tags": ["parameters"]}),
        code("x = 2 # INJISERT", metadata={"tags": ["injected-parameters"]}),
        code("#| echo: false\nSKJULT_KILDE = 1"),
        code("SYNLIG_UTEN_ECHO = 1"),
        code("#| include: false\nINKLUDER_IKKE = 1"),
        code("TAGGET = 1", metadata={"tags": ["remove_input"]}),
    ]
    nb.cells[3].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/markdown": "## Overskrift fra utdata\n\n| a | b |\n|---|---|\n| 1 | : |\n\n: Tabelltekst\n"},
        )
    ]
    nb.cells[5].outputs = [nbformat.v4.new_output("stream", name="stdout", text="SKAL_IKKE_VISES\n")]
    nb.cells[6].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": "<table><tr><th>H</th></tr><tr><td>HTMLCELLE</td></tr></table>", "text/plain": "df"},
        ),
        nbformat.v4.new_output("stream", name="stderr", text="ADVARSEL\n"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.skipif(render.engine() != "pandoc", reason="the pandoc + Typst path")
def test_pandoc_path_reads_a_notebook_like_quarto(tmp_path):
    prep = render.prepare(_notebook(tmp_path), tmp_path / "w", {"title": "Prøve Unjárga"})
    render.pandoc(prep, tmp_path / "a.html", tmp_path / "a.typ")
    html, typ = _text(tmp_path / "a.html"), _text(tmp_path / "a.typ")
    for doc in (html, typ):
        for hidden in (
            "SKJULT_KILDE",
            "SYNLIG_UTEN_ECHO",
            "INKLUDER_IKKE",
            "TAGGET",
            "INJISERT",
            "x = 1",
            "SKAL_IKKE_VISES",
            "ADVARSEL",
            "---",
        ):
            assert hidden not in doc, hidden
        assert "Overskrift fra utdata" in doc and "Tabelltekst" in doc
    assert re.search(r"<h2[^>]*>Overskrift fra utdata</h2>", html)
    assert "<table" in html and "HTMLCELLE" in html
    assert "HTMLCELLE" in typ and "table(" in typ  # the HTML-only table reaches the PDF as a table
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="nb"' in html
    assert 'paper: "a4"' in typ and 'lang: "nb"' in typ and "breakable: false" in typ
    render.typst_pdf(tmp_path / "a.typ", tmp_path / "a.pdf")
    if HAS_PDFTOTEXT:
        assert "Prøve Unjárga" in _pdf_text(tmp_path / "a.pdf")


@pytest.mark.skipif(render.engine() != "pandoc", reason="the pandoc + Typst path")
def test_one_pandoc_serves_many_reports_and_outlives_a_failure(tmp_path):
    server = render.PandocServer()
    try:
        prep = render.prepare(_notebook(tmp_path), tmp_path / "w", {"title": "Første"})
        server.request(render._request(prep, tmp_path / "a.html", tmp_path / "a.typ"))
        first = server.proc.pid
        broken = render._request(prep, tmp_path / "b.html", tmp_path / "b.typ")
        broken["notebook"] = str(tmp_path / "finnes-ikke.ipynb")
        with pytest.raises(render.RenderError, match="finnes-ikke"):
            server.request(broken)
        assert not (tmp_path / "b.html").exists() and server.proc.pid == first  # the same pandoc goes on
        server.proc.kill()  # pandoc gone between two reports: a new one takes the next
        server.proc.wait()
        server.request(render._request(prep, tmp_path / "c.html", tmp_path / "c.typ"))
        assert server.proc.pid != first
        assert (tmp_path / "c.typ").read_bytes() == (tmp_path / "a.typ").read_bytes()
        assert "Første" in _text(tmp_path / "c.html")
    finally:
        server.stop()
    assert server.proc is None


def test_embedded_html_needs_no_other_file(tmp_path):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "a b.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    (tmp_path / "s.css").write_text("p { color: #111; }\n", encoding="utf-8")
    html = '<head><link rel="stylesheet" href="s.css" /></head><body><img src="f/a%20b.svg" alt="Andel 12 %" /></body>'
    out = render.embed_resources(html, tmp_path)
    assert '<style type="text/css">\np { color: #111; }\n</style>' in out
    assert re.search(
        r'<img role="img" aria-label="Andel 12 %" src="data:image/svg\+xml;base64,[^"]+" alt="Andel 12 %" />', out
    )
    for outside in ('<img src="https://cdn.example/x.png" alt="x" />', '<script src="app.js"></script>'):
        with pytest.raises(render.RenderError):
            render.embed_resources(outside, tmp_path)
    with pytest.raises(render.RenderError, match="finner ikke"):
        render.embed_resources('<img src="mangler.svg" alt="x" />', tmp_path)


def test_render_options_come_from_quarto_yml():
    opts = render.options()
    assert opts["lang"] == "nb" and opts["format"]["typst"]["papersize"] == "a4"
    meta = render._metadata("typst", {"title": "T"})
    assert meta["papersize"] == "a4" and meta["lang"] == "nb" and meta["title"] == "T"
    assert meta["kvi-echo"] == "false"
    assert render._metadata("html", {"title": "T"})["pagetitle"] == "T"


def test_figure_alt_text_states_numbers_and_hidden_parts():
    units = {"0301": "Oslo", "EAK": "Hele landet"}
    shares = {u: {(a, k): 25.0 for a in AGE_GROUPS for k in CATEGORIES} for u in units}
    shares["0301"][("67+", "delvis")] = None
    nevner = {u: {a: 40 for a in AGE_GROUPS} for u in units}
    nevner["0301"]["0-17"] = None
    svg, alt = categories_by_age(shares, nevner, units, "Tittel")
    assert svg.startswith("<svg") and "skjult" in svg
    assert "Oslo" in alt and "Hele landet" in alt and "25,0" in alt and "skjult" in alt


def test_notebooks_are_committed_without_outputs():
    for path in (REPO / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, path.name
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs and c.execution_count is None, path.name


@pytest.mark.skipif(render.engine() != "quarto", reason="quarto is not on PATH")
def test_quarto_path_renders(tmp_path):
    prep = render.prepare(_notebook(tmp_path), tmp_path / "w", {"title": "Prøve"})
    render.render(prep, tmp_path / "a.html", tmp_path / "a.pdf")
    assert 'lang="nb"' in _text(tmp_path / "a.html")


def test_notebook_defaults_point_at_make_reports_output_and_run_with_them(run, tmp_path):
    """The notebook's default ``resultater`` is where `make reports` puts the tables (relative to
    notebooks/, as JupyterLab runs it); with that folder in place, the defaults run."""
    import papermill

    nb = nbformat.read(str(REPO / "notebooks" / "kommunerapport.ipynb"), as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", [])).source
    assert 'resultater = "../reports/output/tabeller"' in params and 'kommunenr = "0301"' in params
    make = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "OUT    ?= reports/output" in make and batch.RESULTS_DIR == "tabeller"
    # the same relative layout in a scratch folder: notebooks/ beside reports/output/tabeller
    (tmp_path / "notebooks").mkdir()
    shutil.copytree(run["tables"], tmp_path / "reports" / "output" / "tabeller")
    out = papermill.execute_notebook(
        str(REPO / "notebooks" / "kommunerapport.ipynb"),
        str(tmp_path / "ut.ipynb"),
        parameters={},
        cwd=str(tmp_path / "notebooks"),
        progress_bar=False,
    )
    shown = "".join(o.get("data", {}).get("text/markdown", "") for c in out.cells for o in c.get("outputs", []))
    assert "# Oslo (0301)" in shown and "Bistand til å delta i arbeid og utdanning" in shown


def test_national_overview_has_levels_variation_and_outlier_list(run):
    path = run["year"] / "nasjonal_oversikt.html"
    html = _text(path)
    p = _parse(path)
    heads = [h[1] for h in p.headings]
    for h in (
        "Utviklingen i landet",
        "Variasjon mellom kommuner",
        "Kommuner og fylker tydelig over eller under landet",
        "Fylker",
        "KOSTRA-grupper",
        "Om tallene",
        "Vedlegg: alle måltall for landet",
    ):
        assert h in heads, h
    assert "Politiske aktører blir varslet" in html
    assert "IKKE SSBs offisielle KOSTRA-gruppering" in html
    for img in p.imgs:
        assert len(img.get("alt", "")) > 40 and "0000" not in img["alt"]
    assert all(img["src"].startswith("data:image/svg+xml") for img in p.imgs)  # vector figures
    assert "og 64 til" not in html and "Og " not in html  # the outlier list is complete, not cut off
    fylker = next(
        t for t in p.tables if t["caption"].startswith("Andel med behovet innfridd (personer med behov), fylker")
    )
    assert len(fylker["rows"]) == 1 + 15  # header + the 15 fylker of 2024


def test_quarto_project_copy_has_the_options_and_the_files_they_name(tmp_path):
    """The Quarto path renders in the job's folder with a copy of _quarto.yml and its assets."""
    render._quarto_project(tmp_path)
    import yaml

    cfg = yaml.safe_load((tmp_path / "_quarto.yml").read_text(encoding="utf-8"))
    assert cfg == render.options()
    assert (tmp_path / cfg["format"]["html"]["css"]).exists()
    assert (tmp_path / cfg["format"]["typst"]["include-in-header"]).exists()


def test_cli_with_relative_out_folder_like_make_reports(extract, tmp_path, monkeypatch):
    """`make reports` passes relative paths; the kernel runs in another folder, so every path the
    batch hands on (kernel sockets, results) must be absolute."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(extract, tmp_path / "uttrekk.csv")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "kvi_core",
            "reports",
            "--input",
            "uttrekk.csv",
            "--aar",
            str(AAR),
            "--out",
            "rel/output",
            "--kommune",
            SMALL,
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "rel" / "output" / str(AAR) / f"kommunerapport_{SMALL}.pdf").exists()


# --- layout of the PDF (pdftotext -layout) --------------------------------------------------------


def _pages(path: Path) -> list[list[str]]:
    """Each page's non-empty lines, without the page number footer."""
    pages = _pdf_text(path).split("\f")
    out = [
        [ln.strip() for ln in p.splitlines() if ln.strip() and not re.fullmatch(r"Side \d+ av \d+", ln.strip())]
        for p in pages
    ]
    while out and not out[-1]:
        out.pop()
    return out


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("k", KOMMUNER)
def test_pdf_layout_main_body_at_most_four_pages_no_lonely_footer_no_parted_caption(run, k):
    pages = _pages(run["year"] / f"kommunerapport_{k}.pdf")
    starts = [i for i, p in enumerate(pages) if "Vedlegg 1: Om indikatorene" in p]
    assert starts, "the appendices start with a heading"
    first = pages[starts[0]]
    heading = first.index("Vedlegg 1: Om indikatorene")
    main_pages = starts[0] + (1 if heading > 0 else 0)
    assert main_pages <= 4, f"main body of {k} runs over {main_pages} pages"
    assert len(pages[-1]) >= 4, f"the last page of {k} holds only: {pages[-1]}"
    for n, p in enumerate(pages):  # a table's caption is above it, a figure's below it
        assert not re.match(r"Tabell \d+:", p[-1]), f"page {n + 1} of {k} ends with a table caption: {p[-1]}"
        assert not re.match(r"Figur \d+:", p[0]), f"page {n + 1} of {k} starts with a figure caption: {p[0]}"


def test_index_groups_by_fylke_searches_and_links_the_data(run):
    html = _text(run["year"] / "index.html")
    assert html.index("Nasjonal oversikt") < html.index("Kommunerapporter etter fylke")
    assert '<input type="search" id="sok"' in html and '<label for="sok">' in html and 'aria-live="polite"' in html
    assert "<main>" in html and "http://" not in html.replace('"http://www.w3.org', "") and "https://" not in html
    assert re.search(r'<h3 id="fylke-\d+">Oslo</h3>', html)
    assert 'href="../tabeller/indikatorer.csv"' in html and 'href="../tabeller/variasjon.csv"' in html
    assert "avvist" not in html
    for k in KOMMUNER:
        assert f'href="kommunerapport_{k}.html"' in html


# --- WCAG 2.1 AA with axe-core in headless chromium ------------------------------------------------

AXE_SCRIPT = REPO / "tests" / "a11y" / "axe_check.mjs"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
HAS_AXE = (
    shutil.which("node") is not None
    and CHROMIUM is not None
    and (REPO / "node_modules" / "axe-core").is_dir()
    and (REPO / "node_modules" / "puppeteer-core").is_dir()
)


def _axe(files: list[Path]) -> dict:
    env = dict(__import__("os").environ, KVI_CHROMIUM=CHROMIUM)
    r = subprocess.run(
        ["node", str(AXE_SCRIPT)] + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


@pytest.mark.skipif(not HAS_AXE, reason="node, chromium or node_modules (npm ci) missing")
def test_axe_core_finds_no_wcag_aa_violations(run, tmp_path):
    bad = tmp_path / "kontroll.html"  # the check itself can fail: a page with known violations
    bad.write_text(
        '<!DOCTYPE html><html><head><title>x</title></head><body><img src="a.png">'
        '<p style="color:#aaaaaa">lys tekst</p></body></html>',
        encoding="utf-8",
    )
    files = [
        run["year"] / f"kommunerapport_{LARGE}.html",
        run["year"] / f"kommunerapport_{ONE}.html",
        run["year"] / "nasjonal_oversikt.html",
        run["year"] / "index.html",
        bad,
    ]
    found = _axe(files)
    control = {v["id"] for v in found.pop(str(bad))}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= control, control
    assert found == {str(f): [] for f in files[:-1]}


def test_a_hidden_national_share_reads_as_a_word_in_running_text():
    """In a sentence, a hidden share is "skjult", not the tables' ":" ("landet: :" was seen on the
    five-year demo, where a national uten-rapportering cell was hidden)."""
    from kvi_core.reporting import texts
    from kvi_core.reporting.markdown import fmt_pct

    me = {"andel": 28.1, "nevner": 356, "sammenlignet": None}
    s = texts.unreported_sentence("Stavanger", 2024, me, {"andel": None}, fmt_pct)
    assert "(landet: skjult)" in s and ": :" not in s
    s = texts.unreported_sentence("Utsira", 2024, {"andel": None, "nevner": 3}, {"andel": None}, fmt_pct)
    assert s.endswith("Landet: skjult.")
    assert "(landet: 13,2\u00a0%)" in texts.unreported_sentence("Stavanger", 2024, me, {"andel": 13.2}, fmt_pct)
