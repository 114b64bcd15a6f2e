"""The result file: original rows + Status/Errors, fills, summary, CSV safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from tests.factories import table_from_columns
from zmed_gui.core.errors import Cancelled, OptionsError
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.report import RowUpload, write_report
from zmed_gui.core.report import _write as report
from zmed_gui.core.table import CellError, CellValue, Table
from zmed_gui.core.validate import Issue, RowStatus, Severity

RED = "FFFFC7CE"
AMBER = "FFFFEB9C"


@dataclass
class FakeResult:
    """Same shape as ValidationResult for what the report reads."""

    table: Table
    statuses: list[RowStatus]
    issues: list[Issue] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)

    def issues_for_row(self, row: int) -> Sequence[Issue]:
        return [i for i in self.issues if i.row == row]


def _table(columns: list[list[CellValue]], headers: list[str]) -> Table:
    return table_from_columns(columns, headers, source="march.xlsx", header_row=2)


def _result() -> FakeResult:
    table = _table(
        [
            ["A-1", "A-2", '=HYPERLINK("http://evil")', "A-4"],
            ["API", "API", "API", "API"],
            [dt.datetime(2026, 3, 1, 9, 30), "31/02/2026", dt.date(2026, 3, 3), None],
            [3, "lots", -2.5, CellError("#N/A")],
        ],
        ["Account", "Product", "Date", "Qty"],
    )
    issues = [
        Issue(1, 2, "UsageDate", "bad_date", "There is no 31 February.", Severity.ERROR),
        Issue(1, 3, "Quantity", "not_number", "'lots' is not a number.", Severity.ERROR),
        Issue(2, 3, "Quantity", "negative", "The quantity is negative.", Severity.WARNING),
        Issue(3, 3, "Quantity", "cell_error", "The cell holds #N/A.", Severity.ERROR),
        Issue(3, None, None, "row", "The row is a duplicate.", Severity.WARNING),
    ]
    statuses = [RowStatus.VALID, RowStatus.INVALID, RowStatus.WARNING, RowStatus.EXCLUDED]
    return FakeResult(table, statuses, issues)


def _fill(cell: object) -> str | None:
    fill = cell.fill  # type: ignore[attr-defined]
    if fill is None or fill.fill_type != "solid":
        return None
    return str(fill.start_color.rgb)


def test_xlsx_has_summary_first_and_rows_with_status_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "result.xlsx"
    write_report(path, _result())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Results"]
    ws = wb["Results"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Account", "Product", "Date", "Qty", "Status", "Errors")
    assert rows[1][:6] == (3, "A-1", "API", dt.datetime(2026, 3, 1, 9, 30), 3, "valid")
    assert rows[1][6] in (None, "")
    assert rows[2][5] == "invalid"
    assert rows[2][6] == "UsageDate: There is no 31 February.; Quantity: 'lots' is not a number."
    assert rows[3][4] == -2.5 and rows[3][5] == "warning"
    assert rows[4][4] == "#N/A" and rows[4][5] == "excluded"
    assert rows[4][6] == "Quantity: The cell holds #N/A.; Row: The row is a duplicate."
    # Dates are real dates, shown as dates.
    assert isinstance(ws["D2"].value, dt.datetime) and "yy" in ws["D2"].number_format
    assert isinstance(ws["D4"].value, dt.datetime)
    # The user's text that looks like a formula stays text.
    assert ws["B4"].value == '=HYPERLINK("http://evil")' and ws["B4"].data_type == "s"


def test_xlsx_fills_the_cells_named_by_issues_and_the_status(tmp_path: Path) -> None:
    path = tmp_path / "result.xlsx"
    write_report(path, _result())
    ws = openpyxl.load_workbook(path)["Results"]
    assert _fill(ws["D3"]) == RED and _fill(ws["E3"]) == RED and _fill(ws["F3"]) == RED
    assert _fill(ws["E4"]) == AMBER and _fill(ws["F4"]) == AMBER
    assert _fill(ws["B3"]) is None and _fill(ws["F2"]) is None and _fill(ws["D2"]) is None
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G5"
    assert ws.column_dimensions["G"].width >= 60
    assert 6 <= ws.column_dimensions["A"].width <= 60


def test_summary_sheet_counts_and_top_problems(tmp_path: Path) -> None:
    path = tmp_path / "result.xlsx"
    write_report(path, _result())
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
    by_label = {r[0]: r[1] for r in rows}
    assert by_label["File"] == "march.xlsx" and by_label["Sheet"] == "March"
    assert by_label["Rows"] == 4
    assert (by_label["Valid"], by_label["Warning"], by_label["Invalid"]) == (1, 1, 1)
    assert by_label["Excluded"] == 1
    problems = [r for r in rows if r[0] in {"Quantity", "UsageDate", "Row"}]
    # problem codes in words, never `not_number` (see test_report_review.py)
    assert ("Quantity", "Not number", "Error", 1, "'lots' is not a number.") in [
        tuple(r[:5]) for r in problems
    ]
    assert len(problems) == 5


def test_upload_columns(tmp_path: Path) -> None:
    path = tmp_path / "result.xlsx"
    uploads = {
        0: RowUpload("accepted", "", "req-1"),
        2: RowUpload("uncertain", "Timed out after sending.", "req-2"),
    }
    res = _result()
    res.statuses[1] = RowStatus.VALID
    uploads[1] = RowUpload("rejected", "400: bad account")
    write_report(path, res, uploads=uploads)
    wb = openpyxl.load_workbook(path)
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    assert header[-3:] == ["Upload status", "Upload message", "Zuora-Request-Id"]
    assert [c.value for c in ws[2]][-3:] == ["accepted", None, "req-1"]
    assert [c.value for c in ws[3]][-3:] == ["rejected", "400: bad account", None]
    # a row left out says why it was not sent (see test_report_review.py)
    assert [c.value for c in ws[5]][-3:] == ["not sent", "Left out by you in Review", None]
    assert _fill(ws["H3"]) == RED and _fill(ws["H4"]) == AMBER and _fill(ws["H2"]) is None
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r}
    assert (summary["Accepted"], summary["Rejected"], summary["Not sent"]) == (1, 1, 1)


def test_user_columns_named_like_ours_are_kept_apart(tmp_path: Path) -> None:
    table = _table([["x"], ["y"]], ["Status", "Row"])
    path = tmp_path / "r.xlsx"
    write_report(path, FakeResult(table, [RowStatus.VALID]))
    header = [c.value for c in openpyxl.load_workbook(path)["Results"][1]]
    assert header == ["Row (result)", "Status", "Row", "Status (result)", "Errors"]


def test_rows_spill_to_a_second_sheet_past_the_excel_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "EXCEL_MAX_ROWS", 4)  # header + 3 rows per sheet
    n = 8
    table = _table([[f"A{i}" for i in range(n)], list(range(n))], ["Account", "Qty"])
    path = tmp_path / "big.xlsx"
    write_report(path, FakeResult(table, [RowStatus.VALID] * n))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Results", "Results (2)", "Results (3)"]
    counts = [wb[s].max_row for s in wb.sheetnames[1:]]
    assert counts == [4, 4, 3]
    assert [c.value for c in wb["Results (3)"][1]][:3] == ["Row", "Account", "Qty"]
    assert wb["Results (3)"]["C3"].value == 7
    assert wb["Results (2)"].auto_filter.ref == "A1:E4"
    assert wb["Results (3)"].auto_filter.ref == "A1:E3"


def test_csv_has_bom_and_neutralises_formulas(tmp_path: Path) -> None:
    table = _table(
        [
            ["=1+2", "+SUM(A1)", "-3", "@cmd", "\tx", "\rx", "plain", "a=b"],
            [1, -2.0, 3.5, True, None, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 5), "x"],
        ],
        ["Text", "Value"],
    )
    path = tmp_path / "r.csv"
    write_report(path, FakeResult(table, [RowStatus.VALID] * 8))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfRow,Text,Value,Status,Errors\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    texts = [r[1] for r in rows[1:]]
    assert texts == ["'=1+2", "'+SUM(A1)", "'-3", "'@cmd", "'\tx", "'\rx", "plain", "a=b"]
    values = [r[2] for r in rows[1:]]
    assert values == ["1", "-2", "3.5", "TRUE", "", "2026-03-01", "2026-03-01 09:05:00", "x"]


def test_csv_errors_column(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    write_report(path, _result())
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[2][5:] == [
        "invalid",
        "UsageDate: There is no 31 February.; Quantity: 'lots' is not a number.",
    ]
    assert rows[3][4] == "-2.5"  # a real number stays a number, no apostrophe
    assert rows[3][1] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize("name", ["result.txt", "result.xls", "result"])
def test_other_extensions_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OptionsError, match=r"\.xlsx.*\.csv"):
        write_report(tmp_path / name, _result())
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_an_options_error(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="does not exist"):
        write_report(tmp_path / "nope" / "r.csv", _result())


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_cancel_leaves_no_file(tmp_path: Path, suffix: str) -> None:
    n = 3000
    table = _table([list(range(n))], ["Qty"])
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int, message: str) -> None:
        seen.append(done)
        if done >= 0:
            token.cancel()

    with pytest.raises(Cancelled):
        write_report(
            tmp_path / f"r{suffix}",
            FakeResult(table, [RowStatus.VALID] * n),
            progress=progress,
            cancel=token,
        )
    assert list(tmp_path.iterdir()) == []


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    n = 25_000
    table = _table([list(range(n))], ["Qty"])
    seen: list[tuple[int, int]] = []
    write_report(
        tmp_path / "r.csv",
        FakeResult(table, [RowStatus.VALID] * n),
        progress=lambda d, t, m: seen.append((d, t)),
    )
    assert seen[0] == (0, n) and seen[-1] == (n, n) and len(seen) >= 3


def test_real_validation_result(tmp_path: Path) -> None:
    from zmed_gui.core.convert import ConversionOptions
    from zmed_gui.core.mapping import auto_match
    from zmed_gui.core.schema import default_schema
    from zmed_gui.core.validate import validate

    table = _table(
        [
            ["A-1", "A-2", ""],
            ["API", "API", "API"],
            [dt.datetime(2026, 3, 1, 9, 30), dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 3)],
            [3, "lots", 4],
        ],
        ["Account", "Product", "Date", "Qty"],
    )
    schema = default_schema()
    result = validate(
        table,
        schema,
        auto_match(table.headers, schema),
        ConversionOptions(timezone="UTC"),
        now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )
    path = tmp_path / "r.xlsx"
    write_report(path, result)
    ws = openpyxl.load_workbook(path)["Results"]
    statuses = [ws.cell(row=r, column=6).value for r in range(2, 5)]
    assert statuses == [s.value for s in result.statuses]
    assert statuses[0] == "valid" and statuses[1] == "invalid"
    assert _fill(ws["E3"]) == RED
    assert str(ws["G3"].value).startswith("Quantity: ")
