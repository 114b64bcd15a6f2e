"""The chunked, column-by-column CSV writer writes every cell as the row-by-row one did.

The reference is the writer as it was: each row laid out with ``Layout.row`` and each
value through ``_csv_text``. Every value class a table holds (and text starting with
each formula character) is compared, in columns of one kind and of mixed kinds, over
chunk boundaries, with issues, exclusions and uploads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from tests.factories import table_from_columns
from zmed_gui.core.report import RowOutcome, RowUpload, write_report
from zmed_gui.core.report import _csv as report_csv
from zmed_gui.core.report._csv import _csv_text, csv_column
from zmed_gui.core.report._layout import Layout
from zmed_gui.core.table import CellError, CellValue
from zmed_gui.core.validate import Issue, RowStatus, Severity

EVERY_VALUE: list[Any] = [
    None,
    "",
    "plain text",
    "=SUM(A1)",
    "+1",
    "-2",
    "@cmd",
    "\ttab",
    "\rcr",
    'a,b\n"quoted"',
    "ünïcödé 😀",
    0,
    -7,
    10**20,
    True,
    False,
    3.0,
    -0.0,
    2.5,
    1e15,
    1e16,
    123456789012345.0,
    float("inf"),
    float("-inf"),
    float("nan"),
    1e-7,
    dt.datetime(2026, 3, 1, 9, 30),
    dt.datetime(2026, 3, 1, 9, 30, 15, 250, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.date(2026, 3, 3),
    dt.time(9, 30),
    dt.time(9, 30, tzinfo=dt.UTC),
    dt.timedelta(hours=30, seconds=1),
    CellError("#N/A"),
    CellError("=odd"),
    RowStatus.WARNING,  # a str subclass
]


@dataclass
class FakeResult:
    table: Any
    statuses: list[RowStatus]
    issues: list[Issue] = field(default_factory=list)

    def issues_for_row(self, row: int) -> Sequence[Issue]:
        return [i for i in self.issues if i.row == row]


def _reference(layout: Layout) -> str:
    """The CSV as the row-by-row writer wrote it (without the BOM)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow([_csv_text(h) for h in layout.headers])
    for i in range(len(layout.table)):
        writer.writerow([_csv_text(v) for v in layout.row(i).values])
    return buf.getvalue()


def _columns() -> tuple[list[list[CellValue]], list[str]]:
    n = len(EVERY_VALUE)
    floats = [v for v in EVERY_VALUE if type(v) is float]
    texts = [v for v in EVERY_VALUE if type(v) is str]
    clean = [t for t in texts if not t[:1] or t[0] not in "=+-@\t\r"]
    columns: list[list[Any]] = [
        list(EVERY_VALUE),  # every kind in one column
        [floats[i % len(floats)] for i in range(n)],  # floats only
        [[2.5, 1e-7, float("nan")][i % 3] for i in range(n)],  # no whole float
        [texts[i % len(texts)] for i in range(n)],  # text, some formula-like
        [clean[i % len(clean)] for i in range(n)],  # text, none formula-like
        [None if i % 3 else clean[i % len(clean)] for i in range(n)],  # text and blanks
        [[None, 5, dt.date(2026, 1, 1)][i % 3] for i in range(n)],  # as is
        [[None, 2.0, 2.5][i % 3] for i in range(n)],  # floats and blanks
        [[True, 1, 1.0][i % 3] for i in range(n)],  # True, 1 and 1.0 apart
        [[2.0, "n/a", None, 2.5, 5, 1e16, -3.0, 1e15][i % 8] for i in range(n)],  # numbers, words
        [[3.0, "=x", 2.5, "ok"][i % 4] for i in range(n)],  # numbers, formula-like text
        [[2.5, "n/a", float("nan")][i % 3] for i in range(n)],  # no whole float, words
    ]
    headers = ["=Everything", "Floats", "Fractions", "Text", "Clean", "Sparse", "As is",
               "Some floats", "Ones", "Qty", "Qty formula", "Qty fractions"]  # fmt: skip
    return columns, headers


def _result(statuses: list[RowStatus] | None = None) -> FakeResult:
    columns, headers = _columns()
    table = table_from_columns(columns, headers, source="m.xlsx", header_row=2)
    n = len(table)
    if statuses is None:
        statuses = [
            [RowStatus.VALID, RowStatus.VALID, RowStatus.INVALID, RowStatus.WARNING,
             RowStatus.EXCLUDED][i % 5]
            for i in range(n)
        ]  # fmt: skip
    issues = []
    for i, s in enumerate(statuses):
        if s is RowStatus.INVALID:
            issues.append(Issue(i, 0, "=Field", "bad", "-not good.", Severity.ERROR))
            issues.append(Issue(i, None, None, "row", "Row problem.", Severity.ERROR))
        elif s is RowStatus.WARNING:
            issues.append(Issue(i, 3, None, "negative", "Negative.", Severity.WARNING))
    return FakeResult(table, statuses, issues)


