"""Workbooks through python-calamine: opening one (with messages for password-protected and
damaged files), choosing a sheet, and turning calamine's rows into grid rows (blanks as
None, recovered error cells put back, Excel row numbers and column letters kept).
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import io
import itertools
import logging
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

import python_calamine as calamine

from zmed_gui.core.errors import SourceError
from zmed_gui.core.printable import printable
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.read._decrypt import password_needed
from zmed_gui.core.read._guard import EXCEL_MAX_CELL_CHARS
from zmed_gui.core.read._sniff import CFB, ENCRYPTED, ODS, ZIP
from zmed_gui.core.table import CellError, CellValue, blanks_to_none, column_letter

log = logging.getLogger(__name__)

# Rows taken from calamine per call: taking them is one native call that holds the GIL
# (it makes every cell's Python object), so the window waits for the whole chunk. 10,000
# rows held it for 100-270 ms on a busy 2-core machine; 2,000 keep it a fifth of that.
_CHUNK = 2_000
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


_BIFF8_GLOBALS_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"
_FILEPASS = 0x002F


def _xls_globals(path: Path, data: bytes | None = None) -> tuple[str | None, int | None]:
    """What the first records of an .xls's workbook globals say: the password protection
    ("xor", "rc4" or None, from a FILEPASS record) and the CODEPAGE. Looks at the first
    64 KB only (both records come right after BOF, before any sheet record)."""
    if data is not None:
        head = data[:65536]
    else:
        try:
            with path.open("rb") as f:
                head = f.read(65536)
        except OSError:
            return None, None
    pos = head.find(_BIFF8_GLOBALS_BOF)
    if pos == -1:
        return None, None
    pos += 4 + 16
    codepage: int | None = None
    for _ in range(64):
        if pos + 6 > len(head):
            break
        typ, size = struct.unpack_from("<HH", head, pos)
        if typ == _FILEPASS:
            scheme = struct.unpack_from("<H", head, pos + 4)[0]
            return ("xor" if scheme == 0 else "rc4"), codepage
        if typ == 0x0042 and size == 2:  # CODEPAGE
            codepage = struct.unpack_from("<H", head, pos + 4)[0]
        if typ in (0x0085, 0x00FC, 0x000A):  # BOUNDSHEET, SST, EOF: past the start
            break
        pos += 4 + size
    return None, codepage


def xls_protection(path: Path) -> str | None:
    """ "xor" or "rc4" when an .xls is protected with a password (FILEPASS), else None."""
    return _xls_globals(path)[0]


def xls_text_codec(path: Path, data: bytes | None = None) -> str:
    """The Python codec calamine decoded 8-bit text of this .xls with (its CODEPAGE;
    Windows-1252 when there is none or it is UTF-16)."""
    codepage = _xls_globals(path, data)[1]
    if codepage is None or codepage in (1200, 0x8000, 0x8001, 367):
        return "cp1252"
    codec = "mac-roman" if codepage == 10000 else f"cp{codepage}"
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return "cp1252"


def open_workbook(path: Path, kind: str, data: bytes | None = None) -> calamine.CalamineWorkbook:
    """Opens a workbook with calamine (``data``: the decrypted bytes of a protected one).

    Raises:
        PasswordNeeded: the file is protected with a password and ``data`` is None.
        SourceError: it cannot be opened.
    """
    name = printable(path.name)
    if data is None and (kind == ENCRYPTED or (kind == CFB and xls_protection(path))):
        raise password_needed(path, wrong=False)
    suffix = path.suffix.lower()
    expected = {ZIP: (".xlsx", ".xlsm"), ODS: (".ods",), CFB: (".xls",)}[kind]
    try:
        if data is not None:
            return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if suffix in expected:
            return calamine.CalamineWorkbook.from_path(str(path))
        # The name says one format, the bytes another: let calamine look at the bytes.
        with path.open("rb") as f:
            return calamine.CalamineWorkbook.from_filelike(f)
    except calamine.PasswordError:
        if data is None:
            raise password_needed(path, wrong=False) from None
        raise SourceError(
            f"{name} is protected with a password; open it in Excel, remove the password, "
            "save it and open it again."
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises its own errors and pyo3 panics
        raise damaged_error(path, kind, exc) from None


def damaged_error(path: Path, kind: str, exc: BaseException) -> SourceError:
    log.info("calamine could not read %s (%s): %r", path, kind, exc)
    name = printable(path.name)
    if kind == CFB and path.suffix.lower() != ".xls":
        return SourceError(
            f"{name} is an old-style Office file but not a workbook that can be read; "
            "open it in Excel and save it as .xlsx, then open that file."
        )
    return SourceError(
        f"{name} is damaged or incomplete (perhaps a download or copy was cut short); "
        "open it in Excel and save it again, or ask the sender for a fresh copy."
    )


def pick_sheet(path: Path, wb: calamine.CalamineWorkbook, sheet: str | int | None) -> str:
    names = list(wb.sheet_names)
    fname = printable(path.name)
    if not names:
        raise SourceError(f"{fname} has no sheets; open it in Excel and check its content.")
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
            f"{fname} has no sheet number {sheet + 1}; it has {len(names)} "
            f"sheet{'s' if len(names) != 1 else ''}: {quoted_names(names)}."
        )
    if sheet in names:
        return sheet
    wanted = sheet.strip().casefold()
    for n in names:
        if n.strip().casefold() == wanted:
            return n
    raise SourceError(
        f"{fname} has no sheet named '{printable(sheet)}'; choose one of its sheets: "
        f"{quoted_names(names)}."
    )


def quoted_names(names: list[str]) -> str:
    return ", ".join(f"'{printable(n)}'" for n in names)


_CONTROLS = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def _as_bytes(value: str, codec: str) -> bytes | None:
    out = bytearray()
    for ch in value:
        try:
            out += ch.encode(codec)
        except UnicodeEncodeError:
            if ord(ch) > 255:
                return None
            out.append(ord(ch))  # a byte the codepage leaves undefined, passed through
    return bytes(out)


def needs_repair(value: str) -> bool:
    """True when a cell text holds a NUL or another control character no cell types."""
    return not _CONTROLS.isdisjoint(value)


def repair_nuls(value: str, codec: str = "cp1252") -> str:
    """The letters Excel shows for a cell text that calamine decoded wrongly, and never a
    NUL ("J\\x00a\\x00n\\x00\xac " -> "Jan\u20ac").

    Old .xls files whose CODEPAGE record says an 8-bit code page (``codec``) but whose
    strings are stored as UTF-16 come out of calamine as the UTF-16 bytes read in that code
    page: a NUL (or another control character) after every letter. Those bytes are put
    back together and read as UTF-16. Any other NUL is dropped."""
    data = _as_bytes(value, codec)
    if data is not None and len(data) % 2 == 0 and data:
        high = data[1::2]
        if max(high) < 0x30 and min(high) < 0x20 and 0 not in data[0::2]:
            try:
                text = data.decode("utf-16-le")
            except UnicodeDecodeError:
                text = ""
            if text and not needs_repair(text):
                return text
    return value.replace("\x00", "")


def collect_rows(
    path: Path,
    cal_sheet: calamine.CalamineSheet,
    errors: dict[tuple[int, int], CellError],
    text_errors: bool,
    max_rows: int | None,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    nul_rows: list[int] | None = None,
    codec: str = "cp1252",
    check_cells: bool = True,
) -> tuple[list[list[CellValue]], list[int]]:
    """The sheet's non-blank rows and their Excel numbers, as grid rows: blanks as None and
    the empty columns left of the used range present (see :func:`collect_raw_rows` for the
    arguments).

    Raises:
        SourceError: a cell is longer than Excel's limit, naming sheet, row and column.
    """
    rows, numbers, lead = collect_raw_rows(
        path,
        cal_sheet,
        errors,
        text_errors,
        max_rows,
        progress,
        cancel,
        nul_rows,
        codec,
        check_cells,
    )
    to_grid_rows(rows, lead)
    return rows, numbers


def to_grid_rows(rows: list[list[CellValue]], lead: int) -> None:
    """Raw rows (see :func:`collect_raw_rows`) made grid rows, in place: blanks as None,
    and ``lead`` empty cells in front."""
    pad: list[CellValue] = [None] * lead
    for i, row in enumerate(rows):
        blanks_to_none(row)
        if lead:
            rows[i] = pad + row


def collect_raw_rows(
    path: Path,
    cal_sheet: calamine.CalamineSheet,
    errors: dict[tuple[int, int], CellError],
    text_errors: bool,
    max_rows: int | None,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    nul_rows: list[int] | None = None,
    codec: str = "cp1252",
    check_cells: bool = True,
) -> tuple[list[list[CellValue]], list[int], int]:
    """The sheet's non-blank rows as calamine gives them (a blank cell is "", and the empty
    columns left of the used range are missing), their Excel numbers, and how many such
    empty columns there are. Recovered error cells are put in.

    With ``nul_rows`` (a list to fill), text cells are freed of NUL characters (see
    :func:`repair_nuls`, ``codec`` the workbook's code page) and the rows where that
    happened are appended to it. With ``check_cells`` (the raw file may hold one), a text
    cell over Excel's 32,767 characters is refused. ``text_errors``: a text cell that is
    exactly an error code is taken as that error (.ods).

    Rows are taken from calamine 2,000 at a time, with no Python work per cell unless one
    of those three asks for it: a chunk without blank rows is appended whole.

    Raises:
        SourceError: a cell is longer than Excel's limit, naming sheet, row and column.
    """
    rows: list[list[CellValue]] = []
    numbers: list[int] = []
    start = cal_sheet.start
    if start is None:  # an empty sheet (iter_rows would panic on it)
        return rows, numbers, 0
    first_row, first_col = start
    total = cal_sheet.height
    message = f"Reading sheet '{cal_sheet.name}' of {path.name}"
    by_row: dict[int, list[tuple[int, CellError]]] = {}
    for (r, c), err in errors.items():
        if c >= first_col:
            by_row.setdefault(r, []).append((c - first_col, err))
    limit = max_rows if max_rows is not None else -1
    per_cell = check_cells or text_errors or nul_rows is not None
    it: Iterator[list[CellValue]] = iter(cal_sheet.iter_rows())  # type: ignore[arg-type]
    # iter_rows first yields one padding row per empty row above the used range.
    for _ in range(first_row):
        next(it, None)
    number = first_row  # the Excel number of the last row taken
    done = 0
    empty: list[CellValue] = []
    while True:
        chunk = list(itertools.islice(it, _CHUNK))
        if not chunk:
            break
        full = len(chunk) == _CHUNK
        base = number + 1
        number += len(chunk)
        if by_row:
            for n in range(base, number + 1):
                if n in by_row:
                    row = chunk[n - base]
                    for c, err in by_row[n]:
                        if c < len(row):
                            row[c] = err
        if len(empty) != len(chunk[0]):
            empty = [""] * len(chunk[0])
        # A blank row is all "" (calamine's rows are all as wide as the used range).
        if chunk.count(empty):
            kept = [i for i, row in enumerate(chunk) if row.count("") != len(row)]
            chunk = [chunk[i] for i in kept]
            chunk_numbers: Iterable[int] = [base + i for i in kept]
        else:
            chunk_numbers = range(base, number + 1)
        if per_cell:
            for row, n in zip(chunk, chunk_numbers, strict=True):
                _check_row(path, cal_sheet.name, row, n, first_col, check_cells, text_errors)
                if nul_rows is not None:
                    _repair_row(row, n, nul_rows, codec)
        rows += chunk
        numbers += chunk_numbers
        if 0 <= limit <= len(rows):
            del rows[limit:], numbers[limit:]
            break
        if full:  # every 2,000 rows, as the rows are taken
            done += _CHUNK
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(done, total, message)
    progress(total, total, message)
    return rows, numbers, first_col


def _check_row(
    path: Path,
    sheet: str,
    row: list[CellValue],
    number: int,
    first_col: int,
    check_cells: bool,
    text_errors: bool,
) -> None:
    if check_cells:
        for i, v in enumerate(row):
            if type(v) is str and len(v) > EXCEL_MAX_CELL_CHARS:
                raise long_cell_error(path, sheet, number, first_col + i, len(v))
    if text_errors:
        for i, v in enumerate(row):
            if type(v) is str and v in _ERROR_CODES:
                row[i] = CellError(v)


def _repair_row(row: list[CellValue], number: int, nul_rows: list[int], codec: str) -> None:
    for i, v in enumerate(row):
        if type(v) is str and needs_repair(v):
            repaired = repair_nuls(v, codec)
            if repaired == v:
                continue
            row[i] = repaired or None
            if not nul_rows or nul_rows[-1] != number:
                nul_rows.append(number)


def long_cell_error(path: Path, sheet: str, row: int, column: int, length: int) -> SourceError:
    """A cell longer than Excel's limit: no spreadsheet program writes one (Excel cuts the
    text when it opens the file), and no usage value is that long, so the file is refused
    rather than a value sent that the sender never saw whole."""
    cell = f"{column_letter(column)}{row}"
    return SourceError(
        f"Cell {cell} of sheet '{printable(sheet)}' in {printable(path.name)} (row {row:,}, "
        f"column {column_letter(column)}) holds {length:,} characters, more than the "
        f"{EXCEL_MAX_CELL_CHARS:,} a cell can hold in Excel; shorten or clear that cell and "
        "save the file again (Excel itself would cut it)."
    )


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Creating a million row lists makes the cyclic GC run over and over for nothing
    (rows hold no cycles); pausing it roughly halves the time to build a big grid."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
