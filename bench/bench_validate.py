"""Benchmark: validate() on a large in-memory table.

Builds N rows (default 1,000,000) with a realistic mix: ~5,000 customers, 3 products,
many distinct dates and quantities (native datetimes, date text and Excel-like floats),
times validate() (median of 3, wall and CPU) against baselines measured in the same run
(a plain loop that only str()s every mapped cell; the same conversions cell by cell
without the per-value cache), prints the figures and peak RSS, and writes
bench/results/validate.json. CPU seconds are the steadier figure on a shared machine.

    .venv/bin/python bench/bench_validate.py [--rows N] [--repeat 3] [--text] [--no-uncached]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import CellValue, Table
from zmed_gui.core.validate import ValidationResult, validate


def as_text(table: Table) -> Table:
    """The same table as a CSV reader gives it: every cell text, dates day first."""

    def text(cell: CellValue) -> CellValue:
        if cell is None:
            return None
        if isinstance(cell, dt.datetime):
            return cell.strftime("%d/%m/%Y %H:%M:%S")
        return str(cell)

    table.columns = [[text(c) for c in column] for column in table.columns]
    return table


def build_table(rows: int, seed: int = 1) -> Table:
    rng = random.Random(seed)
    customers = [f"A{n:08d}" for n in range(5000)]
    products = ["API_CALLS", "STORAGE_GB", "SEATS"]
    start = dt.datetime(2026, 1, 1)
    cust: list[CellValue] = []
    prod: list[CellValue] = []
    when: list[CellValue] = []
    qty: list[CellValue] = []
    region: list[CellValue] = []
    for i in range(rows):
        cust.append(rng.choice(customers))
        prod.append(products[i % 3])
        moment = start + dt.timedelta(seconds=rng.randrange(0, 300 * 86400))
        kind = i % 10
        if kind < 7:
            when.append(moment)  # native date cells, mostly distinct
        elif kind < 9:
            when.append(moment.strftime("%d/%m/%Y %H:%M"))  # text, day first
        else:
            when.append(moment.strftime("%Y-%m-%dT%H:%M:%S"))
        r = rng.random()
        if r < 0.6:
            qty.append(rng.randrange(1, 1000))
        elif r < 0.9:
            qty.append(round(rng.uniform(0, 500), 2))
        else:
            qty.append(f"{rng.uniform(1000, 100000):,.2f}")  # text with thousands separators
        region.append(None if i % 4 == 0 else rng.choice(["EU", "US", "APAC"]))
    headers = ["Customer", "Product", "Date", "Qty", "Region"]
    return Table(
        source="bench.xlsx",
        sheet="Usage",
        header_row=1,
        headers=headers,
        original_headers=list(headers),
        columns=[cust, prod, when, qty, region],
        row_numbers=list(range(2, rows + 2)),
    )


SCHEMA = Schema(
    [
        SchemaField("CustomerId", FieldType.STRING),
        SchemaField("UsageIdentifier", FieldType.STRING),
        SchemaField("UsageDate", FieldType.DATETIME),
        SchemaField("Quantity", FieldType.NUMBER),
        SchemaField("Region", FieldType.STRING, required=False),
    ]
)
MAPPING = Mapping({name: FieldSource(column=i) for i, name in enumerate(SCHEMA.names)})
OPTIONS = ConversionOptions(timezone="Europe/Berlin")


def uncached(table: Table) -> int:
    """The same conversions cell by cell with no per-value cache (what caching saves)."""
    from zmed_gui.core.convert import FieldConverter, resolve_timezone

    zone = resolve_timezone(OPTIONS.timezone)
    convs = [
        FieldConverter(f.type, OPTIONS, zone=zone, warn_negative=f.name == "Quantity")
        for f in SCHEMA.fields
    ]
    count = 0
    for conv, column in zip(convs, table.columns, strict=True):
        for cell in column:
            conv(cell)
            count += 1
    return count


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def baseline(table: Table) -> int:
    """A plain loop that only str()s every mapped cell: the floor any validator pays."""
    count = 0
    for row in zip(*table.columns, strict=True):
        for cell in row:
            count += len(str(cell))
    return count


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-uncached", dest="uncached", action="store_false",
        help="skip the cell-by-cell run without caching",
    )  # fmt: skip
    parser.add_argument(
        "--text", action="store_true", help="every cell as text, as from a CSV file"
    )
    args = parser.parse_args()
    load = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    table = build_table(args.rows)
    if args.text:
        table = as_text(table)
    build_s = time.perf_counter() - t0
    rss_table = peak_rss_mib()
    base = [timed(lambda: baseline(table)) for _ in range(args.repeat)]
    results: list[object] = []

    def run() -> None:
        results.clear()  # let the previous result go before measuring the next
        results.append(validate(table, SCHEMA, MAPPING, OPTIONS))

    runs = [timed(run) for _ in range(args.repeat)]
    result = results[0]
    assert isinstance(result, ValidationResult)
    rss_validate = peak_rss_mib()
    slow = timed(lambda: uncached(table)) if args.uncached else (0.0, 0.0)
    wall = statistics.median(t[0] for t in runs)
    cpu = statistics.median(t[1] for t in runs)
    base_wall = statistics.median(t[0] for t in base)
    base_cpu = statistics.median(t[1] for t in base)
    figures = {
        "rows": args.rows,
        "cells": "text (as from CSV)" if args.text else "native (as from xlsx)",
        "fields": len(SCHEMA.fields),
        "repeat": args.repeat,
        "load_average_1min_at_start": load,
        "build_table_s": round(build_s, 3),
        "validate_wall_s_median": round(wall, 3),
        "validate_cpu_s_median": round(cpu, 3),
        "validate_wall_s_all": [round(t[0], 3) for t in runs],
        "validate_cpu_s_all": [round(t[1], 3) for t in runs],
        "validate_rows_per_cpu_s": round(args.rows / cpu),
        "baseline_str_loop_wall_s_median": round(base_wall, 3),
        "baseline_str_loop_cpu_s_median": round(base_cpu, 3),
        "validate_cpu_vs_str_loop": round(cpu / base_cpu, 2),
        "uncached_conversion_only_cpu_s": round(slow[1], 3) if args.uncached else None,
        "peak_rss_mib_after_table": round(rss_table, 1),
        "peak_rss_mib_after_validate": round(rss_validate, 1),
        "counts": {k.value: v for k, v in result.counts.items()},
        "issues": len(result.issues),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    for key, value in figures.items():
        print(f"{key:30} {value}")
    name = "validate-text.json" if args.text else "validate.json"
    out = Path(__file__).parent / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
