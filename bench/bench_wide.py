"""Benchmark: a wide sheet (10,000 columns, many sharing a name) made, matched, validated.

Builds the grid in memory (the reading itself is not timed), then times detect_header_row,
make_table (header names made unique), auto_match_table, validate and check_mapping, each
once, prints the figures and the number of header notes, and writes bench/results/wide.json.
bench/results/wide_before.json holds the figures measured before the fix (2026-12-01).

    .venv/bin/python bench/bench_wide.py [--columns 10000] [--rows 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

from zmed_gui.core.convert import ConversionOptions, DateOrder
from zmed_gui.core.mapping import auto_match_table, unmapped_columns
from zmed_gui.core.read import detect_header_row, make_table
from zmed_gui.core.schema import default_schema
from zmed_gui.core.table import CellValue, Grid
from zmed_gui.core.validate import check_mapping, validate


def wide_grid(columns: int, rows: int) -> Grid:
    """Four real columns, then ``columns - 4`` whose headers repeat a few names (TRUE,
    Note, empty) as exports of pivoted sheets do."""
    names: list[CellValue] = ["Customer", "Product", "Date", "Qty"]
    repeats: list[CellValue] = [True, "Note", None, "Value", "Note"]
    names += [repeats[c % len(repeats)] for c in range(columns - 4)]
    body: list[list[CellValue]] = []
    for r in range(rows):
        row: list[CellValue] = [f"A-{r}", "API", dt.datetime(2026, 11, 1 + r % 28), r + 1]
        row += [c % 7 for c in range(columns - 4)]
        body.append(row)
    return Grid("wide.xlsx", "Sheet1", [names, *body], list(range(1, rows + 2)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=50)
    args = parser.parse_args()
    grid = wide_grid(args.columns, args.rows)
    schema = default_schema()
    figures: dict[str, float] = {}

    t = time.perf_counter()
    header = detect_header_row(grid)
    figures["detect_header_s"] = time.perf_counter() - t
    t = time.perf_counter()
    table = make_table(grid, header)
    figures["make_table_s"] = time.perf_counter() - t
    t = time.perf_counter()
    mapping = auto_match_table(table, schema)
    figures["auto_match_s"] = time.perf_counter() - t
    t = time.perf_counter()
    result = validate(table, schema, mapping, ConversionOptions(date_order=DateOrder.DMY))
    figures["validate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    check_mapping(table, schema, mapping)
    unmapped_columns(table, mapping)
    figures["check_mapping_s"] = time.perf_counter() - t
    figures["total_s"] = sum(figures.values())

    out = {
        "columns": args.columns,
        "rows": args.rows,
        **{k: round(v, 4) for k, v in figures.items()},
        "header_notes": len(table.header_notes),
        "header_notes_sample": table.header_notes[:3],
        "events": len(result.events),
        "mapped": sorted(f for f in mapping.sources if mapping.source(f)),
        "python": platform.python_version(),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    for key, value in out.items():
        print(f"{key}: {value}")
    path = Path(__file__).with_name("results") / "wide.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
