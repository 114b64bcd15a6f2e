"""Delimited text: encodings, delimiters, quoting and row numbers, on real bytes."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from tests.factories import write_csv
from zmed_gui.core.errors import SourceError
from zmed_gui.core.read import decode_text, detect_delimiter, load_table, read_grid, read_text_grid

ROWS = [["Kunde", "Menge", "Ort"], ["Müller", "12,5", "Köln"], ["Søren", "3", "Århus €"]]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("utf-16", "utf-16-le"),  # Python writes a BOM and little-endian, as Excel does
        ("utf-16-be", "utf-16-be"),
        ("cp1252", "cp1252"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    data = write_csv(tmp_path / "x.csv", ROWS, encoding, ";").read_bytes()
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    decoded = decode_text(data, "x.csv")
    assert decoded.encoding == expected
    grid = read_text_grid(tmp_path / "x.csv", data=data)
    assert grid.rows == ROWS


def test_cp1252_semicolon_with_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "de.csv"
    path.write_bytes("Kunde;Menge\r\nMüller;12,5\r\nGroß;7,25\r\n".encode("cp1252"))
    grid = read_grid(path)
    assert grid.rows == [["Kunde", "Menge"], ["Müller", "12,5"], ["Groß", "7,25"]]


def test_latin1_with_bytes_cp1252_does_not_have(tmp_path: Path) -> None:
    # 0x81 is unassigned in cp1252: ISO Latin-1 then (a C1 control, kept as is).
    data = "name,qty\ncafé,1\nx\x81y,2\n".encode("latin-1")
    decoded = decode_text(data, "l.csv")
    assert decoded.encoding == "latin-1"
    assert "café" in decoded.text


def test_latin1_text_reads_right_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("name,qty\nJosé Ñúñez,1\n".encode("latin-1"))
    assert read_grid(path).rows[1] == ["José Ñúñez", "1"]


def test_non_western_single_byte_text_falls_back_to_charset_normalizer() -> None:
    text = "Клиент;Количество\n" + "Иванов Пётр Сергеевич;12\n" * 20
    decoded = decode_text(text.encode("cp1251"), "ru.csv")
    assert decoded.encoding != "cp1252"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    rows = [["Acct", "Qty", "Note"], ["A1", "1,5", "a; b | c"], ["A2", "2", ""]]
    path = write_csv(tmp_path / "d.txt", rows, delimiter=delimiter)
    assert detect_delimiter(path.read_text()) == delimiter
    assert read_grid(path).rows == [rows[0], rows[1], ["A2", "2", None]]


def test_delimiter_ignores_quoted_content() -> None:
    text = 'a;b\n"x,y,z";1\n"p,q";2\n'
    assert detect_delimiter(text) == ";"
    assert detect_delimiter("only one column\nvalue\n") == ","


def test_quoted_newlines_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes(b'Acct,Note\r\nA1,"two\r\nlines"\r\n\r\nA2,"say ""hi"""\r\nA3,x')
    grid = read_grid(path)
    assert grid.rows == [["Acct", "Note"], ["A1", "two\r\nlines"], ["A2", 'say "hi"'], ["A3", "x"]]
    # Excel numbers records, not physical lines; the blank record 3 is skipped.
    assert grid.row_numbers == [1, 2, 4, 5]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("trailing", [True, False])
def test_line_endings(tmp_path: Path, newline: str, trailing: bool) -> None:
    path = write_csv(
        tmp_path / "n.csv", [["a", "b"], ["1", "2"]], newline=newline, trailing_newline=trailing
    )
    assert read_grid(path).rows == [["a", "b"], ["1", "2"]]


def test_empty_fields_become_none_and_cells_stay_strings(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [["a", "b", "c"], ["", "0012", "#N/A"], [" ", "", "x"]])
    table = load_table(path)
    assert table.row_values(0) == [None, "0012", "#N/A"]
    assert table.row_values(1) == [" ", None, "x"]


def test_title_rows_above_header_in_csv(tmp_path: Path) -> None:
    rows = [["Usage export, November", "", ""], ["", "", ""], ["Acct", "Qty", "Day"]]
    rows += [["A1", "1", "2026-11-01"], ["A2", "2", "2026-11-02"]]
    table = load_table(write_csv(tmp_path / "t.csv", rows))
    assert table.header_row == 3
    assert table.row_numbers == [4, 5]


def test_max_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [["n"]] + [[str(i)] for i in range(100)])
    grid = read_grid(path, max_rows=5)
    assert grid.row_numbers == [1, 2, 3, 4, 5]


def test_binary_content_with_csv_name(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"abc\x00\x01\x02\x00\xff" * 50)
    with pytest.raises(SourceError, match=r"^bin\.csv is not a text file"):
        read_grid(path)


def test_blank_only_text_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n,,\r\n  \r\n")
    with pytest.raises(SourceError, match=r"^blank\.csv has no data"):
        read_grid(path)


def test_wrong_sheet_for_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [["a"], ["1"]])
    with pytest.raises(SourceError, match="single sheet, 'u'"):
        read_grid(path, "Sheet2")


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"sep=;\r\nAcct;Note\r\nA1;a,b,c\r\nA2;d,e,f\r\n")
    grid = read_grid(path)
    assert grid.rows == [["Acct", "Note"], ["A1", "a,b,c"], ["A2", "d,e,f"]]
    assert grid.row_numbers == [1, 2, 3]  # Excel hides the sep= line
