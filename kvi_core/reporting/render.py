"""Executed notebook -> self-contained HTML and PDF.

Two engines, one set of options (``kvi_core/reporting/_quarto.yml``):

* **Quarto**, when ``quarto`` is on PATH (or ``KVI_RENDERER=quarto``): the options file and the
  files it names are copied into the job's own folder, and ``quarto render`` runs there.
* **pandoc + Typst** otherwise (or ``KVI_RENDERER=pandoc``): the engines Quarto drives, called
  directly: pandoc from the ``pypandoc-binary`` wheel (ipynb -> HTML and ipynb -> Typst, in one
  long-lived ``pandoc lua assets/render_server.lua`` per process, one request per report) with
  ``assets/kvi.lua`` (which gives pandoc Quarto's reading of a notebook: hidden code, Markdown
  outputs, alt text), and the ``typst`` wheel (Typst -> PDF, tagged). The options of
  ``_quarto.yml`` become the server's options and metadata; ``embed_resources`` does what pandoc's
  ``--embed-resources`` would.

Every job renders in a folder of its own (``workdir``); nothing is shared between parallel jobs.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat
import yaml

from kvi_core.resources import quarto_config

ASSETS = Path(__file__).resolve().parent / "assets"
LUA_FILTER = ASSETS / "kvi.lua"
RENDER_SERVER = ASSETS / "render_server.lua"
# Flags of pandoc that Quarto's format options map to (everything else is metadata/template variables).
_HTML_FLAGS = {"embed-resources", "toc", "toc-depth", "css", "self-contained", "standalone"}
_TYPST_FLAGS = {"toc", "toc-depth", "include-in-header", "keep-typ", "shift-heading-level-by", "pdf-standard"}
_DATA_URI = re.compile(r"\]\(data:(image/(?:svg\+xml|png|jpeg));base64,([A-Za-z0-9+/=\s]+)\)")
_EXT = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}


class RenderError(RuntimeError):
    pass


def config_path() -> Path:
    return quarto_config()


@lru_cache(maxsize=4)
def _load(path: str, mtime: int) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def options() -> dict:
    """The parsed ``_quarto.yml``."""
    p = config_path()
    if not p.exists():
        raise RenderError(f"finner ikke {p} (innstillingene for rapportene)")
    return _load(str(p), p.stat().st_mtime_ns)


def engine() -> str:
    forced = os.environ.get("KVI_RENDERER", "").strip().lower()
    if forced in {"quarto", "pandoc"}:
        return forced
    return "quarto" if shutil.which("quarto") else "pandoc"


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions of the rendering engines (for the manifest and the re-run check)."""
    out: dict[str, str] = {"engine": engine()}
    if out["engine"] == "quarto":
        try:
            out["quarto"] = subprocess.run(
                ["quarto", "--version"], capture_output=True, text=True, check=True
            ).stdout.strip()
        except Exception:
            out["quarto"] = "?"
    else:
        import typst

        try:
            first = subprocess.run(
                [pandoc_path(), "--version"], capture_output=True, text=True, check=True
            ).stdout.splitlines()[0]
            out["pandoc"] = first.split()[-1]
        except Exception:
            out["pandoc"] = "?"
        out["typst"] = getattr(typst, "__version__", "?")
    return out


def font_paths() -> list[str]:
    """DejaVu Sans (shipped with matplotlib) for the SVG figures, so PDFs look the same everywhere."""
    import matplotlib

    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


@functools.cache
def typst_fonts():
    """Typst's own fonts and ``font_paths()``, read once per process: reading the 42 font files
    cost about 0.13 s of every PDF (a worker renders hundreds)."""
    import typst

    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=font_paths())


# --- preparing an executed notebook ----------------------------------------------------------


@dataclass
class Prepared:
    notebook: Path
    front_matter: dict = field(default_factory=dict)


