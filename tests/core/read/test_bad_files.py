"""Files that cannot be read: each gives one SourceError sentence naming the file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.factories import encrypted_stub, truncate, write_csv, write_xlsx
from zmed_gui.core.errors import SourceError
from zmed_gui.core.read import list_sheets, load_table, read_grid

USAGE: list[list[Any]] = [["Acct", "Qty"], ["A1", 1], ["A2", 2]]


def _one_sentence(message: str, name: str) -> None:
    assert name in message
    assert message[0].isupper() or message.startswith(name)
    assert message.endswith(".")
    assert "\n" not in message
    assert "Traceback" not in message
    # One sentence: no full stop followed by a capitalised new sentence.
    assert not re.search(r"\. [A-Z]", message.replace("File > ", "")), message


def _fails(fn: Callable[[], object], name: str, *fragments: str) -> str:
    with pytest.raises(SourceError) as info:
        fn()
    message = str(info.value)
    _one_sentence(message, name)
    for fragment in fragments:
        assert fragment in message, message
    return message


def _all_entry_points(path: Path, *fragments: str) -> None:
    _fails(lambda: list_sheets(path), path.name, *fragments)
    _fails(lambda: read_grid(path), path.name, *fragments)
    _fails(lambda: load_table(path), path.name, *fragments)


def test_missing_file(tmp_path: Path) -> None:
    _all_entry_points(tmp_path / "nope.xlsx", "does not exist")


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".csv", ".ods"])
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    _all_entry_points(path, "is empty (0 bytes)")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("report.pdf", "a .pdf file"), ("usage.numbers", "Export To > Excel"), ("data", "without")],
)
def test_unsupported_extension(tmp_path: Path, name: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7 whatever")
    _all_entry_points(path, fragment)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "exports.xlsx"
    folder.mkdir()
    _fails(lambda: read_grid(folder), "exports.xlsx", "is a folder")


@pytest.mark.parametrize(
    "html",
    [
        b"<html><body><table><tr><td>Acct</td></tr></table></body></html>",
        b'\xef\xbb\xbf  <!DOCTYPE html>\n<html xmlns:o="urn:schemas-microsoft-com:office:office">',
        b"<table border=1><tr><th>Acct</th></tr></table>",
        "<html><table><tr><td>x</td></tr></table>".encode("utf-16"),
    ],
)
def test_html_saved_as_xls(tmp_path: Path, html: bytes) -> None:
    path = tmp_path / "report.xls"
    path.write_bytes(html)
    _all_entry_points(path, "really a web page (HTML)", "save it as .xlsx")


def test_excel_2003_xml_saved_as_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook/>'
    )
    _all_entry_points(path, "Excel 2003 XML spreadsheet")


def test_png_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "usage.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200))
    _all_entry_points(path, "really a PNG image")


def test_truncated_xlsx(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", USAGE * 200)
    path = truncate(whole, tmp_path / "cut.xlsx")
    _all_entry_points(path, "damaged or incomplete")


def test_junk_zip_and_junk_cfb(tmp_path: Path) -> None:
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(500))
    _all_entry_points(path, "damaged or incomplete")
    cfb = tmp_path / "junk.xls"
    cfb.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    _all_entry_points(cfb, "damaged or incomplete")


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xls"])
def test_password_protected(tmp_path: Path, suffix: str) -> None:
    path = encrypted_stub(tmp_path / f"secret{suffix}")
    _all_entry_points(path, "protected with a password")


def test_text_file_with_xlsx_name_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.xlsx", [["Acct", "Qty"], ["A1", "2"]])
    assert load_table(path).columns == [["A1"], ["2"]]


def test_unknown_sheet_lists_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", USAGE, sheet="Usage", extra_sheets={"Notes": [["x"]]})
    _fails(lambda: read_grid(path, "March"), "u.xlsx", "no sheet named 'March'", "'Usage', 'Notes'")
    _fails(lambda: load_table(path, 5), "u.xlsx", "no sheet number 6", "'Usage', 'Notes'")


def test_sheet_without_data(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", [], sheet="Empty", extra_sheets={"Usage": USAGE})
    _fails(lambda: read_grid(path, "Empty"), "u.xlsx", "Sheet 'Empty'", "has no data", "'Usage'")
    only = write_xlsx(tmp_path / "only.xlsx", [])
    _fails(lambda: load_table(only), "only.xlsx", "has no data", "no other sheets", "right file")


def test_header_row_beyond_the_data(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", USAGE, first_row=4)
    _fails(lambda: load_table(path, header_row=40), "u.xlsx", "rows 4 to 6")
    _fails(lambda: load_table(path, header_row=0), "u.xlsx", "outside the data")
    _fails(lambda: load_table(path, header_row=2), "u.xlsx", "Row 2", "is empty", "row 4")
    _fails(lambda: load_table(path, header_row=6), "u.xlsx", "Row 6", "no data rows below")


def test_word_document_renamed_xlsx(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    _all_entry_points(path, "really a Word document")


def test_text_that_starts_like_a_magic_number_is_still_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cars.csv", [["BMW model", "Qty"], ["320d", "2"]])
    assert load_table(path).headers == ["BMW model", "Qty"]


def test_excel_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "~$usage.xlsx"
    path.write_bytes(b"\x05user" + bytes(160))
    _all_entry_points(path, "lock file", "choose usage.xlsx instead")
