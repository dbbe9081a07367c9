"""The tables behind the reports: ``DIR/tabeller`` from ``kvi compute``, recomputed only when
the input, the grouping file, the threshold or the computing code changed; and the checksums that
decide it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kvi_core.errors import KviInputError
from kvi_core.pipeline import sha256 as sha256_file
from kvi_core.publish import STAMP, default_intern, forbidden_in_publication
from kvi_core.resources import IMPORT_ROOT, NOTEBOOKS, params_dir

REPO_ROOT = IMPORT_ROOT  # checksummed files are named relative to it
RESULTS_DIR = "tabeller"


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
    files += list(params_dir().rglob("*.toml"))
    if reporting:
        files += list(NOTEBOOKS.glob("*.ipynb"))
        from kvi_core.reporting.render import config_path

        cfg = config_path()
        if cfg.exists():
            files.append(cfg)
    return _tree_sha([p for p in files if p.resolve().is_relative_to(REPO_ROOT)])


def ensure_results(
    input_path: Path,
    out: Path,
    kostragrupper: Path | None,
    threshold: int,
    log=print,
    intern: Path | None = None,
    rule: str = "intervall",
    periods: bool = True,
) -> tuple[Path, bool]:
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
        "beskyttelse": rule,
        "treaarstall": periods,
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
    compute(
        input_path,
        folder,
        kostragrupper=kostragrupper,
        unsuppressed=False,
        threshold=threshold,
        rule=rule,
        periods=periods,
        intern_dir=intern,
        extra={STAMP: key},
    )
    return folder, True
