"""Writing one generation of output: the publication and the internal material, all or nothing.

``kvi compute`` hands :func:`publish` every file it made, by name. The name decides where the file
goes (contract §6): a name in :data:`PUBLISHED_FILES` to the publication folder (``--out``), a name in
:data:`INTERNAL_FILES` to the internal folder (``--intern``, default the sibling ``<out>-intern``,
owner-only). These two lists are the only place that says which file is which; a new output is one
entry in one of them and one entry in what compute hands over.

How a folder is replaced (for ``--out`` and ``--intern`` alike):

1. every file is written into a new hidden staging folder beside the target,
   ``.<name>.kvi-ny-<random>`` (same file system, so renames are atomic), and flushed to disk;
2. the staging folder and the target are swapped in one step (Linux ``renameat2(RENAME_EXCHANGE)``);
   where the file system cannot swap, the target is first renamed to ``.<name>.kvi-gammel-<random>``
   and the staging folder then renamed to the target;
3. the previous generation (now under the hidden name) is deleted.

A run killed at any moment therefore leaves either the previous generation or the new one at the
target, never a mixture; a hidden folder may be left over, and the next run removes it (and puts a
previous generation back in place if a kill fell between the two renames of the fallback). The run
lock (:mod:`kvi_core.runlock`) makes sure no other run is working on the same folders meanwhile.

A target folder is replaced whole. A user's own files in it (anything not in the lists) are carried
into the new generation as hard links, and any the user saved meanwhile are moved back after the
switch, so none is ever deleted; a folder holding a sub-folder kvi did not make is refused.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import uuid
from pathlib import Path

import pandas as pd

from kvi_core.errors import KviInputError
from kvi_core.output import write_csv, write_json, write_parquet

# The publication: suppressed tables anyone may read (contract §4, §7, §8).
PUBLISHED_FILES = (
    "indikatorer.csv",
    "indikatorer.parquet",
    "variasjon.csv",
    "tidsserie.csv",
    "indikatorer_3ar.csv",
    "indikatorer_3ar.parquet",
    "variasjon_3ar.csv",
    "regioner.csv",
    "metadata.json",
)
# Internal quality assurance: person-level or unsuppressed material, never published.
INTERNAL_FILES = (
    "avvist.csv",
    "indikatorer_uprikket.csv",
    "indikatorer_uprikket.parquet",
    "prikking_begrunnelse.csv",
    "prikking_vitner.parquet",
    "intern_metadata.json",
)
WITNESS_FILE = "prikking_vitner.parquet"  # the tables that show each hidden cell's interval
# kvi's own bookkeeping inside a folder (not data).
STAMP = ".kvi-beregning.json"  # what ``kvi reports`` computed the tables from
BOOKKEEPING = (STAMP,)

STAGING = ".kvi-ny-"
OLD = ".kvi-gammel-"
INTERNAL_SUFFIX = "-intern"
FAULT_ENV = "KVI_FEILTEST_STOPP"  # tests only: SIGKILL this process at the named step


class PublishError(KviInputError):
    """A target folder cannot be replaced (foreign files, not a folder)."""


def default_intern(out: Path) -> Path:
    """The sibling ``<out>-intern`` (contract §6)."""
    out = Path(out)
    return out.with_name(out.name + INTERNAL_SUFFIX)


def kind_of(name: str) -> str:
    """``publisert``, ``intern`` or ``bokføring``; anything else is a programming error."""
    if name in PUBLISHED_FILES:
        return "publisert"
    if name in INTERNAL_FILES:
        return "intern"
    if name in BOOKKEEPING:
        return "bokføring"
    raise ValueError(f"{name} står verken i PUBLISHED_FILES eller INTERNAL_FILES (kvi_core/publish.py)")


def forbidden_in_publication(folder: Path) -> list[str]:
    """Names of files in ``folder`` that must never be in a publication: person-level or
    unsuppressed material (by the internal list, and anything named *uprikket* or *avvist*)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    bad = []
    for p in sorted(folder.rglob("*")):
        n = p.name.lower()
        if p.is_file() and (p.name in INTERNAL_FILES or "uprikket" in n or "avvist" in n):
            bad.append(str(p.relative_to(folder)))
    return bad


# --- test hook ---------------------------------------------------------------------------------


