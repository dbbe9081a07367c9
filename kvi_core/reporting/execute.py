"""Executing the report notebooks with papermill in one long-lived kernel per worker.

A fresh kernel per report costs about 1.5 s (start, imports of pandas and matplotlib, shutdown);
the content itself about 0.3 s. So each worker starts one kernel and hands it to papermill for
every report (papermill passes ``km`` on to nbclient, which then neither starts nor stops it).
State can carry over between reports in that kernel, so the notebooks set every name they use
from their parameters, and the worker restarts the kernel after a failure and every
``restart_every`` reports (500: a national batch with two workers runs in two kernels). Kernel
starts of parallel workers can race for the same TCP ports (ZMQ "address already in use"): on
POSIX the kernel talks over IPC sockets in the worker's own folder instead, and a failed start is
retried in any case.
"""

from __future__ import annotations

import logging
import os
import random
import time
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from kvi_core.resources import IMPORT_ROOT

ENGINE_NAME = "kvi-reused-kernel"

log = logging.getLogger(__name__)


class ReusedKernelEngine(NBClientEngine):
    """papermill engine that runs the notebook in a kernel it is given (``km``) through a client it
    is given (``kc``), and leaves both running. (A new client per notebook costs 0.2-0.25 s of
    waiting in ``wait_for_ready``; nbclient matches replies by message id, so one client can serve
    notebook after notebook.)"""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        km=None,
        kc=None,
        **kwargs,
    ):
        client = PapermillNotebookClient(
            nb_man,
            km=km,
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client.kc = kc
        try:
            return client.execute()
        finally:
            if kc is None and client.kc is not None:
                client.kc.stop_channels()
            client.kc = None


papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)


# No history file; and SVG figures with ids derived from their content instead of a random salt,
# so that the same figure is the same bytes in every run (their date comes from SOURCE_DATE_EPOCH).
KERNEL_ARGUMENTS = [
    "--HistoryManager.hist_file=:memory:",
    "--IPKernelApp.exec_lines=import matplotlib; matplotlib.rcParams['svg.hashsalt'] = 'kvi'",
]


def kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(IMPORT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("JPY_PARENT_PID", None)
    return env


class Kernel:
    """One started kernel, reused for many notebooks."""

    def __init__(
        self,
        kernel_name: str = "python3",
        cwd: str | Path | None = None,
        restart_every: int = 500,  # a kernel grew by 10 MB (297 -> 308 MB) over 200 kommune reports
        start_timeout: float = 60,
        tries: int = 6,
    ):
        self.kernel_name = kernel_name
        self.cwd = str(cwd or os.getcwd())
        self.restart_every = restart_every
        self.start_timeout = start_timeout
        self.tries = tries
        self.km: AsyncKernelManager | None = None
        self.kc = None
        self.runs = 0
        self.starts = 0

    # --- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        last: Exception | None = None
        for attempt in range(self.tries):
            km = self._manager(attempt)
            try:
                run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=self.cwd, env=kernel_env())
                kc = km.client()
                kc.start_channels()
                try:
                    run_sync(kc.wait_for_ready)(timeout=self.start_timeout)
                except BaseException:
                    kc.stop_channels()
                    raise
                self.km, self.kc, self.runs = km, kc, 0
                self.starts += 1
                return
            except Exception as exc:  # port race, slow machine: try again with a new kernel
                last = exc
                log.warning("kernel start failed (%s), attempt %d", exc, attempt + 1)
                self._kill(km)
                time.sleep(0.2 + random.random() * (attempt + 1))
        raise RuntimeError(f"kunne ikke starte Jupyter-kjernen {self.kernel_name}: {last}")

    def _manager(self, attempt: int) -> AsyncKernelManager:
        """A kernel manager on IPC sockets in this worker's own folder where the OS has them (no
        TCP port races between parallel workers, no unencrypted TCP), else on TCP."""
        # absolute: the kernel process runs in another directory; short: a socket path has ~107 bytes
        prefix = str(Path(self.cwd).resolve() / f"k{os.getpid()}-{self.starts}-{attempt}")
        if os.name == "posix" and len(prefix) < 90:
            return AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc", ip=prefix)
        return AsyncKernelManager(kernel_name=self.kernel_name)

    @staticmethod
    def _kill(km: AsyncKernelManager) -> None:
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass
        try:
            run_sync(km.cleanup_resources)()
        except Exception:
            pass

    def shutdown(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
            self.kc = None
        if self.km is not None:
            self._kill(self.km)
            self.km = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def alive(self) -> bool:
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    # --- running notebooks -------------------------------------------------------------------
    def execute(
        self,
        notebook: str | Path,
        output: str | Path,
        parameters: dict,
        timeout: float = 600,
        published_as: str | None = None,
    ):
        """Run ``notebook`` with ``parameters`` (papermill), write the executed copy to ``output``,
        byte-stable (:func:`stable_notebook`; ``published_as`` is the path it is published under)."""
        if self.km is None or self.runs >= self.restart_every or not self.alive():
            self.restart()
        self.runs += 1
        try:
            nb = papermill.execute_notebook(
                str(notebook),
                None,  # written once below, in its stable form
                parameters=parameters,
                engine_name=ENGINE_NAME,
                km=self.km,
                kc=self.kc,
                kernel_name=self.kernel_name,
                progress_bar=False,
                request_save_on_cell_execute=False,
                log_output=False,
                execution_timeout=timeout,
                cwd=None,
            )
        except BaseException:
            self.shutdown()  # the kernel's state is unknown after a failure: the next run starts anew
            raise
        nb = stable_notebook(nb, Path(notebook).name, published_as or Path(output).name)
        nbformat.write(nb, str(output))
        return nb

    def __enter__(self) -> Kernel:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()


_VOLATILE = ("start_time", "end_time", "duration")
INJECTED_ID = "parametere-injisert"


def stable_notebook(nb, source_name: str, published_as: str):
    """The executed notebook without what changes from run to run: papermill's timings and the
    kernel's execution timestamps go, execution counts start at 1, the paths become the source's
    name and the published path (not the job's temporary folder), and the parameters cell papermill
    injects (with a random id) gets a fixed id. Two runs on the same input then write the same bytes."""
    meta = nb.metadata.get("papermill")
    if meta is not None:
        for k in _VOLATILE:
            meta.pop(k, None)
        meta["input_path"] = source_name
        meta["output_path"] = published_as
    seen: set[str] = set()
    count = 0
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            # a reused kernel counts on from the reports it ran before: number as a fresh kernel would
            count += 1
            cell["execution_count"] = count
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = count
        pm = cell.metadata.get("papermill")
        if pm is not None:
            for k in _VOLATILE:
                pm.pop(k, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_ID
        if cell.get("id") in seen:
            cell["id"] = f"celle-{i:02d}"
        seen.add(cell.get("id"))
    return nb
