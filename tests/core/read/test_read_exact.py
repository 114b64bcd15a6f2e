"""Issue 10, items 2 and 7: text read exactly (old .xls NULs, encodings, UTF-32, NUL bytes in
CSV) and messages that name what a file really is (pre-97 Excel, protected .xls, a BMP, empty
sheets, the header row), with control characters in file names escaped."""

from __future__ import annotations

import codecs
import struct
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlwt

from zmed_gui.core.errors import OptionsError, SourceError
from zmed_gui.core.printable import printable
from zmed_gui.core.read import (
    check_encoding,
    decode_text,
    detect_header_row,
    encoding_label,
    load_table,
    read_grid,
)
from zmed_gui.core.table import Grid

GREEK = "Πελάτης;Ποσότητα\nΓιώργος Παπαδόπουλος;3\nΕλένη Νικολάου;5\nΔημήτρης Αλεξίου;7\n"


def _xls(path: Path, rows: list[list[object]], sheet: str = "Usage") -> Path:
    wb = xlwt.Workbook()
    ws = wb.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.save(str(path))
    return path


# --- 2. read exactly ---------------------------------------------------------------------


def test_nul_interleaved_xls_strings_are_repaired(tmp_path: Path) -> None:
    # What calamine gives for such files: a NUL after every letter. xlwt stores the string
    # as 8-bit text with those NULs in it, so calamine reads back exactly that.
    path = _xls(
        tmp_path / "old.xls",
        [["N\x00a\x00m\x00e\x00", "Qty"], ["J\x00a\x00n\x00", 3], ["Ma\x00rc", 4]],
    )
    table = load_table(path)
    assert table.headers == ["Name", "Qty"]
    assert table.columns[0] == ["Jan", "Marc"]
    assert all("\x00" not in str(v) for col in table.columns for v in col)
    assert any("NUL" in n and "rows 1, 2, 3" in n for n in table.read_notes), table.read_notes
    assert table.read_notes[0].startswith("Text in rows 1, 2, 3 of sheet 'Usage' came out with")


def _with_codepage(path: Path, codepage: int) -> Path:
    """xlwt writes CODEPAGE 1200 (UTF-16) and UTF-16 strings whenever one is not Latin-1;
    an 8-bit CODEPAGE over such strings is what the NUL-interleaved files have."""
    data = bytearray(path.read_bytes())
    at = data.find(struct.pack("<HHH", 0x42, 2, 1200))
    assert at != -1
    data[at + 4 : at + 6] = struct.pack("<H", codepage)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("codepage", "names"),
    [
        (1252, ["Jan Müller €", "Zoë", "Łukasz"]),
        (1253, ["Γιώργος Παπαδόπουλος", "Ελένη", "Zoë"]),
    ],
)
def test_utf16_strings_under_an_8bit_codepage_read_as_excel_shows(
    tmp_path: Path, codepage: int, names: list[str]
) -> None:
    # "Łukasz" and the euro sign make xlwt store every string as UTF-16.
    rows: list[list[object]] = [["Name", "Qty"], *[[n, i] for i, n in enumerate(names)]]
    path = _with_codepage(_xls(tmp_path / "cp.xls", rows), codepage)
    raw = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Usage")
    assert "\x00" in str(raw.to_python()[0][0])  # calamine's reading: a NUL after each letter
    table = load_table(path)
    assert table.headers == ["Name", "Qty"]
    assert table.columns[0] == names
    assert table.read_notes and "repaired" in table.read_notes[0]


def test_clean_xls_has_no_notes(tmp_path: Path) -> None:
    path = _xls(tmp_path / "ok.xls", [["Name", "Qty"], ["Jan", 3]])
    table = load_table(path)
    assert table.read_notes == [] and table.columns[0] == ["Jan"]


