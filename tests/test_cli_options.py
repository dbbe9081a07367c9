"""The command line's own rules (docs/NAMING.md): help for every option, bokmål names with the old
names kept as aliases, repeatable --kommune, --version."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kvi_core import __version__
from kvi_core.cli import build_parser

REPO = Path(__file__).resolve().parent.parent


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_command_has_help_text():
    parser = build_parser()
    missing = []
    for name, sub in [("kvi", parser), *_subparsers(parser).items()]:
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not (action.help or "").strip():
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


@pytest.mark.parametrize(
    "argv,want",
    [
        (["--kommune", "0301", "5001"], ["0301", "5001"]),
        (["--kommune", "0301", "--kommune", "5001"], ["0301", "5001"]),
        (["--kommune", "0301", "--kommune", "5001", "1101"], ["0301", "5001", "1101"]),
        ([], None),
    ],
)
def test_kommune_is_repeatable_and_takes_several(argv, want):
    a = build_parser().parse_args(["reports", "--input", "x.csv", "--aar", "2024", "--out", "o", *argv])
    assert a.kommune == want


@pytest.mark.parametrize("flag", ["--aar", "--years"])
def test_demo_data_years_flag_is_aar_with_the_old_name_as_alias(flag):
    a = build_parser().parse_args(["demo-data", "--out", "d.csv", flag, "2022-2024"])
    assert a.aar == "2022-2024"


@pytest.mark.parametrize("flag", ["--personer", "--persons"])
def test_demo_data_persons_flag_is_bokmal_with_the_old_name_as_alias(flag):
    assert build_parser().parse_args(["demo-data", "--out", "d.csv", flag, "123"]).personer == 123


def test_version():
    r = subprocess.run([sys.executable, "-m", "kvi_core", "--version"], capture_output=True, text=True, check=False)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"kvi {__version__}\n", "")


def test_demo_data_with_the_old_flag_names_writes_the_asked_years(tmp_path):
    from kvi_core.cli import main

    out = tmp_path / "d.csv"
    assert main(["demo-data", "--out", str(out), "--years", "2023-2024", "--persons", "3000", "--seed", "1"]) == 0
    import pandas as pd

    assert sorted(pd.read_csv(out, usecols=["aar"])["aar"].unique()) == [2023, 2024]


def test_compute_without_three_year_figures_and_with_workers(tmp_path):
    """--ingen-treaarstall writes the annual tables only; --jobs 2 (worker processes) gives the same
    tables as --jobs 1, and both pass kvi audit."""
    from kvi_core.cli import main

    extract = tmp_path / "d.csv"
    assert main(["demo-data", "--out", str(extract), "--aar", "2022-2024", "--personer", "800", "--seed", "3"]) == 0
    one, two = tmp_path / "en", tmp_path / "to"
    assert main(["compute", "--input", str(extract), "--out", str(one), "--ingen-treaarstall", "--jobs", "1"]) == 0
    assert main(["compute", "--input", str(extract), "--out", str(two), "--ingen-treaarstall", "--jobs", "2"]) == 0
    assert not (one / "indikatorer_3ar.csv").exists() and (one / "indikatorer.csv").exists()
    assert (one / "indikatorer.csv").read_bytes() == (two / "indikatorer.csv").read_bytes()
    assert main(["audit", str(two)]) == 0


def test_compute_tells_each_round_of_the_three_year_stage_from_its_workers(tmp_path):
    """With worker processes (--jobs 2), every indicator's three-year stage prints its rounds on the
    run's stderr (from the worker, whose stderr is the run's): first what the screening settled,
    last that every hidden cell holds the rule."""
    from kvi_core.cli import main

    extract = tmp_path / "d.csv"
    assert main(["demo-data", "--out", str(extract), "--aar", "2022-2024", "--personer", "800", "--seed", "3"]) == 0
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "kvi_core",
            "compute",
            "--input",
            str(extract),
            "--out",
            str(tmp_path / "ut"),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    rounds = [ln for ln in r.stderr.splitlines() if " treårsperioder, runde " in ln]
    assert all(ln.startswith("kvi: prikking ") for ln in rounds)
    for ind in ("arbeid_utdanning_bistand", "kultur_fritid_transport"):
        mine = [ln for ln in rounds if ln.startswith(f"kvi: prikking {ind} treårsperioder, runde ")]
        assert len(mine) >= 2 and "resten kontrolleres samlet" in mine[0], r.stderr
        assert "alle holder regelen" in mine[-1] and all("alle holder regelen" not in ln for ln in mine[:-1])


def test_an_error_in_a_worker_process_reaches_the_caller(tmp_path):
    """A job that fails in a worker process (here: an unknown rule) ends the run with that job's
    own error, and the other workers are stopped."""
    from test_audit import geo, inner_counts

    from kvi_core.disclosure import runner
    from kvi_core.errors import KviInputError

    m = geo({"0101": ("EKA01", "EKG01"), "0102": ("EKA01", "EKG01")})
    jobs = [runner.AnnualJob(ind, 2024, inner_counts(m, {}, default=3), m) for ind in ("a", "b")]
    settings = runner.Settings(5, "ukjent", m.assign(aar=2024), linked=False)
    with pytest.raises(KviInputError, match="ukjent beskyttelsesregel"):
        runner.suppress_all(jobs, settings, workers=2)


def test_the_caller_gets_the_free_core_once_before_the_last_table():
    """``suppress_all(when_idle=...)``: with three tables on two workers, the caller is called once,
    when one worker has nothing left (two tables done, one still running), so that ``kvi compute``
    prepares the publication there instead of after the last table."""
    from test_audit import geo, inner_counts

    from kvi_core.disclosure import runner

    m = geo({"0101": ("EKA01", "EKG01"), "0102": ("EKA01", "EKG01")})
    jobs = [runner.AnnualJob(ind, 2024, inner_counts(m, {}, default=3), m) for ind in ("a", "b", "c")]
    settings = runner.Settings(5, "intervall", m.assign(aar=2024), linked=False)
    done: list[str] = []
    idle_after: list[int] = []
    cells, _, _ = runner.suppress_all(
        jobs, settings, workers=2, progress=done.append, when_idle=lambda: idle_after.append(len(done))
    )
    assert sorted(cells) == [("a", 2024), ("b", 2024), ("c", 2024)]
    assert idle_after == [2]


def test_workers_started_before_the_extract_is_read_are_used_and_stopped():
    """``start_workers`` (started while ``kvi compute`` reads the extract): ``suppress_all`` uses
    them, with the result of a run in one process, and shuts them down; when the run turns out to
    need no workers (one table), it stops them and works alone."""
    from test_audit import geo, inner_counts

    from kvi_core.disclosure import runner

    m = geo({"0101": ("EKA01", "EKG01"), "0102": ("EKA01", "EKG01")})
    jobs = [
        runner.AnnualJob(ind, 2024, inner_counts(m, {("0101", "18-66", "delvis"): 2}, default=3), m) for ind in "ab"
    ]
    settings = runner.Settings(5, "intervall", m.assign(aar=2024), linked=False)
    alone, _, _ = runner.suppress_all(jobs, settings, workers=1)
    for todo in (jobs, jobs[:1]):
        ex = runner.start_workers(2)
        cells, _, _ = runner.suppress_all(todo, settings, workers=2, executor=ex)
        assert sorted(cells) == [(j.indikator, 2024) for j in todo]
        for key, frame in cells.items():
            assert frame.equals(alone[key])
        with pytest.raises(RuntimeError, match="shutdown|not usable"):  # shut down, or stopped
            ex.submit(print)


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_compute_leaves_no_worker_process_behind(tmp_path, sig):
    """SIGTERM ends `kvi compute` like Ctrl-C (one line, exit 143, its workers stopped, nothing
    published); after SIGKILL, which the main process cannot handle, the workers end on their own
    instead of computing on for minutes."""
    from kvi_core.cli import main

    extract = tmp_path / "d.csv"
    assert main(["demo-data", "--out", str(extract), "--aar", "2022-2024", "--personer", "20000", "--seed", "4"]) == 0
    out = tmp_path / "ut"
    p = subprocess.Popen(
        [sys.executable, "-m", "kvi_core", "compute", "--input", str(extract), "--out", str(out), "--jobs", "2"],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        workers: set[int] = set()
        deadline = time.time() + 120
        while len(workers) < 2 and time.time() < deadline and p.poll() is None:
            workers = {c for c in _children(p.pid) if b"multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes()}
            time.sleep(0.2)
        assert len(workers) >= 2, "the workers never started"
        time.sleep(1.0)  # let them get going
        p.send_signal(sig)
        err = p.communicate(timeout=60)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    deadline = time.time() + 30
    while any(_alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers), "a worker process computes on after its main process ended"
    assert not (out / "indikatorer.csv").exists()
    if sig == signal.SIGTERM:
        assert p.returncode == 143, err
        assert "Traceback" not in err
        assert "avbrutt (SIGTERM)" in err.strip().splitlines()[-1], err
    else:
        assert p.returncode == -signal.SIGKILL