def fault_point(step: str) -> None:
    """Where a fault-injection test may kill the run (``KVI_FEILTEST_STOPP=<step>``)."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


# --- swapping folders --------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def leftovers(target: Path) -> list[Path]:
    """Hidden folders of earlier runs on ``target`` (staging or previous generations)."""
    target = Path(target)
    if not target.parent.is_dir():
        return []
    prefix = f".{target.name}"
    return sorted(
        p for p in target.parent.iterdir() if p.name.startswith(prefix + STAGING) or p.name.startswith(prefix + OLD)
    )


def recover(target: Path) -> None:
    """Clean up after killed runs on ``target``: put a previous generation back if the kill fell
    between the two renames of the fallback swap, then delete every leftover. Call under the lock."""
    target = Path(target)
    rest = leftovers(target)
    if not target.exists():
        old = [p for p in rest if p.name.startswith(f".{target.name}{OLD}")]
        if old:
            newest = max(old, key=lambda p: p.stat().st_mtime_ns)
            os.rename(newest, target)
            rest.remove(newest)
    for p in rest:
        if target.is_dir():
            _rescue(p, target)
        shutil.rmtree(p, ignore_errors=True)


def _foreign(folder: Path) -> list[Path]:
    """Entries of ``folder`` that kvi did not write (a user's own files)."""
    known = set(PUBLISHED_FILES) | set(INTERNAL_FILES) | set(BOOKKEEPING)
    return sorted(p for p in folder.iterdir() if p.name not in known) if folder.is_dir() else []


def _rescue(old: Path, target: Path) -> None:
    """Move a user's files that are in ``old`` but not in ``target`` back (e.g. saved during a run)."""
    for p in _foreign(old):
        if not (target / p.name).exists():
            try:
                os.rename(p, target / p.name)
            except OSError:
                pass


def check_replaceable(target: Path) -> None:
    """Refuse a target that is not a folder kvi may replace whole: a file, a symbolic link, or a
    folder holding a folder kvi did not make. A user's own files in it are carried over into
    each new generation (hard links), never deleted."""
    target = Path(target)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise PublishError(f"{target} finnes og er ikke en mappe; oppgi en mappe (ny eller fra kvi) med --out/--intern")
    folders = [p.name for p in _foreign(target) if p.is_dir() or p.is_symlink()]
    if folders:
        raise PublishError(
            f"{target} inneholder mappen {folders[0]}, som kvi ikke har laget; kvi bytter ut hele mappen, "
            "så velg en ny mappe (eller en mappe fra en tidligere kvi-kjøring)"
        )


def _write(folder: Path, name: str, data, private: bool) -> None:
    path = folder / name
    if name.endswith(".csv"):
        write_csv(data, path, private=private)
    elif name.endswith(".parquet"):
        write_parquet(data, path, private=private)
    elif name.endswith(".json"):
        write_json(data, path, private=private)
    else:
        raise ValueError(f"ukjent filtype: {name}")


def stage_folder(target: Path, files: dict[str, object], private: bool = False) -> Path:
    """Write ``files`` (name -> DataFrame or dict) into a new hidden staging folder beside
    ``target``, flushed to disk; returns it. Nothing at ``target`` changes."""
    target = Path(target)
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.parent / f".{target.name}{STAGING}{uuid.uuid4().hex[:12]}"
    stage.mkdir(mode=0o700)
    try:
        for i, (name, data) in enumerate(files.items()):
            _write(stage, name, data, private)
            fault_point(f"skrevet-{i + 1}")
        for p in _foreign(target):  # the user's own files stay: the same file under a second name
            try:
                os.link(p, stage / p.name)
            except OSError:
                shutil.copy2(p, stage / p.name)
        _fsync_dir(stage)  # the files themselves were flushed by atomic_write
        os.chmod(stage, 0o700 if private else 0o777 & ~_umask())
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return stage


def switch_folder(stage: Path, target: Path) -> None:
    """Put a staged folder at ``target`` in one atomic step (two renames where the file system
    cannot swap), then delete the previous generation."""
    target = Path(target)
    fault_point("klar")
    try:
        if target.exists():
            if _exchange(stage, target):
                fault_point("byttet")
                old = stage
            else:
                old = target.parent / f".{target.name}{OLD}{uuid.uuid4().hex[:12]}"
                os.rename(target, old)
                fault_point("mellom")
                os.rename(stage, target)
        else:
            os.rename(stage, target)
            old = None
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if old is not None:
        _rescue(old, target)
        shutil.rmtree(old, ignore_errors=True)
    fault_point("ferdig")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(files: dict[str, object], out: Path | None, intern: Path) -> None:
    """Write one generation: internal files to ``intern`` (owner-only), published files to ``out``
    (left untouched when ``out`` is None, e.g. for ``--unsuppressed``). Both folders are written in
    full before either is switched, so a failed write (a full disk) changes neither; the internal
    folder is switched first, so the publication never refers to rejections that are not on record."""
    published = {n: d for n, d in files.items() if kind_of(n) in ("publisert", "bokføring")}
    internal = {n: d for n, d in files.items() if kind_of(n) == "intern"}
    if out is None and published and set(published) - set(BOOKKEEPING):
        raise ValueError("publiserte filer uten publiseringsmappe")
    for name, data in list(files.items()):
        if not isinstance(data, (pd.DataFrame, dict)):
            raise TypeError(f"{name}: {type(data).__name__}")
    intern_stage = stage_folder(intern, internal, private=True)
    try:
        out_stage = stage_folder(out, published, private=False) if out is not None else None
    except BaseException:
        shutil.rmtree(intern_stage, ignore_errors=True)
        raise
    try:
        switch_folder(intern_stage, intern)
    except BaseException:
        if out_stage is not None:
            shutil.rmtree(out_stage, ignore_errors=True)
        raise
    fault_point("intern-byttet")
    if out_stage is not None:
        switch_folder(out_stage, out)