@pytest.mark.parametrize("chunk", [1, 4, 7, 10_000])
@pytest.mark.parametrize("with_uploads", [False, True])
def test_fast_csv_equals_the_row_by_row_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, with_uploads: bool
) -> None:
    monkeypatch.setattr(report_csv, "CHUNK", chunk)
    result = _result()
    uploads = None
    if with_uploads:
        uploads = {
            0: RowUpload(RowOutcome.ACCEPTED, "", "req-1"),
            3: RowUpload(RowOutcome.REJECTED, "=bad from Zuora", None),
            11: RowUpload(RowOutcome.UNCERTAIN, "timeout"),
        }
        batch = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", "req-9")
        uploads.update({i: batch for i in range(12, len(result.table) - 3)})
        uploads[len(result.table) - 2] = RowUpload(RowOutcome.NOT_SENT, "-stopped first")
    edits = {(2, 1): 4.0, (12, 0): "=was"} if with_uploads else None
    path = tmp_path / "r.csv"
    write_report(path, result, uploads=uploads, edits=edits)
    expected = _reference(Layout(result, uploads, edits))
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")


@pytest.mark.parametrize("status", list(RowStatus))
def test_fast_csv_with_one_status_everywhere(tmp_path: Path, status: RowStatus) -> None:
    n = len(EVERY_VALUE)
    result = _result([status] * n)
    path = tmp_path / "r.csv"
    write_report(path, result)
    expected = _reference(Layout(result, None))
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")


def test_csv_column_writes_each_cell_as_csv_text() -> None:
    """Cell by cell, what the writer gets prints as _csv_text says (csv.writer: str())."""
    columns, _ = _columns()
    for column in columns:
        out = csv_column(column)
        assert len(out) == len(column)
        for value, got in zip(column, out, strict=True):
            shown = "" if got is None else got if isinstance(got, str) else str(got)
            assert shown == _csv_text(value), (value, got)


class _Word(StrEnum):
    PLAIN = "accepted"
    FORMULA = "=1+1"
    MINUS = "-2"


@pytest.mark.parametrize(
    "column",
    [
        ["accepted", RowOutcome.REJECTED, "not sent", RowOutcome.UNCERTAIN],
        ["x", _Word.PLAIN, _Word.FORMULA, "=SUM(A1)", _Word.MINUS, ""],
        [_Word.FORMULA, _Word.PLAIN],
        ["x", RowOutcome.ACCEPTED, None],  # None beside them: not the text-only pass
        [RowOutcome.SKIPPED, 3.0, "y"],
    ],
)
def test_csv_column_writes_text_and_str_enums_as_csv_text(column: list[Any]) -> None:
    """Text beside StrEnum members (a laid-out row's upload status among plain rows'
    text) prints cell by cell as _csv_text says, formula check included."""
    out = csv_column(column)
    for value, got in zip(column, out, strict=True):
        shown = "" if got is None else got if isinstance(got, str) else str(got)
        assert shown == _csv_text(value), (value, got)
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow(out)
    expected = io.StringIO(newline="")
    csv.writer(expected).writerow([_csv_text(v) for v in column])
    assert buffer.getvalue() == expected.getvalue()


@pytest.mark.parametrize("fills", [True, False])
def test_special_rows_lists_every_row_that_is_not_plain(fills: bool) -> None:
    """A row not listed is its number, its cells and its plain tail, whatever its upload
    (shared or not); with fills, rows whose upload cell is filled are listed too."""
    result = _result()
    shared = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", "req-1")
    uploads = {i: shared for i in range(0, len(result.table), 2)}
    uploads[1] = RowUpload(RowOutcome.REJECTED, "=no", "req-2")
    uploads[5] = RowUpload(RowOutcome.UNCERTAIN, "")
    uploads[6] = RowUpload(RowOutcome.NOT_SENT, "Not sent: the upload stopped first.")
    layout = Layout(result, uploads, {(7, 0): "old"})
    n = len(result.table)
    special = layout.special_rows(0, n, fills=fills)
    assert (1 in special, 5 in special) == (fills, fills)
    assert 7 in special  # edited
    ncells = 1 + result.table.column_count
    for start, stop in [(0, n), (0, 3), (4, n)]:
        tails = layout.plain_tails(start, stop)
        for i in range(start, stop):
            if i in special:
                continue
            row = layout.row(i)
            expected = [result.table.row_numbers[i], *result.table.row_values(i)]
            assert row.values[:ncells] == expected
            assert row.values[ncells:] == [c[i - start] for c in tails], i
            assert all(type(c[i - start]) is str for c in tails)
            if fills:
                assert not row.fills


