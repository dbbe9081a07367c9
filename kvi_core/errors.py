"""Errors that end a run with one clear line instead of a traceback."""

from __future__ import annotations

import errno
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class KviInputError(Exception):
    """The input (extract, grouping file, output folder) cannot be used at all."""


class DisclosureError(RuntimeError):
    """The audit found a hidden cell that can be worked out: nothing is published."""


class Interrupted(BaseException):  # like KeyboardInterrupt: no `except Exception` may swallow it
    """The run was stopped by a signal (Ctrl-C = SIGINT, SIGTERM); what was finished is kept."""

    def __init__(self, signal_name: str = "SIGINT"):
        super().__init__(signal_name)
        self.signal_name = signal_name


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGINT) end the run like Ctrl-C: an ``Interrupted`` that unwinds through the
    worker pools (which stop their workers) and the folder generations (which leave the previous
    one whole). Without it a SIGTERM would end the main process at once and leave its worker
    processes computing on. Only the main thread can set signal handlers; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# What an operating-system error means to the user, and what to do (bokmål).
OS_ERRORS = {
    errno.ENOSPC: "disken er full; frigjør plass eller velg en annen mappe",
    errno.EDQUOT: "diskkvoten er brukt opp; frigjør plass eller velg en annen mappe",
    errno.EROFS: "filsystemet er skrivebeskyttet; velg en mappe du kan skrive i",
    errno.EACCES: "mangler tilgang; sjekk rettighetene eller velg en annen mappe",
    errno.EPERM: "operasjonen er ikke tillatt; sjekk rettighetene eller velg en annen mappe",
    errno.ENOTDIR: "en del av stien er en fil, ikke en mappe; velg en annen sti",
    errno.EISDIR: "stien er en mappe, ikke en fil",
    errno.ENOENT: "finnes ikke",
    errno.EEXIST: "finnes allerede",
    errno.ENAMETOOLONG: "filnavnet er for langt; velg en kortere sti",
    errno.EMFILE: "for mange åpne filer; prøv igjen med færre parallelle jobber",
    errno.EIO: "lese- eller skrivefeil på disken; sjekk disken og prøv igjen",
    errno.EXDEV: "mappene ligger på ulike filsystemer; velg en mappe på samme disk",
    errno.ENOTEMPTY: "mappen er ikke tom",
}


def describe_os_error(exc: OSError) -> str:
    """One bokmål line for an OSError: the file, what is wrong, what to do."""
    what = OS_ERRORS.get(exc.errno or -1, exc.strerror or type(exc).__name__)
    where = exc.filename or ""
    if exc.filename2:
        where = f"{where} -> {exc.filename2}"
    return f"{where}: {what}" if where else what
