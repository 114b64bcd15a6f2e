"""Issue 10, Excel's 32,767-characters-a-cell limit and a bound on one CSV line.

A workbook cell longer than Excel's limit is refused with sheet, row and column (no
spreadsheet program writes one, Excel cuts it when it opens the file, and no usage value
is that long, so sending it would send what the sender never saw whole). A CSV field over
the same limit is refused with its row and column (a quote opened and never closed is the
usual cause); a CSV line over 4 MB (the most Zuora takes in one call) is refused before it
is parsed, naming the line: a one-line 200 MB CSV used to take 2 GB.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.core.read.test_read_guards import ROOT, base_xlsx, cli, one_line, with_sheet_xml
from zmed_gui.core.errors import SourceError
from zmed_gui.core.read import load_table, read_grid
from zmed_gui.core.read._errorscan import CELL_CHARS, LongRun
from zmed_gui.core.read._text import MAX_LINE_CHARS, check_line_lengths

LIMIT = 32_767


def sheet_xml(cells: list[list[str]]) -> bytes:
    """Sheet XML with inline-string cells (openpyxl itself cuts text at Excel's limit)."""
    rows = []
    for r, row in enumerate(cells, 1):
        row_cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(row)
        )
        rows.append(f'<row r="{r}">{row_cells}</row>')
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


def with_shared_strings(src: Path, dst: Path, strings: list[str], cells: list[list[int]]) -> Path:
    """``src`` whose first sheet's cells are shared strings (indexes into ``strings``)."""
    rows = []
    for r, row in enumerate(cells, 1):
        row_cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="s"><v>{i}</v></c>' for c, i in enumerate(row)
        )
        rows.append(f'<row r="{r}">{row_cells}</row>')
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f'<worksheet xmlns="{ns}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    # Rich text: a long string in short runs is still one long cell.
    items = "".join(
        "<si>"
        + "".join(f"<r><t>{s[i : i + 1000]}</t></r>" for i in range(0, len(s), 1000))
        + "</si>"
        for s in strings
    )
    sst = f'<sst xmlns="{ns}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    rel = (
        '<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.openxml'
        'formats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    ct = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
        'formats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", ct.encode() + b"</Types>")
            zo.writestr(info.filename, data)
        zo.writestr("xl/sharedStrings.xml", sst)
    return dst


def _refused(path: Path) -> str:
    with pytest.raises(SourceError) as info:
        read_grid(path)
    with pytest.raises(SourceError):
        load_table(path)
    return str(info.value)


# --- workbooks --------------------------------------------------------------------------


def test_an_inline_cell_over_excels_limit_is_refused_with_sheet_row_column(
    tmp_path: Path,
) -> None:
    cells = [["Account", "Notes", "Units"], ["A-1", "ok", "3"], ["A-2", "y" * 40_000, "4"]]
    path = with_sheet_xml(base_xlsx(tmp_path / "b.xlsx"), tmp_path / "long.xlsx", sheet_xml(cells))
    assert _refused(path) == (
        "Cell B3 of sheet 'Usage' in long.xlsx (row 3, column B) holds 40,000 characters, "
        "more than the 32,767 a cell can hold in Excel; shorten or clear that cell and save "
        "the file again (Excel itself would cut it)."
    )
    code, err = cli("validate", str(path), "--timezone", "UTC")
    assert code == 2
    assert one_line(err).startswith("zmed-upload: Cell B3 of sheet 'Usage' in long.xlsx")


def test_a_shared_string_over_the_limit_is_refused_even_in_short_rich_text_runs(
    tmp_path: Path,
) -> None:
    strings = ["Account", "Units", "A-1", "z" * (LIMIT + 1)]
    path = with_shared_strings(
        base_xlsx(tmp_path / "b.xlsx"), tmp_path / "sst.xlsx", strings, [[0, 1], [2, 3]]
    )
    assert _refused(path).startswith(
        "Cell B2 of sheet 'Usage' in sst.xlsx (row 2, column B) holds 32,768 characters"
    )


