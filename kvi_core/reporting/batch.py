"""``kvi reports``: the suppressed tables, then one HTML and one PDF report per kommune.

    DIR/tabeller/                 output of ``kvi compute`` (reused while input and settings are unchanged)
    DIR/<aar>/index.html          links to every report
    DIR/<aar>/kommunerapport_<kommunenr>.html / .pdf
    DIR/<aar>/nasjonal_oversikt.html / .pdf
    DIR/<aar>/notebooker/<name>.ipynb   the executed notebooks
    DIR/<aar>/manifest.json       inputs, parameters, versions and checksums of every report

How it runs: ``jobs`` worker processes each start one Jupyter kernel and take reports from a
shared queue: papermill executes the notebook in that kernel, ``render`` turns it into HTML and
PDF in the job's own folder under ``DIR/<aar>/.arbeid/``, and the finished files are moved into
place with ``os.replace`` (atomic). A report whose key (inputs, parameters, code, engine versions)
is the one in ``manifest.json`` and whose files are unchanged is skipped. A failing report does
not stop the others; failures are listed at the end and the exit code is 1.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing as mp
import os
import platform
import queue
import shutil
import signal
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kvi_core import __version__
from kvi_core.errors import KviInputError
from kvi_core.output import write_json, write_text
from kvi_core.pipeline import sha256 as sha256_file
from kvi_core.resources import IMPORT_ROOT, KOMMUNE_NOTEBOOK, NATIONAL_NOTEBOOK, NOTEBOOKS, params_dir
from kvi_core.publish import (
    PUBLISHED_FILES,
    STAMP,
    default_intern,
    forbidden_in_publication,
)
from kvi_core.reporting.index import write_index

REPO_ROOT = IMPORT_ROOT  # checksummed files are named relative to it
NATIONAL = "nasjonal"
RESULTS_DIR = "tabeller"
WORK_DIR = ".arbeid"


# --- checksums ----------------------------------------------------------------------------------

def _sha_json(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _tree_sha(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.relative_to(REPO_ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def code_sha(reporting: bool) -> str:
    """Checksum of the code and settings a step depends on: the computation (kvi_core outside
    reporting, params, reference data), plus, for the reports, the reporting code, notebooks and
    rendering options."""
    core = REPO_ROOT / "kvi_core"
    files = [p for p in core.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    if not reporting:
        files = [p for p in files if "reporting" not in p.relative_to(core).parts]
    files += [p for p in params_dir().rglob("*.toml")]
    if reporting:
        files += list(NOTEBOOKS.glob("*.ipynb"))
        from kvi_core.reporting.render import config_path

        cfg = config_path()
        if cfg.exists():
            files.append(cfg)
    return _tree_sha([p for p in files if p.resolve().is_relative_to(REPO_ROOT)])


# --- the tables ---------------------------------------------------------------------------------

def ensure_results(input_path: Path, out: Path, kostragrupper: Path | None, threshold: int,
                   log=print, intern: Path | None = None) -> tuple[Path, bool]:
    """``out/tabeller`` from ``kvi compute`` (its internal material in ``intern``, default the
    sibling ``<out>-intern``); computed again only when the input, the grouping file, the threshold
    or the computing code changed. Returns (folder, recomputed)."""
    from kvi_core.pipeline import compute

    if not input_path.exists():
        raise KviInputError(f"finner ikke inndatafilen {input_path}")
    intern = Path(intern) if intern else default_intern(out)
    sidecar = Path(f"{input_path}.metadata.json")
    key = {
        "input_sha256": sha256_file(input_path),
        "sidecar_sha256": sha256_file(sidecar) if sidecar.exists() else None,
        "kostragrupper_sha256": sha256_file(kostragrupper) if kostragrupper else None,
        "terskel": threshold,
        "kode_sha256": code_sha(reporting=False),
    }
    folder = out / RESULTS_DIR
    stamp = folder / STAMP
    try:
        old = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        old = None
    complete = all((folder / n).exists() for n in ("metadata.json", "regioner.csv", "indikatorer.csv"))
    if old == key and complete and not forbidden_in_publication(folder) and (intern / "avvist.csv").exists():
        log(f"kvi: gjenbruker tabellene i {folder} (samme inndata og innstillinger)")
        return folder, False
    # the whole generation (tables, stamp, and avvist.csv in the internal folder) is switched in at once
    compute(input_path, folder, kostragrupper=kostragrupper, unsuppressed=False, threshold=threshold,
            intern_dir=intern, extra={STAMP: key})
    return folder, True


# --- jobs ------------------------------------------------------------------------------------------

@dataclass
class Job:
    id: str  # kommunenr, or NATIONAL
    name: str  # region name
    notebook: str
    parameters: dict
    front_matter: dict
    key: str = ""
    stem: str = ""  # output file name without suffix


@dataclass
class Result:
    id: str
    ok: bool
    seconds: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # kind -> {"fil", "sha256", "bytes"}
    error: str = ""
    generated: str = ""


def _short_error(exc: BaseException) -> str:
    try:
        from papermill.exceptions import PapermillExecutionError

        if isinstance(exc, PapermillExecutionError):
            return f"{exc.ename}: {exc.evalue}"
    except ImportError:
        pass
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


def _process(job: Job, kernel, year_dir: Path) -> Result:
    """Execute, render and publish one report. Each job works in its own folder."""
    from kvi_core.reporting import render

    started = time.perf_counter()
    work = year_dir / WORK_DIR / f"{job.stem}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True)
    res = Result(job.id, ok=False)
    try:
        executed = work / f"{job.stem}.ipynb"
        t = time.perf_counter()
        nb = kernel.execute(job.notebook, executed, job.parameters)
        res.seconds["kjoring"] = time.perf_counter() - t
        prep = render.prepare(nb, work / "render", job.front_matter, name=job.stem)
        html, pdf = work / f"{job.stem}.html", work / f"{job.stem}.pdf"
        res.seconds.update(render.render(prep, html, pdf))
        targets = {
            "html": (html, year_dir / f"{job.stem}.html"),
            "pdf": (pdf, year_dir / f"{job.stem}.pdf"),
            "notebook": (executed, year_dir / "notebooker" / f"{job.stem}.ipynb"),
        }
        for kind, (src, dest) in targets.items():
            os.chmod(src, 0o644)
            res.files[kind] = {"fil": str(dest.relative_to(year_dir)), "sha256": sha256_file(src),
                               "bytes": src.stat().st_size}
        for kind, (src, dest) in targets.items():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        res.ok = True
    except Exception as exc:  # one failing report must not stop the batch
        res.error = _short_error(exc)
        res.files = {}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res.seconds["totalt"] = time.perf_counter() - started
    res.generated = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    return res


def _worker(n: int, tasks, results, year_dir: str, parent: int) -> None:
    """A worker process: one kernel, many reports. Stops (and stops its kernel) on SIGTERM, on the
    end-of-work marker, or when the main process is gone."""
    from kvi_core.reporting.execute import Kernel

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the main process, which stops us
    year = Path(year_dir)
    kdir = year / WORK_DIR / f"kjerne-{n}-{os.getpid()}"
    kdir.mkdir(parents=True, exist_ok=True)
    kernel = Kernel(cwd=kdir)
    try:
        while True:
            if os.getppid() != parent:  # the main process is gone: stop
                break
            try:
                job = tasks.get(timeout=2)
            except queue.Empty:
                continue
            if job is None:
                break
            try:
                res = _process(Job(**job), kernel, year)
            except Exception as exc:  # e.g. the kernel could not start
                res = Result(job["id"], ok=False, error=_short_error(exc))
            results.put(asdict(res))
    finally:
        kernel.shutdown()
        shutil.rmtree(kdir, ignore_errors=True)


def _run_jobs(jobs: list[Job], n_jobs: int, year_dir: Path, progress: bool):
    """Yield a Result per job as they finish."""
    from tqdm import tqdm

    # in a log (no terminal) a line every 15 s, not one per report
    bar = tqdm(total=len(jobs), unit="rapport", desc="Rapporter", disable=not progress or not jobs,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.1 if sys.stderr.isatty() else 15)
    try:
        if n_jobs <= 1 or len(jobs) <= 1:
            from kvi_core.reporting.execute import Kernel

            kdir = year_dir / WORK_DIR / f"kjerne-0-{os.getpid()}"
            kdir.mkdir(parents=True, exist_ok=True)
            with Kernel(cwd=kdir) as kernel:
                for job in jobs:
                    res = _process(job, kernel, year_dir)
                    bar.update()
                    yield res
            shutil.rmtree(kdir, ignore_errors=True)
            return
        import threading

        if threading.current_thread() is threading.main_thread():  # SIGTERM: stop workers and kernels too
            previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        else:
            previous = None
        ctx = mp.get_context("spawn")
        tasks, results = ctx.Queue(), ctx.Queue()
        for job in jobs:
            tasks.put(asdict(job))
        n = min(n_jobs, len(jobs))
        for _ in range(n):
            tasks.put(None)
        procs = [ctx.Process(target=_worker, args=(i, tasks, results, str(year_dir), os.getpid()), daemon=False)
                 for i in range(n)]
        for p in procs:
            p.start()
        pending = {j.id for j in jobs}
        try:
            while pending:
                try:
                    r = Result(**results.get(timeout=5))
                except queue.Empty:
                    if not any(p.is_alive() for p in procs):  # a worker died hard: report what is left
                        for jid in sorted(pending):
                            yield Result(jid, ok=False, error="arbeidsprosessen stoppet uventet")
                        pending.clear()
                    continue
                pending.discard(r.id)
                bar.update()
                yield r
        except BaseException:  # Ctrl-C or an error here: stop the workers (they stop their kernels)
            for p in procs:
                p.terminate()
            raise
        finally:
            for p in procs:
                p.join(timeout=30)
                if p.is_alive():
                    p.terminate()
                    p.join(timeout=10)
                if p.is_alive():
                    p.kill()
            tasks.cancel_join_thread()  # unread jobs must not keep this process from exiting
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    finally:
        bar.close()


# --- manifest and index ----------------------------------------------------------------------

def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from kvi_core.reporting.render import versions as render_versions

    out = {"kvi": __version__, "python": platform.python_version()}
    for pkg in ("pandas", "numpy", "pyarrow", "matplotlib", "papermill", "nbclient", "nbformat", "ipykernel",
                "pypandoc-binary", "typst"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    out.update({f"motor_{k}" if k != "engine" else "motor": v for k, v in render_versions().items()})
    return out


def _unchanged(entry: dict | None, key: str, year_dir: Path) -> bool:
    if not entry or entry.get("nokkel") != key or entry.get("status") != "ok":
        return False
    for f in (entry.get("filer") or {}).values():
        p = year_dir / f["fil"]
        if not p.exists() or p.stat().st_size != f["bytes"] or sha256_file(p) != f["sha256"]:
            return False
    return bool(entry.get("filer"))


# --- entry point -----------------------------------------------------------------------------

def plan(results_dir: Path, aar: int, kommuner: list[str] | None, year_dir: Path) -> tuple[list[Job], list[dict], dict]:
    """All report jobs (national overview first), the kommune list for the index, and the
    results' metadata."""
    from kvi_core.reporting import render, texts
    from kvi_core.reporting.data import Results

    res = Results(results_dir)
    view = res.year(aar)
    kom = view.kommuner()
    all_k = []
    for r in kom.to_dict("records"):
        fylke = view.parents(r["region"]).get("fylke", "")
        all_k.append({"kommunenr": r["region"], "navn": r["region_navn"], "fylke": view.name(fylke)})
    wanted = all_k
    if kommuner:
        codes = [str(k).strip().zfill(4) for k in kommuner]
        known = {k["kommunenr"] for k in all_k}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise KviInputError(f"ukjent kommunenummer for {aar}: {', '.join(unknown)}")
        wanted = [k for k in all_k if k["kommunenr"] in set(codes)]
    files = {name: sha256_file(results_dir / name) for name in PUBLISHED_FILES if (results_dir / name).exists()}
    base = {
        "aar": aar, "resultater": files, "kode_sha256": code_sha(reporting=True), "motor": render.versions(),
        "kvi": __version__,
    }
    common = {"aar": aar, "resultater": str(results_dir), "vis_tittel": False}
    jobs = [Job(NATIONAL, "Hele landet", str(NATIONAL_NOTEBOOK), dict(common),
                {"title": texts.national_title(aar), "subtitle": "Nasjonal oversikt"},
                stem="nasjonal_oversikt")]
    for k in wanted:
        jobs.append(Job(k["kommunenr"], k["navn"], str(KOMMUNE_NOTEBOOK), dict(common, kommunenr=k["kommunenr"]),
                        {"title": texts.kommune_title(k["navn"], k["kommunenr"], aar), "subtitle": "Kommunerapport"},
                        stem=f"kommunerapport_{k['kommunenr']}"))
    for j in jobs:
        j.key = _sha_json(dict(base, id=j.id, notebook=Path(j.notebook).name, front_matter=j.front_matter))
    return jobs, all_k, res.metadata


