"""Reading workbooks into Grid and Table: real files written by openpyxl, xlwt and odfpy."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import set_cached_values, write_csv, write_ods, write_xls, write_xlsx
from zmed_gui.core.errors import Cancelled, SourceError
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.read import (
    SUPPORTED_EXTENSIONS,
    detect_header_row,
    list_sheets,
    load_table,
    make_table,
    read_grid,
)
from zmed_gui.core.table import CellError, Grid

D = dt.date(2026, 11, 3)
DT = dt.datetime(2026, 11, 3, 10, 30)
ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]

USAGE: list[list[Any]] = [
    ["Account Number", "Product", "Usage Date", "Units"],
    ["A00001234", "API_CALLS", DT, 12.5],
    [100234, "SMS", D, 3],
]


def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")


# --- xlsx / xlsm -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_xlsx_values_and_types(tmp_path: Path, suffix: str) -> None:
    path = write_xlsx(tmp_path / f"u{suffix}", USAGE, sheet="Usage")
    grid = read_grid(path)
    assert grid.source == f"u{suffix}"
    assert grid.sheet == "Usage"
    assert grid.row_numbers == [1, 2, 3]
    assert grid.rows[1] == ["A00001234", "API_CALLS", DT, 12.5]
    # Whole numbers stay as calamine gives them (float); midnight datetimes come as date.
    acct, _, day, units = grid.rows[2]
    assert acct == 100234 and isinstance(acct, float)
    assert day == D and type(day) is dt.date
    assert units == 3
    assert grid.date1904 is False


def test_xlsx_error_values_become_cell_errors(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Code", "Value"]]
    rows += [[code, CellError(code)] for code in ERRORS]
    rows.append(["blank", None])
    path = write_xlsx(tmp_path / "e.xlsx", rows)
    table = load_table(path)
    assert table.columns[1][:7] == [CellError(code) for code in ERRORS]
    assert table.columns[1][7] is None


def test_xlsx_formulas_give_cached_values(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Qty", "Double", "Ratio", "Label"], [4, "=A2*2", "=1/0", '="x"&A2']]
    path = write_xlsx(tmp_path / "f.xlsx", rows)
    set_cached_values(path, {"B2": 8, "C2": CellError("#DIV/0!"), "D2": "x4"})
    table = load_table(path)
    assert table.row_values(0) == [4, 8, CellError("#DIV/0!"), "x4"]


def test_xlsx_without_cached_values_reads_blank(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [["Qty", "Double"], [4, "=A2*2"]])
    assert load_table(path).row_values(0) == [4, None]


def test_xlsx_1904_date_system(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "mac.xlsx", USAGE, date1904=True)
    grid = read_grid(path)
    assert grid.date1904 is True
    assert grid.rows[1][2] == DT  # calamine applies the 1904 epoch to date cells itself
    assert load_table(path).date1904 is True


def test_row_numbers_follow_excel_with_offset_and_blank_rows(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["Acct", "Qty"],
        ["A1", 1],
        [],
        [None, None],
        ["A2", CellError("#N/A")],
    ]
    path = write_xlsx(tmp_path / "o.xlsx", rows, first_row=5, first_col=2)
    grid = read_grid(path)
    assert grid.row_numbers == [5, 6, 9]
    # Columns keep their Excel letters: C and D.
    assert grid.rows[0] == [None, None, "Acct", "Qty"]
    assert grid.rows[2] == [None, None, "A2", CellError("#N/A")]
    table = load_table(path)
    assert table.header_row == 5
    assert table.row_numbers == [6, 9]
    assert table.column_label(2) == "C (Acct)"


def test_hidden_sheets_are_listed_but_not_default(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "h.xlsx",
        [["secret"], [1]],
        sheet="Lookup",
        extra_sheets={"Usage": USAGE, "Other": [["x"], [2]]},
        hidden_sheets=("Lookup",),
    )
    assert list_sheets(path) == ["Lookup", "Usage", "Other"]
    assert read_grid(path).sheet == "Usage"
    assert read_grid(path, 0).sheet == "Lookup"
    assert read_grid(path, 2).sheet == "Other"
    assert read_grid(path, "usage ").sheet == "Usage"  # forgiving about case and spaces


def test_max_rows_limits_the_read(tmp_path: Path) -> None:
    rows = [["N"]] + [[i] for i in range(100)]
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    grid = read_grid(path, max_rows=10)
    assert len(grid.rows) == 10
    assert grid.row_numbers[-1] == 10


# --- xls and ods -----------------------------------------------------------------------


def test_xls_values_and_hidden_sheet(tmp_path: Path) -> None:
    path = write_xls(
        tmp_path / "old.xls",
        [["x"]],
        sheet="Hidden",
        extra_sheets={"Usage": USAGE},
        hidden_sheets=("Hidden",),
    )
    assert list_sheets(path) == ["Hidden", "Usage"]
    grid = read_grid(path)
    assert grid.sheet == "Usage"
    assert grid.rows[1] == ["A00001234", "API_CALLS", DT, 12.5]
    assert grid.rows[2][0] == 100234  # .xls gives an int here: passed on as given
    assert grid.rows[2][2] == D


def test_xls_error_cells_and_1904_flag(tmp_path: Path) -> None:
    # calamine 0.9.1 turns error cells into ""; they are recovered from the BIFF records.
    rows: list[list[Any]] = [["Code", "Value"]]
    rows += [[code, CellError(code)] for code in ERRORS]
    rows.append(["blank", None])
    path = write_xls(tmp_path / "e.xls", rows, sheet="Errs", extra_sheets={"Other": USAGE})
    grid = read_grid(path)
    assert grid.date1904 is False
    table = load_table(path)
    assert table.columns[1] == [CellError(code) for code in ERRORS] + [None]
    assert load_table(path, "Other").columns[3] == [12.5, 3]  # no errors leak across sheets
    mac = write_xls(tmp_path / "mac.xls", USAGE, date1904=True)
    assert read_grid(mac).date1904 is True


def test_ods_values(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["Acct", "Qty", "When", "Err"],
        ["A1", 12.5, D, CellError("#N/A")],
        ["A2", 3, DT, None],
    ]
    path = write_ods(tmp_path / "u.ods", rows, sheet="Usage", extra_sheets={"Two": [["x"]]})
    assert list_sheets(path) == ["Usage", "Two"]
    table = load_table(path)
    assert table.headers == ["Acct", "Qty", "When", "Err"]
    assert table.row_values(0) == ["A1", 12.5, D, CellError("#N/A")]
    assert table.row_values(1) == ["A2", 3, DT, None]


# --- text files through the same API -----------------------------------------------------


def test_csv_through_sources(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "usage.csv", [["Acct", "Qty"], ["A1", "12.5"], ["A2", ""]])
    assert list_sheets(path) == ["usage"]
    table = load_table(path, "usage")
    assert table.sheet == "usage"
    assert table.columns == [["A1", "A2"], ["12.5", None]]
    assert table.row_numbers == [2, 3]


def test_xls_that_is_really_tab_separated_text_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.xls", [["Acct", "Qty"], ["A1", "2"]], "utf-16", "\t")
    assert list_sheets(path) == ["export"]
    assert load_table(path).columns == [["A1"], ["2"]]


# --- header detection --------------------------------------------------------------------


def _grid(rows: list[list[Any]]) -> Grid:
    return Grid("g.xlsx", "S", rows, list(range(1, len(rows) + 1)))


def test_header_detection_skips_title_and_notes() -> None:
    grid = _grid(
        [
            ["Acme usage export November 2026"],
            ["Generated by", "billing"],
            ["Account", "Product", "Date", "Units", "Region"],
            ["A1", "SMS", D, 1, "EMEA"],
            ["A2", "SMS", D, 2, None],
        ]
    )
    assert detect_header_row(grid) == 2


def test_header_detection_first_row_and_numeric_rows() -> None:
    assert detect_header_row(_grid([["Acct", "Qty"], ["A1", 1], ["A2", 2]])) == 0
    # A row of numbers is not a header even if it is first.
    grid = _grid([["Report"], [1, 2, 3], ["Acct", "Qty", "Cost"], ["A", 1, 2.5]])
    assert detect_header_row(grid) == 2


def test_header_detection_single_column_and_fallback() -> None:
    assert detect_header_row(_grid([["Title here"], ["Acct"], ["A1"], ["A2"]])) == 0
    assert detect_header_row(_grid([[1, 2], [3, 4]])) == 0


def test_header_detection_on_real_file(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Acme usage export November 2026"], [], *USAGE]
    path = write_xlsx(tmp_path / "t.xlsx", rows)
    table = load_table(path)
    assert table.header_row == 3
    assert table.headers == USAGE[0]
    assert table.row_numbers == [4, 5]
    # Overridable by Excel row number.
    assert load_table(path, header_row=4).headers == [
        "A00001234",
        "API_CALLS",
        "2026-11-03 10:30:00",
        "12.5",
    ]


# --- make_table --------------------------------------------------------------------------


def test_make_table_names_duplicates_empties_and_odd_headers() -> None:
    grid = _grid(
        [
            ["  Qty ", "qty", None, "Qty (2)", 2026.0, D, "Line\nbreak", None, None],
            [1, 2, 3, 4, 5, 6, 7, None, None],
            ["   ", None],
            [1, None, 3],
        ]
    )
    table = make_table(grid, 0)
    assert table.headers == [
        "Qty",
        "qty (3)",
        "Column C",
        "Qty (2)",
        "2026",
        "2026-11-03",
        "Line break",
    ]
    assert table.original_headers == [
        "  Qty ",
        "qty",
        None,
        "Qty (2)",
        "2026",
        "2026-11-03",
        "Line\nbreak",
    ]
    assert table.row_numbers == [2, 4]
    assert all(len(col) == 2 for col in table.columns)
    assert table.columns[6] == [7, None]
    assert table.header_notes == [
        'Columns A and B are both called "qty"; column B is called "qty (3)" here.',
        'Column C has no header; it is called "Column C" here.',
    ]
    assert table.find_column("qty (3)") == 1


def test_make_table_keeps_data_columns_without_header() -> None:
    grid = _grid([["A", "B"], [1, 2, 3], [4]])
    table = make_table(grid, 0)
    assert table.headers == ["A", "B", "Column C"]
    assert table.columns == [[1, 4], [2, None], [3, None]]


def test_make_table_rejects_header_without_data() -> None:
    with pytest.raises(SourceError, match=r"Row 2 of sheet 'S' of g.xlsx has no data rows below"):
        make_table(_grid([["A"], ["B"]]), 1)
    with pytest.raises(SourceError, match="outside the data"):
        make_table(_grid([["A"], ["B"]]), 5)


# --- progress and cancel -------------------------------------------------------------------


def test_progress_and_cancel_on_a_larger_sheet(tmp_path: Path) -> None:
    rows = [["Acct", "Qty"]] + [[f"A{i}", i] for i in range(25_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    xlsx = tmp_path / "big.xlsx"
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("S")
    for row in rows:
        ws.append(row)
    wb.save(xlsx)
    for source in (path, xlsx):
        calls: list[tuple[int, int, str]] = []

        def record(d: int, t: int, m: str, calls: list[tuple[int, int, str]] = calls) -> None:
            calls.append((d, t, m))

        table = load_table(source, progress=record)
        assert len(table) == 25_000
        assert len(calls) >= 3
        assert calls[-1][0] == calls[-1][1]
        token = CancelToken()

        def cancel_at_first(
            done: int, total: int, message: str, token: CancelToken = token
        ) -> None:
            if done:
                token.cancel()

        with pytest.raises(Cancelled):
            read_grid(source, progress=cancel_at_first, cancel=token)


def test_reading_in_a_thread_leaves_no_thread(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", USAGE)
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(len(load_table(path))))
    t.start()
    t.join(10)
    assert result == [2]


# --- the demo sample ---------------------------------------------------------------------


def test_demo_sample_reads_as_documented() -> None:
    root = Path(__file__).resolve().parents[3] / "resources" / "samples"
    path = root / "demo-usage.xlsx"
    assert list_sheets(path) == ["Usage", "Read me"]
    table = load_table(path)
    assert table.header_row == 3
    assert table.headers == ["Account Number", "Product", "Usage Date", "Units", "Region", "Notes"]
    assert 240 <= len(table) <= 260
    units = table.columns[3]
    assert CellError("#N/A") in units
    assert "twelve" in units
    assert -5 in units
    assert "31/02/2026" in table.columns[2]
    assert table.columns[0].count(None) == 1
    assert any(isinstance(v, float) and v.is_integer() for v in table.columns[0])
    rows = [tuple(table.row_values(i)) for i in range(len(table))]
    assert len(rows) - len(set(rows)) == 1
    csv_table = load_table(root / "demo-usage.csv")
    assert csv_table.headers == table.headers
    assert len(csv_table) == len(table)


# --- the error-cell scan behind calamine -----------------------------------------------------


def test_error_scan_across_chunk_boundaries() -> None:
    from zmed_gui.core.read._errorscan import scan_errors as _scan_errors

    rows = [
        f'<row r="{i}"><c r="A{i}" t="s"><v>{i}</v></c><c r="B{i}" t="e"><f>1/0</f>'
        f'<v>#DIV/0!</v></c><c r="C{i}"><v>{i}.5</v></c></row>'
        for i in range(1, 50_001)
    ]
    xml = ("<worksheet><sheetData>" + "".join(rows) + "</sheetData></worksheet>").encode()
    assert len(xml) > (4 << 20)  # spans more than one 4 MiB chunk
    found = _scan_errors(io.BytesIO(xml))
    assert len(found) == 50_000
    assert found[(1, 1)] == found[(50_000, 1)] == CellError("#DIV/0!")


def test_error_scan_prefixed_and_without_cell_references() -> None:
    from zmed_gui.core.read._errorscan import scan_errors as _scan_errors
    from zmed_gui.core.read._errorscan import scan_errors_slow as _scan_errors_slow

    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    prefixed = (
        f'<x:worksheet {ns}><x:sheetData><x:row r="3"><x:c r="AB3" t="e"><x:v>#REF!</x:v>'
        "</x:c></x:row></x:sheetData></x:worksheet>"
    ).encode()
    assert _scan_errors(io.BytesIO(prefixed)) == {(3, 27): CellError("#REF!")}
    no_refs = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row><c><v>1</v></c></row><row r="4"><c><v>1</v></c><c t="e"><v>#N/A</v></c></row>'
        b"</sheetData></worksheet>"
    )
    assert _scan_errors_slow(io.BytesIO(no_refs)) == {(4, 1): CellError("#N/A")}


# --- invariants over arbitrary grids ---------------------------------------------------------

_cells = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "Qty", "qty", "Column B", "Qty (2)", "A1", "12", "#N/A"]),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.just(D),
    st.just(CellError("#REF!")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_cells, max_size=6), min_size=1, max_size=8))
def test_make_table_invariants(rows: list[list[Any]]) -> None:
    grid = _grid(rows)
    index = detect_header_row(grid)
    assert 0 <= index < len(rows)
    assert detect_header_row(grid) == index  # deterministic
    for header_index in range(len(rows)):
        try:
            table = make_table(grid, header_index)
        except SourceError as exc:
            assert "no data rows below" in str(exc)
            continue
        assert len(table.headers) == len(table.original_headers) == len(table.columns)
        assert all(h and h == h.strip() for h in table.headers)
        assert len({h.casefold() for h in table.headers}) == len(table.headers)
        assert all(len(col) == len(table.row_numbers) for col in table.columns)
        assert table.row_numbers == sorted(table.row_numbers)
        assert all(n > table.header_row for n in table.row_numbers)


def test_cancel_before_reading_a_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", USAGE)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        read_grid(path, cancel=token)
    assert not [t for t in threading.enumerate() if t.name == "zmed-error-cell-scan"]


def test_preview_parse_is_reused_by_the_full_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from zmed_gui.core.read import _load as sources

    parses: list[str] = []
    real = sources._parse_sheet

    def counting(*args: Any, **kwargs: Any) -> Any:
        parses.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(sources, "_parse_sheet", counting)
    sources.forget_parsed_sheet()
    rows: list[list[Any]] = [["Acct", "Qty"]] + [[f"A{i}", CellError("#N/A")] for i in range(50)]
    path = write_xlsx(tmp_path / "p.xlsx", rows, sheet="S", extra_sheets={"T": USAGE})
    assert len(read_grid(path, max_rows=5).rows) == 5
    assert len(read_grid(path, max_rows=8).rows) == 8
    table = load_table(path)
    assert len(table) == 50 and table.columns[1][49] == CellError("#N/A")
    assert parses == ["S"]  # one parse for two previews and the full read
    load_table(path)
    assert parses == ["S", "S"]  # the full read took the kept parse out
    read_grid(path, "T", max_rows=5)
    write_xlsx(path, [["Acct", "Qty"], ["B1", 1]], sheet="T")
    os.utime(path, ns=(1, 1))  # a changed file is never served from the kept parse
    assert load_table(path, "T").columns[0] == ["B1"]
    assert parses == ["S", "S", "T", "T"]
    sources.forget_parsed_sheet()