def prepare(
    executed: Path | nbformat.NotebookNode, workdir: Path, front_matter: dict, name: str = "rapport"
) -> Prepared:
    """Write the notebook to render into ``workdir``: the front matter (title, ...) filled in, and
    every embedded image moved into ``workdir/figurer`` (both engines then see plain files)."""
    if isinstance(executed, Path):
        nb = nbformat.v4.reads(executed.read_text(encoding="utf-8"))  # no schema validation: papermill did it
    else:
        nb = copy.deepcopy(executed)
    workdir.mkdir(parents=True, exist_ok=True)
    figdir = workdir / "figurer"
    count = 0

    def extract(m: re.Match) -> str:
        nonlocal count
        data = base64.b64decode("".join(m.group(2).split()))
        count += 1
        fname = f"figur-{count:02d}-{hashlib.sha1(data).hexdigest()[:10]}.{_EXT[m.group(1)]}"
        figdir.mkdir(exist_ok=True)
        (figdir / fname).write_bytes(data)
        return f"](figurer/{fname})"

    fm: dict = {}
    for cell in nb.cells:
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---") and not fm:
            fm = yaml.safe_load(cell.source.strip().strip("-")) or {}
            fm.update(front_matter)
            cell.source = "---\n" + yaml.safe_dump(fm, allow_unicode=True, sort_keys=False) + "---"
            continue
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown")
            if md:
                text = "".join(md) if isinstance(md, list) else md
                out["data"]["text/markdown"] = _DATA_URI.sub(extract, text)
    if not fm:
        fm = dict(front_matter)
    path = workdir / f"{name}.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")  # papermill validated it already
    return Prepared(path, fm)


# --- pandoc + Typst ---------------------------------------------------------------------------


def _format_options(fmt: str) -> dict:
    opts = options()
    fmts = opts.get("format") or {}
    return dict(fmts.get(fmt) or {})


def _metadata(fmt: str, front_matter: dict) -> dict:
    """Metadata/template variables for pandoc: top level of _quarto.yml, then the format's options,
    then the document's front matter."""
    opts = options()
    meta = {k: v for k, v in opts.items() if k not in {"project", "format", "execute"}}
    flags = _HTML_FLAGS if fmt == "html" else _TYPST_FLAGS
    meta.update({k: v for k, v in _format_options(fmt).items() if k not in flags})
    meta.update(front_matter)
    ex = opts.get("execute") or {}
    meta["kvi-echo"] = str(ex.get("echo", True)).lower()
    meta["kvi-warning"] = str(ex.get("warning", True)).lower()
    if fmt == "html" and "pagetitle" not in meta and "title" in meta:
        meta["pagetitle"] = str(meta["title"])
    return meta


def _config_file(rel: str) -> str:
    p = Path(rel)
    return str(p if p.is_absolute() else config_path().parent / p)


def _as_list(v) -> list:
    return [] if v is None else (list(v) if isinstance(v, (list, tuple)) else [v])


def _run(cmd: list[str], cwd: Path, what: str, env: dict | None = None) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RenderError(f"{what} feilet ({r.returncode}): {r.stderr.strip()[-2000:]}")


def _request(prep: Prepared, html_out: Path, typ_out: Path) -> dict:
    """The render server's request for one notebook: the pandoc options of both formats from
    _quarto.yml (what the command line would be given as flags), the metadata written for each."""
    work = prep.notebook.parent
    formats = []
    for fmt, to, out in (("html", "html5", html_out), ("typst", "typst", typ_out)):
        meta = _metadata(fmt, prep.front_matter)
        meta_file = work / f"meta-{fmt}.yaml"
        meta_file.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
        o = _format_options(fmt)
        f = {"to": to, "out": str(out.resolve()), "meta": str(meta_file.resolve()), "toc": bool(o.get("toc"))}
        if o.get("toc"):
            f["toc_depth"] = int(o.get("toc-depth", 3))
        if fmt == "html":
            f["css"] = [_config_file(c) for c in _as_list(o.get("css"))]
        else:
            # the document's language also for what the header sets up before the template does (page footer)
            lang = work / "sprak.typ"
            lang.write_text(
                f'#set text(lang: "{meta.get("lang", "nb")}", region: "{meta.get("region", "NO")}")\n',
                encoding="utf-8",
            )
            f["header"] = [str(lang.resolve())] + [_config_file(c) for c in _as_list(o.get("include-in-header"))]
            f["shift"] = int(o.get("shift-heading-level-by") or 0)
        formats.append(f)
    return {"notebook": str(prep.notebook.resolve()), "formats": formats}


