"""Helpers that write real test spreadsheets: .xlsx/.xlsm (openpyxl), .xls (xlwt), .ods
(odfpy) and delimited text in any encoding.

``rows`` is a list of rows, each a list of cell values: None (blank), str, int, float,
bool, datetime.date / datetime.datetime, or :class:`CellError` (an Excel error value such
as ``CellError("#N/A")``). Row 1 of the sheet is ``rows[0]`` unless ``first_row`` says
otherwise; column A is ``row[0]`` unless ``first_col`` (0-based) says otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from zmed_gui.core.table import CellError, CellValue, Table

Rows = Sequence[Sequence[Any]]

__all__ = [
    "Rows",
    "append_xlsx",
    "encrypted_stub",
    "set_cached_values",
    "table_from_columns",
    "truncate",
    "write_csv",
    "write_ods",
    "write_xls",
    "write_xlsx",
]


def write_xlsx(
    path: Path,
    rows: Rows,
    sheet: str = "Sheet1",
    extra_sheets: Mapping[str, Rows] | None = None,
    *,
    hidden_sheets: Sequence[str] = (),
    date1904: bool = False,
    first_row: int = 1,
    first_col: int = 0,
) -> Path:
    """Writes an .xlsx (or .xlsm, by the name) workbook with openpyxl.

    ``extra_sheets`` follow the first sheet in order; sheets named in ``hidden_sheets`` are
    hidden. Formulas ("=A1*2") are written without cached values (openpyxl computes none):
    use :func:`set_cached_values` to add them.
    """
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    sheets: list[tuple[str, Rows]] = [(sheet, rows), *(extra_sheets or {}).items()]
    for i, (name, sheet_rows) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet(name)
        assert ws is not None
        ws.title = name
        if name in hidden_sheets:
            ws.sheet_state = "hidden"
        for r, row in enumerate(sheet_rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                cell = ws.cell(row=first_row + r, column=first_col + c + 1)
                if isinstance(value, CellError):
                    cell.value = value.code
                    cell.data_type = "e"
                else:
                    cell.value = value
                    if isinstance(value, dt.datetime):
                        cell.number_format = "yyyy-mm-dd hh:mm:ss"
                    elif isinstance(value, dt.date):
                        cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def append_xlsx(path: Path, rows: Rows, sheet: str = "Sheet1") -> Path:
    """Writes a one-sheet .xlsx by appending whole rows with openpyxl (its own default cell
    formats, blank cells kept as None), as a quick script exporting usage would."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def set_cached_values(path: Path, values: Mapping[str, Any], sheet_index: int = 1) -> Path:
    """Gives formula cells of an .xlsx the cached value Excel would have saved.

    ``values`` maps a cell reference ("C6") to a number, a string, a bool or a
    :class:`CellError`. The cell must exist (write a formula there first).
    """
    part = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                xml = data.decode("utf-8")
                for ref, value in values.items():
                    xml = _patch_cell(xml, ref, value)
                data = xml.encode("utf-8")
            z.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def _patch_cell(xml: str, ref: str, value: Any) -> str:
    pattern = re.compile(rf'<c r="{ref}"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
    match = pattern.search(xml)
    if match is None:
        raise KeyError(f"cell {ref} is not in the sheet XML")
    attrs = re.sub(r'\s*t="[^"]*"', "", match.group(1))
    inner = match.group(2) or ""
    formula = re.search(r"<f[^>]*?(?:/>|>.*?</f>)", inner, re.S)
    f_xml = formula.group(0) if formula else ""
    if isinstance(value, CellError):
        t, v = "e", value.code
    elif isinstance(value, bool):
        t, v = "b", "1" if value else "0"
    elif isinstance(value, (int, float)):
        t, v = "n", repr(value)
    else:
        t, v = "str", str(value)
    cell = f'<c r="{ref}"{attrs} t="{t}">{f_xml}<v>{v}</v></c>'
    return xml[: match.start()] + cell + xml[match.end() :]


def write_xls(
    path: Path,
    rows: Rows,
    sheet: str = "Sheet1",
    extra_sheets: Mapping[str, Rows] | None = None,
    *,
    hidden_sheets: Sequence[str] = (),
    date1904: bool = False,
) -> Path:
    """Writes a legacy .xls workbook with xlwt (dates get a date format).

    ``date1904`` only sets the workbook's flag: xlwt still writes date serials counted
    from 1900, so date cells then read four years late.
    """
    import xlwt

    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    datetime_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    error_codes = {"#NULL!": 0, "#DIV/0!": 7, "#VALUE!": 15, "#REF!": 23, "#NAME?": 29}
    error_codes |= {"#NUM!": 36, "#N/A": 42}
    wb = xlwt.Workbook()
    wb.dates_1904 = date1904
    for name, sheet_rows in [(sheet, rows), *(extra_sheets or {}).items()]:
        ws = wb.add_sheet(name)
        if name in hidden_sheets:
            ws.visibility = 1
        for r, row in enumerate(sheet_rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, CellError):
                    ws.row(r).set_cell_error(c, error_codes[value.code])
                elif isinstance(value, dt.datetime):
                    ws.write(r, c, value, datetime_style)
                elif isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    wb.save(str(path))
    return path


def write_ods(
    path: Path,
    rows: Rows,
    sheet: str = "Sheet1",
    extra_sheets: Mapping[str, Rows] | None = None,
) -> Path:
    """Writes an OpenDocument spreadsheet with odfpy (typed cells, as LibreOffice does)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, sheet_rows in [(sheet, rows), *(extra_sheets or {}).items()]:
        table = Table(name=name)
        for row in sheet_rows:
            tr = TableRow()
            for value in row:
                tr.addElement(_ods_cell(value, TableCell, P))
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def _ods_cell(value: Any, cell_cls: Any, p_cls: Any) -> Any:
    if value is None:
        return cell_cls()
    if isinstance(value, CellError):
        cell = cell_cls(valuetype="string", stringvalue=value.code)
        text = value.code
    elif isinstance(value, bool):
        cell = cell_cls(valuetype="boolean", booleanvalue="true" if value else "false")
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, (int, float)):
        cell = cell_cls(valuetype="float", value=repr(value))
        text = str(value)
    elif isinstance(value, (dt.date, dt.datetime)):
        cell = cell_cls(valuetype="date", datevalue=value.isoformat())
        text = value.isoformat()
    else:
        cell = cell_cls(valuetype="string")
        text = str(value)
    cell.addElement(p_cls(text=text))
    return cell


def write_csv(
    path: Path,
    rows: Rows,
    encoding: str = "utf-8",
    delimiter: str = ",",
    *,
    newline: str = "\r\n",
    trailing_newline: bool = True,
) -> Path:
    """Writes delimited text as Excel does (quotes where needed) in ``encoding``.

    "utf-8-sig" writes a BOM; "utf-16" writes a BOM and little-endian text like Excel's
    "Unicode Text".
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    text = buf.getvalue()
    if not trailing_newline and text.endswith(newline):
        text = text[: -len(newline)]
    path.write_bytes(text.encode(encoding))
    return path


def table_from_columns(
    columns: list[list[CellValue]],
    headers: list[str],
    *,
    source: str = "usage.xlsx",
    sheet: str = "March",
    header_row: int = 1,
) -> Table:
    """A loaded table built in memory (no file): ``columns`` of cells under ``headers``
    (shown and original alike), data rows numbered from just below ``header_row``."""
    n = len(columns[0]) if columns else 0
    return Table(
        source=source,
        sheet=sheet,
        header_row=header_row,
        headers=headers,
        original_headers=list(headers),
        columns=columns,
        row_numbers=list(range(header_row + 1, header_row + 1 + n)),
    )


def truncate(src: Path, dest: Path, fraction: float = 0.5) -> Path:
    """Copies the first ``fraction`` of ``src`` to ``dest`` (a download cut short)."""
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def encrypted_stub(path: Path) -> Path:
    """A file shaped like a password-protected .xlsx: an OLE compound file whose directory
    names an "EncryptedPackage" stream (the rest is junk)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 2
    directory = "EncryptionInfo".encode("utf-16-le") + b"\0" * 40
    directory += "EncryptedPackage".encode("utf-16-le") + b"\0" * 40
    path.write_bytes(header + directory + b"\x5a" * 4096)
    return path
