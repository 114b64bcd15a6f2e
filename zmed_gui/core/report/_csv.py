"""The ``.csv`` report: UTF-8 with a BOM so Excel opens it right; no formula injection."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.report._layout import Layout, layout_rows

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # 3.0 from a spreadsheet is 3 to the user
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    # Excel runs a cell starting with these as a formula ("CSV injection"): make it text.
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(
    path: Path, layout: Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    """Write the rows as CSV (UTF-8 with a BOM; text that looks like a formula stays text)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_csv_text(h) for h in layout.headers])
        for row in layout_rows(layout, progress, cancel):
            writer.writerow([_csv_text(v) for v in row.values])
