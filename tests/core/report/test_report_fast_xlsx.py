"""openpyxl's chunked xlsx rows equal the row-by-row ones: every file of the workbook but
its timestamps is byte for byte the same, over every value class, chunk and sheet limits.

That writer (``write_xlsx_openpyxl``) is the reference the streamed writer is compared
against (test_report_sheetxml.py); both sides here are written with it."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.core.report.test_report_fast_csv import EVERY_VALUE, FakeResult, _result
from tests.factories import table_from_columns
from zmed_gui.core.report import RowOutcome, RowUpload, write_report
from zmed_gui.core.report import _write as report_write
from zmed_gui.core.report import _xlsx as report_xlsx
from zmed_gui.core.report._xlsx import _xlsx_row
from zmed_gui.core.validate import RowStatus

STAMPED = {"docProps/core.xml", "xl/worksheets/sheet1.xml"}  # creation time, "Written"

EXTRA: list[Any] = [
    "bad\x01control",
    "x" * 40_000,
    dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
    dt.time(9, 30, tzinfo=dt.UTC),
    "=1+1",
]


def _row_by_row(layout: Any, ws: Any, progress: Any, cancel: Any) -> Iterator[Sequence[Any]]:
    for i in range(len(layout.table)):
        yield _xlsx_row(ws, layout.row(i))


def _files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n not in STAMPED}


def _write_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: Any, uploads: Any = None
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    new, old = tmp_path / "new.xlsx", tmp_path / "old.xlsx"
    with monkeypatch.context() as m:
        m.setattr(report_write, "write_xlsx", report_xlsx.write_xlsx_openpyxl)
        write_report(new, result, uploads=uploads)
        m.setattr(report_xlsx, "_rows", _row_by_row)
        write_report(old, result, uploads=uploads)
    return _files(new), _files(old)


@pytest.mark.parametrize("chunk", [1, 5, 10_000])
@pytest.mark.parametrize("max_rows", [8, 1_048_576])
def test_fast_xlsx_equals_the_row_by_row_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, max_rows: int
) -> None:
    monkeypatch.setattr(report_xlsx, "CHUNK", chunk)
    monkeypatch.setattr(report_write, "EXCEL_MAX_ROWS", max_rows)
    result = _result()
    n = len(result.table)
    for column in result.table.columns[:2]:
        column[-len(EXTRA) :] = EXTRA
    uploads = {0: RowUpload(RowOutcome.ACCEPTED, "", "r-1"), 5: RowUpload(RowOutcome.REJECTED)}
    batch = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", "r-2")
    uploads.update({i: batch for i in range(6, n - 4)})  # every row of a batch shares it
    uploads[n - 3] = RowUpload(RowOutcome.UNCERTAIN, "=timeout", "r-3")
    uploads[n - 2] = RowUpload(RowOutcome.NOT_SENT, "Not sent: the upload stopped first.")
    for with_uploads in (None, uploads):
        new, old = _write_both(tmp_path, monkeypatch, result, with_uploads)
        assert new.keys() == old.keys() and len(new) >= 6
        for name in new:
            assert new[name] == old[name], name
    assert n > max_rows or max_rows > 8


@pytest.mark.parametrize("status", list(RowStatus))
def test_fast_xlsx_one_status_and_plain_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: RowStatus
) -> None:
    n = 30
    columns: list[list[Any]] = [
        [f"A{i}" for i in range(n)],
        [dt.datetime(2026, 1, 1 + i % 5) for i in range(n)],
        [i / 4 for i in range(n)],
        [[None, True, 3, dt.date(2026, 1, 1), dt.timedelta(1)][i % 5] for i in range(n)],
        [dt.time(9, i, tzinfo=dt.UTC if i % 2 else None) for i in range(n)],
        [dt.datetime(2026, 1, 1, i, tzinfo=dt.UTC) for i in range(24)] + [None] * (n - 24),
    ]
    table = table_from_columns(columns, ["A", "B", "C", "D", "E", "F"])
    new, old = _write_both(tmp_path, monkeypatch, FakeResult(table, [status] * n))
    assert new == old
    assert len(EVERY_VALUE) > 10
