"""``kvi reports``: the suppressed tables, then one HTML and one PDF report per kommune.

    DIR/tabeller/                 output of ``kvi compute`` (reused while input and settings are unchanged)
    DIR/<aar>/index.html          links to every report
    DIR/<aar>/kommunerapport_<kommunenr>.html / .pdf
    DIR/<aar>/nasjonal_oversikt.html / .pdf
    DIR/<aar>/notebooker/<name>.ipynb   the executed notebooks
    DIR/<aar>/manifest.json       inputs, parameters, versions and checksums of every report

The code is split by concern: :mod:`.tables` (the tables and their checksums), :mod:`.jobs` (planning),
:mod:`.pool` (worker processes and kernels), :mod:`.manifest` (the record of every report); this module
joins them and writes the index.

How it runs: ``jobs`` worker processes each start one Jupyter kernel and take reports from a
shared queue: papermill executes the notebook in that kernel, ``render`` turns it into HTML and
PDF in the job's own folder under ``DIR/<aar>/.arbeid/``, and the finished files are moved into
place with ``os.replace`` (atomic). A report whose key (inputs, parameters, code, engine versions)
is the one in ``manifest.json`` and whose files are unchanged is skipped. A failing report does
not stop the others; failures are listed at the end and the exit code is 1.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from kvi_core.errors import KviInputError, signals_interrupt
from kvi_core.output import write_text
from kvi_core.pipeline import sha256 as sha256_file
from kvi_core.publish import PUBLISHED_FILES
from kvi_core.reporting import jobs as jobs_mod
from kvi_core.reporting import manifest, pool, tables
from kvi_core.reporting.index import write_index

RESULTS_DIR = tables.RESULTS_DIR
WORK_DIR = pool.WORK_DIR
NATIONAL = jobs_mod.NATIONAL
Job = jobs_mod.Job
plan = jobs_mod.plan
ensure_results = tables.ensure_results
code_sha = tables.code_sha


# --- entry point -----------------------------------------------------------------------------


def run_reports(
    input_path,
    aar,
    out,
    kostragrupper=None,
    kommuner=None,
    jobs=1,
    threshold=5,
    progress: bool = True,
    force: bool = False,
    intern=None,
    rule: str = "intervall",
    periods: bool = True,
) -> int:
    """Compute (or reuse) the tables and make every report; returns the exit code. One run per
    ``out`` folder at a time (:mod:`kvi_core.runlock`). Ctrl-C or SIGTERM stops the workers, keeps
    every finished report (and its manifest entry) and raises :class:`~kvi_core.errors.Interrupted`."""
    from kvi_core.publish import default_intern
    from kvi_core.runlock import folder_lock, folder_locks

    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise KviInputError(f"{out} finnes og er en fil, ikke en mappe; oppgi en mappe for rapportene med --out")
    # the tables and the internal folder too, for the whole run: no `kvi compute` may switch the
    # tables while the reports read them
    tables_dir = out / RESULTS_DIR
    intern_dir = Path(os.path.abspath(intern)) if intern else default_intern(out)
    with (
        folder_lock(out, "kvi reports"),
        folder_locks(tables_dir, intern_dir, what="kvi reports"),
        signals_interrupt(),
    ):
        _clean_old_layout(out)
        return _run_reports(
            input_path, aar, out, kostragrupper, kommuner, jobs, threshold, progress, force, intern, rule, periods
        )


@contextmanager
def _pinned_creation_time(meta: dict):
    """PDFs carry a creation time; make it the tables' generation time (``SOURCE_DATE_EPOCH``, the
    reproducible-builds convention, unless the caller set it), so that reports made again from the
    same tables are the same bytes. Workers inherit it; it is unset again afterwards."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        yield
        return
    try:
        os.environ["SOURCE_DATE_EPOCH"] = str(int(dt.datetime.fromisoformat(meta["generert"]).timestamp()))
    except (KeyError, TypeError, ValueError):
        pass
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _clean_old_layout(out: Path) -> None:
    """Staging folders that kvi versions before the split of published and internal material left
    in ``out`` when killed (they can hold avvist.csv)."""
    if out.is_dir():
        for p in out.glob(".tabeller-*"):
            shutil.rmtree(p, ignore_errors=True)


