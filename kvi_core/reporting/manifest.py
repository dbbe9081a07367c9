"""``<aar>/manifest.json``: inputs, parameters, versions and checksums of every report. It is
replaced atomically after every finished report, so a killed batch keeps the record of what it
finished and the next run redoes only the rest."""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path

from kvi_core import __version__
from kvi_core.output import write_text
from kvi_core.pipeline import sha256 as sha256_file


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from kvi_core.reporting.render import versions as render_versions

    out = {"kvi": __version__, "python": platform.python_version()}
    for pkg in (
        "pandas",
        "numpy",
        "pyarrow",
        "matplotlib",
        "papermill",
        "nbclient",
        "nbformat",
        "ipykernel",
        "pypandoc-binary",
        "typst",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    out.update({f"motor_{k}" if k != "engine" else "motor": v for k, v in render_versions().items()})
    return out


def unchanged(entry: dict | None, key: str, year_dir: Path) -> bool:
    """Whether a report's manifest entry has this key and its files are there, unchanged."""
    if not entry or entry.get("nokkel") != key or entry.get("status") != "ok":
        return False
    for f in (entry.get("filer") or {}).values():
        p = year_dir / f["fil"]
        if not p.exists() or p.stat().st_size != f["bytes"] or sha256_file(p) != f["sha256"]:
            return False
    return bool(entry.get("filer"))


def load_reports(path: Path) -> dict:
    """The report entries of an existing manifest ({} when there is none or it is unreadable)."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("rapporter", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def ok_entry(job, res) -> dict:
    return {
        "navn": job.name,
        "status": "ok",
        "nokkel": job.key,
        "generert": res.generated,
        "parametere": job.parameters,
        "filer": res.files,
        "sekunder": {k: round(v, 3) for k, v in res.seconds.items()},
    }


def failed_entry(job, res) -> dict:
    return {
        "navn": job.name,
        "status": "feilet",
        "feil": res.error,
        "nokkel": "",
        "generert": res.generated,
        "parametere": job.parameters,
        "filer": {},
    }


class Manifest:
    """The manifest of one year folder: a fixed head (inputs, parameters, versions, tables) and one
    entry per report; :meth:`record` saves it at once, atomically."""

    def __init__(self, path: Path, head: dict, reports: dict, first: str):
        self.path = path
        self.head = head
        self.reports = reports
        self.first = first  # the id listed first (the national overview)
        self.stats = {"laget": 0, "hoppet_over": 0, "feilet": 0}
        self.started = time.perf_counter()
        self._json: dict[str, str] = {}  # each report's entry as written, made once

    def record(self, jid: str, entry: dict) -> None:
        self.reports[jid] = entry
        self._json.pop(jid, None)
        self.stats["laget" if entry["status"] == "ok" else "feilet"] += 1
        self.save()

    def as_dict(self) -> dict:
        return {
            "kvi_versjon": __version__,
            "generert": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
            **self.head,
            "siste_kjoring": dict(self.stats, sekunder=round(time.perf_counter() - self.started, 1)),
            "rapporter": dict(sorted(self.reports.items(), key=lambda kv: (kv[0] != self.first, kv[0]))),
        }

    def save(self) -> dict:
        """Write the manifest, atomically. The bytes are ``write_json``'s; each entry is serialised
        once (a batch saves after every report, and the whole manifest of hundreds of reports took
        tens of milliseconds to serialise each time)."""
        m = self.as_dict()
        write_text(self.dumps(m), self.path)
        return m

    def dumps(self, m: dict) -> str:
        """``json.dumps(m, ensure_ascii=False, indent=2) + "\\n"``, from the cached entries."""
        reports = m["rapporter"]
        head = json.dumps({k: v for k, v in m.items() if k != "rapporter"}, ensure_ascii=False, indent=2)
        if not reports:
            return head[:-2] + ',\n  "rapporter": {}\n}\n'
        parts = []
        for jid, entry in reports.items():
            if jid not in self._json:
                self._json[jid] = json.dumps(entry, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            parts.append(f"    {json.dumps(jid, ensure_ascii=False)}: {self._json[jid]}")
        return head[:-2] + ',\n  "rapporter": {\n' + ",\n".join(parts) + "\n  }\n}\n"
