"""Opening spreadsheets: which sheets a file has, a sheet's raw grid, and the table below
its header row.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read with python-calamine; text files with
:mod:`zmed_gui.core.csvread`. The file's first bytes decide the reader, not its name: an
.xls that is really CSV text is read as text, and an .xls that is really a web page gets a
message saying so.

What calamine gives, and what this module makes of it:

- Formulas give their cached values (the value Excel last computed and saved).
- Dates come as ``datetime`` and, when the time is exactly midnight, as ``date``; times of
  day as ``time``; durations as ``timedelta``. The 1904 date system is already applied to
  these; ``Grid.date1904`` tells converters how to read plain serial numbers.
- Whole numbers may come as ``float`` (12345.0 from .xlsx) or ``int`` (from .xls); they are
  passed on as given: the converter decides (a customer ID must become "12345").
- Excel error values (#N/A, #DIV/0!, ...) come from calamine 0.9.1 as "" (indistinguishable
  from a blank). They are recovered as :class:`CellError` from the sheet XML (.xlsx/.xlsm)
  or the BIFF cell records (.xls), by a scan that runs while calamine parses. In .ods a
  text cell that is exactly an error code is taken as that error (a computed error whose
  text calamine drops stays blank).
- ``Grid.date1904`` comes from the workbook (workbookPr/@date1904, the DATEMODE record).
- Rows keep their Excel row numbers; completely blank rows are left out. Columns keep their
  Excel letters: when the used range starts right of column A, the columns to its left are
  present and empty.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import math
import mmap
import re
import struct
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree import ElementTree

import python_calamine as calamine

from zmed_gui.core.csvread import read_text_grid
from zmed_gui.core.errors import SourceError
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.table import CellError, CellValue, Grid, Table, column_letter

log = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
_TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
_CHUNK = 10_000
_ERROR_CODES = frozenset(
    {
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
    }
)
_SUPPORTED_TEXT = (
    "an Excel workbook (.xlsx, .xlsm, .xls), an OpenDocument spreadsheet (.ods) or a text "
    "file (.csv, .tsv, .txt)"
)

# ---------------------------------------------------------------------------------------
# What a file really is


_ZIP = "zip"
_ODS = "ods"
_CFB = "cfb"
_ENCRYPTED = "encrypted"
_TEXT = "text"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
)


def _sniff(path: Path, head: bytes) -> str:
    """The real format of a file from its first bytes; raises SourceError for formats
    that cannot be read."""
    name = path.name
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head[:200]:
            return _ODS
        if b"mimetypeapplication/vnd.oasis.opendocument" in head[:200]:
            raise SourceError(
                f"{name} is an OpenDocument text or presentation file, not a spreadsheet; "
                "open the spreadsheet itself (.ods or .xlsx)."
            )
        for folder, what in ((b"word/", "a Word document"), (b"ppt/", "a PowerPoint file")):
            if folder in head and b"xl/" not in head:
                raise SourceError(
                    f"{name} is really {what}, not a spreadsheet; open the spreadsheet itself "
                    f"instead: {_SUPPORTED_TEXT}."
                )
        return _ZIP
    if head.startswith(_CFB_MAGIC):
        return _ENCRYPTED if _is_encrypted_ooxml(path) else _CFB
    for magic, what in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise SourceError(
                f"{name} is really {what}, not a spreadsheet; open the spreadsheet itself "
                f"instead: {_SUPPORTED_TEXT}."
            )
    stripped = _text_head(head).lstrip().lower()
    if stripped.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or (
        stripped.startswith("<") and "<table" in stripped and "<?mso-application" not in stripped
    ):
        raise SourceError(
            f"{name} is really a web page (HTML) saved with {_article(path.suffix)} "
            f"{path.suffix or 'spreadsheet'} name; open it in Excel and save it as .xlsx, "
            "then open that file."
        )
    if stripped.startswith("<?xml"):
        kind = "an Excel 2003 XML spreadsheet" if "excel.sheet" in stripped else "an XML file"
        raise SourceError(
            f"{name} is really {kind}, which cannot be read directly; open it in Excel and "
            "save it as .xlsx, then open that file."
        )
    return _TEXT


def _article(suffix: str) -> str:
    """ "an .xls", "a .csv": the article as the extension's first letter is spoken."""
    return "an" if suffix[1:2].lower() in tuple("aefhilmnorsx") else "a"