def _run_reports(
    input_path, aar, out, kostragrupper, kommuner, jobs, threshold, progress, force, intern, rule, periods=True
) -> int:
    input_path = Path(input_path).resolve()
    kostragrupper = Path(kostragrupper) if kostragrupper else None
    aar = int(aar)
    jobs = max(1, int(jobs or 1))

    def log(msg: str) -> None:
        print(msg, file=sys.stderr)

    results_dir, recomputed = ensure_results(
        input_path, out, kostragrupper, threshold, log=log, intern=intern, rule=rule, periods=periods
    )
    year_dir = out / str(aar)
    year_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(year_dir / WORK_DIR, ignore_errors=True)  # left over from a run that was killed
    all_jobs, kommune_list, meta = plan(results_dir, aar, kommuner, year_dir)

    manifest_path = year_dir / "manifest.json"
    reports = manifest.load_reports(manifest_path)
    todo = [j for j in all_jobs if force or not manifest.unchanged(reports.get(j.id), j.key, year_dir)]
    skipped = len(all_jobs) - len(todo)
    log(
        f"kvi: {len(all_jobs)} rapporter for {aar}: {len(todo)} lages, {skipped} er uendret og hoppes over"
        + (f" ({jobs} parallelle jobber)" if todo else "")
    )

    head = {
        "aar": aar,
        "inndata": {
            "fil": str(input_path),
            "sha256": meta.get("input_sha256"),
            "kostragrupper": str(kostragrupper) if kostragrupper else None,
            "kostragrupper_sha256": sha256_file(kostragrupper) if kostragrupper else None,
        },
        "parametere": {
            "aar": aar,
            "terskel": threshold,
            "beskyttelse": rule,
            "treaarstall": periods,
            "kommuner": kommuner or None,
            "jobs": jobs,
        },
        "resultater": {
            "mappe": os.path.relpath(results_dir, year_dir),
            "beregnet_pa_nytt": recomputed,
            "filer": {n: sha256_file(results_dir / n) for n in PUBLISHED_FILES if (results_dir / n).exists()},
            "metadata": {
                k: meta.get(k) for k in ("generert", "kvi_versjon", "terskel", "syntetisk", "kostragruppering", "aar")
            },
        },
        "versjoner": manifest.versions(),
        "kode_sha256": code_sha(reporting=True),
    }
    record = manifest.Manifest(manifest_path, head, reports, first=NATIONAL)
    record.stats["hoppet_over"] = skipped
    by_id = {j.id: j for j in all_jobs}
    failures: dict[str, str] = {}
    started = time.perf_counter()
    try:
        with _pinned_creation_time(meta):
            for r in pool.run_jobs(todo, jobs, year_dir, progress):
                j = by_id[r.id]
                if r.ok:
                    record.record(r.id, manifest.ok_entry(j, r))  # at once: a killed run keeps what it made
                else:
                    failures[r.id] = r.error
                    record.record(r.id, manifest.failed_entry(j, r))
    finally:  # also when interrupted: the manifest and the index show what is finished
        final = record.save()
        shutil.rmtree(year_dir / WORK_DIR, ignore_errors=True)
        index = write_index(year_dir, aar, final, kommune_list, meta, NATIONAL, results_dir, write_text)
    elapsed = time.perf_counter() - started
    log(
        f"kvi: {record.stats['laget']} rapporter laget, {skipped} uendret, {len(failures)} feilet "
        f"på {elapsed:.1f} s; oversikt: {index}"
    )
    if failures:
        log("kvi: disse rapportene feilet:")
        for jid, err in sorted(failures.items()):
            log(f"  {jid} {by_id[jid].name}: {err}")
        return 1
    return 0
