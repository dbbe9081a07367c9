"""Suppressing many tables: every indicator's years, then its three-year periods, across worker
processes (DATA_CONTRACT §5 and §8).

The tables of different indicators share nothing, and the years of one indicator are independent
until its periods are suppressed jointly with them; so every (indicator, year) is one job, and an
indicator's period job starts as soon as its last year is done. The result does not depend on the
number of workers: each job is the same deterministic computation wherever it runs.

Progress goes to stderr, one line per finished table. Workers ignore Ctrl-C: the main process
stops them and reports the interruption itself; a worker that dies (the operating system's
out-of-memory killer) ends the run with one line, not a hang.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from kvi_core.errors import KviInputError

SMALL_EXTRACT = 100_000  # rows: below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class AnnualJob:
    indikator: str
    aar: int
    inner: pd.DataFrame  # unit, aldersgruppe, kategori, antall
    members: pd.DataFrame  # unit, niva, region, region_navn


@dataclass(frozen=True)
class Settings:
    threshold: int
    rule: str
    regioner: pd.DataFrame  # every year's regions (aar, unit, niva, region, region_navn)
    linked: bool  # suppress the three-year periods too
    # the run's start (``time.time()``, which the worker processes share): when given, lines on
    # stderr as each round of a three-year stage goes (``round_progress``), timed from then
    progress_since: float | None = None


def default_jobs(rows: int) -> int:
    """Worker processes for an extract of ``rows`` rows: one per core, or none for a small one."""
    return 1 if rows < SMALL_EXTRACT else max(1, os.cpu_count() or 1)


def start_workers(n: int) -> ProcessPoolExecutor:
    """``n`` worker processes, started now: each loads the suppression code (1.3-1.7 s of imports)
    while the caller reads the extract, so that the first table starts as soon as it is read. For
    ``suppress_all(executor=...)``, which shuts them down. Spawned, not forked: no fork of a
    process that may hold solver threads."""
    ex = ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=worker_init, initargs=(os.getpid(),))
    for _ in range(n):  # a spawning pool starts one process per task that finds none idle
        ex.submit(_load)
    return ex


def _load() -> None:
    import kvi_core.disclosure.suppression  # noqa: F401
    import kvi_core.periods  # noqa: F401


def annual(job: AnnualJob, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Suppress one indicator and year (raises ``DisclosureError`` unless the suppression ended
    with a clean audit of every hidden cell of the pattern it returns: the same check as
    ``intervals.audit_rule``, which is not repeated; ``kvi audit`` checks the written files).

    Returns the cells and, for a table that ``kvi audit`` checks on its own (no three-year
    periods: those are audited in the linked system), the witness tables of its hidden cells
    (``suppression.witness_frame``)."""
    from kvi_core.disclosure.suppression import suppress
    from kvi_core.errors import DisclosureError

    witnesses: list[pd.DataFrame] | None = None if s.linked else []
    cells = suppress(job.inner, job.members, threshold=s.threshold, rule=s.rule, witnesses=witnesses)
    if not cells.attrs["prikking"].get("kontrollert"):
        raise DisclosureError(
            f"{job.indikator} {job.aar}: prikkingen ble ikke kontrollert ferdig etter regel {s.rule}; "
            "ingenting er skrevet"
        )
    return cells, witnesses[0] if witnesses else None


def periods(indikator: str, years: dict[int, tuple[AnnualJob, pd.DataFrame]], s: Settings) -> pd.DataFrame:
    """Every three-year period of one indicator, suppressed jointly with its fixed annual tables."""
    from kvi_core.periods import YearTable, suppress_periods

    tables = {aar: YearTable(aar, job.inner, job.members, cells) for aar, (job, cells) in years.items()}
    tell = None if s.progress_since is None else round_progress(indikator, s.progress_since)
    return suppress_periods(tables, s.regioner, s.threshold, s.rule, on_round=tell)