def _text_head(head: bytes) -> str:
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, errors="ignore")
    return head.decode("latin-1")


def _is_encrypted_ooxml(path: Path) -> bool:
    """An encrypted .xlsx is an OLE compound file holding an "EncryptedPackage" stream."""
    package = "EncryptedPackage".encode("utf-16-le")
    info = "EncryptionInfo".encode("utf-16-le")
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(package) != -1 and m.find(info) != -1
    except (OSError, ValueError):
        return False


def _check_file(path: Path) -> tuple[str, bytes]:
    """Checks that ``path`` is a readable file of a supported type; returns its real format
    and first bytes."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        if suffix == ".numbers":
            hint = "in Numbers choose File > Export To > Excel, then open the .xlsx file"
        elif suffix == ".pdf":
            hint = "ask for the data as an Excel workbook or a CSV file instead"
        else:
            hint = f"save the data as {_SUPPORTED_TEXT} and open that file"
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise SourceError(f"{name} is {kind}, which cannot be read; {hint}.")
    if name.startswith("~$"):
        raise SourceError(
            f"{name} is the lock file Excel keeps while a workbook is open, not the data; "
            f"choose {name[2:]} instead."
        )
    if not path.exists():
        raise SourceError(
            f"{name} does not exist in {path.parent}; check the name and folder, or choose "
            "the file again."
        )
    if not path.is_file():
        raise SourceError(f"{name} is a folder, not a file; choose a spreadsheet file inside it.")
    try:
        with path.open("rb") as f:
            head = f.read(8192)
    except OSError as exc:
        raise SourceError(
            f"{name} cannot be opened ({exc.strerror or exc}); close it in other programs "
            "and check that you may read it."
        ) from None
    if not head:
        raise SourceError(
            f"{name} is empty (0 bytes); save the data again from its program, or ask the "
            "sender for a complete copy."
        )
    return _sniff(path, head), head


# ---------------------------------------------------------------------------------------
# Workbooks through calamine


def _open_workbook(path: Path, kind: str) -> calamine.CalamineWorkbook:
    name = path.name
    if kind == _ENCRYPTED:
        raise SourceError(
            f"{name} is protected with a password; open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password), save it and open it again."
        )
    suffix = path.suffix.lower()
    expected = {_ZIP: (".xlsx", ".xlsm"), _ODS: (".ods",), _CFB: (".xls",)}[kind]
    try:
        if suffix in expected:
            return calamine.CalamineWorkbook.from_path(str(path))
        # The name says one format, the bytes another: let calamine look at the bytes.
        with path.open("rb") as f:
            return calamine.CalamineWorkbook.from_filelike(f)
    except calamine.PasswordError:
        raise SourceError(
            f"{name} is protected with a password; open it in Excel, remove the password, "
            "save it and open it again."
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises its own errors and pyo3 panics
        raise _damaged(path, kind, exc) from None


def _damaged(path: Path, kind: str, exc: BaseException) -> SourceError:
    log.info("calamine could not read %s (%s): %r", path, kind, exc)
    if kind == _CFB and path.suffix.lower() != ".xls":
        return SourceError(
            f"{path.name} is an old-style Office file but not a workbook that can be read; "
            "open it in Excel and save it as .xlsx, then open that file."
        )
    return SourceError(
        f"{path.name} is damaged or incomplete (perhaps a download or copy was cut short); "
        "open it in Excel and save it again, or ask the sender for a fresh copy."
    )


def list_sheets(path: Path) -> list[str]:
    """All sheet names in workbook order, hidden ones included; a text file has one sheet
    named after the file's stem.

    Raises:
        SourceError: the file cannot be opened.
    """
    kind, _ = _check_file(path)
    if kind == _TEXT:
        return [path.stem or path.name]
    wb = _open_workbook(path, kind)
    try:
        return list(wb.sheet_names)
    finally:
        wb.close()


def _pick_sheet(path: Path, wb: calamine.CalamineWorkbook, sheet: str | int | None) -> str:
    names = list(wb.sheet_names)
    if not names:
        raise SourceError(f"{path.name} has no sheets; open it in Excel and check its content.")
    if sheet is None:
        for meta in wb.sheets_metadata:
            if (
                meta.visible == calamine.SheetVisibleEnum.Visible
                and meta.typ == calamine.SheetTypeEnum.WorkSheet
            ):
                return meta.name
        return names[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise SourceError(
            f"{path.name} has no sheet number {sheet + 1}; it has {len(names)} "
            f"sheet{'s' if len(names) != 1 else ''}: {_quoted(names)}."
        )
    if sheet in names:
        return sheet
    wanted = sheet.strip().casefold()
    for n in names:
        if n.strip().casefold() == wanted:
            return n
    raise SourceError(
        f"{path.name} has no sheet named '{sheet}'; choose one of its sheets: {_quoted(names)}."
    )


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _check_text_sheet(path: Path, sheet: str | int | None) -> None:
    stem = path.stem or path.name
    if sheet is None or sheet == 0:
        return
    if isinstance(sheet, str) and sheet.strip().casefold() == stem.casefold():
        return
    raise SourceError(
        f"{path.name} is a text file with a single sheet, '{stem}'; leave the sheet out or "
        f"choose '{stem}'."
    )


def read_grid(
    path: Path,
    sheet: str | int | None = None,
    *,
    max_rows: int | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> Grid:
    """Reads one sheet as it is, blank rows left out.

    Args:
        path: the spreadsheet.
        sheet: a sheet name, a 0-based index, or None for the first visible sheet.
        max_rows: read at most this many non-blank rows (quick previews). calamine still
            parses the whole sheet first, so this saves building rows, not parsing.
        progress: called every ~10 000 rows with (done, total, message): rows for
            workbooks, characters for text files; (0, 0, ...) while calamine parses, which
            is one call that cannot report progress or be cancelled.
        cancel: checked between chunks of rows.

    Cells are as described in the module docstring; note that a date-time at exactly
    midnight comes as ``datetime.date``.

    Raises:
        SourceError: the file or sheet cannot be read, or the sheet has no data.
        Cancelled: ``cancel`` was set.
    """
    kind, _ = _check_file(path)
    if kind == _TEXT:
        _check_text_sheet(path, sheet)
        grid = read_text_grid(path, max_rows=max_rows, progress=progress, cancel=cancel)
        if not any(_filled(row) for row in grid.rows):
            raise SourceError(
                f"{path.name} has no data (only blank lines); check that you chose the right file."
            )
        return grid
    wb = _open_workbook(path, kind)
    try:
        name = _pick_sheet(path, wb, sheet)
        others = [n for n in wb.sheet_names if n != name]
        key = _sheet_key(path, name)
        parsed = _take_parsed(key, keep=max_rows is not None)
        if parsed is None:
            parsed = _parse_sheet(path, kind, wb, name, key, progress, cancel)
    finally:
        wb.close()
    if max_rows is not None:
        # A preview is usually followed by reading the whole sheet: keep the parse for it.
        _keep_parsed(parsed)
    with _gc_paused():
        rows, numbers = _collect_rows(
            path, parsed.sheet, parsed.errors, kind == _ODS, max_rows, progress, cancel
        )
    if not any(_filled(row) for row in rows):
        hint = f"choose another sheet ({_quoted(others)})" if others else "check the file"
        raise SourceError(f"Sheet '{name}' in {path.name} has no data; {hint}.")
    return Grid(
        source=path.name, sheet=name, rows=rows, row_numbers=numbers, date1904=parsed.date1904
    )


@dataclass
class _Parsed:
    """A sheet as calamine parsed it, with what the side scan found."""

    key: tuple[str, int, int, str]
    sheet: calamine.CalamineSheet
    errors: dict[tuple[int, int], CellError]
    date1904: bool


_parsed_lock = threading.Lock()
_parsed: _Parsed | None = None


def _sheet_key(path: Path, sheet: str) -> tuple[str, int, int, str]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, sheet)


def _take_parsed(key: tuple[str, int, int, str], keep: bool) -> _Parsed | None:
    """The parse a preview of the same, unchanged sheet left behind; a full read takes it
    out of the cache, so a big sheet is held only between a preview and the full read."""
    global _parsed
    with _parsed_lock:
        hit = _parsed if _parsed is not None and _parsed.key == key else None
        if hit is not None and not keep:
            _parsed = None
        return hit


def _keep_parsed(parsed: _Parsed) -> None:
    global _parsed
    with _parsed_lock:
        _parsed = parsed


def forget_parsed_sheet() -> None:
    """Drops the parse kept from the last preview (frees its memory at once)."""
    global _parsed
    with _parsed_lock:
        _parsed = None


def _parse_sheet(
    path: Path,
    kind: str,
    wb: calamine.CalamineWorkbook,
    name: str,
    key: tuple[str, int, int, str],
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> _Parsed:
    progress(0, 0, f"Opening sheet '{name}' of {path.name}")
    if cancel is not None:
        cancel.raise_if_cancelled()
    # calamine drops error values (and does not say which date system the file uses): a
    # side scan of the raw file finds them meanwhile.
    scan = _SideScan(path, name, kind) if kind in (_ZIP, _CFB) else None
    try:
        if scan is not None:
            scan.start()
        try:
            # calamine parses the whole sheet here, with the GIL released.
            cal_sheet = wb.get_sheet_by_name(name)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise _damaged(path, kind, exc) from None
        if cancel is not None:
            cancel.raise_if_cancelled()
        errors, date1904 = scan.result() if scan is not None else ({}, False)
    finally:
        if scan is not None:
            scan.stop()
    return _Parsed(key, cal_sheet, errors, date1904)


def _collect_rows(
    path: Path,
    cal_sheet: calamine.CalamineSheet,
    errors: dict[tuple[int, int], CellError],
    text_errors: bool,
    max_rows: int | None,
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> tuple[list[list[CellValue]], list[int]]:
    rows: list[list[CellValue]] = []
    numbers: list[int] = []
    start = cal_sheet.start
    if start is None:  # an empty sheet (iter_rows would panic on it)
        return rows, numbers
    first_row, first_col = start
    total = cal_sheet.height
    lead: list[CellValue] = [None] * first_col
    message = f"Reading sheet '{cal_sheet.name}' of {path.name}"
    by_row: dict[int, list[tuple[int, CellError]]] = {}
    for (r, c), err in errors.items():
        if c >= first_col:
            by_row.setdefault(r, []).append((c - first_col, err))
    limit = max_rows if max_rows is not None else -1
    it: Iterator[list[CellValue]] = iter(cal_sheet.iter_rows())  # type: ignore[arg-type]
    # iter_rows first yields one padding row per empty row above the used range.
    for _ in range(first_row):
        next(it, None)
    number = first_row
    done = 0
    for raw in it:
        number += 1
        done += 1
        if done % _CHUNK == 0:
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(done, total, message)
        row: list[CellValue] = raw
        if "" in row:  # calamine's blank; replaced in place, which is quickest
            i = row.index("")
            try:
                while True:
                    row[i] = None
                    i = row.index("", i + 1)
            except ValueError:
                pass
        if number in by_row:
            for c, err in by_row[number]:
                if c < len(row):
                    row[c] = err
        if row.count(None) == len(row):
            continue
        if text_errors:
            for i, v in enumerate(row):
                if type(v) is str and v in _ERROR_CODES:
                    row[i] = CellError(v)
        rows.append(lead + row if first_col else row)
        numbers.append(number)
        if len(rows) == limit:
            break
    progress(total, total, message)
    return rows, numbers


# ---------------------------------------------------------------------------------------
# What calamine 0.9.1 drops from .xlsx: error values and the date system

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_ERROR_ATTR = (b' t="e"', b" t='e'")


def _xlsx_date1904(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return False
    pr = root.find(f"{_NS_MAIN}workbookPr")
    if pr is None:
        return False
    return pr.get("date1904", "0").strip().lower() in ("1", "true")


def _sheet_part(z: zipfile.ZipFile, sheet: str) -> str | None:
    root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rid = None
    for el in root.iter(f"{_NS_MAIN}sheet"):
        if el.get("name") == sheet:
            rid = el.get(f"{_NS_REL}id")
    if rid is None:
        return None
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target).replace("xl/../", "")
    return None


def _xlsx_errors(
    path: Path, sheet: str, kind: str, stop: threading.Event | None = None
) -> dict[tuple[int, int], CellError]:
    """(Excel row number, 0-based column) -> error value, for one sheet of an .xlsx/.xlsm.

    Scans the decompressed sheet XML for error-typed cells; a plain byte search, so a sheet
    without errors costs little more than decompressing it.
    """
    if kind != _ZIP:
        return {}
    try:
        with zipfile.ZipFile(path) as z:
            part = _sheet_part(z, sheet)
            if part is None:
                return {}
            try:
                with z.open(part) as stream:
                    return _scan_errors(stream, stop)
            except _NeedsFullParse:
                with z.open(part) as stream:
                    return _scan_errors_slow(stream)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, EOFError) as exc:
        log.info("could not look for error cells in %s: %r", path, exc)
        return {}


class _SideScan(threading.Thread):
    """Finds error cells and the date system in the raw file while calamine parses
    (calamine releases the GIL; zlib mostly does too)."""

    def __init__(self, path: Path, sheet: str, kind: str) -> None:
        super().__init__(name="zmed-error-cell-scan", daemon=True)
        self._path = path
        self._sheet = sheet
        self._kind = kind
        self._stop_flag = threading.Event()
        self._found: dict[tuple[int, int], CellError] = {}
        self._date1904 = False

    def run(self) -> None:
        try:
            if self._kind == _ZIP:
                self._date1904 = _xlsx_date1904(self._path)
                self._found = _xlsx_errors(self._path, self._sheet, _ZIP, self._stop_flag)
            else:
                self._found, self._date1904 = _xls_scan(self._path, self._sheet)
        except Exception:  # never let a side scan break reading; the log keeps the cause
            log.exception("error-cell scan of %s failed", self._path)

    def result(self) -> tuple[dict[tuple[int, int], CellError], bool]:
        self.join()
        return self._found, self._date1904

    def stop(self) -> None:
        self._stop_flag.set()
        if self.is_alive():
            self.join()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Creating a million row lists makes the cyclic GC run over and over for nothing
    (rows hold no cycles); pausing it roughly halves the time to build a big grid."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _NeedsFullParse(Exception):
    """An error cell without an ``r`` attribute: its place needs a real parse."""


def _scan_errors(
    stream: IO[bytes], stop: threading.Event | None = None
) -> dict[tuple[int, int], CellError]:
    found: dict[tuple[int, int], CellError] = {}
    overlap = 4096
    data = b""
    searched = 0  # hits starting before this offset in ``data`` are handled
    while True:
        if stop is not None and stop.is_set():
            return found
        chunk = stream.read(4 << 20)
        final = not chunk
        data += chunk
        end = len(data) if final else max(len(data) - overlap, 0)
        for attr in _ERROR_ATTR:
            pos = data.find(attr, searched)
            while pos != -1 and pos < end:
                _one_error(data, pos, found)
                pos = data.find(attr, pos + 1)
        if final:
            return found
        # Keep some bytes before ``end`` so the tag of a cell found next time is whole.
        cut = max(end - overlap, 0)
        data = data[cut:]
        searched = end - cut


def _one_error(data: bytes, pos: int, found: dict[tuple[int, int], CellError]) -> None:
    tag_start = data.rfind(b"<", 0, pos)
    tag_end = data.find(b">", pos)
    if tag_start == -1 or tag_end == -1:
        return
    tag = data[tag_start : tag_end + 1]
    if not re.match(rb"<(?:\w+:)?c\s", tag):
        return
    ref = _CELL_REF.search(tag)
    if ref is None:
        raise _NeedsFullParse
    if tag.endswith(b"/>"):
        return
    value = _VALUE.search(data, tag_end, tag_end + 4096)
    code = value.group(1).decode("utf-8", "replace").strip() if value else ""
    if not code:
        return
    col = 0
    for ch in ref.group(1).upper():
        col = col * 26 + (ch - 64)
    found[(int(ref.group(2)), col - 1)] = CellError(code)


def _scan_errors_slow(stream: IO[bytes]) -> dict[tuple[int, int], CellError]:
    found: dict[tuple[int, int], CellError] = {}
    row = 0
    col = -1
    for event, el in ElementTree.iterparse(stream, events=("start", "end")):
        tag = el.tag.rsplit("}", 1)[-1]
        if event == "start":
            if tag == "row":
                row = int(el.get("r") or row + 1)
                col = -1
            elif tag == "c":
                ref = el.get("r")
                if ref:
                    m = _CELL_REF.search(f'r="{ref}"'.encode())
                    col = _letters_to_index(m.group(1).decode()) if m else col + 1
                else:
                    col += 1
            continue
        if tag == "c":
            if el.get("t") == "e":
                v = el.find(f"{_NS_MAIN}v")
                if v is not None and v.text:
                    found[(row, col)] = CellError(v.text.strip())
            el.clear()
    return found


def _letters_to_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


# ---------------------------------------------------------------------------------------
# The same for .xls: a minimal compound-file reader and a scan of BIFF8 cell records

_BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
_END_OF_CHAIN = 0xFFFFFFFE


def _cfb_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The content of the first stream called one of ``names`` in an OLE compound file
    (regular sectors only: workbook streams are never below the 4 KiB mini-stream cutoff
    in files Excel writes)."""
    if len(data) < 512 or not data.startswith(_CFB_MAGIC):
        return None
    sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    if sector not in (512, 4096):
        return None
    n_difat = struct.unpack_from("<I", data, 0x48)[0]
    first_dir, cutoff = (
        struct.unpack_from("<I", data, 0x30)[0],
        struct.unpack_from("<I", data, 0x38)[0],
    )
    difat = [x for x in struct.unpack_from("<109I", data, 0x4C) if x < _END_OF_CHAIN]
    nxt = struct.unpack_from("<I", data, 0x44)[0]
    per = sector // 4
    for _ in range(n_difat):
        if nxt >= _END_OF_CHAIN:
            break
        entries = struct.unpack_from(f"<{per}I", data, (nxt + 1) * sector)
        difat += [x for x in entries[:-1] if x < _END_OF_CHAIN]
        nxt = entries[-1]
    fat: list[int] = []
    for s in difat:
        off = (s + 1) * sector
        if off + sector > len(data):
            return None
        fat.extend(struct.unpack_from(f"<{per}I", data, off))

    def chain(start: int) -> bytes:
        parts = []
        seen = 0
        while start < len(fat) and seen <= len(fat):
            off = (start + 1) * sector
            parts.append(data[off : off + sector])
            start = fat[start]
            seen += 1
        return b"".join(parts)

    directory = chain(first_dir)
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off : off + max(name_len - 2, 0)].decode("utf-16-le", "replace")
        if directory[off + 66] == 2 and name in names:
            start, size = struct.unpack_from("<II", directory, off + 116)
            if size < cutoff:
                return None
            return chain(start)[:size]
    return None


