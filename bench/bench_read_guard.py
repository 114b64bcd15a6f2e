"""What the read guards cost: the largest legitimate sheet through read_grid as shipped,
against the same read with the guards switched off and against raw calamine, in one run.

    python bench/bench_read_guard.py [--rows 1048575] [--runs 3]

Cases, each run in a fresh process (median of ``--runs``):

- ``raw-calamine``: python-calamine alone: open, parse the sheet, ``to_python()``.
- ``read_grid-unguarded``: read_grid with the guards of zmed_gui/core/read/_guard.py
  switched off (no container checks, the parse called directly, no limit checks between
  chunks): the reader as it was before them.
- ``read_grid-guarded``: read_grid as shipped (zip check, the parse in a watched thread,
  memory/time checked every 10,000 rows).
- ``subprocess-pickle``: the design not taken, measured: read_grid in a spawned child
  process, rows sent back in pickled chunks of 20,000 through a pipe while the parent
  unpickles (what a separate reader process with resource limits would cost at least).

The sheet is bench/results/big-ROWS.xlsx (bench/make_samples.py --big, 6 columns, written
when missing). Figures go to bench/results/read_guard.json and stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path[:0] = [str(HERE.parent), str(HERE)]

CASES = ("raw-calamine", "read_grid-unguarded", "read_grid-guarded", "subprocess-pickle")
_CHUNK = 20_000


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _unguard() -> None:
    """Switches the guards off (the reader as before them)."""
    from zmed_gui.core.read import _guard, _load

    _load.check_zip = lambda path: None  # type: ignore[assignment]
    _load.check_cfb = lambda path: None  # type: ignore[assignment]
    _load.check_dimensions = lambda *a: None  # type: ignore[assignment]
    _guard.ReadGuard.run_native = lambda self, call: call()  # type: ignore[method-assign]
    _guard.ReadGuard.raise_if_cancelled = lambda self: None  # type: ignore[method-assign]


def _child(path: str, conn: Any) -> None:
    import pickle

    from zmed_gui.core.read import read_grid

    grid = read_grid(Path(path))
    rows = grid.rows
    for i in range(0, len(rows), _CHUNK):
        conn.send_bytes(pickle.dumps(rows[i : i + _CHUNK], protocol=5))
    conn.send_bytes(b"")
    conn.close()


def _via_subprocess(path: Path) -> int:
    import gc
    import multiprocessing as mp
    import pickle

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(str(path), child), daemon=True)
    proc.start()
    child.close()
    rows: list[Any] = []
    gc.disable()
    while True:
        data = parent.recv_bytes()
        if not data:
            break
        rows.extend(pickle.loads(data))
    gc.enable()
    proc.join()
    return len(rows)


def run_one(case: str, path: Path) -> dict[str, Any]:
    start = time.perf_counter()
    if case == "raw-calamine":
        import python_calamine as calamine

        wb = calamine.CalamineWorkbook.from_path(str(path))
        rows = len(wb.get_sheet_by_index(0).to_python())
        wb.close()
    elif case == "subprocess-pickle":
        rows = _via_subprocess(path)
    else:
        if case == "read_grid-unguarded":
            _unguard()
        from zmed_gui.core.read import read_grid

        rows = len(read_grid(path).rows)
    wall = time.perf_counter() - start
    return {"rows": rows, "wall_s": wall, "peak_rss_mb": _peak_rss_mb()}


def _ensure_file(rows: int) -> Path:
    from make_samples import write_big_xlsx

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"big-{rows}.xlsx"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        write_big_xlsx(path, rows)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="read guard benchmark")
    parser.add_argument("--rows", type=int, default=1_048_575, help="data rows (quick: 100000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return 0
    path = _ensure_file(args.rows)
    from zmed_gui.core.read._guard import check_zip

    start = time.perf_counter()
    check_zip(path)
    check_s = time.perf_counter() - start
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        "load_average_at_start": os.getloadavg(),
        "file": path.name,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "zip_check_s": round(check_s, 4),
        "cases": {},
    }
    print(f"{path.name}: {results['file_mb']} MB; the zip check alone takes {check_s:.4f} s")
    # Interleaved (case A, B, C, D, A, B, ...) so a change in the machine's load hits all.
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
    for _ in range(args.runs):
        for case in CASES:
            out = subprocess.run(
                [sys.executable, __file__, "--one", case, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            runs[case].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for case in CASES:
        wall = statistics.median(r["wall_s"] for r in runs[case])
        figures = {
            "rows": runs[case][0]["rows"],
            "median_wall_s": round(wall, 2),
            "median_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs[case])),
            "runs_wall_s": [round(r["wall_s"], 2) for r in runs[case]],
        }
        results["cases"][case] = figures
        print(
            f"{case:20} {figures['rows']:>9,} rows  {figures['median_wall_s']:6.2f} s  "
            f"peak RSS {figures['median_peak_rss_mb']:,} MB  (runs {figures['runs_wall_s']})",
            flush=True,
        )
    med = {case: results["cases"][case]["median_wall_s"] for case in CASES}
    results["guarded_over_unguarded"] = round(
        med["read_grid-guarded"] / med["read_grid-unguarded"], 3
    )
    results["guarded_over_raw_calamine"] = round(med["read_grid-guarded"] / med["raw-calamine"], 3)
    results["subprocess_over_guarded"] = round(
        med["subprocess-pickle"] / med["read_grid-guarded"], 3
    )
    results["load_average_at_end"] = os.getloadavg()
    print(
        f"guarded / unguarded read_grid: {results['guarded_over_unguarded']}x; "
        f"guarded / raw calamine: {results['guarded_over_raw_calamine']}x; "
        f"subprocess reader / guarded: {results['subprocess_over_guarded']}x"
    )
    target = RESULTS / "read_guard.json"
    target.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
