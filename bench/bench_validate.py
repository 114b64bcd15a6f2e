"""Benchmark: validate() on a large in-memory table.

Builds N rows (default 1,000,000) with a realistic mix: ~5,000 customers, 3 products,
many distinct dates and quantities (native datetimes, date text and Excel-like floats),
times validate() (median of 3) against a baseline measured in the same run (a plain loop
that only str()s every mapped cell), prints rows/s and peak RSS, and writes
bench/results/validate.json.

    .venv/bin/python bench/bench_validate.py [--rows N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import CellValue, Table
from zmed_gui.core.validate import validate


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
    args = parser.parse_args()
    t0 = time.perf_counter()
    table = build_table(args.rows)
    build_s = time.perf_counter() - t0
    rss_table = peak_rss_mib()
    base_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        baseline(table)
        base_times.append(time.perf_counter() - t0)
    times = []
    result = None
    for _ in range(args.repeat):
        result = None  # let the previous result go before measuring the next
        t0 = time.perf_counter()
        result = validate(table, SCHEMA, MAPPING, OPTIONS)
        times.append(time.perf_counter() - t0)
    assert result is not None
    median = statistics.median(times)
    base = statistics.median(base_times)
    figures = {
        "rows": args.rows,
        "fields": len(SCHEMA.fields),
        "repeat": args.repeat,
        "build_table_s": round(build_s, 3),
        "validate_s_median": round(median, 3),
        "validate_s_all": [round(t, 3) for t in times],
        "validate_rows_per_s": round(args.rows / median),
        "baseline_str_loop_s_median": round(base, 3),
        "baseline_rows_per_s": round(args.rows / base),
        "validate_vs_baseline": round(median / base, 2),
        "peak_rss_mib_after_table": round(rss_table, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "counts": {k.value: v for k, v in result.counts.items()},
        "issues": len(result.issues),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    for key, value in figures.items():
        print(f"{key:30} {value}")
    out = Path(__file__).parent / "results" / "validate.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