def _xls_scan(path: Path, sheet: str) -> tuple[dict[tuple[int, int], CellError], bool]:
    """Error cells of one sheet of an .xls (BOOLERR records and formulas whose cached
    result is an error) and whether the workbook uses the 1904 date system."""
    stream = _cfb_stream(path.read_bytes(), ("Workbook", "Book"))
    found: dict[tuple[int, int], CellError] = {}
    if stream is None:
        return found, False
    date1904 = False
    sheet_pos: int | None = None
    pos, end = 0, len(stream)
    biff8 = True
    # Workbook globals: up to the first EOF record.
    while pos + 4 <= end:
        rtype, size = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if rtype == 0x0809 and len(body) >= 2:  # BOF
            biff8 = struct.unpack_from("<H", body)[0] == 0x0600
        elif rtype == 0x0022 and len(body) >= 2:  # DATEMODE
            date1904 = struct.unpack_from("<H", body)[0] == 1
        elif rtype == 0x0085 and len(body) >= 8:  # BOUNDSHEET
            if _boundsheet_name(body, biff8) == sheet:
                sheet_pos = struct.unpack_from("<I", body)[0]
        elif rtype == 0x000A:  # EOF
            break
    if sheet_pos is None:
        return found, date1904
    pos = sheet_pos
    while pos + 4 <= end:
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x0205 and size >= 8:  # BOOLERR
            row, col, _, value, is_error = struct.unpack_from("<HHHBB", stream, pos + 4)
            if is_error:
                found[(row + 1, col)] = CellError(_BIFF_ERRORS.get(value, "#N/A"))
        elif rtype == 0x0006 and size >= 14:  # FORMULA with its cached result
            row, col = struct.unpack_from("<HH", stream, pos + 4)
            result = stream[pos + 10 : pos + 18]
            if result[6:8] == b"\xff\xff" and result[0] == 2:
                found[(row + 1, col)] = CellError(_BIFF_ERRORS.get(result[2], "#N/A"))
        elif rtype == 0x000A:  # EOF of the sheet
            break
        pos += 4 + size
    return found, date1904


