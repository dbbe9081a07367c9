"""``kvi reports`` as a batch: resume after a kill, signals, one run per folder, published and
internal material apart. The kernel and the renderer are stand-ins (tests/fake_reports.py); the
real ones are tested in test_reporting.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fake_reports
import pytest
from conftest import HAND_ROWS, write_extract

from kvi_core import publish
from kvi_core.errors import Interrupted
from kvi_core.reporting import batch
from kvi_core.reporting import manifest as manifest_mod
from kvi_core.runlock import LockedError

KOMMUNER = ["0301", "1101", "1103", "4601", "5001"]
REPO = Path(__file__).resolve().parents[1]
FAKE = Path(fake_reports.__file__)


@pytest.fixture
def fake(monkeypatch):
    fake_reports.install(monkeypatch.setattr)
    fake_reports.CALLS.clear()
    return fake_reports.CALLS


@pytest.fixture
def extract(tmp_path):
    return write_extract(HAND_ROWS, tmp_path / "x.csv")


def manifest(out: Path) -> dict:
    return json.loads((out / "2024" / "manifest.json").read_text(encoding="utf-8"))


def ok_ids(out: Path) -> set[str]:
    return {k for k, v in manifest(out)["rapporter"].items() if v["status"] == "ok"}


def run(extract, out, **kw):
    return batch.run_reports(extract, 2024, out, kommuner=KOMMUNER, jobs=1, progress=False, **kw)


def test_publication_holds_no_internal_file(fake, extract, tmp_path):
    out = tmp_path / "rapporter"
    assert run(extract, out) == 0
    assert len(fake) == 1 + len(KOMMUNER)
    assert publish.forbidden_in_publication(out) == []
    intern = tmp_path / "rapporter-intern"
    assert (intern / "avvist.csv").exists() and intern.stat().st_mode & 0o777 == 0o700
    assert (out / "2024" / "index.html").exists()
    fake.clear()
    assert run(extract, out) == 0 and fake == []  # all current: nothing redone


def test_interrupted_batch_keeps_what_is_finished_and_resumes(fake, extract, tmp_path, monkeypatch):
    out = tmp_path / "rapporter"
    real = fake_reports.FakeKernel.execute

    def stop_at_third(self, *a, **k):
        if len(fake) == 2:
            raise Interrupted("SIGTERM")
        return real(self, *a, **k)

    monkeypatch.setattr(fake_reports.FakeKernel, "execute", stop_at_third)
    with pytest.raises(Interrupted):
        run(extract, out)
    assert len(ok_ids(out)) == 2  # recorded at once, and the index written
    assert "mangler" in (out / "2024" / "index.html").read_text(encoding="utf-8")
    monkeypatch.setattr(fake_reports.FakeKernel, "execute", real)
    fake.clear()
    assert run(extract, out) == 0
    assert len(fake) == len(KOMMUNER) + 1 - 2  # only what was not finished
    assert len(ok_ids(out)) == len(KOMMUNER) + 1


def child(extract, out, env=None, jobs=1):
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]), KVI_FAKE_INSTALL="1")
    e.update(env or {})
    args = ["--input", str(extract), "--aar", "2024", "--out", str(out), "--jobs", str(jobs), "--kommune", *KOMMUNER]
    return subprocess.Popen([sys.executable, str(FAKE), *args], stderr=subprocess.PIPE, text=True, env=e)


def test_sigkill_then_resume_redoes_only_the_rest(fake, extract, tmp_path):
    out = tmp_path / "rapporter"
    p = child(extract, out, {"KVI_FAKE_KILL_AT": "4"})
    p.communicate(timeout=120)
    assert p.returncode == -signal.SIGKILL
    assert len(ok_ids(out)) == 3
    assert run(extract, out) == 0
    assert len(fake) == len(KOMMUNER) + 1 - 3
    assert not (out / "2024" / batch.WORK_DIR).exists()


@pytest.mark.parametrize("sig,code,jobs", [(signal.SIGTERM, 143, 1), (signal.SIGINT, 130, 2)])
def test_signal_stops_with_one_line_and_keeps_finished(extract, tmp_path, sig, code, jobs):
    out = tmp_path / "rapporter"
    p = child(extract, out, {"KVI_FAKE_SLEEP": "0.7"}, jobs=jobs)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if ok_ids(out):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    p.send_signal(sig)
    err = p.communicate(timeout=120)[1]
    assert p.returncode == code, err
    assert "Traceback" not in err
    assert "avbrutt" in err.strip().splitlines()[-1], err
    done = ok_ids(out)
    assert 1 <= len(done) < len(KOMMUNER) + 1
    for jid in done:
        for f in manifest(out)["rapporter"][jid]["filer"].values():
            assert (out / "2024" / f["fil"]).exists()


@pytest.mark.parametrize("held", ["rapporter", "rapporter/tabeller", "rapporter-intern"])
def test_a_run_or_compute_holding_the_folders_stops_a_second_run(fake, extract, tmp_path, held):
    """Another ``kvi reports`` on the folder, or a ``kvi compute`` on its tables or internal folder."""
    out = tmp_path / "rapporter"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from kvi_core.runlock import folder_lock\n"
                f"with folder_lock({str(tmp_path / held)!r}, 'kvi compute'):\n"
                "    print('ok', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(LockedError, match=f"pid {holder.pid}"):
            run(extract, out)
    finally:
        holder.kill()
        holder.wait()
    assert fake == []


def test_bait_in_the_tables_folder_is_replaced(fake, extract, tmp_path):
    """An old layout (avvist.csv, unsuppressed tables in DIR/tabeller, a killed run's .tabeller-x):
    the next run leaves none of it in the publication."""
    out = tmp_path / "rapporter"
    assert run(extract, out) == 0
    tab = out / batch.RESULTS_DIR
    (tab / "avvist.csv").write_text("rad,person_id\n1,HEMMELIG\n")
    (tab / "indikatorer_uprikket.csv").write_text("x\n")
    (out / ".tabeller-abc").mkdir()
    (out / ".tabeller-abc" / "avvist.csv").write_text("rad,person_id\n1,HEMMELIG\n")
    assert run(extract, out) == 0
    assert publish.forbidden_in_publication(out) == []
    assert not list(out.glob(".tabeller-*"))


def test_stable_notebook_drops_timings_temp_paths_random_ids_and_kernel_history():
    import nbformat

    from kvi_core.reporting.execute import INJECTED_ID, stable_notebook

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {
        "start_time": "t0",
        "end_time": "t1",
        "duration": 1.0,
        "input_path": "/repo/notebooks/k.ipynb",
        "output_path": "/out/.arbeid/k-123-ab/k.ipynb",
        "parameters": {"kommunenr": "0301"},
    }
    a = nbformat.v4.new_code_cell("x = 1")
    a.metadata["papermill"] = {"start_time": "t", "duration": 0.1, "status": "completed"}
    a.metadata["execution"] = {"iopub.execute_input": "t"}
    b = nbformat.v4.new_code_cell("kommunenr = '0301'")
    b.metadata["tags"] = ["injected-parameters"]
    c = nbformat.v4.new_code_cell("kommunenr")  # run as the 117th cell of a reused kernel
    c.execution_count = 117
    c.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "'0301'"}, execution_count=117)]
    a.execution_count, b.execution_count = 115, 116
    nb.cells = [a, nbformat.v4.new_markdown_cell("tekst"), b, c]
    out = stable_notebook(nb, "k.ipynb", "notebooker/k.ipynb")
    assert out.metadata["papermill"] == {
        "input_path": "k.ipynb",
        "output_path": "notebooker/k.ipynb",
        "parameters": {"kommunenr": "0301"},
    }
    assert out.cells[0].metadata == {"papermill": {"status": "completed"}}
    assert out.cells[2]["id"] == INJECTED_ID
    assert [x.get("execution_count") for x in out.cells] == [1, None, 2, 3]  # as in a fresh kernel
    assert out.cells[3].outputs[0]["execution_count"] == 3
    assert "123" not in nbformat.writes(out) and "t0" not in nbformat.writes(out)


def test_reports_made_again_are_the_same_bytes(extract, tmp_path):
    """The real kernel and renderer: HTML, PDF and executed notebooks made twice from the same
    tables are identical (the PDF's creation time is the tables' generation time)."""
    import shutil

    out = tmp_path / "rapporter"
    first = tmp_path / "first"
    assert batch.run_reports(extract, 2024, out, kommuner=["0301"], progress=False) == 0
    shutil.copytree(out / "2024", first)
    assert batch.run_reports(extract, 2024, out, kommuner=["0301"], progress=False, force=True) == 0
    files = [
        p.relative_to(first) for p in first.rglob("*") if p.is_file() and p.name not in ("manifest.json", "index.html")
    ]
    assert {p.suffix for p in files} == {".html", ".pdf", ".ipynb"}
    for rel in files:
        assert (first / rel).read_bytes() == (out / "2024" / rel).read_bytes(), rel


def test_out_naming_a_file_is_one_line(extract, tmp_path):
    f = tmp_path / "fil"
    f.write_text("x")
    r = subprocess.run(
        [sys.executable, "-m", "kvi_core", "reports", "--input", str(extract), "--aar", "2024", "--out", str(f)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert r.returncode == 2 and "ikke en mappe" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_worker_that_dies_fails_only_what_it_held_and_the_run_ends(extract, tmp_path):
    """Each of the 2 workers is SIGKILLed at its 2nd report: their 1st reports are kept, the two they
    held and the rest (no worker left) are reported as failed, and the run ends with one clear exit."""
    out = tmp_path / "rapporter"
    p = child(extract, out, {"KVI_FAKE_KILL_AT": "2"}, jobs=2)
    err = p.communicate(timeout=120)[1]
    assert p.returncode == 1, err
    assert "Traceback" not in err and "resource_tracker" not in err
    reports = manifest(out)["rapporter"]
    assert len(ok_ids(out)) == 2
    failed = {k: v for k, v in reports.items() if v["status"] != "ok"}
    assert len(failed) == len(KOMMUNER) + 1 - 2
    assert all("stoppet uventet" in v["feil"] for v in failed.values()), failed


def test_manifest_written_from_cached_entries_is_what_json_writes(tmp_path):
    path = tmp_path / "manifest.json"
    record = manifest_mod.Manifest(path, {"aar": 2024, "inndata": {"fil": "x.csv"}}, {}, first=batch.NATIONAL)
    empty = record.as_dict()
    assert record.dumps(empty) == json.dumps(empty, ensure_ascii=False, indent=2) + "\n"
    entries = [
        ("0301", {"navn": "Oslo", "status": "ok", "filer": {}, "sekunder": {"totalt": 1.5}}),
        (batch.NATIONAL, {"navn": "Hele landet", "status": "ok", "parametere": {"aar": 2024}}),
        ("5001", {"navn": 'Trondheim – Tråante "sitat"\nlinje', "status": "feilet", "feil": "x", "filer": {}}),
        ("0301", {"navn": "Oslo", "status": "ok", "filer": {"html": {"fil": "a.html", "bytes": 3}}}),  # again
    ]
    for jid, entry in entries:
        record.record(jid, entry)
        written = path.read_text(encoding="utf-8")
        assert written == json.dumps(json.loads(written), ensure_ascii=False, indent=2) + "\n"
        assert json.loads(written)["rapporter"][jid] == entry
    assert list(json.loads(path.read_text(encoding="utf-8"))["rapporter"]) == [batch.NATIONAL, "0301", "5001"]
    assert json.loads(path.read_text(encoding="utf-8"))["rapporter"]["0301"]["filer"]["html"]["bytes"] == 3