def test_fast_csv_of_a_table_without_rows_has_its_header(tmp_path: Path) -> None:
    table = table_from_columns([[]], ["=Qty"])
    result = FakeResult(table, [])
    path = tmp_path / "r.csv"
    write_report(path, result)
    assert path.read_bytes() == b"\xef\xbb\xbf" + _reference(Layout(result, None)).encode()
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == "Row,'=Qty,Status,Errors"


def _repeating_columns(n: int) -> tuple[list[list[Any]], list[str]]:
    """Columns that repeat their values (what a column's memory of texts is for), with
    the values whose texts must not be shared: equal but written apart."""
    utc, east = dt.UTC, dt.timezone(dt.timedelta(hours=2))
    naive = [dt.datetime(2026, 11, 1) + dt.timedelta(minutes=15 * (i % 7)) for i in range(n)]
    columns: list[list[Any]] = [
        naive,
        [naive[i] if i % 4 else dt.datetime(2026, 11, 1, 9, 0, 0, 250) for i in range(n)],
        # an aware datetime equal to another in another zone: two texts
        [
            [dt.datetime(2026, 1, 1, 12, tzinfo=utc), dt.datetime(2026, 1, 1, 14, tzinfo=east)][
                i % 2
            ]
            if i >= n // 2
            else naive[i]
            for i in range(n)
        ],
        [dt.date(2026, 3, 1 + i % 3) for i in range(n)],
        [[1.0, -0.0, 0.0, 2.5, 1e-5, 1e16, 1e15, 123456789012345.0][i % 8] for i in range(n)],
        [[1.0, float("nan"), float("inf"), 2.0][i % 4] for i in range(n)],
        [[3.0, "=1+1", None, "-x", "ok", 2.25, "a\nb", 'say "hi"', "ünï"][i % 9] for i in range(n)],
        [[naive[i], "+x", None, dt.date(2026, 1, 2), "@y", "\tz"][i % 6] for i in range(n)],
        # repeats first, then every value new: the memory stops, the texts do not change
        [float(i % 3) if i < n // 2 else i + 0.5 for i in range(n)],
        [[1.0, 2.0][i % 2] if i % 5 else float(i) for i in range(n)],  # counts: all whole
    ]
    headers = [f"C{j}" for j in range(len(columns))]
    return columns, headers


@pytest.mark.parametrize("chunk", [3, 8, 10_000])
@pytest.mark.parametrize("memo_max", [4, 200_000])
def test_fast_csv_with_repeated_values_equals_the_row_by_row_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, memo_max: int
) -> None:
    """The texts a column remembers for its repeated values are what _csv_text writes:
    formula-like text neutralised, equal values written apart kept apart (aware
    datetimes, -0.0), over chunk boundaries and when the memory fills up."""
    monkeypatch.setattr(report_csv, "CHUNK", chunk)
    monkeypatch.setattr(report_csv, "MEMO_MAX", memo_max)
    columns, headers = _repeating_columns(60)
    table = table_from_columns(columns, headers, source="m.xlsx")
    n = len(table)
    statuses = [RowStatus.VALID] * n
    statuses[3] = RowStatus.WARNING
    statuses[9] = RowStatus.EXCLUDED
    result = FakeResult(table, statuses, [Issue(3, 6, None, "x", "=odd.", Severity.WARNING)])
    path = tmp_path / "r.csv"
    write_report(path, result)
    expected = _reference(Layout(result, None))
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")
    rows = list(csv.reader(io.StringIO(expected)))
    assert {r[3] for r in rows[31:]} == {"2026-01-01 12:00:00+00:00", "2026-01-01 14:00:00+02:00"}
    assert [r[7] for r in rows[1:3]] == ["3", "'=1+1"]


