"""``kvi audit DIR``: read a ``kvi compute`` folder, audit it, print the findings in bokmål."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from kvi_core.completeness import require_complete
from kvi_core.disclosure.intervals import EKSAKT, EPS, FINDING_COLUMNS, INTERVALL, _audit
from kvi_core.errors import KviInputError
from kvi_core.output import read_true
from kvi_core.specs import TOTAL


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise KviInputError(f"finner ikke {path}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:  # unreadable: one clear line
        raise KviInputError(f"kan ikke lese {path}: {exc}") from None


def _need(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KviInputError(f"{path}: mangler kolonne(r) {', '.join(missing)}")


def _published_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Long format (contract §4) -> one row per cell, nevner as its own kategori."""
    num = lambda s: pd.to_numeric(s.replace("", np.nan), errors="coerce")
    antall = table[["region", "aldersgruppe", "kategori"]].assign(antall=num(table["antall"]))
    nev = table[["region", "aldersgruppe"]].assign(antall=num(table["nevner"]))
    # nevner is repeated on the four category rows: published if any of them shows it
    nev = nev.groupby(["region", "aldersgruppe"], sort=False, as_index=False)["antall"].first()
    return pd.concat([antall, nev.assign(kategori=TOTAL)], ignore_index=True)


def _reasons_file(dir: Path, intern: Path | None) -> Path:
    """The internal folder's reasons file: ``intern`` when given, else the sibling ``DIR-intern``
    of ``kvi compute --out DIR`` or, for the tables of ``kvi reports --out OUT`` (``OUT/tabeller``),
    ``OUT-intern``: the first of these that exists."""
    from kvi_core.publish import default_intern
    from kvi_core.reporting.tables import RESULTS_DIR

    if intern is not None:
        return Path(intern) / "prikking_begrunnelse.csv"
    found = [default_intern(dir) / "prikking_begrunnelse.csv"]
    if dir.resolve().name == RESULTS_DIR:
        found.append(default_intern(dir.resolve().parent) / "prikking_begrunnelse.csv")
    return next((f for f in found if f.exists()), found[0])


