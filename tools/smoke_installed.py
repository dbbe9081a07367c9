"""Smoke test of an installed kvi (the wheel in a new virtual environment), run by .ci/run.

    python tools/smoke_installed.py /path/to/venv/bin/kvi

Runs, in a new temporary folder outside the clone: ``kvi --version``, ``kvi demo-data`` (small),
``kvi compute``, ``kvi audit`` and ``kvi reports`` for one kommune, and checks that the wheel brought
the compiled elimination (setup.py; its absence only slows kvi down, so nothing else would tell).
Fails (exit 1) on a non-zero exit, on any stdout line that is not one of kvi's own, on a traceback,
warning or solver banner on stderr, on a missing report, or on a missing compiled module. Uses only
the standard library.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KOMMUNE = "0301"
AAR = "2024"
# What each command may print on stdout (everything else goes to stderr, prefixed "kvi: ").
STDOUT = {
    "--version": re.compile(r"kvi \d+\.\d+\.\d+\S*"),
    "demo-data": re.compile(r"Skrev \d+ rader .*SYNTETISKE data.*"),
    "compute": None,
    "audit": re.compile(
        r"Kontrollert \d+ tabeller .* prikket( og \d+ tomme på grunn av brudd)?\."
        r"|Ingen prikket celle kan regnes ut .*Prikkingen er trygg\."
    ),
    "reports": None,
}
ENGINE = "from kvi_core.disclosure.elimination import engine; print(engine())"
FOREIGN = re.compile(r"Traceback|Warning|HiGHS|Copyright|Error|Exception", re.IGNORECASE)


def run(kvi: str, args: list[str], cwd: Path) -> list[str]:
    t0 = time.monotonic()
    r = subprocess.run([kvi, *args], cwd=cwd, capture_output=True, text=True, check=False)
    print(f"smoke: kvi {' '.join(args)}: exit {r.returncode}, {time.monotonic() - t0:.1f} s")
    problems = [f"exit code {r.returncode}"] if r.returncode else []
    allowed = STDOUT[args[0]]
    for line in r.stdout.splitlines():
        if allowed is None or not allowed.fullmatch(line):
            problems.append(f"stdout: {line!r}")
    for line in re.split(r"[\r\n]+", r.stderr):
        if FOREIGN.search(line):
            problems.append(f"stderr: {line!r}")
    if problems:
        sys.stderr.write(r.stderr)
        raise SystemExit("smoke: FAILED: kvi " + " ".join(args) + "\n  " + "\n  ".join(problems))
    return r.stdout.splitlines()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    kvi = str(Path(argv[0]).resolve())
    with tempfile.TemporaryDirectory(prefix="kvi-smoke-") as tmp:
        work = Path(tmp)
        run(kvi, ["--version"], work)
        engine = subprocess.run(
            [str(Path(kvi).with_name("python")), "-c", ENGINE], cwd=work, capture_output=True, text=True, check=False
        )
        print(f"smoke: elimination: {engine.stdout.strip() or engine.stderr.strip()}")
        if engine.stdout.strip() != "C++":
            raise SystemExit(
                "smoke: FAILED: the installed kvi has no compiled elimination (kvi_core.disclosure._gauss)"
            )
        run(kvi, ["demo-data", "--out", "uttrekk.csv", "--personer", "20000", "--aar", AAR], work)
        run(kvi, ["compute", "--input", "uttrekk.csv", "--out", "tabeller"], work)
        if not run(kvi, ["audit", "tabeller"], work):
            raise SystemExit("smoke: FAILED: kvi audit printed nothing")
        run(kvi, ["reports", "--input", "uttrekk.csv", "--aar", AAR, "--out", "rapporter", "--kommune", KOMMUNE], work)
        year = work / "rapporter" / AAR
        missing = [
            n
            for n in (f"kommunerapport_{KOMMUNE}.html", f"kommunerapport_{KOMMUNE}.pdf", "index.html")
            if not (year / n).is_file() or (year / n).stat().st_size == 0
        ]
        if missing:
            raise SystemExit(f"smoke: FAILED: no {', '.join(missing)} in {year}")
    print("smoke: the installed kvi works from a folder outside the clone")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
