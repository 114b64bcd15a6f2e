"""The hand-written Results sheets read back as openpyxl's own writer wrote them.

The reference is the report written cell by cell by openpyxl (``write_xlsx_openpyxl``,
the writer before the streaming one). Both workbooks are opened with openpyxl (values,
their types, data types, fills, number formats, bold, sheets in order, widths, frozen pane,
filter) and with python-calamine (values and their types), and compared cell by cell over
every value class, issues, exclusions, edits, every upload outcome, chunk and sheet limits.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.core.report.test_report_fast_csv import EVERY_VALUE, FakeResult, _result
from tests.factories import table_from_columns
from zmed_gui.core.errors import Cancelled
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.report import RowOutcome, RowUpload, write_report
from zmed_gui.core.report import _write as report_write
from zmed_gui.core.report import _xlsx as report_xlsx
from zmed_gui.core.report._sheetxml import escape
from zmed_gui.core.table import CellError
from zmed_gui.core.validate import Issue, RowStatus, Severity

MORE: list[Any] = [
    "bad\x01control\x1f",
    "x" * 40_000,
    "é" * 32_767 + "cut",
    "=1+1",
    "@x",
    "=",
    "#N/A",
    "#DIV/0!",
    "  edge spaces ",
    "\tlead tab",
    "a & b < c > d",
    "line\r\nbreak\rcr",
    "]]> <![CDATA[",
    "ünïcödé 😀",
    10**20,
    -(2**63),
    12345678901234567,
    0.1 + 0.2,
    1e308,
    -1e-300,
    dt.datetime(1900, 1, 1),
    dt.datetime(1900, 3, 1, 0, 0, 0, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59),
    dt.date(1899, 12, 31),
    dt.time(23, 59, 59, 999_999),
    dt.timedelta(days=-1, seconds=5),
    dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
    CellError("#REF!"),
    RowOutcome.REJECTED,
]


def _reference(monkeypatch: pytest.MonkeyPatch, path: Path, result: Any, **kw: Any) -> None:
    with monkeypatch.context() as m:
        m.setattr(report_write, "write_xlsx", report_xlsx.write_xlsx_openpyxl)
        write_report(path, result, **kw)


def _fill(cell: Any) -> tuple[Any, ...]:
    f = cell.fill
    return (f.fill_type, f.fgColor.rgb, f.bgColor.rgb)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def _compare_openpyxl(new: Path, old: Path) -> int:
    wn, wo = openpyxl.load_workbook(new), openpyxl.load_workbook(old)
    assert wn.sheetnames == wo.sheetnames
    cells = 0
    for name in wo.sheetnames:
        sn, so = wn[name], wo[name]
        assert (sn.max_row, sn.max_column) == (so.max_row, so.max_column), name
        assert sn.freeze_panes == so.freeze_panes
        assert sn.auto_filter.ref == so.auto_filter.ref
        widths = {k: d.width for k, d in so.column_dimensions.items()}
        assert {k: d.width for k, d in sn.column_dimensions.items()} == widths
        for rn, ro in zip(sn.iter_rows(), so.iter_rows(), strict=True):
            for cn, co in zip(rn, ro, strict=True):
                where = (name, co.coordinate)
                if name == "Summary" and co.row == 6 and co.column == 2:  # "Written": now
                    assert isinstance(cn.value, dt.datetime), where
                    continue
                assert _same(cn.value, co.value), (where, cn.value, co.value)
                assert cn.data_type == co.data_type, where
                assert _fill(cn) == _fill(co), where
                assert cn.number_format == co.number_format, where
                assert bool(cn.font.b) == bool(co.font.b), where
                cells += 1
    return cells


def _compare_calamine(new: Path, old: Path) -> None:
    bn, bo = CalamineWorkbook.from_path(str(new)), CalamineWorkbook.from_path(str(old))
    assert bn.sheet_names == bo.sheet_names
    for name in bo.sheet_names:
        rn = bn.get_sheet_by_name(name).to_python(skip_empty_area=False)
        ro = bo.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert len(rn) == len(ro), name
        for r, (a, b) in enumerate(zip(rn, ro, strict=True)):
            if name == "Summary" and r == 5:
                continue
            assert len(a) == len(b) and all(map(_same, a, b)), (name, r, a, b)


def _write_and_compare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: Any, **kw: Any
) -> int:
    new, old = tmp_path / "new.xlsx", tmp_path / "old.xlsx"
    write_report(new, result, **kw)
    _reference(monkeypatch, old, result, **kw)
    with zipfile.ZipFile(new) as z:
        assert z.testzip() is None
    cells = _compare_openpyxl(new, old)
    _compare_calamine(new, old)
    return cells


def _uploads(n: int) -> dict[int, RowUpload]:
    uploads = {0: RowUpload(RowOutcome.ACCEPTED, "", "r-1"), 5: RowUpload(RowOutcome.REJECTED)}
    batch = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", "r-2")
    uploads.update({i: batch for i in range(6, n - 6)})
    uploads[n - 5] = RowUpload(RowOutcome.UNCERTAIN, "=timeout", "r-3")
    uploads[n - 4] = RowUpload(RowOutcome.NOT_SENT, "Not sent: the upload stopped first.")
    uploads[n - 3] = RowUpload(RowOutcome.SKIPPED, "@already", "r-0")
    uploads[n - 2] = RowUpload(RowOutcome.REJECTED, "Zuora: no such customer & <more>", "r-4")
    return uploads


@pytest.mark.parametrize(("chunk", "max_rows"), [(10_000, 1_048_576), (3, 1_048_576), (4, 9)])
def test_streamed_xlsx_reads_back_as_openpyxls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, max_rows: int
) -> None:
    monkeypatch.setattr(report_xlsx, "CHUNK", chunk)
    monkeypatch.setattr(report_write, "EXCEL_MAX_ROWS", max_rows)
    result = _result()
    n = len(result.table)
    for c, column in enumerate(result.table.columns):
        column[-len(MORE) :] = MORE[c:] + MORE[:c]  # every value in every column
    # a row of every value class, each row in its own status: fills on every kind
    uploads = _uploads(n)
    edits = {(2, 1): 4.0, (12, 0): "=was", (n - 1, 3): None, (7, 2): dt.date(2026, 1, 1)}
    for kw in ({}, {"uploads": uploads}, {"uploads": uploads, "edits": edits}):
        cells = _write_and_compare(tmp_path, monkeypatch, result, **kw)
        assert cells > n * result.table.column_count
    wb = openpyxl.load_workbook(tmp_path / "new.xlsx")
    assert len(wb.sheetnames) == (1 + math.ceil(n / (max_rows - 1)))


@pytest.mark.parametrize("status", list(RowStatus))
def test_streamed_xlsx_columns_of_one_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: RowStatus
) -> None:
    """Columns of one kind take the fast paths: text, numbers, datetimes, with blanks."""
    n = 40
    columns: list[list[Any]] = [
        [f"A{i}" for i in range(n)],
        [f"A{i}" if i % 3 else None for i in range(n)],
        [dt.datetime(2026, 1, 1 + i % 5, i % 24) for i in range(n)],
        [dt.datetime(2026, 1, 1) if i % 2 else None for i in range(n)],
        [i / 4 if i % 2 else i for i in range(n)],
        [None if i % 4 else 10**i for i in range(n)],
        [float("nan") if i == 3 else 1.5 for i in range(n)],
        ["" if i % 2 else "x & y" for i in range(n)],
        [" lead" if i == 5 else "ok" for i in range(n)],
        ["#N/A" if i == 6 else "ok" for i in range(n)],
        ["tail\n" if i == 7 else "ok" for i in range(n)],
        ["bad\x02" if i == 8 else "ok" for i in range(n)],
        ["y" * 33_000 if i == 9 else "ok" for i in range(n)],
        ["&\r<>" if i == 9 else "ok" for i in range(n)],
        [None] * n,
        [dt.datetime(2026, 1, 1, i % 24, tzinfo=dt.UTC) for i in range(n)],
        [EVERY_VALUE[i % len(EVERY_VALUE)] for i in range(n)],
    ]
    table = table_from_columns(columns, [f"C{c}" for c in range(len(columns))])
    issues = []
    m = len(columns)
    if status is RowStatus.INVALID:
        issues = [Issue(i, i % m, None, "bad", "Bad.", Severity.ERROR) for i in range(n)]
    elif status is RowStatus.WARNING:
        issues = [Issue(i, i % m, None, "neg", "Neg.", Severity.WARNING) for i in range(n)]
    result = FakeResult(table, [status] * n, issues)
    _write_and_compare(tmp_path, monkeypatch, result)
    _write_and_compare(tmp_path, monkeypatch, result, uploads=_uploads(n))


def test_streamed_xlsx_of_a_table_without_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = FakeResult(table_from_columns([[]], ["=Qty"]), [])
    _write_and_compare(tmp_path, monkeypatch, result)
    ws = openpyxl.load_workbook(tmp_path / "new.xlsx")["Results"]
    assert [c.value for c in ws[1]] == ["Row", "=Qty", "Status", "Errors"]
    assert ws["B1"].data_type == "s"  # text, never a formula


def test_streamed_xlsx_never_writes_a_formula(tmp_path: Path) -> None:
    table = table_from_columns([["=1+1", '=HYPERLINK("x")', "@x"]], ["Qty"])
    result = FakeResult(table, [RowStatus.VALID, RowStatus.INVALID, RowStatus.WARNING])
    path = tmp_path / "r.xlsx"
    write_report(path, result, uploads={0: RowUpload(RowOutcome.REJECTED, "=2+2")})
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            assert b"<f>" not in z.read(name), name
    ws = openpyxl.load_workbook(path)["Results"]
    assert [ws.cell(r, 2).value for r in (2, 3, 4)] == ["=1+1", '=HYPERLINK("x")', "@x"]


def test_escape_keeps_what_xml_would_change() -> None:
    assert escape("a&b<c>d\re") == "a&amp;b&lt;c&gt;d&#13;e"


def test_cancelled_streamed_xlsx_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_xlsx, "CHUNK", 5)
    result = _result()
    token = CancelToken()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int, message: str) -> None:
        seen.append((done, total))
        if done >= 10:
            token.cancel()

    path = tmp_path / "r.xlsx"
    with pytest.raises(Cancelled):
        write_report(path, result, progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []
    assert seen[0] == (0, len(result.table)) and (10, len(result.table)) in seen


def test_streamed_xlsx_progress_reaches_the_end(tmp_path: Path) -> None:
    result = _result()
    seen: list[tuple[int, int]] = []
    write_report(tmp_path / "r.xlsx", result, progress=lambda d, t, m: seen.append((d, t)))
    n = len(result.table)
    assert seen[0] == (0, n) and seen[-1] == (n, n)


@pytest.mark.parametrize(("isal", "zip64_from"), [(False, 2**30), (True, 0)])
def test_streamed_xlsx_with_zlib_or_zip64(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isal: bool, zip64_from: int
) -> None:
    """zlib when ISA-L is missing; a ZIP64 entry when the sheet may pass 2 GiB."""
    if not isal:
        monkeypatch.setattr(report_xlsx, "isal_zlib", None)
    monkeypatch.setattr(report_xlsx, "ZIP64_FROM", zip64_from)
    result = _result()
    _write_and_compare(tmp_path, monkeypatch, result, uploads=_uploads(len(result.table)))