def _boundsheet_name(body: bytes, biff8: bool) -> str:
    length = body[6]
    if not biff8:
        return body[7 : 7 + length].decode("cp1252", "replace")
    if body[7] & 1:
        return body[8 : 8 + 2 * length].decode("utf-16-le", "replace")
    return body[8 : 8 + length].decode("latin-1")


# ---------------------------------------------------------------------------------------
# Header row and table


def _is_blank(v: CellValue) -> bool:
    return v is None or (type(v) is str and not v.strip())


def _filled(row: list[CellValue]) -> int:
    return sum(1 for v in row if not _is_blank(v))


def _is_label(v: CellValue) -> bool:
    """Short text that is not a number: what column names look like."""
    if type(v) is not str:
        return False
    s = v.strip()
    if not s or len(s) > 60:
        return False
    try:
        float(s.replace(",", "."))
    except ValueError:
        return True
    return False


def detect_header_row(grid: Grid) -> int:
    """Index into ``grid.rows`` of the most likely header row.

    Title rows (one filled cell), notes and blank rows above the header are skipped: the
    header is the first row among the top 30 whose cells are mostly short text, that covers
    most of the columns the rows below it use, and that has data below it. Without such a
    row, the first of the widest rows near the top. Deterministic.
    """
    rows = grid.rows
    candidates = [i for i in range(min(len(rows), 30)) if _filled(rows[i]) > 0]
    if not candidates:
        return 0
    widest = max(_filled(rows[i]) for i in candidates)
    for pos, i in enumerate(candidates):
        row = rows[i]
        filled = _filled(row)
        if filled < 2 and widest >= 2:
            continue
        labels = sum(1 for v in row if _is_label(v))
        if labels * 2 < filled or labels == 0:
            continue
        below = [rows[j] for j in range(i + 1, min(len(rows), i + 7)) if _filled(rows[j])]
        if not below:
            continue
        below_width = max(_filled(r) for r in below)
        if filled * 10 < below_width * 6:
            continue
        if pos + 1 < len(candidates) and max(_filled(r) for r in below[:5]) < 1:
            continue
        return i
    for i in candidates:
        if _filled(rows[i]) == widest:
            return i
    return candidates[0]