def round_progress(indikator: str, since: float, emit: Callable[[str], None] | None = None) -> Callable:
    """``suppress_periods(on_round=...)``: a line for each step of one indicator's three-year
    stage (``suppression.RoundFigures``: the screening, the end of a round), its time counted from
    ``since`` (``time.time()``), to ``emit`` (default ``stderr_progress``; in a worker process too,
    whose stderr is the run's). At national size a round takes minutes, and the stage's own
    ``[k/n]`` line comes only at its end."""
    emit = emit if emit is not None else stderr_progress

    def tell(f) -> None:
        if f.short is None and f.screened == f.audited:
            what = f"alle {f.audited} prikkede celler avgjort år for år og fylke for fylke"
        elif f.short is None:
            what = f"{f.screened} av {f.audited} prikkede celler avgjort år for år og fylke for fylke, resten kontrolleres samlet"
        elif f.short:
            what = f"{f.audited} prikkede celler kontrollert, {f.short} for snevre, prikker {f.added} {'celle' if f.added == 1 else 'celler'} til"
        else:
            what = f"{f.audited} prikkede celler kontrollert, alle holder regelen"
        emit(f"{indikator} treårsperioder, runde {f.runde}: {what} ({time.time() - since:.0f} s)")

    return tell


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_init(parent: int) -> None:
    """Start of a worker process: Ctrl-C is the main process's to handle, and the worker ends with
    its main process, also one killed outright (SIGKILL, the out-of-memory killer) that could stop
    nothing itself: Linux sends the worker SIGTERM when the process that started it is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the main process was gone before the request above was in place
        os._exit(143)


def suppress_all(
    jobs_in: list[AnnualJob],
    s: Settings,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    when_idle: Callable[[], None] | None = None,
    executor: ProcessPoolExecutor | None = None,
) -> tuple[dict[tuple[str, int], pd.DataFrame], dict[str, pd.DataFrame], dict[tuple[str, int], pd.DataFrame]]:
    """Every annual table, and (``s.linked``) every indicator's periods.

    Returns ({(indikator, aar): cells}, {indikator: period cells}, {(indikator, aar): witness
    tables}, the last only without periods: ``annual``). ``progress`` gets one line per finished
    table. ``when_idle`` is called once, in this process, when a worker first has nothing to do
    while others still work (the last tables): the caller's chance to prepare what follows on the
    core that is free instead of after the last table. ``executor`` (``start_workers``): the worker
    processes to use instead of starting ``workers`` new ones; shut down here in every case."""
    from kvi_core.period_calendar import periods_of

    by_ind: dict[str, list[AnnualJob]] = {}
    for j in jobs_in:
        by_ind.setdefault(j.indikator, []).append(j)
    wants_periods = {i: s.linked and bool(periods_of(j.aar for j in js)) for i, js in by_ind.items()}
    tell = Progress(len(jobs_in) + sum(wants_periods.values()), progress)
    annual_out: dict[tuple[str, int], pd.DataFrame] = {}
    period_out: dict[str, pd.DataFrame] = {}
    witness_out: dict[tuple[str, int], pd.DataFrame] = {}

    def keep(key: tuple[str, int], result: tuple[pd.DataFrame, pd.DataFrame | None]) -> None:
        annual_out[key] = result[0]
        if result[1] is not None:
            witness_out[key] = result[1]

    def years_of(ind: str) -> dict[int, tuple[AnnualJob, pd.DataFrame]]:
        return {j.aar: (j, annual_out[(j.indikator, j.aar)]) for j in by_ind[ind]}

    if executor is not None and (workers <= 1 or tell.total <= 1):
        stop_workers(executor)  # started for a larger run than this turned out to be
        executor = None
    if workers <= 1 or tell.total <= 1:
        for j in jobs_in:
            keep((j.indikator, j.aar), annual(j, s))
            tell(f"{j.indikator} {j.aar}")
        for ind, want in wants_periods.items():
            if want:
                period_out[ind] = periods(ind, years_of(ind), s)
                tell(f"{ind} treårsperioder")
        return annual_out, period_out, witness_out

    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    n_workers = min(workers, tell.total)
    ex = executor if executor is not None else start_workers(n_workers)
    try:
        pending = {ex.submit(annual, j, s): (j.indikator, j.aar) for j in jobs_in}
        while pending:
            if when_idle is not None and len(pending) < n_workers:
                when_idle()
                when_idle = None
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=lambda f: str(pending[f])):
                ind, what = pending.pop(fut)
                result = fut.result()  # re-raises a worker's exception here
                if isinstance(what, int):
                    keep((ind, what), result)
                    tell(f"{ind} {what}")
                    if wants_periods[ind] and all((ind, j.aar) in annual_out for j in by_ind[ind]):
                        pending[ex.submit(periods, ind, years_of(ind), s)] = (ind, "3ar")
                else:
                    period_out[ind] = result
                    tell(f"{ind} treårsperioder")
    except BrokenProcessPool:
        stop_workers(ex)
        raise KviInputError(
            "en prikkeprosess stoppet uventet (for lite minne?); ingenting er skrevet. Prøv --jobs 1"
        ) from None
    except BaseException:  # an error in a job, or Ctrl-C/SIGTERM: stop the jobs still running
        stop_workers(ex)
        raise
    ex.shutdown(wait=True)
    return annual_out, period_out, witness_out


def stop_workers(ex) -> None:
    """Stop a process pool now, jobs running or not (``ProcessPoolExecutor`` has no public way
    before Python 3.14: its worker processes are terminated directly)."""
    for proc in list((getattr(ex, "_processes", None) or {}).values()):
        proc.terminate()
    ex.shutdown(wait=True, cancel_futures=True)


class Progress:
    """``[k/n] <what> ferdig (s)`` to ``emit`` as each of ``total`` tables finishes, once the run has
    taken ``after`` seconds (``kvi compute`` from the start, ``kvi audit`` only when it is slow)."""

    def __init__(self, total: int, emit: Callable[[str], None] | None, after: float = 0.0):
        self.total, self.emit, self.after, self.done = total, emit, after, 0
        self.started = time.perf_counter()

    def __call__(self, what: str) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        if self.emit is not None and elapsed >= self.after:
            self.emit(f"[{self.done}/{self.total}] {what} ferdig ({elapsed:.0f} s)")


def stderr_progress(line: str) -> None:
    print(f"kvi: prikking {line}", file=sys.stderr, flush=True)
