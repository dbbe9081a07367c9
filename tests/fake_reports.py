"""A stand-in for the Jupyter kernel and the renderer, so that the batch's own logic (resume,
signals, locking, atomic publication) is tested in seconds. Behaviour from the environment:
``KVI_FAKE_SLEEP`` seconds per report, ``KVI_FAKE_KILL_AT`` = n: SIGKILL this process at the n-th
report (1-based, counted over this process)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

CALLS: list[str] = []


class FakeKernel:
    def __init__(self, *a, **k):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def shutdown(self):
        pass

    def execute(self, notebook, output, parameters, timeout=600, published_as=None):
        CALLS.append(parameters.get("kommunenr", "nasjonal"))
        if os.environ.get("KVI_FAKE_KILL_AT") == str(len(CALLS)):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(float(os.environ.get("KVI_FAKE_SLEEP", "0")))
        Path(output).write_text(json.dumps({"cells": [], "parameters": parameters}, sort_keys=True))
        return {"parameters": parameters}


def fake_prepare(nb, folder, front_matter, name):
    return {"nb": nb, "title": front_matter.get("title", name)}


def fake_render(prep, html, pdf):
    Path(html).write_text(f"<html><title>{prep['title']}</title></html>", encoding="utf-8")
    Path(pdf).write_bytes(b"%PDF-1.7 fake " + prep["title"].encode())
    return {"html": 0.0, "pdf": 0.0}


def install(setattr_) -> None:
    """``setattr_`` is pytest's monkeypatch.setattr, or plain setattr in a child process."""
    from kvi_core.reporting import execute, render

    setattr_(execute, "Kernel", FakeKernel)
    setattr_(render, "prepare", fake_prepare)
    setattr_(render, "render", fake_render)


if os.environ.get("KVI_FAKE_INSTALL") == "1":  # also in spawned workers, which import this as __mp_main__
    install(setattr)

if __name__ == "__main__":  # python fake_reports.py <kvi reports arguments>
    install(setattr)
    from kvi_core.cli import main

    sys.exit(main(["reports", *sys.argv[1:]]))
