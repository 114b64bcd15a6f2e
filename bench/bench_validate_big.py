"""`zmed-upload validate` of Excel's largest sheet, whole process, against calamine.

    python bench/bench_validate_big.py [--rows 1048575] [--runs 3] [--cases ...] [--no-writers]

Part 1 (whole processes): writes a 1,048,575-data-row xlsx once (cached under
/tmp/zmed-bench, never in the repo), then per case runs a fresh process `--runs` times:

- ``calamine``: python-calamine reading the same sheet into Python lists (the baseline);
- ``events``: ``zmed-upload validate FILE --events-out E.ndjson`` (no report);
- ``events+csv``: the same with ``--report R.csv``;
- ``events+xlsx``: the same with ``--report R.xlsx``.

Wall and CPU seconds and peak RSS come from the child itself (``ru_maxrss``); medians are
quoted, and each case's ratio to the calamine baseline of the same run.

Part 2 (in one process, the writers alone): the same number of rows validated in memory,
then the CSV report against a plain ``csv.writer`` dump of the same rows, and the xlsx
report against a plain openpyxl write-only dump of the same rows (medians, ratios, and the
traced memory peak of each writer).

Figures are printed and written to bench/results/validate_big.json. CPU seconds are the
steadier figure on a shared machine; wall seconds are what the user waits.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CACHE = Path(tempfile.gettempdir()) / "zmed-bench"
sys.path.insert(0, str(ROOT / "bench"))

from make_samples import write_big_xlsx  # noqa: E402

import zmed_gui  # noqa: E402

CHILD = """
import resource, sys, time
t = time.perf_counter()
{body}
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print("BENCH", wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024)
"""

CALAMINE = (
    "from python_calamine import CalamineWorkbook\n"
    "rows = CalamineWorkbook.from_path({path!r}).get_sheet_by_index(0).to_python()\n"
)

CLI = (
    "import contextlib, io\n"
    "import zmed_gui\n"
    "assert zmed_gui.__file__.startswith({code!r}), zmed_gui.__file__\n"
    "from zmed_gui.cli import main\n"
    "buf = io.StringIO()\n"
    "with contextlib.redirect_stdout(buf):\n"
    "    code = main({argv!r})\n"
    "if code not in (0, 1):\n"
    "    sys.exit(buf.getvalue())\n"
)


def child(body: str, code: str | None = None) -> tuple[float, float, float]:
    """Run ``body`` in a fresh interpreter: (wall s, CPU s, peak RSS MB) it measured.

    ``code``: a folder holding another ``zmed_gui`` to run (PYTHONPATH), for a before/after
    comparison in the same run. The read guard's 60 s limit is raised: a shared machine
    can be that slow, and a refused read measures nothing.
    """
    env = dict(os.environ, ZMED_READ_TIME_LIMIT="1200")
    if code:
        env["PYTHONPATH"] = code
    proc = subprocess.run(  # cwd elsewhere: "" first on sys.path must not pick a checkout
        [sys.executable, "-c", CHILD.format(body=body)],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        env=env,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:] + proc.stdout[-3000:])
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH "))
    wall, cpu, peak = (float(x) for x in line.split()[1:])
    return wall, cpu, peak


def cli_body(path: Path, work: Path, report: str | None, code: str | None = None) -> str:
    argv = ["validate", str(path), "--timezone", "UTC", "--events-out", str(work / "e.ndjson")]
    if report:
        argv += ["--report", str(work / f"report.{report}")]
    return CLI.format(argv=argv, code=code or str(Path(zmed_gui.__file__).parent))


def whole_processes(args: argparse.Namespace) -> dict[str, Any]:
    CACHE.mkdir(parents=True, exist_ok=True)
    big = CACHE / f"big-{args.rows}.xlsx"
    if not big.exists():
        t = time.perf_counter()
        write_big_xlsx(big, args.rows)
        print(f"wrote {big} ({big.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    work = Path(tempfile.mkdtemp(prefix="zmed-bench-"))
    bodies = {
        "calamine": CALAMINE.format(path=str(big)),
        "events": cli_body(big, work, None),
        "events+csv": cli_body(big, work, "csv"),
        "events+xlsx": cli_body(big, work, "xlsx"),
    }
    cases = ["calamine", *[c for c in args.cases if c != "calamine"]]
    codes: dict[str, str | None] = {c: None for c in cases}
    if args.base:  # the same cases on another checkout's code (e.g. main before a change)
        for case in cases[1:]:
            report = case.partition("+")[2] or None
            bodies[case + "@base"] = cli_body(big, work, report, args.base)
            codes[case + "@base"] = args.base
        cases += [c + "@base" for c in cases[1:]]
    runs: dict[str, list[tuple[float, float, float]]] = {c: [] for c in cases}
    for n in range(args.runs):  # interleaved, so a busy minute hits every case alike
        for case in cases:
            wall, cpu, peak = child(bodies[case], codes.get(case))
            runs[case].append((wall, cpu, peak))
            print(f"  run {n + 1} {case:12} {wall:6.2f} s wall {cpu:6.2f} s CPU {peak:7.0f} MB")
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    out: dict[str, Any] = {}
    base = runs["calamine"]
    b_wall = statistics.median(r[0] for r in base)
    b_cpu = statistics.median(r[1] for r in base)
    b_peak = statistics.median(r[2] for r in base)
    for case, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        peak = statistics.median(r[2] for r in rs)
        out[case] = {
            "wall_s_median": round(wall, 3),
            "cpu_s_median": round(cpu, 3),
            "peak_rss_mb_median": round(peak, 1),
            "wall_ratio_to_calamine": round(wall / b_wall, 3),
            "cpu_ratio_to_calamine": round(cpu / b_cpu, 3),
            "peak_ratio_to_calamine": round(peak / b_peak, 3),
            "runs": [[round(x, 3) for x in r] for r in rs],
        }
    return out


# -- part 2: the writers alone ------------------------------------------------------------


def report_result(rows: int) -> Any:
    """A validated in-memory table like the benchmark sheet (with a few problems)."""
    from zmed_gui.core.convert import ConversionOptions
    from zmed_gui.core.mapping import FieldSource, Mapping
    from zmed_gui.core.schema import FieldType, Schema, SchemaField
    from zmed_gui.core.table import Table
    from zmed_gui.core.validate import validate

    rng = random.Random(1)
    start = dt.datetime(2026, 11, 1)
    acct = [f"A{rng.randrange(10**8):08d}" for _ in range(rows)]
    prod = [("API_CALLS", "STORAGE_GB", "SMS")[i % 3] for i in range(rows)]
    when = [start + dt.timedelta(minutes=15 * rng.randrange(2880)) for _ in range(rows)]
    units: list[Any] = [rng.randrange(1, 100_000) / (4 if i % 5 == 0 else 1) for i in range(rows)]
    for i in range(7, rows, 1000):
        units[i] = "n/a"  # an invalid cell every 1,000 rows
    region = [("EMEA", "AMER", "APAC")[i % 3] for i in range(rows)]
    notes = ["ok" if i % 10 == 0 else None for i in range(rows)]
    headers = ["Account Number", "Product", "Usage Date", "Units", "Region", "Notes"]
    table = Table(
        source="bench.xlsx",
        sheet="Usage",
        header_row=1,
        headers=headers,
        original_headers=list(headers),
        columns=[acct, prod, when, units, region, notes],  # type: ignore[list-item]
        row_numbers=list(range(2, rows + 2)),
    )
    schema = Schema(
        fields=[
            SchemaField("CustomerId", FieldType.STRING, required=True),
            SchemaField("UsageIdentifier", FieldType.STRING, required=True),
            SchemaField("UsageDate", FieldType.DATETIME, required=True),
            SchemaField("Quantity", FieldType.NUMBER, required=True),
        ]
    )
    mapping = Mapping(
        sources={
            "CustomerId": FieldSource(column=0),
            "UsageIdentifier": FieldSource(column=1),
            "UsageDate": FieldSource(column=2),
            "Quantity": FieldSource(column=3),
        }
    )
    return validate(table, schema, mapping, ConversionOptions(timezone="UTC"))


def plain_rows(result: Any) -> Any:
    """The report's rows as plain tuples: row number, the cells, status, errors."""
    table = result.table
    statuses = [s.value for s in result.statuses]
    errors = [
        "; ".join(i.message for i in result.issues_for_row(r)) if statuses[r] != "valid" else ""
        for r in range(len(table))
    ]
    return list(zip(table.row_numbers, *table.columns, statuses, errors, strict=True))