def test_a_cell_of_exactly_excels_limit_reads(tmp_path: Path) -> None:
    strings = ["Account", "Notes", "A-1", "n" * LIMIT]
    path = with_shared_strings(
        base_xlsx(tmp_path / "b.xlsx"), tmp_path / "edge.xlsx", strings, [[0, 1], [2, 3]]
    )
    assert load_table(path).columns[1] == ["n" * LIMIT]
    inline = with_sheet_xml(
        base_xlsx(tmp_path / "c.xlsx"),
        tmp_path / "inline.xlsx",
        sheet_xml([["Account", "Notes"], ["A-1", "m" * LIMIT]]),
    )
    assert load_table(inline).columns[1] == ["m" * LIMIT]


def test_long_run_detector_sees_a_run_across_chunks_and_skips_normal_xml() -> None:
    normal = b"<row>" + b'<c r="A1"><v>1</v></c>' * 100_000 + b"</row>"
    run = LongRun(b"<c", CELL_CHARS)
    for i in range(0, len(normal), 4096):
        run.feed(normal[i : i + 4096])
    run.feed(b"")
    assert not run.found
    long = b'<c r="A1"><is><t>' + b"x" * (CELL_CHARS + 10) + b"</t></is></c><c "
    for size in (7, 4096, 1 << 20):
        run = LongRun(b"<c", CELL_CHARS)
        for i in range(0, len(long), size):
            run.feed(long[i : i + size])
        run.feed(b"")
        assert run.found, size


# --- text files ---------------------------------------------------------------------------


def test_a_csv_field_over_the_limit_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('Account,Notes,Units\nA-1,ok,3\nA-2,"never closed,4\n' + "x" * LIMIT + "\n")
    assert _refused(path) == (
        "Row 3, column B of quote.csv holds more than 32,767 characters, more than a "
        'spreadsheet cell can hold and more than any usage value needs; a quote (") that is '
        "opened but never closed is the usual cause: check that row, correct it and save the "
        "file again."
    )
    code, err = cli("validate", str(path), "--timezone", "UTC")
    assert code == 2
    assert one_line(err).startswith("zmed-upload: Row 3, column B of quote.csv holds more")


def test_a_csv_field_of_exactly_the_limit_reads(tmp_path: Path) -> None:
    path = tmp_path / "edge.csv"
    path.write_text(f'Account,Notes\nA-1,"{"n" * LIMIT}"\n')
    assert load_table(path).columns[1] == ["n" * LIMIT]


def test_line_check_names_the_line() -> None:
    ok = ("a,b\n" * 10_000) + "c" * 100 + "\r\n" + "d" * 100
    check_line_lengths(ok, "ok.csv", limit=200)
    with pytest.raises(SourceError, match=r"^Line 10,003 of bad\.csv is longer than 200 "):
        check_line_lengths(ok + "\n" + "e" * 201, "bad.csv", limit=200)
    check_line_lengths("x" * 200 + "\r" + "y" * 200, "mac.csv", limit=200)  # old Mac breaks
    with pytest.raises(SourceError, match=r"^Line 1 of one\.csv "):
        check_line_lengths("x" * 201, "one.csv", limit=200)


_CHILD = """
import sys, time
from pathlib import Path
from zmed_gui.core.errors import SourceError
from zmed_gui.core.read import read_grid
start = time.monotonic()
try:
    read_grid(Path(sys.argv[1]))
    print("READ")
except SourceError as exc:
    print(exc)
print(time.monotonic() - start)
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) // 1024)
"""


@pytest.mark.slow
def test_a_one_line_200_mb_csv_is_refused_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    with path.open("wb") as f:
        for _ in range(25):
            f.write(b"1234567," * (1024 * 1024))
    assert path.stat().st_size > 200 * 10**6
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    message, seconds, peak_mb = done.stdout.strip().splitlines()
    assert message.startswith(
        f"Line 1 of one-line.csv is longer than {MAX_LINE_CHARS:,} characters without a line break"
    )
    # The file's bytes and their text (200 MB each) and no list of 26 million fields (2 GB).
    assert int(peak_mb) < 800, peak_mb
    assert float(seconds) < 60
    code, err = cli("validate", str(path), "--timezone", "UTC", timeout=120)
    assert code == 2
    assert one_line(err).startswith("zmed-upload: Line 1 of one-line.csv is longer than")
