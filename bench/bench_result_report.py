"""The result report after an upload, as the app writes it, and its writers' baselines.

    python bench/bench_result_report.py [--rows 300000] [--csv-rows 300000,1048575]
        [--runs 3] [--xlsx-runs 1] [--base /work/main] [--no-xlsx] [--no-csv]

The data: a validated in-memory table like a usage sheet (6 columns; a third of the rows
with a warning, an invalid cell every 1,000 rows, a few rows left out) and the outcomes an
upload leaves (the rows of each 10,000-event batch share one ``RowUpload``, as the
sender makes them; a few rejected). Each case runs in a fresh process (it builds the same
data first), so peak memory is the writer's own: the kernel's peak-RSS mark is reset
(``/proc/self/clear_refs``) after the data is built, and the peak quoted is the growth
over the RSS at that moment.

Cases, xlsx (``--rows``, ``--xlsx-runs`` each):

- ``app_xlsx``: the app's report job: ``report_outcomes`` then ``write_report`` (.xlsx;
  since the xlsxfast branch the Results sheets are hand-written XML streamed into the zip,
  ``core/report/_sheetxml.py``; before, openpyxl write-only cell by cell);
- ``app_xlsx@base``: the same on another checkout (``--base``, e.g. main before a change);
- ``xlsxwriter_report``: the same report (Summary left out, the same cells, the same
  fills for invalid/warning cells, text never a formula) with XlsxWriter in
  ``constant_memory`` mode: the candidate the issue asks to weigh;
- ``plain_openpyxl``: openpyxl write-only appending the report's rows as plain values.

CSV (each of ``--csv-rows``, medians of ``--runs``): ``app_csv`` (and ``@base``) against
``plain_csv``: ``csv.writer`` dumping the same rows: the report's columns, with the
Errors and upload cells as the report words them (the same strings), no checks.

Figures are printed and written to bench/results/result_report.json.
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
HERE = Path(__file__).resolve()


# -- in the child ------------------------------------------------------------------------


def make_result(rows: int) -> Any:
    import datetime as dt
    import random

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
    units: list[Any] = [
        rng.randrange(1, 100_000) / (4 if i % 5 == 0 else 1) * (-1 if i % 3 == 1 else 1)
        for i in range(rows)
    ]  # a negative Quantity is a warning: a third of the rows
    for i in range(7, rows, 1000):
        units[i] = "n/a"  # an invalid cell every 1,000 rows
    region = [("EMEA", "AMER", "APAC")[i % 3] for i in range(rows)]
    notes = ["ok" if i % 10 == 0 else None for i in range(rows)]
    headers = ["Account Number", "Product", "Usage Date", "Quantity", "Region", "Notes"]
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
    mapping = Mapping(sources={f.name: FieldSource(column=i) for i, f in enumerate(schema.fields)})
    excluded = list(range(500, rows, 20_000))  # a few rows left out in Review
    return validate(table, schema, mapping, ConversionOptions(timezone="UTC"), excluded=excluded)


def make_outcomes(result: Any) -> dict[int, Any]:
    """What the sender leaves: one RowUpload per batch of 10,000 received events."""
    from zmed_gui.core.report import RowOutcome, RowUpload
    from zmed_gui.core.validate import RowStatus

    invalid = RowUpload(RowOutcome.NOT_SENT, "The row is invalid, so it was not sent.")
    out: dict[int, Any] = {}
    sent = 0
    batch = None
    for i, s in enumerate(result.statuses):
        if s is RowStatus.INVALID:
            out[i] = invalid
        elif s is RowStatus.VALID or s is RowStatus.WARNING:
            if sent % 10_000 == 0:
                batch = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", f"req-{sent}")
            out[i] = batch
            if sent % 5_000 == 17:
                out[i] = RowUpload(RowOutcome.REJECTED, "Zuora: the customer does not exist.")
            sent += 1
    return out


def app_outcomes(result: Any, outcomes: dict[int, Any]) -> Any:
    """The app's per-row outcomes for the report (old checkouts: describe_now)."""
    try:
        from zmed_gui.core.fixes import report_outcomes
    except ImportError:
        from zmed_gui.core.fixes import describe_now

        return describe_now(result, outcomes, [])
    return report_outcomes(result, outcomes, [], {})