def timed(fn: Callable[[], None], repeat: int, trace: bool) -> tuple[float, float, float]:
    """(median wall s, median CPU s, traced peak MB of one more run, or 0 without trace)."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    peak = 0.0
    if trace:  # a separate run: tracing slows the writers several times over
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return statistics.median(walls), statistics.median(cpus), peak


def writers(args: argparse.Namespace) -> dict[str, Any]:
    from openpyxl import Workbook

    from zmed_gui.core.report import write_report

    t = time.perf_counter()
    result = report_result(args.writer_rows)
    print(f"validated {args.writer_rows:,} rows in memory in {time.perf_counter() - t:.1f} s")
    rows = plain_rows(result)
    work = Path(tempfile.mkdtemp(prefix="zmed-bench-"))

    def plain_csv() -> None:
        with (work / "plain.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["Row", *result.table.headers, "Status", "Errors"])
            w.writerows(rows)

    def plain_xlsx() -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Results")
        ws.append(["Row", *result.table.headers, "Status", "Errors"])
        for r in rows:
            ws.append(r)
        wb.save(str(work / "plain.xlsx"))

    out: dict[str, Any] = {"rows": args.writer_rows}
    cases: list[tuple[str, Callable[[], None]]] = [
        ("plain_csv_writer", plain_csv),
        ("report_csv", lambda: write_report(work / "r.csv", result)),
    ]
    if not args.no_xlsx_writer:
        cases += [
            ("plain_openpyxl_write_only", plain_xlsx),
            ("report_xlsx", lambda: write_report(work / "r.xlsx", result)),
        ]
    for name, fn in cases:
        wall, cpu, peak = timed(fn, args.repeat, args.trace)
        out[name] = {
            "wall_s_median": round(wall, 3),
            "cpu_s_median": round(cpu, 3),
            "traced_peak_mb": round(peak, 1),
        }
        print(f"  {name:28} {wall:6.2f} s wall {cpu:6.2f} s CPU  traced peak {peak:6.1f} MB")
    out["csv_ratio_to_plain_cpu"] = round(
        out["report_csv"]["cpu_s_median"] / out["plain_csv_writer"]["cpu_s_median"], 3
    )
    if "report_xlsx" in out:
        out["xlsx_ratio_to_plain_cpu"] = round(
            out["report_xlsx"]["cpu_s_median"] / out["plain_openpyxl_write_only"]["cpu_s_median"],
            3,
        )
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_048_575)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cases", nargs="*", default=["events", "events+csv", "events+xlsx"], help="part 1"
    )
    parser.add_argument(
        "--base", help="a folder with another zmed_gui package: its cases run alongside"
    )
    parser.add_argument("--writer-rows", type=int, default=1_048_575)
    parser.add_argument("--repeat", type=int, default=3, help="part 2 CSV repeats")
    parser.add_argument("--no-processes", action="store_true", help="skip part 1")
    parser.add_argument("--no-writers", action="store_true", help="skip part 2")
    parser.add_argument("--no-xlsx-writer", action="store_true", help="part 2 without xlsx")
    parser.add_argument("--trace", action="store_true", help="part 2: tracemalloc peaks")
    parser.add_argument("--label", default="", help="kept in the JSON (e.g. before/after)")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "label": args.label,
        "rows": args.rows,
        "runs": args.runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "code": str(Path(zmed_gui.__file__).parent),
    }
    if not args.no_processes:
        figures["processes"] = whole_processes(args)
    if not args.no_writers:
        figures["writers"] = writers(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"validate_big{'_' + args.label if args.label else ''}.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2) + "\n")
    print()
    for case, f in figures.get("processes", {}).items():
        print(
            f"{case:12} wall {f['wall_s_median']:6.2f} s ({f['wall_ratio_to_calamine']:.2f}x)"
            f"  CPU {f['cpu_s_median']:6.2f} s ({f['cpu_ratio_to_calamine']:.2f}x)"
            f"  peak {f['peak_rss_mb_median']:6.0f} MB ({f['peak_ratio_to_calamine']:.2f}x)"
        )
    w = figures.get("writers")
    if w:
        print(f"CSV report / plain csv.writer (CPU): {w['csv_ratio_to_plain_cpu']:.2f}x")
        if "xlsx_ratio_to_plain_cpu" in w:
            ratio = w["xlsx_ratio_to_plain_cpu"]
            print(f"xlsx report / plain openpyxl write-only (CPU): {ratio:.2f}x")
    print(f"written to {RESULTS / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
