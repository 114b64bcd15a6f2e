"""The whole `zmed-upload validate` on Excel's largest sheet: time and peak memory.

    python bench/bench_cli_validate.py [--rows 1048575] [--runs 3]

Writes a 1,048,575-data-row xlsx (header + data = 1,048,576 rows, Excel's maximum) once, then
runs `zmed-upload validate` on it as a separate process `--runs` times, with a report and an
events file, and measures wall time and the child's peak RSS. The baseline measured in the
same run is python-calamine reading the same sheet into Python lists and nothing else: the
floor any reader of this file pays. Figures are printed and written to
bench/results/cli_validate.json. Medians are quoted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

from make_samples import write_big_xlsx  # noqa: E402


def child_peak_rss_mb(code: str) -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter; return (seconds, peak RSS in MB)."""
    script = (
        "import resource, time, sys\n"
        "t = time.perf_counter()\n" + code + "\n"
        "print(time.perf_counter() - t)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    sys.stderr.write(proc.stderr[-2000:])
    out = proc.stdout.split()
    return float(out[-2]), float(out[-1])


def run_cli(path: Path, workdir: Path) -> tuple[float, float]:
    """The CLI in a fresh interpreter, exactly as `zmed-upload validate` runs it."""
    argv = [
        "validate",
        str(path),
        "--timezone",
        "UTC",
        "--events-out",
        str(workdir / "events.ndjson"),
        "--report",
        str(workdir / "report.csv"),
    ]
    return child_peak_rss_mb(
        "import contextlib, io\n"
        "from zmed_gui.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    code = main({argv!r})\n"
        "sys.stderr.write(buf.getvalue())\n"
        "sys.stderr.write(f'exit code {code}\\n')\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_048_575)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    big = RESULTS / f"big-{args.rows}.xlsx"
    if not big.exists():
        t = time.perf_counter()
        write_big_xlsx(big, args.rows)
        size = big.stat().st_size / 1e6
        print(f"wrote {big.name} ({size:.1f} MB) in {time.perf_counter() - t:.1f} s")

    base = [
        child_peak_rss_mb(
            "from python_calamine import CalamineWorkbook\n"
            f"rows = CalamineWorkbook.from_path({str(big)!r}).get_sheet_by_index(0).to_python()\n"
        )
        for _ in range(args.runs)
    ]
    cli = []
    for _ in range(args.runs):
        wall, peak = run_cli(big, RESULTS)
        cli.append((wall, peak))
        print(f"  run: {wall:.1f} s, peak RSS {peak:,.0f} MB")
    figures = {
        "rows": args.rows,
        "baseline_calamine_read_s_median": statistics.median(b[0] for b in base),
        "baseline_calamine_peak_rss_mb_median": statistics.median(b[1] for b in base),
        "cli_validate_s_median": statistics.median(c[0] for c in cli),
        "cli_validate_peak_rss_mb_max": max(c[1] for c in cli),
        "cli_rows_per_s_median": args.rows / statistics.median(c[0] for c in cli),
        "runs": args.runs,
    }
    (RESULTS / "cli_validate.json").write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        print(f"{key:40} {value:,.2f}" if isinstance(value, float) else f"{key:40} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