def _rule_of(dir: Path, intern: Path | None = None) -> tuple[str, int, pd.DataFrame | None, Path]:
    """The rule the folder was published with (metadata.json), the reasons file looked for, and,
    when it exists, its true counts of the hidden cells: only with them can the primary part of
    rule ``intervall`` (up ≥ x + 1, width ≥ 2) be checked; without them the audit checks that no
    hidden cell is pinned. Under either rule they also rebuild the true table and the witness
    tables, evidence that saves LPs (``_inner_of``, ``_witnesses``)."""
    import json

    try:
        meta = json.loads((dir / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    rule, threshold = str(meta.get("beskyttelse", "eksakt")), int(meta.get("terskel", 5))
    path = _reasons_file(dir, intern)
    if not path.exists():
        return rule, threshold, None, path
    return rule, threshold, _read_csv(path), path


def _true_values(cells: pd.DataFrame, reasons: pd.DataFrame, ind: str, aar: str, periode: str = "") -> np.ndarray:
    """Shown values, and the true counts of hidden cells from the reasons file (NaN if absent)."""
    r = reasons[(reasons["indikator"] == ind) & (reasons["periode"] == periode)]
    if not periode:
        r = r[r["aar"] == str(aar)]
    true = {(a, b, c): float(v) for a, b, c, v in zip(r["region"], r["aldersgruppe"], r["kategori"], r["antall"])}
    keys = zip(cells["region"], cells["aldersgruppe"], cells["kategori"])
    shown = cells["antall"].to_numpy(dtype=float)
    return np.array([v if not np.isnan(v) else true.get(k, np.nan) for k, v in zip(keys, shown)])


LARGE_TABLE = 20_000  # published rows: from here the tables are audited in worker processes


def workers(rows: int) -> int:
    return max(1, os.cpu_count() or 1) if rows >= LARGE_TABLE else 1


def _audit_one(task: tuple) -> tuple[pd.DataFrame, object]:
    cells, members, rule, truth, threshold, witnesses = task
    inner = None if truth is None else _inner_of(cells, truth, members)
    return _audit(cells, members, rule=rule, truth=truth, threshold=threshold, inner=inner, witnesses=witnesses)


def _witnesses(reasons_path: Path) -> pd.DataFrame | None:
    """The witness tables ``kvi compute`` wrote beside the reasons file (``prikking_vitner.parquet``),
    or None. They are only evidence: each is checked against the published tables before use
    (``intervals.witness_tables``), so a missing, stale or altered file only costs time."""
    from kvi_core.publish import WITNESS_FILE

    path = reasons_path.parent / WITNESS_FILE
    if not path.exists():
        return None
    try:
        frame = pd.read_parquet(path)
    except Exception:  # unreadable: audit without it
        return None
    need = ["indikator", "aar", "vitne", "grunnlag", "unit", "aldersgruppe", "kategori", "antall"]
    if any(c not in frame.columns for c in need):
        return None
    frame["aar"] = pd.to_numeric(frame["aar"], errors="coerce")
    return frame


def _inner_of(cells: pd.DataFrame, truth: np.ndarray, members: pd.DataFrame) -> pd.DataFrame | None:
    """The true inner table (unit × age group × category), when every unit is a published region
    (a kommune, or a bydel incl. "uten oppgitt bydel") and every value is known (shown, or true
    from the reasons file): a whole-number table the attacker cannot rule out, which saves the audit
    most of its LPs without changing what it decides (intervals.pinned_cells)."""
    from kvi_core.specs import CATEGORIES, INNER_AGE_GROUPS

    units = pd.Index(sorted(set(members["unit"].astype(str))))
    inner_cells = cells.assign(v=truth)
    inner_cells = inner_cells[
        inner_cells["region"].isin(units)
        & inner_cells["aldersgruppe"].isin(INNER_AGE_GROUPS)
        & inner_cells["kategori"].isin(CATEGORIES)
    ]
    if len(inner_cells) != len(units) * len(INNER_AGE_GROUPS) * len(CATEGORIES) or inner_cells["v"].isna().any():
        return None
    inner = pd.DataFrame(
        {
            "unit": inner_cells["region"].to_numpy(),
            "aldersgruppe": inner_cells["aldersgruppe"].to_numpy(),
            "kategori": inner_cells["kategori"].to_numpy(),
            "antall": inner_cells["v"].round().astype(np.int64).to_numpy(),
        }
    )
    # only a table that adds up to every cell (shown and true) is evidence; else audit without it
    from kvi_core.indicators import aggregate

    key = ["region", "aldersgruppe", "kategori"]
    sums = aggregate(inner, members)[[*key, "antall"]].rename(columns={"antall": "sum"})
    both = cells.assign(v=truth)[[*key, "v"]].merge(sums, on=key, how="left")
    return inner if (both["sum"].to_numpy(dtype=float) == both["v"].to_numpy(dtype=float)).all() else None


def _linked_one(task: tuple) -> pd.DataFrame:
    from kvi_core.periods import audit_linked

    annual, periods, regioner, rule, threshold, truth, inner = task
    return audit_linked(annual, periods, regioner, rule=rule, threshold=threshold, truth=truth, inner=inner)


def _indexed(task: tuple) -> tuple[int, object]:
    one, i, t = task
    return i, one(t)


def _start_pool(n: int):
    """``n`` worker processes (spawned, not forked), started now: each loads the audit code (1.3 s
    of imports) while the main process reads and checks the folder."""
    import multiprocessing as mp

    return mp.get_context("spawn").Pool(n, initializer=_worker_init, initargs=(os.getpid(),))


def _worker_init(parent: int) -> None:
    from kvi_core.disclosure.runner import worker_init

    worker_init(parent)
    import kvi_core.periods  # noqa: F401  (the linked audit; intervals came with this module)


def _dispatch(tasks: list[tuple], pool, one=_audit_one):
    """``one`` of every task: independent tables (an (indikator, aar), or an indicator's linked
    years and periods). With a pool (``_start_pool``) and several tasks they start in its workers
    now; else each runs when ``_collect`` asks for it. The result is the same either way."""
    if pool is None or len(tasks) <= 1:
        return ((i, one(t)) for i, t in enumerate(tasks))
    return pool.imap_unordered(_indexed, [(one, i, t) for i, t in enumerate(tasks)], chunksize=1)


def _collect(running, n: int, done=None) -> list:
    """The results of ``_dispatch``, in task order; ``done(i)`` is called as task ``i`` finishes."""
    out: list = [None] * n
    for i, result in running:
        out[i] = result
        if done is not None:
            done(i)
    return out


PROGRESS_AFTER = 10.0  # seconds: a quick audit prints nothing but its result


def audit_directory(dir: Path, intern: Path | None = None, progress: TextIO | None = None) -> pd.DataFrame:
    """Audit every (indikator, aar) of a ``kvi compute`` output folder.

    Reads ``indikatorer.csv`` and ``regioner.csv``; returns findings with columns indikator, aar,
    region, aldersgruppe, kategori, nedre, ovre. ``findings.attrs["summary"]`` holds the counts
    ``print_audit`` shows. ``intern``: the internal folder with ``prikking_begrunnelse.csv``
    (default: found next to ``dir``, ``_reasons_file``). ``progress``: a stream (stderr) for one
    line per finished table or linked indicator when the audit takes more than a few seconds.

    The folder's completeness (``require_complete``) is checked while the tables are audited in
    worker processes; its finding, when it has one, is the error, and no audit result is used
    before it has passed.
    """
    dir = Path(dir)
    if not dir.is_dir():
        raise KviInputError(f"finner ikke mappen {dir}")
    from kvi_core.intake import rows_hint

    n = workers(rows_hint(dir / "indikatorer.csv"))
    pool = _start_pool(n) if n > 1 else None
    try:
        try:
            plan = _plan(dir, intern)
        except Exception:  # a folder that is not whole: its completeness finding is the error
            require_complete(dir)
            raise
        from kvi_core.disclosure.runner import Progress

        emit = None if progress is None else lambda line: print(f"kvi: kontroll {line}", file=progress, flush=True)
        tell = Progress(len(plan.solo) + len(plan.names), emit, after=PROGRESS_AFTER)
        solo = _dispatch(plan.solo_tasks, pool)
        linked = _dispatch(plan.linked_tasks, pool, one=_linked_one)
        require_complete(dir)  # every cell there once, every shown sum consistent, no internal file
        return _findings(plan, solo, linked, tell)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


@dataclass
class _Plan:
    """What ``audit_directory`` audits: every annual table (``tasks``, named by ``keys``), those of
    ``solo`` on their own, and the indicators ``names`` as linked systems of their years and
    periods (``linked_tasks``)."""

    summary: dict
    keys: list[tuple[str, int]]
    tasks: list[tuple]
    solo: list[int]
    linked_tasks: list[tuple] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def solo_tasks(self) -> list[tuple]:
        return [self.tasks[i] for i in self.solo]


def _plan(dir: Path, intern: Path | None) -> _Plan:
    ind_path, reg_path = dir / "indikatorer.csv", dir / "regioner.csv"
    table, regioner = _read_csv(ind_path), _read_csv(reg_path)
    _need(table, ["indikator", "aar", "region", "aldersgruppe", "kategori", "antall", "nevner"], ind_path)
    _need(regioner, ["aar", "unit", "niva", "region", "region_navn"], reg_path)
    if table.empty:
        raise KviInputError(f"{ind_path} har ingen rader")
    summary = {"tabeller": 0, "celler": 0, "prikket": 0, "brudd": 0, "lp": 0, "vitner": 0}
    rule, threshold, reasons, reasons_path = _rule_of(dir, intern)
    summary["regel"] = rule if reasons is not None else "eksakt"
    summary["publisert_med"], summary["begrunnelser"] = rule, str(reasons_path)
    per_path = dir / "indikatorer_3ar.csv"
    per = _read_csv(per_path) if per_path.exists() else None
    linked_ind = set(per["indikator"]) if per is not None and "indikator" in per.columns else set()
    witnesses = _witnesses(reasons_path) if reasons is not None else None
    by_table = (
        {}
        if witnesses is None
        else {
            (str(ind), aar): f for (ind, aar), f in witnesses.groupby(["indikator", "aar"], sort=False, observed=True)
        }
    )
    tasks, keys = [], []
    for (ind, aar), grp in table.groupby(["indikator", "aar"], sort=True):
        members = regioner[regioner["aar"] == aar]
        if members.empty:
            raise KviInputError(f"{reg_path} har ingen regioner for år {aar}")
        cells = _published_cells(grp)
        truth = _true_values(cells, reasons, ind, aar) if reasons is not None else None
        tasks.append((cells, members, rule, truth, threshold, by_table.get((ind, int(aar)))))
        keys.append((ind, int(aar)))
        summary["tabeller"] += 1
        summary["celler"] += len(cells)
        summary["prikket"] += int(cells["antall"].isna().sum())
    # an indicator with three-year tables is audited as one linked system of its years and periods,
    # which holds every annual cell too, with intervals no wider than its year's alone
    solo = [i for i, (ind, _) in enumerate(keys) if ind not in linked_ind]
    plan = _Plan(summary, keys, tasks, solo)
    if per is None:
        return plan
    # every year and every period together: one linked system per indicator
    _need(per, ["indikator", "periode", "region", "aldersgruppe", "kategori", "antall", "nevner", "brudd"], per_path)
    year_task = dict(zip(keys, tasks))  # (indikator, aar) -> the annual audit's cells, members, truth
    for ind, grp in per.groupby("indikator", sort=True):
        mine = {a: year_task[(i, a)] for i, a in keys if i == ind}
        annual = {a: cells for a, (cells, *_) in mine.items()}
        periods = {p: _published_cells(g) for p, g in grp.groupby("periode", sort=True)}
        truth, inner = None, None
        if reasons is not None:
            truth = {("", a): year_truth for a, (_, _, _, year_truth, *_) in mine.items()}
            inner = {
                a: _inner_of(cells, year_truth, members) for a, (cells, members, _, year_truth, *_) in mine.items()
            }
            inner = None if any(v is None for v in inner.values()) else inner
            truth.update({(p, 0): _true_values(c, reasons, ind, 0, p) for p, c in periods.items()})
        plan.linked_tasks.append((annual, periods, regioner, rule, threshold, truth, inner))
        plan.names.append(ind)
        summary["tabeller"] += len(periods)
        summary["celler"] += sum(len(c) for c in periods.values())
        # a region with a break (§8) has empty numbers: published as such, not hidden (the flag
        # read as require_complete checked it)
        broken = grp[read_true(grp["brudd"])]
        breaks = broken.groupby("periode")["region"].unique().to_dict()
        for p, c in periods.items():
            empty = c["region"].isin(breaks.get(p, ()))
            summary["brudd"] += int(empty.sum())
            summary["prikket"] += int((c["antall"].isna() & ~empty).sum())
    return plan


def _findings(plan: _Plan, solo, linked, tell) -> pd.DataFrame:
    """Collect the audits that ``_dispatch`` started into the findings frame (with its summary);
    ``tell`` (``runner.Progress``) hears of each finished table or linked indicator."""
    keys, summary = plan.keys, plan.summary
    found_solo = _collect(solo, len(plan.solo), done=lambda i: tell(f"{keys[plan.solo[i]][0]} {keys[plan.solo[i]][1]}"))
    parts = []
    for i, (found, stats) in zip(plan.solo, found_solo):
        summary["lp"] += stats.lp_solves
        summary["vitner"] += stats.witnesses
        parts.append(found.assign(indikator=keys[i][0], aar=keys[i][1]))
    columns = ["indikator", "aar", *FINDING_COLUMNS]
    out = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    out.insert(2, "periode", "")
    if plan.names:
        found = _collect(linked, len(plan.names), done=lambda i: tell(f"{plan.names[i]} år og treårsperioder"))
        out = pd.concat([out, *(f.assign(indikator=ind) for ind, f in zip(plan.names, found))], ignore_index=True)
        out = out.drop_duplicates(["indikator", "periode", "aar", "region", "aldersgruppe", "kategori"])
    out.attrs["summary"] = summary
    return out


# the last line of a clean audit and the first of one with findings, by the rule checked (§5)
OK_TEXT = {
    EKSAKT: "Ingen prikket celle kan regnes ut eller avgrenses til ett tall. Prikkingen er trygg.",
    INTERVALL: (
        "Ingen prikket celle kan regnes ut eller avgrenses til ett tall, og ingen primærprikket celle "
        "kan avgrenses snevrere enn regel intervall tillater. Prikkingen er trygg."
    ),
}
WARNING_TEXT = {
    EKSAKT: "ADVARSEL: {n} prikkede celler kan regnes ut:",
    INTERVALL: "ADVARSEL: {n} prikkede celler kan regnes ut eller avgrenses snevrere enn regelen tillater:",
}


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < EPS else f"{x:.2f}".replace(".", ",")


def print_audit(findings: pd.DataFrame, stream: TextIO) -> None:
    """A short report in Norwegian: what was checked, under which rule, and every hidden cell that
    falls short of it."""
    s = findings.attrs.get("summary")
    rule = (s or {}).get("regel", EKSAKT)
    if s:
        brudd = f" og {s['brudd']} tomme på grunn av brudd" if s.get("brudd") else ""
        print(
            f"Kontrollert {s['tabeller']} tabeller (indikator og år eller treårsperiode) med {s['celler']} celler, "
            f"hvorav {s['prikket']} prikket{brudd}.",
            file=stream,
        )
    if findings.empty:
        print(OK_TEXT.get(rule, OK_TEXT[EKSAKT]), file=stream)
        return
    print(WARNING_TEXT.get(rule, WARNING_TEXT[EKSAKT]).format(n=len(findings)), file=stream)
    for r in findings.itertuples(index=False):
        when = getattr(r, "periode", "") or getattr(r, "aar", "")
        where = f"{getattr(r, 'indikator', '')} {when} ".lstrip()
        verdi = _fmt(r.nedre) if abs(r.ovre - r.nedre) < EPS else f"mellom {_fmt(r.nedre)} og {_fmt(r.ovre)}"
        print(f"  {where}{r.region} {r.aldersgruppe} {r.kategori}: {verdi}", file=stream)
