"""Benchmark: what issue 11 added around an upload, on a large validated file.

For N rows (default 300,000; the table of bench_validate.py) it times, median of
``--repeat`` runs (wall seconds), each beside a baseline measured in the same run:

- the last look's figures (``last_look``: totals per UsageIdentifier, date range, rows with
  warnings), run in the planning worker, against ``items_from_validation``, which planning
  already does for the same rows;
- what is not yet sent after an upload (``not_yet_sent``, the one walk over every row the
  Upload step does on its thread, once per change) against ``ValidationResult.valid_rows``;
- writing ``--fix-rows`` rows to fix against openpyxl writing the same cells plainly,
  and reading them back in against writing them.

Prints the figures and writes bench/results/upload_look.json.

    .venv/bin/python bench/bench_upload_look.py [--rows N] [--repeat 3] [--fix-rows 5000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import MAPPING, SCHEMA, build_table
from openpyxl import Workbook

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.fixes import (
    export_rows_to_fix,
    not_yet_sent,
    read_fixed_rows,
    rows_to_fix,
)
from zmed_gui.core.report import RowOutcome, RowUpload
from zmed_gui.core.upload import items_from_validation
from zmed_gui.core.validate import RowStatus, validate
from zmed_gui.ui.upload_confirm import last_look

RESULTS = Path(__file__).resolve().parent / "results" / "upload_look.json"


def median_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fix-rows", type=int, default=5_000)
    args = ap.parse_args()

    table = build_table(args.rows)
    result = validate(table, SCHEMA, MAPPING, ConversionOptions(timezone="UTC"))
    items, invalid = items_from_validation(result)
    statuses = list(result.statuses)
    accepted = RowUpload(RowOutcome.ACCEPTED)
    outcomes = {i.row: accepted for i in items}
    undelivered = [i.row for i in items[: args.fix_rows]]
    for row in undelivered:
        outcomes[row] = RowUpload(RowOutcome.REJECTED, "Quantity is out of range.")
    cases: dict[str, dict[str, float]] = {}

    def case(name: str, fn: Callable[[], object], base: Callable[[], object]) -> None:
        t_base = median_of(base, args.repeat)
        t = median_of(fn, args.repeat)
        cases[name] = {"seconds": round(t, 4), "baseline_s": round(t_base, 4),
                       "ratio": round(t / t_base, 3) if t_base else 0.0}  # fmt: skip
        print(f"{name:<28} {t:8.3f} s   baseline {t_base:8.3f} s   ratio {t / t_base:6.2f}")

    print(f"{args.rows:,} rows, {len(items):,} events, median of {args.repeat}")
    case(
        "last_look",
        lambda: last_look(items, statuses, SCHEMA, excluded=0, invalid=len(invalid)),
        lambda: items_from_validation(result),
    )
    case("not_yet_sent", lambda: not_yet_sent(result, outcomes), result.valid_rows)

    folder = Path(tempfile.mkdtemp(prefix="zmed-bench-look-"))
    fix_path = folder / "fix.xlsx"

    def export() -> None:
        export_rows_to_fix(fix_path, result, rows_to_fix(result, outcomes))

    def plain_write() -> None:
        # The floor: the same rows and columns written by openpyxl, nothing else.
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("rows")
        for row in undelivered:
            ws.append([table.row_numbers[row], "reason", *(c[row] for c in table.columns)])
        wb.save(folder / "plain.xlsx")

    case(f"export {len(undelivered):,} rows to fix", export, plain_write)
    export()
    case(
        f"read {len(undelivered):,} rows back in",
        lambda: read_fixed_rows(fix_path, table),
        export,
    )
    warned = sum(1 for s in statuses if s is RowStatus.WARNING)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "events": len(items),
                "warnings": warned,
                "fix_rows": len(undelivered),
                "repeat": args.repeat,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "cases": cases,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