def test_memo_texts_are_csv_text() -> None:
    """A column's memory gives each value's _csv_text, and gives up on what it must not
    keep (aware datetimes, kinds with values equal across kinds, values that do not
    repeat)."""
    memo = report_csv._Memo()
    values: list[Any] = [2.0, "=x", None, 2.5, dt.date(2026, 1, 1), 2.0, "=x", None] * 3
    out = report_csv.csv_column(values, memo)
    assert out == [_csv_text(v) for v in values]
    assert len(memo.texts) == 5
    assert report_csv.csv_column([1, 1.0, True] * 4, memo) == [1, "1", "TRUE"] * 4
    aware = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)] * 4
    assert report_csv.csv_column(aware, memo) == aware  # as is: csv.writer writes str()
    assert memo.off and not memo.texts
    fresh = report_csv._Memo()
    assert report_csv.csv_column([0.5 + i for i in range(10)], fresh) == [
        0.5 + i for i in range(10)
    ]
    assert fresh.off


def test_tail_columns_are_the_row_tails() -> None:
    """Column by column, the special rows' tails are what row_tail lays out row by row."""
    result = _result()
    shared = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", "req-1")
    uploads = {i: shared for i in range(0, len(result.table), 2)}
    uploads[1] = RowUpload(RowOutcome.REJECTED, "=no", "req-2")
    uploads[3] = RowUpload(RowOutcome.NOT_SENT)
    for ups, edits in [
        (None, None),
        (uploads, None),
        (None, {(2, 1): 4.0}),
        (uploads, {(7, 0): "x"}),
    ]:
        layout = Layout(result, ups, edits)
        rows = list(range(len(result.table)))
        columns = layout.tail_columns(rows)
        assert [list(r) for r in zip(*columns, strict=True)] == [layout.row_tail(i) for i in rows]
        assert layout.tail_columns([]) == [[] for _ in columns]


PLAIN_CELLS: list[Any] = [
    None,
    "",
    " lead",
    "trail ",
    "ünïcödé 😀",
    "'quoted'",
    "semi;colon\ttab",
    "=1+1",
    "-x",
    0,
    -7,
    10**20,
    True,
    3.0,
    -0.0,
    2.5,
    1e-5,
    1e15,
    1e16,
    float("nan"),
    float("-inf"),
    dt.datetime(2026, 3, 1, 9, 30, 15, 250),
    dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.date(2026, 3, 3),
    dt.time(9, 30, tzinfo=dt.UTC),
    dt.timedelta(hours=3),
    CellError("#N/A"),
    RowStatus.WARNING,
]


def _writer_text(columns: list[list[Any]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def test_plain_lines_are_what_csv_writer_writes() -> None:
    """Rows whose cells need no quoting are joined without csv.writer, to the same text,
    for every kind of cell, in columns of one kind and of mixed kinds."""
    n = len(PLAIN_CELLS)
    columns: list[list[Any]] = [
        list(PLAIN_CELLS),
        list(reversed(PLAIN_CELLS)),
        [[None, "x"][i % 2] for i in range(n)],
        [[1.0, 2.0][i % 2] for i in range(n)],  # whole floats: ints
        [[1.0, 2.5][i % 2] for i in range(n)],
        [[1.0, "n/a", None][i % 3] for i in range(n)],
        [float(i) for i in range(n)],
        list(range(n)),
    ]
    laid = [report_csv._column(c) for c in columns]
    lines = report_csv._plain_lines(laid)
    assert lines is not None
    assert lines == _writer_text([report_csv.csv_column(c) for c in columns])
    assert lines == _writer_text([[_csv_text(v) for v in c] for c in columns])


@pytest.mark.parametrize(
    "cell", ["a,b", 'say "hi"', "two\nlines", "cr\r", "=x,y", dt.timedelta(days=1, hours=6)]
)
def test_plain_lines_leave_cells_that_need_quotes_to_csv_writer(cell: Any) -> None:
    columns: list[list[Any]] = [["x", "y", "z"], ["ok", cell, None], [1, 2, 3]]
    assert report_csv._plain_lines([report_csv._column(c) for c in columns]) is None


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_fast_csv_mixes_joined_and_written_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Chunks that need quoting (csv.writer) between chunks that do not (joined): the
    file is the row-by-row writer's, in order."""
    monkeypatch.setattr(report_csv, "CHUNK", chunk)
    cells = ["plain", "a,b", "ünï", 'q"uote', None, "x\ny", "=1+1", " s "]
    columns = [[cells[i % len(cells)] for i in range(23)], [float(i % 4) / 2 for i in range(23)]]
    table = table_from_columns(columns, ["Text", "Qty"], source="m.xlsx")
    statuses = [RowStatus.VALID] * 23
    statuses[4] = RowStatus.EXCLUDED
    result = FakeResult(table, statuses)
    path = tmp_path / "r.csv"
    write_report(path, result)
    expected = _reference(Layout(result, None))
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")
