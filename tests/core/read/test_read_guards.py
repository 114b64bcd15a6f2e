"""Issue 10, items 1 and 4: no file can hang, exhaust memory or abort a read.

Each case is built here as a real file; each asserts the sentence, and for the CLI exit
status 2 with one line on stderr, within a few seconds.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from zmed_gui.core.errors import OptionsError, SourceError
from zmed_gui.core.jsonfile import read_json_file
from zmed_gui.core.read import list_sheets, read_grid
from zmed_gui.core.schema import load_schema

END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
ROOT = Path(__file__).resolve().parents[3]


def looping_xls(path: Path, directory_next: int = 1) -> Path:
    """A 2.5 KB OLE2 file: FAT sector 0, directory sector 1, a Workbook stream in 2-3.
    The directory's FAT entry points back to itself (``directory_next=1``): calamine
    follows it for ever."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, END, 0, END, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([FREE] * 108))
    fat = struct.pack("<128I", FATSECT, directory_next, 3, END, *([FREE] * 124))

    def entry(name: str, typ: int, child: int, start: int, size: int) -> bytes:
        e = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\0\0"
        e[: len(encoded)] = encoded
        struct.pack_into("<HBB", e, 64, len(encoded), typ, 1)
        struct.pack_into("<III", e, 68, NOSTREAM, NOSTREAM, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = (
        entry("Root Entry", 5, 1, END, 0) + entry("Workbook", 2, NOSTREAM, 2, 1024) + bytes(256)
    )
    path.write_bytes(bytes(header) + fat + directory + bytes(1024))
    return path


def base_xlsx(path: Path, rows: int = 3) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Usage"
    ws.append(["Account Number", "Product", "Usage Date", "Units"])
    for i in range(rows):
        ws.append([f"A{i:05d}", "API_CALLS", "2026-11-01", i])
    wb.save(path)
    return path


def with_sheet_xml(src: Path, dst: Path, chunks: list[bytes] | bytes) -> Path:
    """``src`` with its first sheet's XML replaced (streamed, so GB-sized parts stay cheap)."""
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            if info.filename != part:
                zo.writestr(info.filename, zi.read(info.filename))
                continue
            with zo.open(part, "w", force_zip64=True) as fh:
                for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                    fh.write(chunk)
    return dst


def cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
    """Runs zmed-upload in a child (a runaway read must not take the test run down)."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "zmed_gui.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert time.monotonic() - start < timeout
    return done.returncode, done.stderr


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "panicked" not in stderr
    return lines[0]


# --- item 1: cheap checks before the native reader --------------------------------------


def test_a_looping_compound_file_is_refused_before_calamine(tmp_path: Path) -> None:
    path = looping_xls(tmp_path / "loop.xls")
    assert path.stat().st_size < 3000
    for fn in (lambda: list_sheets(path), lambda: read_grid(path)):
        with pytest.raises(SourceError) as info:
            fn()
        assert str(info.value).startswith("loop.xls is damaged or incomplete")
        assert "directory chain loops back on itself" in str(info.value)
    code, err = cli("validate", str(path))
    assert code == 2
    assert "loop.xls is damaged or incomplete" in one_line(err)


def test_a_stream_chain_leaving_the_file_is_refused(tmp_path: Path) -> None:
    path = looping_xls(tmp_path / "broken.xls", directory_next=END)
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 512 + 8, 4000)  # Workbook's second sector: far away
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError, match=r"broken\.xls is damaged or incomplete"):
        read_grid(path)


def test_a_looping_sector_table_chain_is_refused(tmp_path: Path) -> None:
    path = looping_xls(tmp_path / "difat.xls", directory_next=END)
    data = bytearray(path.read_bytes())
    struct.pack_into("<II", data, 0x44, 4, 1)  # one DIFAT sector: sector 4 ...
    struct.pack_into("<I", data, 512 + 16, 0xFFFFFFFC)  # (marked DIFSECT in the FAT)
    data += struct.pack("<128I", *([FREE] * 127), 4)  # ... whose "next" is itself
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError) as caught:
        read_grid(path)
    assert str(caught.value).startswith("difat.xls is damaged or incomplete (its ")


def test_a_zip_bomb_sheet_is_refused_before_calamine(tmp_path: Path) -> None:
    src = base_xlsx(tmp_path / "base.xlsx")
    head = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    )
    run = b"A" * (16 << 20)
    tail = b"</t></is></c></row></sheetData></worksheet>"
    bomb = with_sheet_xml(src, tmp_path / "bomb.xlsx", [head, *([run] * 8), tail])
    info = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 128 << 20 and info.file_size / info.compress_size > 500
    assert bomb.stat().st_size < 1 << 20
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_grid(bomb)
    assert time.monotonic() - start < 2
    message = str(caught.value)
    assert message.startswith("bomb.xlsx is not a normal workbook")
    assert "xl/worksheets/sheet1.xml" in message and "zip bomb" in message
    code, err = cli("validate", str(bomb))
    assert code == 2 and "zip bomb" in one_line(err)


def test_a_sheet_past_excels_last_column_is_refused(tmp_path: Path) -> None:
    xml = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1">'
        b'<c r="A1" t="inlineStr"><is><t>a</t></is></c>'
        b'<c r="XFE1" t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>'
    )
    wide = with_sheet_xml(base_xlsx(tmp_path / "base.xlsx"), tmp_path / "wide.xlsx", xml)
    with pytest.raises(SourceError) as caught:
        read_grid(wide)
    assert str(caught.value).startswith(
        "Sheet 'Usage' in wide.xlsx has 16,385 columns, more than Excel's 16,384"
    )
    code, err = cli("validate", str(wide))
    assert code == 2 and "16,385 columns" in one_line(err)


def test_two_far_corner_cells_are_refused_before_calamine_allocates(tmp_path: Path) -> None:
    # calamine makes one dense block of A1:XFD1048576 (17 billion cells) and aborts.
    xml = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1">'
        b'<c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576">'
        b'<c r="XFD1048576" t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>'
    )
    corners = with_sheet_xml(base_xlsx(tmp_path / "base.xlsx"), tmp_path / "corners.xlsx", xml)
    assert corners.stat().st_size < 10_000
    with pytest.raises(SourceError) as caught:
        read_grid(corners)
    assert str(caught.value).startswith(
        "Sheet 'Usage' in corners.xlsx spans 17,179,869,184 cells from its first to its last"
    )
    code, err = cli("validate", str(corners))
    assert code == 2 and "17,179,869,184 cells" in one_line(err)


# --- item 1: bounded reading -------------------------------------------------------------


def test_the_memory_limit_stops_a_read(tmp_path: Path) -> None:
    import xlwt  # an .xls: no extent pre-check, so the guard itself must stop it

    book = xlwt.Workbook()
    sheet = book.add_sheet("Usage")
    for c, h in enumerate(["Account Number", "Product", "Units"]):
        sheet.write(0, c, h)
    for r in range(1, 30_001):
        sheet.write(r, 0, f"A{r:05d}")
        sheet.write(r, 1, "API_CALLS")
        sheet.write(r, 2, r)
    path = tmp_path / "usage.xls"
    book.save(str(path))
    code, err = cli("validate", str(path), env={"ZMED_READ_MEMORY_LIMIT": "1"})
    assert code == 2
    assert "usage.xls needs more than 1 MB of memory to read" in one_line(err)
    csv = tmp_path / "usage.csv"
    csv.write_text("Account Number,Units\n" + "A1,1\n" * 300_000, encoding="utf-8")
    code, err = cli("validate", str(csv), env={"ZMED_READ_MEMORY_LIMIT": "1"})
    assert code == 2 and "usage.csv needs more than" in one_line(err)


def test_the_time_limit_stops_a_read_and_the_caller_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = base_xlsx(tmp_path / "usage.xlsx", rows=30_000)
    monkeypatch.setenv("ZMED_READ_TIME_LIMIT", "0.001")
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_grid(path)
    assert time.monotonic() - start < 5
    assert str(caught.value).startswith("Reading usage.xlsx took more than 0.001 seconds")
    monkeypatch.delenv("ZMED_READ_TIME_LIMIT")
    assert len(read_grid(path).rows) == 30_001  # this process is fine
    code, err = cli("validate", str(path), env={"ZMED_READ_TIME_LIMIT": "0.001"})
    assert code == 2 and "took more than 0.001 seconds" in one_line(err)


def test_a_legitimate_file_reads_within_the_default_limits(tmp_path: Path) -> None:
    path = base_xlsx(tmp_path / "usage.xlsx", rows=5_000)
    assert len(read_grid(path).rows) == 5_001


# --- item 4: only regular files ----------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_as_spreadsheet_and_schema(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^/dev/zero is a device, not a file; choose the "):
        read_grid(Path("/dev/zero"))
    with pytest.raises(OptionsError, match=r"^The schema file /dev/zero is a device, not a"):
        load_schema(Path("/dev/zero"))
    sheet = base_xlsx(tmp_path / "usage.xlsx")
    for argv in (("validate", "/dev/zero"), ("validate", str(sheet), "--schema", "/dev/zero")):
        code, err = cli(*argv, timeout=20)
        assert code == 2 and "/dev/zero is a device, not a file" in one_line(err)
    code, err = cli("validate", str(sheet), "--mapping", "/dev/zero", timeout=20)
    assert code == 2 and "The profile /dev/zero is a device" in one_line(err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_never_hangs(tmp_path: Path) -> None:
    fifo = tmp_path / "usage.csv"
    os.mkfifo(fifo)
    schema_fifo = tmp_path / "schema.json"
    os.mkfifo(schema_fifo)
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_grid(fifo)
    assert str(caught.value) == (
        f"{fifo} is a pipe (FIFO), not a file; choose the spreadsheet itself."
    )
    with pytest.raises(OptionsError, match="is a pipe"):
        read_json_file(schema_fifo, "schema file")
    assert time.monotonic() - start < 2
    sheet = base_xlsx(tmp_path / "usage.xlsx")
    code, err = cli("validate", str(fifo), timeout=20)
    assert code == 2 and "usage.csv is a pipe (FIFO), not a file" in one_line(err)
    code, err = cli("validate", str(sheet), "--schema", str(schema_fifo), timeout=20)
    assert code == 2 and "schema.json is a pipe (FIFO), not a file" in one_line(err)


def test_a_folder_says_folder(tmp_path: Path) -> None:
    folder = tmp_path / "March usage.xlsx"
    folder.mkdir()
    plain = tmp_path / "exports"
    plain.mkdir()
    for path in (folder, plain):
        with pytest.raises(SourceError) as caught:
            read_grid(path)
        assert str(caught.value) == (
            f"{path.name} is a folder, not a file; choose the spreadsheet inside it."
        )
    with pytest.raises(OptionsError) as info:
        read_json_file(plain, "schema file")
    assert str(info.value) == (
        f"The schema file {plain} is a folder, not a file; choose the schema file inside it."
    )
    code, err = cli("validate", str(plain))
    assert code == 2 and one_line(err).endswith(
        "exports is a folder, not a file; choose the spreadsheet inside it."
    )


def test_a_json_file_over_10_mb_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "schema.json"
    with big.open("wb") as fh:
        fh.write(b'"' + b"x" * (10 * 1024 * 1024) + b'"')
    with pytest.raises(OptionsError) as info:
        load_schema(big)
    assert str(info.value) == (
        "The schema file schema.json is larger than 10 MB, so it cannot be a schema file; "
        "choose the right file."
    )
    code, err = cli("validate", str(base_xlsx(tmp_path / "u.xlsx")), "--schema", str(big))
    assert code == 2 and "larger than 10 MB" in one_line(err)
