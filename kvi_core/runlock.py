"""One run per folder: an advisory lock (``fcntl.flock``) on a small file.

The kernel releases a flock when the process holding it dies, however it dies, so a lock left by a
killed run is simply free again: there is no stale-lock guessing. The file itself stays and records
who holds it (pid, start time, command), which a second run names when it stops.

The lock file for a folder ``X`` is ``.X.kvi.lock`` beside it, not inside it: ``kvi compute`` replaces
its output folder whole (:mod:`kvi_core.publish`), and a lock inside would be swapped away with it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kvi_core.errors import KviInputError

SUFFIX = ".kvi.lock"


class LockedError(KviInputError):
    """Another run is working on the same folder."""


def lock_path(folder: Path) -> Path:
    folder = Path(os.path.abspath(folder))
    return folder.parent / f".{folder.name}{SUFFIX}"


_HELD: dict[Path, int] = {}  # locks this process holds (re-entrant: kvi reports runs compute inside)


@contextmanager
def folder_lock(folder: Path, what: str = "kvi"):
    """Hold the lock of ``folder`` for the block; raise LockedError at once if another run holds it.
    Re-entrant within one process."""
    path = lock_path(folder)
    if _HELD.get(path):
        _HELD[path] += 1
        try:
            yield path
        finally:
            _HELD[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise LockedError(
                f"{folder} er i bruk av en annen kvi-kjøring ({holder}); vent til den er ferdig"
            ) from None
        info = {
            "pid": os.getpid(),
            "startet": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
            "kommando": what,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info, ensure_ascii=False) + "\n").encode("utf-8"), 0)
        _HELD[path] = 1
        try:
            yield path
        finally:
            _HELD.pop(path, None)
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "ukjent prosess"
    return f"{info.get('kommando', 'kvi')}, pid {info.get('pid', '?')}, startet {info.get('startet', '?')}"


@contextmanager
def folder_locks(*folders: Path, what: str = ""):
    """Locks on several folders (each once), all or none."""
    what = what or " ".join(["kvi", *sys.argv[1:2]])
    seen = []
    for f in folders:
        p = lock_path(f)
        if p not in [lock_path(s) for s in seen]:
            seen.append(f)
    with ExitStack() as stack:
        for f in sorted(seen, key=lambda f: str(lock_path(f))):
            stack.enter_context(folder_lock(f, what))
        yield