class PandocServer:
    """One long-lived ``pandoc lua assets/render_server.lua`` for this process (a report worker renders
    hundreds of reports): a notebook is read once and written as HTML and as Typst, without the start
    of a new pandoc for each. It ends when this process does (its stdin closes)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.log = None

    def _start(self) -> subprocess.Popen:
        import tempfile

        self.log = tempfile.TemporaryFile()  # pandoc's own messages; read only when it fails
        self.proc = subprocess.Popen(
            [pandoc_path(), "lua", str(RENDER_SERVER), str(LUA_FILTER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            encoding="utf-8",
        )
        return self.proc

    def _stderr_tail(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace").strip()[-2000:]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def request(self, req: dict) -> None:
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        try:
            proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:  # pandoc is gone: say why, and start a new one for the next report
            proc.kill()
            proc.wait()
            self.proc = None
            raise RenderError(f"pandoc stoppet ({proc.returncode}): {self._stderr_tail()}")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise RenderError(f"pandoc feilet: {reply.get('error', '')[-2000:]}")


@functools.cache
def pandoc_server() -> PandocServer:
    import atexit

    server = PandocServer()
    atexit.register(server.stop)
    return server


_TABLE_PART = re.compile(r"<(thead|tbody)>(.*?)</\1>", re.S)
_HIDDEN_CELL = re.compile(r"(<td[^>]*>)\s*:\s*(</td>)")
_HIDDEN_ABBR = '<abbr title="skjult">:</abbr>'
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)" />')
_IMG_SRC = re.compile(r'<img src="([^"]+)"([^>]*?) ?/?>')
_ALT = re.compile(r'\balt="([^"]*)"')
_LOCAL_SRC = re.compile(r'\ssrc="(?!data:)([^"]*)"')


def embed_resources(html: str, base: Path) -> str:
    """What pandoc's ``--embed-resources`` does for kvi's HTML: each stylesheet link becomes a
    ``<style>``, each image a ``data:`` URI (an SVG with ``role="img"`` and its alt text as
    ``aria-label``, as pandoc writes it). Anything else that would load a file or the network when the
    report is opened is refused: the report must be self-contained."""
    import mimetypes
    from urllib.parse import unquote

    def read(ref: str) -> bytes:
        if re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I):
            raise RenderError(f"HTML-rapporten viser til {ref}; den skal ikke hente noe utenfra")
        path = Path(unquote(ref))
        path = path if path.is_absolute() else base / path
        try:
            return path.read_bytes()
        except OSError as exc:
            raise RenderError(f"finner ikke {ref} for HTML-rapporten: {exc.strerror}") from None

    def style(m: re.Match) -> str:
        return '<style type="text/css">\n' + read(m.group(1)).decode("utf-8") + "</style>"

    def image(m: re.Match) -> str:
        src, rest = m.group(1), m.group(2)
        if src.startswith("data:"):
            return m.group(0)
        mime = mimetypes.guess_type(src)[0] or "application/octet-stream"
        uri = f"data:{mime};base64,{base64.b64encode(read(src)).decode('ascii')}"
        alt = _ALT.search(rest)
        aria = f'role="img" aria-label="{alt.group(1)}" ' if mime == "image/svg+xml" and alt else ""
        return f'<img {aria}src="{uri}"{rest} />'

    html = _IMG_SRC.sub(image, _STYLESHEET.sub(style, html))
    left = _LOCAL_SRC.search(html)
    if left:
        raise RenderError(f"HTML-rapporten er ikke selvstendig: kan ikke bygge inn {left.group(1)}")
    return html


def finish_html(html: str) -> str:
    """What pandoc's HTML writer does not do: a ``<main>`` landmark around the content (after the
    title block and the table of contents), ``scope`` on header cells (each body row's first cell is
    its header), and a hidden cell ":" that a screen reader announces as "skjult"."""

    def part(m: re.Match) -> str:
        kind, body = m.group(1), m.group(2)
        if kind == "thead":
            body = body.replace("<th>", '<th scope="col">').replace("<th style", '<th scope="col" style')
        else:
            body = body.replace("<th>", '<th scope="row">').replace("<th style", '<th scope="row" style')
            body = body.replace('<th scope="row">:</th>', f'<th scope="row">{_HIDDEN_ABBR}</th>')
        return f"<{kind}>{body}</{kind}>"

    html = _TABLE_PART.sub(part, html)
    html = _HIDDEN_CELL.sub(lambda m: f"{m.group(1)}{_HIDDEN_ABBR}{m.group(2)}", html)
    if "<main" not in html:
        start = html.find("</nav>")
        start = start + len("</nav>") if start >= 0 else html.find("</header>") + len("</header>")
        if start < len("</header>"):
            start = html.find(">", html.find("<body")) + 1
        end = html.rfind("</body>")
        html = html[:start] + '\n<main id="innhold">\n' + html[start:end] + "</main>\n" + html[end:]
    return html


def pandoc(prep: Prepared, html_out: Path, typ_out: Path) -> None:
    """The notebook to self-contained HTML and to Typst markup, in one request to this process's
    pandoc (the options of both formats from _quarto.yml)."""
    pandoc_server().request(_request(prep, html_out, typ_out))
    html = html_out.read_text(encoding="utf-8")
    o = _format_options("html")
    if o.get("embed-resources", o.get("self-contained", True)):
        html = embed_resources(html, prep.notebook.parent)
    html_out.write_text(finish_html(html), encoding="utf-8")


def typst_pdf(typ: Path, out: Path) -> None:
    """Typst -> tagged PDF, checked against ``pdf-standard`` (e.g. PDF/UA-1) from _quarto.yml."""
    import typst

    standards = [str(s) for s in _as_list(_format_options("typst").get("pdf-standard"))]
    kwargs = {"pdf_standards": standards} if standards else {}
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():  # byte-stable PDFs (set by kvi reports)
        kwargs["timestamp"] = int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        # only Typst's own fonts and matplotlib's DejaVu: the same PDF on every machine
        typst.compile(
            str(typ),
            output=str(out),
            root=str(typ.parent),
            font_paths=typst_fonts(),
            ignore_system_fonts=True,
            **kwargs,
        )
    except Exception as exc:
        raise RenderError(f"typst feilet: {exc}") from None


# --- Quarto ----------------------------------------------------------------------------------


def _quarto_project(work: Path) -> None:
    """Copy _quarto.yml and the files it names into the job's folder (a one-file Quarto project)."""
    shutil.copyfile(config_path(), work / "_quarto.yml")
    for fmt in ("html", "typst"):
        o = _format_options(fmt)
        for key in ("css", "include-in-header"):
            for rel in _as_list(o.get(key)):
                if Path(rel).is_absolute():
                    continue
                dest = work / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(_config_file(rel), dest)


