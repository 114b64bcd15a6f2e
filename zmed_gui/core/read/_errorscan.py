"""What calamine 0.9.1 drops from a workbook: Excel error values (#N/A, #DIV/0!, ...) and
the date system; and whether a cell may be longer than Excel's 32,767 characters.

Error cells are recovered from the raw file: the sheet XML of an .xlsx/.xlsm, the BIFF8 cell
records of an .xls (its compound file read with olefile). :class:`SideScan` runs that
scan in a thread while calamine parses the same sheet.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree import ElementTree

import olefile

try:
    from isal import isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    isal_zlib = None  # type: ignore[assignment]

from zmed_gui.core.read._sniff import ZIP
from zmed_gui.core.table import CellError

log = logging.getLogger(__name__)


class SideScan(threading.Thread):
    """Finds error cells and the date system in the raw file while calamine parses
    (calamine releases the GIL; zlib mostly does too)."""

    def __init__(self, path: Path, sheet: str, kind: str, data: bytes | None = None) -> None:
        super().__init__(name="zmed-error-cell-scan", daemon=True)
        self._path = path
        self._sheet = sheet
        self._kind = kind
        self._data = data
        self._stop_flag = threading.Event()
        self._found: dict[tuple[int, int], CellError] = {}
        self._date1904 = False
        # Until the raw XML shows otherwise, a cell may be too long: rows are checked.
        self.maybe_long_cells = True

    def run(self) -> None:
        try:
            if self._kind == ZIP:
                self._date1904 = _xlsx_date1904(self._path, self._data)
                cells = LongRun(b"<c", CELL_CHARS)
                self._found = _xlsx_errors(
                    self._path, self._sheet, ZIP, self._stop_flag, self._data, cells
                )
                self.maybe_long_cells = cells.found or _long_shared_string(
                    self._path, self._data, self._stop_flag
                )
            else:
                self._found, self._date1904 = _xls_scan(self._path, self._sheet, self._data)
        except Exception:  # never let a side scan break reading; the log keeps the cause
            log.exception("error-cell scan of %s failed", self._path)

    def result(self) -> tuple[dict[tuple[int, int], CellError], bool]:
        self.join()
        return self._found, self._date1904

    def stop(self) -> None:
        self._stop_flag.set()
        if self.is_alive():
            self.join()


# ---------------------------------------------------------------------------------------
# .xlsx: error-typed cells in the sheet XML, workbookPr/@date1904

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_ERROR_ATTR = (b' t="e"', b" t='e'")


def _src(path: Path, data: bytes | None) -> str | io.BytesIO:
    return str(path) if data is None else io.BytesIO(data)


def _xlsx_date1904(path: Path, data: bytes | None = None) -> bool:
    try:
        with zipfile.ZipFile(_src(path, data)) as z:
            root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return False
    pr = root.find(f"{_NS_MAIN}workbookPr")
    if pr is None:
        return False
    return pr.get("date1904", "0").strip().lower() in ("1", "true")


def sheet_part(z: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding ``sheet`` of an .xlsx/.xlsm, or None."""
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


def fast_inflate(stream: IO[bytes]) -> None:
    """Let a freshly opened deflated zip member be inflated by ISA-L instead of zlib: the
    same bytes (zipfile still checks their CRC) in about half the time, which is most of
    what the side scan costs while calamine parses the same sheet."""
    if isal_zlib is None or getattr(stream, "_compress_type", None) != zipfile.ZIP_DEFLATED:
        return
    if getattr(stream, "_decompressor", None) is not None and stream.tell() == 0:
        stream._decompressor = isal_zlib.decompressobj(-15)  # type: ignore[attr-defined]


def _xlsx_errors(
    path: Path,
    sheet: str,
    kind: str,
    stop: threading.Event | None = None,
    data: bytes | None = None,
    cells: LongRun | None = None,
) -> dict[tuple[int, int], CellError]:
    """(Excel row number, 0-based column) -> error value, for one sheet of an .xlsx/.xlsm.

    Scans the decompressed sheet XML for error-typed cells; a plain byte search, so a sheet
    without errors costs little more than decompressing it.
    """
    if kind != ZIP:
        return {}
    try:
        with zipfile.ZipFile(_src(path, data)) as z:
            part = sheet_part(z, sheet)
            if part is None:
                return {}
            try:
                with z.open(part) as stream:
                    fast_inflate(stream)
                    return scan_errors(stream, stop, cells)
            except _NeedsFullParse:
                if cells is not None:
                    cells.found = True
                with z.open(part) as stream:
                    return scan_errors_slow(stream)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, EOFError) as exc:
        log.info("could not look for error cells in %s: %r", path, exc)
        return {}