def run_reports(input_path, aar, out, kostragrupper=None, kommuner=None, jobs=1, threshold=5,
                progress: bool = True, force: bool = False, intern=None) -> int:
    """Compute (or reuse) the tables and make every report; returns the exit code. One run per
    ``out`` folder at a time (:mod:`kvi_core.runlock`)."""
    from kvi_core.runlock import folder_lock

    out = Path(os.path.abspath(out))
    with folder_lock(out, "kvi reports"):
        _clean_old_layout(out)
        return _run_reports(input_path, aar, out, kostragrupper, kommuner, jobs, threshold, progress, force,
                            intern)


def _clean_old_layout(out: Path) -> None:
    """Staging folders that kvi versions before the split of published and internal material left
    in ``out`` when killed (they can hold avvist.csv)."""
    if out.is_dir():
        for p in out.glob(".tabeller-*"):
            shutil.rmtree(p, ignore_errors=True)


def _run_reports(input_path, aar, out, kostragrupper, kommuner, jobs, threshold, progress, force, intern) -> int:
    input_path = Path(input_path).resolve()
    kostragrupper = Path(kostragrupper) if kostragrupper else None
    aar = int(aar)
    jobs = max(1, int(jobs or 1))
    log = lambda msg: print(msg, file=sys.stderr)

    results_dir, recomputed = ensure_results(input_path, out, kostragrupper, threshold, log=log, intern=intern)
    year_dir = out / str(aar)
    year_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(year_dir / WORK_DIR, ignore_errors=True)  # left over from a run that was killed
    all_jobs, kommune_list, meta = plan(results_dir, aar, kommuner, year_dir)

    manifest_path = year_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        manifest = {}
    reports: dict = manifest.get("rapporter", {})
    todo = [j for j in all_jobs if force or not _unchanged(reports.get(j.id), j.key, year_dir)]
    skipped = len(all_jobs) - len(todo)
    log(f"kvi: {len(all_jobs)} rapporter for {aar}: {len(todo)} lages, {skipped} er uendret og hoppes over"
        + (f" ({jobs} parallelle jobber)" if todo else ""))

    by_id = {j.id: j for j in all_jobs}
    failures: dict[str, str] = {}
    made = 0
    started = time.perf_counter()
    versions = _versions()
    code = code_sha(reporting=True)

    def manifest_now() -> dict:
        return {
            "kvi_versjon": __version__,
            "generert": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
            "aar": aar,
            "inndata": {
                "fil": str(input_path), "sha256": meta.get("input_sha256"),
                "kostragrupper": str(kostragrupper) if kostragrupper else None,
                "kostragrupper_sha256": sha256_file(kostragrupper) if kostragrupper else None,
            },
            "parametere": {"aar": aar, "terskel": threshold, "kommuner": kommuner or None, "jobs": jobs},
            "resultater": {
                "mappe": os.path.relpath(results_dir, year_dir),
                "beregnet_pa_nytt": recomputed,
                "filer": {n: sha256_file(results_dir / n) for n in PUBLISHED_FILES if (results_dir / n).exists()},
                "metadata": {k: meta.get(k) for k in ("generert", "kvi_versjon", "terskel", "syntetisk",
                                                      "kostragruppering", "aar")},
            },
            "versjoner": versions,
            "kode_sha256": code,
            "siste_kjoring": {"laget": made, "hoppet_over": skipped, "feilet": len(failures),
                              "sekunder": round(time.perf_counter() - started, 1)},
            "rapporter": dict(sorted(reports.items(), key=lambda kv: (kv[0] != NATIONAL, kv[0]))),
        }

    try:
        for r in _run_jobs(todo, jobs, year_dir, progress):
            j = by_id[r.id]
            if r.ok:
                made += 1
                reports[r.id] = {"navn": j.name, "status": "ok", "nokkel": j.key, "generert": r.generated,
                                 "parametere": j.parameters, "filer": r.files,
                                 "sekunder": {k: round(v, 3) for k, v in r.seconds.items()}}
            else:
                failures[r.id] = r.error
                reports[r.id] = {"navn": j.name, "status": "feilet", "feil": r.error, "nokkel": "",
                                 "generert": r.generated, "parametere": j.parameters, "filer": {}}
            if (made + len(failures)) % 50 == 0:  # a run that is killed keeps what it made
                write_json(manifest_now(), manifest_path)
    finally:
        manifest = manifest_now()
        write_json(manifest, manifest_path)
        shutil.rmtree(year_dir / WORK_DIR, ignore_errors=True)
    elapsed = time.perf_counter() - started
    index = write_index(year_dir, aar, manifest, kommune_list, meta, NATIONAL, results_dir, write_text)
    log(f"kvi: {made} rapporter laget, {skipped} uendret, {len(failures)} feilet "
        f"på {elapsed:.1f} s; oversikt: {index}")
    if failures:
        log("kvi: disse rapportene feilet:")
        for jid, err in sorted(failures.items()):
            log(f"  {jid} {by_id[jid].name}: {err}")
        return 1
    return 0
