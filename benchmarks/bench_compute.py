"""Benchmark: `kvi compute --unsuppressed` against the plain-pandas peer, in the same run.

Prints wall time and peak memory (max RSS) of each, as medians of REPEAT alternating runs, and the
ratios the foundation issue sets as targets: kvi within 1.2x the peer's time and no more memory on
one national year; five years within 5x one year. Usage: python benchmarks/bench_compute.py [REPEAT]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "output"
# Measure a child process from inside: wall time from interpreter start and its own peak RSS.
WRAP = """
import resource, runpy, sys, time
t = time.perf_counter()
sys.argv = sys.argv[1:]
code = 0
try:
    if sys.argv[0].endswith('.py'):
        runpy.run_path(sys.argv[0], run_name='__main__')
    else:
        runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)
except SystemExit as e:
    code = e.code or 0
print('BENCH', time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
sys.exit(code)
"""


def measure(args: list[str]) -> tuple[float, float]:
    """(seconds, MiB) of one run; the wrapper's time excludes Python's own start (equal for both)."""
    r = subprocess.run([sys.executable, "-c", WRAP, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{r.stderr[-2000:]}")
    line = [x for x in r.stderr.splitlines() if x.startswith("BENCH")][-1].split()
    return float(line[1]), float(line[2])


def ensure_demo(path: Path, years: str) -> None:
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "kvi_core", "demo-data", "--out", str(path), "--years", years], check=True
        )


def main(repeat: int = 3) -> None:
    WORK.mkdir(exist_ok=True)
    one, five = WORK / "demo_2024.csv", WORK / "demo_2020_2024.csv"
    ensure_demo(one, "2024")
    ensure_demo(five, "2020-2024")
    kostra = Path(__file__).resolve().parents[1] / "kvi_core" / "data" / "kostragrupper_demo_2024.csv"
    peer = [str(HERE / "peer_plain_pandas.py"), str(one), str(WORK / "peer_out.csv"), str(kostra)]
    kvi1 = ["kvi_core", "compute", "--input", str(one), "--out", str(WORK / "kvi1"), "--unsuppressed"]
    kvi5 = ["kvi_core", "compute", "--input", str(five), "--out", str(WORK / "kvi5"), "--unsuppressed"]
    runs: dict[str, list[tuple[float, float]]] = {"peer": [], "kvi_1yr": [], "kvi_5yr": []}
    for _ in range(repeat):  # alternate, so that machine noise hits all alike
        runs["peer"].append(measure(peer))
        runs["kvi_1yr"].append(measure(kvi1))
        runs["kvi_5yr"].append(measure(kvi5))
    med = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v)) for k, v in runs.items()}
    for k, (t, m) in med.items():
        print(f"{k:8s} wall {t:6.2f} s   peak RSS {m:7.0f} MiB   (runs: {', '.join(f'{x:.2f}' for x, _ in runs[k])})")
    ratio_t = med["kvi_1yr"][0] / med["peer"][0]
    ratio_m = med["kvi_1yr"][1] / med["peer"][1]
    ratio_5 = med["kvi_5yr"][0] / med["kvi_1yr"][0]
    print(
        f"kvi/peer time {ratio_t:.2f}x (target <= 1.2x); kvi/peer memory {ratio_m:.2f}x (target <= 1.0x); "
        f"5 years / 1 year {ratio_5:.2f}x (target <= 5x)"
    )
    (WORK / "bench_compute.json").write_text(json.dumps({"median": med, "runs": runs}, indent=2))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
