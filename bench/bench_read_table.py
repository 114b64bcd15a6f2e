"""Reading a sheet into a Table against python-calamine alone, whole processes.

    python bench/bench_read_table.py [--rows 200000] [--runs 5] [--base /work/main]

Per case a fresh interpreter reads bench/make_samples.py's big sheet (``--rows`` data rows
of 6 columns, cached under /tmp/zmed-bench) `--runs` times, the cases interleaved so a busy
minute hits each alike:

- ``calamine``: ``CalamineWorkbook.from_path(...).get_sheet_by_index(0).to_python()``, the
  baseline (calamine's parse and its Python lists, nothing else);
- ``load_table``: ``zmed_gui.core.read.load_table`` of this tree;
- ``load_table@base``: the same of another checkout (``--base``, e.g. main before a change).

Each child measures itself: wall and CPU seconds of the read alone (imports excluded) and
its peak RSS. Medians are printed with each case's ratio to the calamine baseline of the
same run, and written to bench/results/read_table_ROWS.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CACHE = Path(tempfile.gettempdir()) / "zmed-bench"
sys.path.insert(0, str(ROOT / "bench"))

from make_samples import write_big_xlsx  # noqa: E402

CHILD = """
import resource, sys, time
from pathlib import Path
{imports}
t = time.perf_counter()
c = time.process_time()
{body}
wall = time.perf_counter() - t
cpu = time.process_time() - c
print("BENCH", wall, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, n)
"""

CALAMINE = (
    "from python_calamine import CalamineWorkbook",
    "n = len(CalamineWorkbook.from_path({path!r}).get_sheet_by_index(0).to_python()) - 1",
)
LOAD = (
    "import zmed_gui\n"
    "assert zmed_gui.__file__.startswith({code!r}), zmed_gui.__file__\n"
    "from zmed_gui.core.read import load_table",
    "n = len(load_table(Path({path!r})))",
)


def child(case: tuple[str, str], path: Path, code: str | None) -> tuple[float, float, float, int]:
    imports, body = case
    src = CHILD.format(imports=imports.format(code=code or ""), body=body.format(path=str(path)))
    env = dict(os.environ, ZMED_READ_TIME_LIMIT="1200")
    if code:
        env["PYTHONPATH"] = code
    proc = subprocess.run(
        [sys.executable, "-c", src],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH "))
    wall, cpu, peak, n = line.split()[1:]
    return float(wall), float(cpu), float(peak), int(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", help="a folder with another zmed_gui package")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    big = CACHE / f"big-{args.rows}.xlsx"
    if not big.exists():
        write_big_xlsx(big, args.rows)
    here = str(ROOT / "zmed_gui")
    cases: dict[str, tuple[tuple[str, str], str | None]] = {
        "calamine": (CALAMINE, None),
        "load_table": (LOAD, here),
    }
    if args.base:
        cases["load_table@base"] = (LOAD, str(Path(args.base).resolve()))
    runs: dict[str, list[tuple[float, float, float, int]]] = {c: [] for c in cases}
    for n in range(args.runs):
        for name, (case, code) in cases.items():
            # this tree's code comes from the checkout itself (PYTHONPATH), like the base's
            r = child(case, big, str(ROOT) if code == here else code)
            runs[name].append(r)
            print(f"  run {n + 1} {name:16} {r[0]:6.2f} s wall {r[1]:6.2f} s CPU {r[2]:7.0f} MB")
    base = runs["calamine"]
    b = [statistics.median(r[i] for r in base) for i in range(3)]
    out: dict[str, Any] = {
        "label": args.label,
        "rows": args.rows,
        "runs": args.runs,
        "file": big.name,
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cases": {},
    }
    for name, rs in runs.items():
        m = [statistics.median(r[i] for r in rs) for i in range(3)]
        assert len({r[3] for r in rs} | {base[0][3]}) == 1, "cases read different row counts"
        out["cases"][name] = {
            "wall_s_median": round(m[0], 3),
            "cpu_s_median": round(m[1], 3),
            "peak_rss_mb_median": round(m[2], 1),
            "wall_ratio_to_calamine": round(m[0] / b[0], 3),
            "cpu_ratio_to_calamine": round(m[1] / b[1], 3),
            "peak_ratio_to_calamine": round(m[2] / b[2], 3),
            "runs": [[round(x, 3) for x in r[:3]] for r in rs],
        }
        print(
            f"{name:16} wall {m[0]:6.2f} s ({m[0] / b[0]:.2f}x)  CPU {m[1]:6.2f} s "
            f"({m[1] / b[1]:.2f}x)  peak {m[2]:6.0f} MB ({m[2] / b[2]:.2f}x)"
        )
    RESULTS.mkdir(exist_ok=True)
    dest = RESULTS / f"read_table_{args.rows}.json"
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
