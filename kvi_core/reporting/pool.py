"""Running report jobs: ``jobs`` worker processes, each with one Jupyter kernel, are handed one job
at a time over their own pipe (no shared queue: pipes need no named semaphores, so a stopped run
leaves nothing for multiprocessing's resource tracker to warn about after the stop line). Each
report is executed and rendered in its own folder under ``<aar>/.arbeid/`` and its finished files
are moved into place (``os.replace``, atomic) the moment it is done. Ctrl-C or SIGTERM in the main
process stops the workers, which stop their kernels."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import shutil
import signal
import sys
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from kvi_core.pipeline import sha256 as sha256_file
from kvi_core.reporting.jobs import Job

WORK_DIR = ".arbeid"


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
        nb = kernel.execute(job.notebook, executed, job.parameters, published_as=f"notebooker/{job.stem}.ipynb")
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
            res.files[kind] = {
                "fil": str(dest.relative_to(year_dir)),
                "sha256": sha256_file(src),
                "bytes": src.stat().st_size,
            }
        for _kind, (src, dest) in targets.items():
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


def _worker(n: int, conn, year_dir: str, parent: int) -> None:
    """A worker process: one kernel, many reports, one job at a time from ``conn``. Stops (and stops
    its kernel) on SIGTERM, on the end-of-work marker, or when the main process is gone."""
    from kvi_core.reporting.execute import Kernel

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the main process, which stops us
    year = Path(year_dir)
    kdir = year / WORK_DIR / f"kjerne-{n}-{os.getpid()}"
    kdir.mkdir(parents=True, exist_ok=True)
    kernel = Kernel(cwd=kdir)
    try:
        while os.getppid() == parent:  # the main process is gone: stop
            if not conn.poll(2):
                continue
            job = conn.recv()
            if job is None:
                break
            try:
                res = _process(Job(**job), kernel, year)
            except Exception as exc:  # e.g. the kernel could not start
                res = Result(job["id"], ok=False, error=_short_error(exc))
            conn.send(asdict(res))
    except (EOFError, OSError):  # the main process closed the pipe
        pass
    finally:
        kernel.shutdown()
        shutil.rmtree(kdir, ignore_errors=True)


def _hand_out(conn, todo: deque) -> str | None:
    """Send the next job to an idle worker (or the end-of-work marker); the id it now runs."""
    job = todo.popleft() if todo else None
    try:
        conn.send(asdict(job) if job else None)
    except (BrokenPipeError, OSError):  # the worker is gone; its pipe's EOF reports it
        if job:
            todo.appendleft(job)
        return None
    return job.id if job else None


def run_jobs(jobs: list[Job], n_jobs: int, year_dir: Path, progress: bool):
    """Yield a Result per job as they finish."""
    from tqdm import tqdm

    # in a log (no terminal) a line every 15 s, not one per report
    bar = tqdm(
        total=len(jobs),
        unit="rapport",
        desc="Rapporter",
        disable=not progress or not jobs,
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.1 if sys.stderr.isatty() else 15,
    )
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
        ctx = mp.get_context("spawn")
        todo = deque(jobs)
        procs, busy = [], {}  # busy: the pipe of a worker -> the id of the job it is running
        for i in range(min(n_jobs, len(jobs))):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(i, theirs, str(year_dir), os.getpid()), daemon=False)
            p.start()
            theirs.close()
            procs.append(p)
            busy[mine] = None
        try:
            for conn in list(busy):
                busy[conn] = _hand_out(conn, todo)
            while busy:
                for conn in wait(list(busy), timeout=5):
                    try:
                        r = Result(**conn.recv())
                    except (EOFError, OSError):  # the worker died hard: its job failed, the others go on
                        jid = busy.pop(conn)
                        if jid is not None:
                            bar.update()
                            yield Result(jid, ok=False, error="arbeidsprosessen stoppet uventet")
                        continue
                    busy[conn] = _hand_out(conn, todo)
                    bar.update()
                    yield r
                if todo and not busy:  # every worker died: report what is left
                    while todo:
                        yield Result(todo.popleft().id, ok=False, error="arbeidsprosessen stoppet uventet")
        except BaseException:  # Ctrl-C or an error here: stop the workers (they stop their kernels)
            for p in procs:
                p.terminate()
            raise
        finally:
            for conn in busy:
                conn.close()
            for p in procs:
                p.join(timeout=30)
                if p.is_alive():
                    p.terminate()
                    p.join(timeout=10)
                if p.is_alive():
                    p.kill()
    finally:
        bar.close()