def xlsxwriter_report(path: Path, result: Any, uploads: Any) -> None:
    """The report's Results sheet with XlsxWriter (constant_memory): same cells, fills."""
    import datetime as dt

    import xlsxwriter

    from zmed_gui.core.report._cells import AMBER, RED
    from zmed_gui.core.report._layout import Layout

    layout = Layout(result, uploads)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("Results")
    bold = wb.add_format({"bold": True, "bg_color": "#D9D9D9"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    fills = {
        id(RED): wb.add_format({"bg_color": "#FFC7CE"}),
        id(AMBER): wb.add_format({"bg_color": "#FFEB9C"}),
    }
    date_fills = {
        id(RED): wb.add_format({"bg_color": "#FFC7CE", "num_format": "yyyy-mm-dd h:mm:ss"}),
        id(AMBER): wb.add_format({"bg_color": "#FFEB9C", "num_format": "yyyy-mm-dd h:mm:ss"}),
    }
    ws.freeze_panes(1, 0)
    for c, h in enumerate(layout.headers):
        ws.write_string(0, c, h, bold)
    w_str, w_num, w_dt = ws.write_string, ws.write_number, ws.write_datetime
    table = layout.table
    total = len(table)
    chunk = 10_000
    for start in range(0, total, chunk):
        stop = min(total, start + chunk)
        special = set(layout.special_rows(start, stop))
        columns: list[list[Any]] = [table.row_numbers[start:stop]]
        columns += [col[start:stop] for col in table.columns]
        columns += layout.plain_tails(start, stop)
        for k, values in enumerate(zip(*columns, strict=True)):
            i = start + k
            fill_of: dict[int, Any] = {}
            if i in special:
                row = layout.row(i)
                values, fill_of = tuple(row.values), row.fills
            r = i + 1
            for c, v in enumerate(values):
                kind = v.__class__
                fill = fill_of.get(c) if fill_of else None
                fmt = fills[id(fill)] if fill is not None else None
                if v is None:
                    if fmt is not None:
                        ws.write_blank(r, c, None, fmt)
                elif kind is str or isinstance(v, str):
                    w_str(r, c, v, fmt)  # write_string: never a formula
                elif kind is int or kind is float:
                    w_num(r, c, v, fmt)
                elif kind is dt.datetime:
                    w_dt(r, c, v, date_fills[id(fill)] if fill is not None else date_fmt)
                else:
                    w_str(r, c, str(v), fmt)
    wb.close()


def plain_csv_columns(result: Any, uploads: Any) -> list[list[Any]]:
    """The report's columns with its own words (Errors, upload cells): the same strings."""
    from zmed_gui.core.report._layout import Layout

    layout = Layout(result, uploads)
    table = layout.table
    total = len(table)
    columns: list[list[Any]] = [list(table.row_numbers), *[list(c) for c in table.columns]]
    tails = layout.plain_tails(0, total)
    for i in layout.special_rows(0, total, fills=False):
        for c, v in enumerate(layout.row(i).values[1 + table.column_count :]):
            tails[c][i] = str(v)
    return columns + tails


def peak_reset() -> int:
    """Reset the kernel's peak-RSS mark; return the RSS now (kB)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status("VmRSS")


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def child_main(case: str, rows: int, runs: int) -> None:
    import csv

    work = Path(tempfile.mkdtemp(prefix="zmed-bench-rr-"))
    result = make_result(rows)
    outcomes = make_outcomes(result)
    from zmed_gui.core.report import write_report

    def app(suffix: str) -> Any:
        def go() -> None:
            uploads = app_outcomes(result, outcomes)
            write_report(work / f"r.{suffix}", result, uploads=uploads)

        return go

    def plain_openpyxl() -> None:
        from openpyxl import Workbook

        cols = plain_csv_columns(result, app_outcomes(result, outcomes))
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Results")
        for row in zip(*cols, strict=True):
            ws.append(row)
        wb.save(str(work / "plain.xlsx"))

    def candidate() -> None:
        xlsxwriter_report(work / "xw.xlsx", result, app_outcomes(result, outcomes))

    figures: dict[str, Any] = {}
    if case in ("app_xlsx", "xlsxwriter_report", "plain_openpyxl"):
        fn = {"app_xlsx": app("xlsx"), "xlsxwriter_report": candidate}.get(case, plain_openpyxl)
        walls, cpus, peaks = [], [], []
        for _ in range(runs):
            before = peak_reset()
            t, c = time.perf_counter(), time.process_time()
            fn()
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            peaks.append((_status("VmHWM") - before) / 1024)
        size = max(p.stat().st_size for p in work.iterdir()) / 1e6
        figures = {"wall": walls, "cpu": cpus, "peak_mb": peaks, "file_mb": size}
    elif case == "csv_app":  # another checkout: the app's writer alone
        figures["app_csv"] = {"wall": [], "cpu": []}
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            app("csv")()
            figures["app_csv"]["wall"].append(time.perf_counter() - t)
            figures["app_csv"]["cpu"].append(time.process_time() - c)
    else:  # csv: the app's writer against csv.writer over the same rows, interleaved
        cols = plain_csv_columns(result, app_outcomes(result, outcomes))
        rows_out = list(zip(*cols, strict=True))
        from zmed_gui.core.report._layout import Layout

        headers = Layout(result, outcomes).headers

        def plain() -> None:
            with (work / "plain.csv").open("w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(headers)
                w.writerows(rows_out)

        cases = {"app_csv": app("csv"), "plain_csv": plain}
        for name in cases:
            figures[name] = {"wall": [], "cpu": []}
        for _ in range(runs):
            for name, fn in cases.items():
                t, c = time.perf_counter(), time.process_time()
                fn()
                figures[name]["wall"].append(time.perf_counter() - t)
                figures[name]["cpu"].append(time.process_time() - c)
        same = (work / "r.csv").read_bytes() == (work / "plain.csv").read_bytes()
        figures["same_bytes"] = same
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    print("RESULT " + json.dumps(figures))


# -- the parent --------------------------------------------------------------------------


def run_child(case: str, rows: int, runs: int, code: str | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = code or str(ROOT)
    proc = subprocess.run(
        [sys.executable, str(HERE), "--child", case, "--rows", str(rows), "--runs", str(runs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line[7:]))


def med(xs: list[float]) -> float:
    return round(statistics.median(xs), 3)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--csv-rows", default="300000,1048575")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xlsx-runs", type=int, default=1)
    parser.add_argument("--base", help="another checkout (its folder) for the @base cases")
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--no-csv", action="store_true")
    parser.add_argument("--xlsx-cases", default="app_xlsx,xlsxwriter_report,plain_openpyxl")
    parser.add_argument("--label", default="", help="names the JSON: result_report_LABEL.json")
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.rows, args.runs)
        return 0
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "base": args.base,
    }
    if not args.no_xlsx:
        xl: dict[str, Any] = {"rows": args.rows}
        cases = [(c, None) for c in args.xlsx_cases.split(",")]
        if args.base:
            cases.insert(1, ("app_xlsx@base", args.base))
        for case, code in cases:
            f = run_child(case.partition("@")[0], args.rows, args.xlsx_runs, code)
            xl[case] = {
                "wall_s_median": med(f["wall"]),
                "cpu_s_median": med(f["cpu"]),
                "peak_growth_mb_median": round(statistics.median(f["peak_mb"]), 1),
                "file_mb": round(f["file_mb"], 1),
                "runs": len(f["wall"]),
            }
            print(f"xlsx {args.rows:,} rows {case:18} " + json.dumps(xl[case]), flush=True)
        if "app_xlsx@base" in xl:
            xl["app_xlsx_speedup_cpu"] = round(
                xl["app_xlsx@base"]["cpu_s_median"] / xl["app_xlsx"]["cpu_s_median"], 2
            )
        if "xlsxwriter_report" in xl and "app_xlsx" in xl:
            xl["xlsxwriter_over_app_cpu"] = round(
                xl["xlsxwriter_report"]["cpu_s_median"] / xl["app_xlsx"]["cpu_s_median"], 2
            )
        out["xlsx"] = xl
    if not args.no_csv:
        out["csv"] = {}
        for rows in (int(r) for r in args.csv_rows.split(",")):
            f = run_child("csv", rows, args.runs)
            entry: dict[str, Any] = {"runs": args.runs, "same_bytes": f["same_bytes"]}
            for name in ("app_csv", "plain_csv"):
                entry[name] = {
                    "wall_s_median": med(f[name]["wall"]),
                    "cpu_s_median": med(f[name]["cpu"]),
                }
            if args.base:
                b = run_child("csv_app", rows, args.runs, args.base)
                entry["app_csv@base"] = {
                    "wall_s_median": med(b["app_csv"]["wall"]),
                    "cpu_s_median": med(b["app_csv"]["cpu"]),
                }
            entry["ratio_cpu"] = round(
                entry["app_csv"]["cpu_s_median"] / entry["plain_csv"]["cpu_s_median"], 3
            )
            entry["ratio_wall"] = round(
                entry["app_csv"]["wall_s_median"] / entry["plain_csv"]["wall_s_median"], 3
            )
            out["csv"][str(rows)] = entry
            print(
                f"csv {rows:,} rows: report {entry['app_csv']['cpu_s_median']:.2f} s CPU, "
                f"plain csv.writer {entry['plain_csv']['cpu_s_median']:.2f} s CPU: "
                f"{entry['ratio_cpu']:.2f}x (wall {entry['ratio_wall']:.2f}x)",
                flush=True,
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"result_report{'_' + args.label if args.label else ''}.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {RESULTS / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
