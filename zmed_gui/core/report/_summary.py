"""The report's summary: counts and the most frequent problems (the xlsx Summary sheet)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from zmed_gui.core.progress import CancelToken
from zmed_gui.core.report._cells import BOLD, safe_row
from zmed_gui.core.report._layout import Layout, ResultLike
from zmed_gui.core.report._outcome import UPLOAD_STATUSES, RowUpload, problem_words
from zmed_gui.core.validate import RowStatus, Severity

TOP_PROBLEMS = 10


def summarise(result: ResultLike, uploads: Mapping[int, RowUpload] | None = None) -> dict[str, Any]:
    """Counts and the most frequent problems, as the Summary sheet shows them."""
    table = result.table
    statuses = Counter(s.value for s in result.statuses)
    problems: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    severities: dict[tuple[str, str], Severity] = {}
    for i in range(len(table)):
        for issue in result.issues_for_row(i):
            key = (issue.label(table), issue.code)
            problems[key] += 1
            examples.setdefault(key, issue.message)
            severities.setdefault(key, issue.severity)
    upload_counts = Counter(up.status for up in uploads.values()) if uploads is not None else None
    return {
        "statuses": statuses,
        "uploads": upload_counts,
        "problems": [
            (label, code, severities[(label, code)], count, examples[(label, code)])
            for (label, code), count in problems.most_common(TOP_PROBLEMS)
        ],
        "problem_kinds": len(problems),
    }


def write_summary(wb: Workbook, layout: Layout, cancel: CancelToken | None) -> None:
    """The Summary sheet: the source, row counts, upload counts and the top problems."""
    table = layout.table
    info = summarise(layout.result, layout.uploads)
    if cancel is not None:
        cancel.raise_if_cancelled()
    ws: WriteOnlyWorksheet = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 10
    ws.column_dimensions["E"].width = 90

    def bold(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = BOLD
        return cell

    def put(values: list[Any]) -> None:
        # Every row through safe_row: file, sheet and field names, messages: never formulas.
        ws.append(safe_row(ws, values))

    put([bold("zmed-gui result file")])
    put([])
    put(["File", table.source])
    put(["Sheet", table.sheet])
    put(["Header row", table.header_row])
    put(["Written", dt.datetime.now().replace(microsecond=0)])
    put([])
    put([bold("Rows"), len(table)])
    statuses: Counter[str] = info["statuses"]
    for status in RowStatus:
        put([status.value.capitalize(), statuses.get(status.value, 0)])
    uploads: Counter[str] | None = info["uploads"]
    if uploads is not None:
        put([])
        put([bold("Upload")])
        not_sent = len(table) - sum(uploads.values())
        for name in UPLOAD_STATUSES:
            count = uploads.get(name, 0) + (not_sent if name == "not sent" else 0)
            put([name.capitalize(), count])
        for other, count in uploads.items():
            if other not in UPLOAD_STATUSES:
                put([other, count])
    mapping_problems = getattr(layout.result, "mapping_problems", None) or []
    if mapping_problems:
        put([])
        put([bold("Mapping problems")])
        for sentence in mapping_problems:
            put([str(sentence)])
    put([])
    put([bold("Top problems")])
    if not info["problems"]:
        put(["No problems found."])
    else:
        put([bold(h) for h in ("Field", "Problem", "Severity", "Count", "Example")])
        for label, code, severity, count, example in info["problems"]:
            put([label, problem_words(code), severity.value.capitalize(), count, example])
        if info["problem_kinds"] > TOP_PROBLEMS:
            more = info["problem_kinds"] - TOP_PROBLEMS
            put([f"... and {more} more kinds of problem; filter the Results sheet."])
