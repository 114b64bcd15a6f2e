"""Where the review report goes and the work that writes it (every row with its problems).

The Review step runs :func:`report_job` in a worker and decides what the window does around
it (busy line, editing off while the worker reads the cells, the sentence afterwards).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from zmed_gui.core.report import write_report
from zmed_gui.ui.jobs import WorkFn


def default_report_path(source: Path | None, suffix: str = ".xlsx") -> Path:
    """Next to the spreadsheet, named after it with a timestamp (home folder otherwise)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    if source is not None:
        return source.with_name(f"{source.stem}-review-{stamp}{suffix}")
    return Path.home() / f"zmed-review-{stamp}{suffix}"


def ask_report_path(parent: QWidget, suggested: Path) -> Path | None:
    """Ask where to save the report; an answer without a suffix gets the chosen type's."""
    path, chosen = QFileDialog.getSaveFileName(
        parent,
        "Export review report",
        str(suggested),
        "Excel workbook (*.xlsx);;CSV file (*.csv)",
    )
    if not path:
        return None
    p = Path(path)
    if not p.suffix:
        p = p.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
    return p


def report_job(path: Path, result: Any, edits: Any = None) -> WorkFn:
    """The work of writing ``result``'s report to ``path``, for a worker; ``edits`` are
    the cells changed in Review, ``(row, column) -> value before`` (a copy)."""

    def work(progress: Any, cancel: Any) -> Path:
        write_report(path, result, edits=edits, progress=progress, cancel=cancel)
        return path

    return work
