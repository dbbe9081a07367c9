"""The one place kvi creates a HiGHS solver: quiet, whatever highspy version is installed.

highspy 1.16 prints a two-line "Running HiGHS … Copyright" banner from C++ straight to the
process's file descriptor 1 while ``highspy.Highs()`` is being constructed, before any option can
be set; older versions print it at the first call unless ``output_flag`` is already off. Python's
``contextlib.redirect_stdout`` does not see it, so the construction runs with file descriptors 1
and 2 pointed at the null device, and ``output_flag`` is switched off before they are restored.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
from collections.abc import Iterator

import highspy

# The descriptors are process-wide: two threads creating solvers at once must not interleave
# their swaps (the second would "restore" the null device).
_FD_LOCK = threading.Lock()


@functools.cache
def _c_library() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def _flush_all() -> None:
    """Flush Python's and C's buffers so nothing written before (or during) the swap crosses it."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()
    libc = _c_library()
    if libc is not None:
        libc.fflush(None)


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Point file descriptors 1 and 2 at the null device for the duration of the block."""
    with _FD_LOCK:
        _flush_all()
        saved: list[tuple[int, int]] = []
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            for fd in (1, 2):
                try:
                    saved.append((fd, os.dup(fd)))
                except OSError:  # descriptor closed (a daemonised process): nothing to protect
                    continue
                os.dup2(devnull, fd)
            yield
        finally:
            _flush_all()  # a banner still in C's stdout buffer goes to the null device
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)
            os.close(devnull)


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` that has printed nothing and will print nothing (``output_flag`` off)."""
    with _native_output_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h