def header_text(value: CellValue) -> str:
    """A header cell as display text: trimmed, a date as ISO date, 2026.0 as "2026"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def make_table(grid: Grid, header_index: int) -> Table:
    """The table below ``grid.rows[header_index]``, column by column.

    Blank rows are dropped, trailing columns with neither header nor data are dropped,
    duplicate and empty headers get unique names (noted in ``Table.header_notes``), and
    every column is padded to the number of data rows.

    Raises:
        SourceError: the header row is outside the data, or there is no data below it.
    """
    place = f"sheet '{grid.sheet}' of {grid.source}"
    if not grid.rows:
        raise SourceError(f"{place.capitalize()} has no data; choose another sheet or file.")
    if not 0 <= header_index < len(grid.rows):
        first, last = grid.row_numbers[0], grid.row_numbers[-1]
        raise SourceError(
            f"The chosen header row is outside the data of {place}, which is in rows "
            f"{first} to {last}; choose a header row in that range."
        )
    header = grid.rows[header_index]
    header_number = grid.row_numbers[header_index]
    data: list[list[CellValue]] = []
    numbers: list[int] = []
    for row, number in zip(
        grid.rows[header_index + 1 :], grid.row_numbers[header_index + 1 :], strict=True
    ):
        head_cell = row[0] if row else None
        # Fast path: a filled first cell; otherwise look at every cell.
        if (head_cell is not None and (type(head_cell) is not str or head_cell.strip())) or not all(
            _is_blank(v) for v in row
        ):
            data.append(row)
            numbers.append(number)
    if not data:
        raise SourceError(
            f"Row {header_number} of {place} has no data rows below it; choose the row that "
            "holds the column names above the data."
        )
    width = _used_width(header)
    for row in data:
        if len(row) > width:
            width = max(width, _used_width(row))
    headers, originals, notes = _unique_headers(header, width)
    for i, row in enumerate(data):
        if len(row) != width:
            data[i] = row[:width] if len(row) > width else row + [None] * (width - len(row))
    columns = [[row[c] for row in data] for c in range(width)]
    return Table(
        source=grid.source,
        sheet=grid.sheet,
        header_row=header_number,
        headers=headers,
        original_headers=originals,
        columns=columns,
        row_numbers=numbers,
        date1904=grid.date1904,
        header_notes=notes,
    )


def _used_width(row: list[CellValue]) -> int:
    for i in range(len(row) - 1, -1, -1):
        if not _is_blank(row[i]):
            return i + 1
    return 0


def _unique_headers(
    header: list[CellValue], width: int
) -> tuple[list[str], list[str | None], list[str]]:
    texts = [header_text(header[c]) if c < len(header) else "" for c in range(width)]
    originals: list[str | None] = []
    for c in range(width):
        v = header[c] if c < len(header) else None
        if _is_blank(v):
            originals.append(None)
        else:
            originals.append(v if isinstance(v, str) else texts[c])
    taken = {t.casefold() for t in texts if t}
    seen: dict[str, int] = {}  # casefolded name -> first column using it
    headers: list[str] = []
    notes: list[str] = []
    for c, text in enumerate(texts):
        letter = column_letter(c)
        if not text:
            name = _free(f"Column {letter}", taken)
            notes.append(f'Column {letter} has no header; it is called "{name}" here.')
        elif text.casefold() in seen:
            first = column_letter(seen[text.casefold()])
            name = _free(text, taken, start=2)
            notes.append(
                f'Columns {first} and {letter} are both called "{text}"; column {letter} is '
                f'called "{name}" here.'
            )
        else:
            name = text
            seen[text.casefold()] = c
        taken.add(name.casefold())
        headers.append(name)
    return headers, originals, notes


def _free(base: str, taken: set[str], start: int = 1) -> str:
    """``base`` itself (when start is 1 and free) or ``base (n)``, whichever is unused."""
    if start <= 1 and base.casefold() not in taken:
        return base
    n = max(start, 2)
    while f"{base} ({n})".casefold() in taken:
        n += 1
    return f"{base} ({n})"


def load_table(
    path: Path,
    sheet: str | int | None = None,
    header_row: int | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> Table:
    """Reads a sheet and returns the table below its header row.

    Args:
        path: the spreadsheet.
        sheet: a sheet name, a 0-based index, or None for the first visible sheet.
        header_row: the Excel row number (1-based) of the header row; None detects it.

    Raises:
        SourceError: the file, sheet or header row cannot be used.
        Cancelled: ``cancel`` was set.
    """
    grid = read_grid(path, sheet, progress=progress, cancel=cancel)
    index = detect_header_row(grid) if header_row is None else _header_index(grid, header_row)
    return make_table(grid, index)


def _header_index(grid: Grid, header_row: int) -> int:
    place = f"sheet '{grid.sheet}' of {grid.source}"
    first, last = grid.row_numbers[0], grid.row_numbers[-1]
    if header_row > last or header_row < 1:
        raise SourceError(
            f"Header row {header_row} is outside the data of {place}, which is in rows "
            f"{first} to {last}; choose a header row in that range."
        )
    for i, number in enumerate(grid.row_numbers):
        if number == header_row:
            return i
        if number > header_row:
            break
    raise SourceError(
        f"Row {header_row} of {place} is empty; choose the row that holds the column names "
        f"(the data starts at row {first})."
    )