def test_greek_iso_8859_7_guess_is_said_and_encoding_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "greek.csv"
    path.write_bytes(GREEK.encode("iso-8859-7"))
    guessed = load_table(path)
    assert guessed.encoding_guessed
    note = " ".join(guessed.read_notes)
    assert "a guess" in note and encoding_label(guessed.encoding or "") in note
    exact = load_table(path, encoding=check_encoding("iso-8859-7"))
    assert not exact.encoding_guessed and exact.read_notes == []
    assert exact.headers == ["Πελάτης", "Ποσότητα"]
    assert exact.columns[0][0] == "Γιώργος Παπαδόπουλος"


def test_utf8_is_not_a_guess(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(GREEK.encode("utf-8"))
    table = load_table(path)
    assert not table.encoding_guessed and table.encoding == "utf-8"


def test_wrong_forced_encoding_says_the_line(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_bytes(("a;b\n1;2\n" + GREEK).encode("iso-8859-7"))
    with pytest.raises(SourceError) as info:
        load_table(path, encoding="utf-8")
    assert str(info.value) == (
        "g.csv is not UTF-8 text (line 3 has bytes that are not); choose another encoding."
    )


def test_unknown_encoding_name() -> None:
    with pytest.raises(OptionsError, match=r"^The encoding 'klingon' is not known; use"):
        check_encoding("klingon")
    with pytest.raises(OptionsError):
        check_encoding("rot13")  # a codec, but not a text encoding
    assert check_encoding("ISO-8859-7") == "iso8859-7"
    assert encoding_label("iso8859-7") == "ISO-8859-7"
    assert encoding_label("cp1252") == "Windows-1252"


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("bom", [True, False])
def test_utf32_with_or_without_bom(tmp_path: Path, codec: str, bom: bool) -> None:
    text = "Name,Qty\nZoë,3\nΓιώργος,4\n"
    marker = codecs.BOM_UTF32_LE if codec.endswith("le") else codecs.BOM_UTF32_BE
    path = tmp_path / "w.csv"
    path.write_bytes((marker if bom else b"") + text.encode(codec))
    table = load_table(path)
    assert table.headers == ["Name", "Qty"]
    assert table.columns[0] == ["Zoë", "Γιώργος"]
    assert decode_text(path.read_bytes(), "w.csv").encoding == codec


def test_nul_byte_in_csv_is_read_around_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(b"Name,Qty\nJan,3\nMa\x00rc,4\nLea,5\n")
    table = load_table(path)
    assert table.columns[0] == ["Jan", "Marc", "Lea"]
    assert table.read_notes == [
        "n.csv holds NUL characters (on line 3); they were left out; check those lines."
    ]


def test_binary_data_named_csv_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SourceError, match=r"^bin\.csv is not a text file"):
        read_grid(path)


# --- 7. messages ---------------------------------------------------------------------------


def _message(path: Path) -> str:
    with pytest.raises(SourceError) as info:
        load_table(path)
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    return message


@pytest.mark.parametrize(
    "bof",
    [
        struct.pack("<HHHH", 0x0009, 4, 0x0002, 0x0010),  # BIFF2 worksheet
        struct.pack("<HHHHH", 0x0209, 6, 0, 0x0010, 0),  # BIFF3
        struct.pack("<HHHHH", 0x0409, 6, 0, 0x0010, 0),  # BIFF4
        struct.pack("<HHHHHH", 0x0809, 8, 0x0500, 0x0005, 0, 0),  # BIFF5 globals, no OLE
    ],
)
def test_pre_97_excel(tmp_path: Path, bof: bytes) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(bof + b"\x0a\x00\x00\x00")  # BOF, EOF
    assert _message(path) == (
        "old.xls is an Excel 95 or older workbook, which cannot be read; open it in Excel or "
        "LibreOffice and save it as .xlsx, then open that file."
    )


def test_xor_protected_xls(tmp_path: Path) -> None:
    path = _xls(tmp_path / "xor.xls", [["Name", "Qty"], ["Jan", 3]])
    data = bytearray(path.read_bytes())
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")
    at = bof + 20  # xlwt: INTERFACEHDR (6 bytes), MMS (6), INTERFACEEND (4) follow BOF
    assert struct.unpack_from("<HHHHH", data, at)[0] == 0xE1
    data[at : at + 16] = struct.pack("<HHHHH", 0x2F, 6, 0, 0x1234, 0x5678) + struct.pack(
        "<HHH", 0xC1, 2, 0
    )
    path.write_bytes(bytes(data))
    # Not "damaged": the password is asked for (tests/core/read/test_password.py decrypts).
    assert _message(path) == (
        "xor.xls is protected with a password; enter its password to open it."
    )


def test_bmp_named_xls(tmp_path: Path) -> None:
    path = tmp_path / "pic.xls"
    pixels = b"\xff\x00\x00" * 4
    header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    path.write_bytes(header + info + pixels)
    assert _message(path).startswith("pic.xls is really a BMP image, not a spreadsheet; open")


def test_empty_sheet_names_the_sheets_with_data(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Cover"
    wb.create_sheet("Blank")
    wb.create_sheet("March").append(["Name", "Qty"])
    wb["March"].append(["Jan", 3])
    wb.create_sheet("April").append(["x"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(SourceError) as info:
        read_grid(path, "Cover")
    assert str(info.value) == (
        "Sheet 'Cover' in book.xlsx has no data; choose one of the sheets that have data: "
        "'March', 'April'."
    )
    wb.remove(wb["April"])
    wb.save(path)
    with pytest.raises(SourceError) as info:
        read_grid(path, "Blank")
    assert str(info.value).endswith("choose the sheet that has data: 'March'.")


def test_empty_sheets_everywhere(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.create_sheet("Other")
    path = tmp_path / "none.xlsx"
    wb.save(path)
    with pytest.raises(SourceError) as info:
        read_grid(path)
    assert str(info.value) == (
        "Sheet 'Sheet' in none.xlsx has no data, and its other sheet has none; check that you "
        "chose the right file."
    )


def test_header_row_hint_names_both_faces(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in (["Name", "Qty"], ["Jan", 3]):
        ws.append(row)
    path = tmp_path / "h.xlsx"
    wb.save(path)
    with pytest.raises(SourceError) as info:
        load_table(path, header_row=2)
    assert str(info.value) == (
        "Row 2 of sheet 'Sheet' of h.xlsx has no data rows below it; choose the row that holds "
        "the column names above the data (with --header-row N in zmed-upload, or in the app "
        "with 'Column headings are in row' on the Open step)."
    )


def _grid(rows: list[list[object]]) -> Grid:
    return Grid("g.csv", "g", rows, list(range(1, len(rows) + 1)))  # type: ignore[arg-type]


def test_header_guess_prefers_the_row_followed_by_rows_of_its_shape() -> None:
    rows: list[list[object]] = [
        ["Exported by", "finance", "on Monday"],
        ["Account", "Product", "Date", "Units", "Region"],
        ["A1", "SMS", "2026-11-01", 3, "EU"],
        ["A2", "SMS", "2026-11-02", 4, "EU"],
    ]
    assert detect_header_row(_grid(rows)) == 1


def test_header_guess_never_takes_the_last_widest_row() -> None:
    rows: list[list[object]] = [[1, 2], [3, 4], [5, 6], [7, 8, 9]]
    assert detect_header_row(_grid(rows)) == 0


def test_control_characters_in_file_names_are_escaped(tmp_path: Path) -> None:
    name = "evil\n\x1b[31mred.csv"
    path = tmp_path / name
    path.write_bytes(b"\n\n")
    with pytest.raises(SourceError) as info:
        read_grid(path)
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message
    assert message.startswith("evil\\n\\x1b[31mred.csv has no data")
    assert printable("a\u202eb") == "a\\u202eb"