def quarto(prep: Prepared, fmt: str, out: Path) -> None:
    work = prep.notebook.parent
    if not (work / "_quarto.yml").exists():
        _quarto_project(work)
    to = "html" if fmt == "html" else "typst"
    env = dict(os.environ, QUARTO_PYTHON=sys.executable)  # the Python that has nbformat & co.
    _run(["quarto", "render", prep.notebook.name, "--to", to, "--no-execute"], work, f"quarto ({to})", env)
    produced = work / f"{prep.notebook.stem}.{'html' if fmt == 'html' else 'pdf'}"
    if not produced.exists():
        raise RenderError(f"quarto laget ikke {produced.name}")
    os.replace(produced, out)
    if fmt == "html":
        out.write_text(finish_html(out.read_text(encoding="utf-8")), encoding="utf-8")


# --- both -------------------------------------------------------------------------------------


def render(prep: Prepared, html_out: Path, pdf_out: Path) -> dict[str, float]:
    """Render ``prep`` to ``html_out`` and ``pdf_out`` (paths inside the job's folder); returns
    seconds spent on each."""
    times: dict[str, float] = {}
    if engine() == "quarto":
        t = time.perf_counter()
        quarto(prep, "html", html_out)
        times["html"] = time.perf_counter() - t
        t = time.perf_counter()
        quarto(prep, "pdf", pdf_out)
        times["pdf"] = time.perf_counter() - t
        return times
    t = time.perf_counter()
    typ = prep.notebook.with_suffix(".typ")
    pandoc(prep, html_out, typ)
    times["pandoc"] = time.perf_counter() - t
    t = time.perf_counter()
    typst_pdf(typ, pdf_out)
    times["typst"] = time.perf_counter() - t
    return times
