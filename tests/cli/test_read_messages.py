"""Issue 10 items 2 and 7 through `zmed-upload validate`: the encoding guess printed and
--encoding, inputs that cannot be used refused with exit code 2 and one stderr line, and
control characters in file names escaped."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from zmed_gui.cli import main

GREEK = (
    "Account Number;Product;Usage Date;Units\n"
    "Γιώργος;API_CALLS;2026-11-02;3\n"
    "Ελένη;API_CALLS;2026-11-03;5\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, _out, err = run(capsys, "validate", *argv, "--timezone", "UTC")
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("zmed-upload: ")
    return lines[0].removeprefix("zmed-upload: ")


def test_greek_csv_guess_is_printed_and_encoding_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "greek.csv"
    src.write_bytes(GREEK.encode("iso-8859-7"))
    code, out, err = run(capsys, "validate", str(src), "--timezone", "UTC")
    assert "a guess" in out and "--encoding NAME" in out, out
    code, out, err = run(
        capsys, "validate", str(src), "--timezone", "UTC", "--encoding", "iso-8859-7"
    )
    assert "as ISO-8859-7." in out, out
    assert "a guess" not in out
    assert code == 0, out + err


def test_unknown_encoding_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "greek.csv"
    src.write_bytes(GREEK.encode("utf-8"))
    message = _refused(capsys, str(src), "--encoding", "nope")
    assert message.startswith("The encoding 'nope' is not known; use a name such as utf-8")


def test_pre_97_excel_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "old.xls"
    src.write_bytes(struct.pack("<HHHH", 0x0009, 4, 2, 0x10) + b"\x0a\x00\x00\x00")
    assert _refused(capsys, str(src)) == (
        "old.xls is an Excel 95 or older workbook, which cannot be read; open it in Excel or "
        "LibreOffice and save it as .xlsx, then open that file."
    )


def test_header_row_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "u.csv"
    src.write_text("Account Number,Units\nA1,3\n", encoding="utf-8")
    message = _refused(capsys, str(src), "--header-row", "2")
    assert "--header-row N" in message and "'Column headings are in row'" in message


def test_control_characters_in_names_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "bad\x1b[2Jname\n.csv"
    src.write_bytes(b"\n")
    message = _refused(capsys, str(src))
    assert message.startswith("bad\\x1b[2Jname\\n.csv has no data")
    ok = tmp_path / "ok\x1b]0;x\x07.csv"
    ok.write_text(
        "Account Number,Product,Usage Date,Units\nA1,API_CALLS,2026-11-02,3\n", encoding="utf-8"
    )
    _code, out, _err = run(capsys, "validate", str(ok), "--timezone", "UTC")
    assert "\x1b" not in out and "\x07" not in out and "ok\\x1b]0;x\\x07.csv" in out, out


def test_send_shares_the_encoding_option() -> None:
    from zmed_gui.cli import build_parser

    args = build_parser().parse_args(
        ["send", "f.csv", "--encoding", "cp1253", "--base-url", "http://x", "--meter", "m"]
    )
    assert args.encoding == "cp1253"
