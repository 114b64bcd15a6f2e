"""Before/after for reading: bench_read.py's cases read by another commit's code and by
this tree's, alternately in the same run (so both see the same machine load), with wall and
CPU time (CPU time, the process's user + system seconds, is less disturbed by other work on
a shared machine).

    python bench/bench_read_ab.py [--before main] [--runs 5] [--cases csv-1M,xlsx-calamine-1M]

The other commit is exported with ``git archive`` into a temporary folder (no worktree);
the sample files are bench_read.py's (generated when missing). Figures go to stdout and
bench/results/read_ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


def _one(root: Path, case: str, path: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, str(root / "bench" / "bench_read.py"), "--one", case, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = float(json.loads(done.stdout.strip().splitlines()[-1])["wall_s"])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="read benchmark, another commit against this tree")
    parser.add_argument("--before", default="main")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_048_575)
    parser.add_argument("--cases", default="csv-1M,xlsx-calamine-1M")
    args = parser.parse_args(argv)
    subprocess.run(
        [sys.executable, str(HERE / "bench_read.py"), "--generate", str(args.rows)], check=True
    )
    files = {
        "csv-1M": RESULTS / f"big-{args.rows}.csv",
        "xlsx-calamine-1M": RESULTS / f"big-{args.rows}.xlsx",
        "xlsx-calamine-100k": RESULTS / "big-100000.xlsx",
    }
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
    ).stdout
    results: dict[str, Any] = {"before": args.before, "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        trees = {"before": Path(tmp), "after": ROOT}
        for case in args.cases.split(","):
            runs: dict[str, dict[str, list[float]]] = {t: {"wall": [], "cpu": []} for t in trees}
            for _ in range(args.runs):
                for name, root in trees.items():
                    wall, cpu = _one(root, case, files[case])
                    runs[name]["wall"].append(round(wall, 2))
                    runs[name]["cpu"].append(round(cpu, 2))
            figures: dict[str, Any] = {"runs": runs}
            for kind in ("wall", "cpu"):
                b = statistics.median(runs["before"][kind])
                a = statistics.median(runs["after"][kind])
                figures[f"median_{kind}_s"] = {"before": b, "after": a}
                figures[f"{kind}_after_over_before"] = round(a / b, 2)
                print(
                    f"{case:20} {kind:4} median before {b:6.2f} s  after {a:6.2f} s  "
                    f"ratio {a / b:.2f}  (before {runs['before'][kind]}, after "
                    f"{runs['after'][kind]})",
                    flush=True,
                )
            results[case] = figures
    results["load_average_at_end"] = os.getloadavg()
    print(f"load average {results['load_average_at_start']} -> {results['load_average_at_end']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / "read_ab.json"
    target.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