CELL_CHARS = 32_767  # Excel's limit for one cell


class LongRun:
    """Whether a stream of XML has a stretch longer than ``limit`` bytes between two
    occurrences of ``marker`` (``b"<c"`` in sheet XML: a cell element; ``b"si>"`` in the
    shared strings: one string). A cell's text is never longer in characters than its
    element is in bytes, so without such a stretch no cell is over the limit, and the rows
    need no check of their own. Errs on the side of "found" (a marker cut in two by a chunk
    boundary, the XML before the first cell, a namespace prefix): that only costs the check.
    Each step jumps to the last marker within ``limit`` bytes: about one ``rfind`` per
    32 KB of XML."""

    def __init__(self, marker: bytes, limit: int) -> None:
        self.marker = marker
        self.limit = limit
        self.carry = 0  # bytes since the last marker, before the next chunk
        self.found = False

    def feed(self, chunk: bytes) -> None:
        if self.found:
            return
        if not chunk:  # the end of the stream
            self.found = self.carry > self.limit
            return
        marker, limit = self.marker, self.limit
        first = chunk.find(marker)
        if first == -1:
            self.carry += len(chunk)
            self.found = self.carry > limit
            return
        if self.carry + first > limit:
            self.found = True
            return
        pos, n = first, len(chunk)
        while n - pos > limit:
            hit = chunk.rfind(marker, pos + 1, pos + limit + len(marker))
            if hit == -1:
                self.found = True
                return
            pos = hit
        self.carry = n - chunk.rfind(marker, pos)


def _long_shared_string(path: Path, data: bytes | None, stop: threading.Event) -> bool:
    """Whether the shared strings of an .xlsx may hold a string over Excel's cell limit."""
    try:
        with zipfile.ZipFile(_src(path, data)) as z:
            names = [n for n in z.namelist() if n.lower().endswith("sharedstrings.xml")]
            if not names:
                return False
            run = LongRun(b"si>", CELL_CHARS)
            with z.open(names[0]) as stream:
                fast_inflate(stream)
                while not run.found:
                    if stop.is_set():
                        return True
                    chunk = stream.read(4 << 20)
                    run.feed(chunk)
                    if not chunk:
                        break
            return run.found
    except (OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        log.info("could not look at the shared strings of %s: %r", path, exc)
        return True


class _NeedsFullParse(Exception):
    """An error cell without an ``r`` attribute: its place needs a real parse."""


def scan_errors(
    stream: IO[bytes], stop: threading.Event | None = None, cells: LongRun | None = None
) -> dict[tuple[int, int], CellError]:
    found: dict[tuple[int, int], CellError] = {}
    overlap = 4096
    data = b""
    searched = 0  # hits starting before this offset in ``data`` are handled
    while True:
        if stop is not None and stop.is_set():
            if cells is not None:
                cells.found = True  # not looked at to the end: the rows are checked
            return found
        chunk = stream.read(4 << 20)
        if cells is not None:
            cells.feed(chunk)
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


def scan_errors_slow(stream: IO[bytes]) -> dict[tuple[int, int], CellError]:
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
# The same for .xls: the workbook stream (olefile) and a scan of BIFF8 cell records

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


def _cfb_stream(path: Path, names: tuple[str, ...], data: bytes | None = None) -> bytes | None:
    """The content of the first stream called one of ``names`` in an OLE compound file
    (olefile; its sector chains were checked before calamine saw the file)."""
    try:
        with olefile.OleFileIO(_src(path, data)) as ole:
            for name in names:
                if ole.exists(name) and ole.get_type(name) == olefile.STGTY_STREAM:
                    content: bytes = ole.openstream(name).read()
                    return content
    except (OSError, ValueError, struct.error) as exc:  # OleFileError is an OSError
        log.info("could not read the workbook stream of %s: %r", path, exc)
    return None


def _xls_scan(
    path: Path, sheet: str, data: bytes | None = None
) -> tuple[dict[tuple[int, int], CellError], bool]:
    """Error cells of one sheet of an .xls (BOOLERR records and formulas whose cached
    result is an error) and whether the workbook uses the 1904 date system."""
    stream = _cfb_stream(path, ("Workbook", "Book"), data)
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
