"""The in-memory shape of a sheet: a raw grid, and a table held column by column.

Cell values are what the reader gives: ``None`` (blank), ``str``, ``int``, ``float``,
``bool``, ``datetime.datetime``, ``datetime.date``, ``datetime.time``,
``datetime.timedelta`` or :class:`CellError` (an Excel error value such as ``#N/A``).
Every data row keeps the row number the user sees in Excel (1-based), so messages can say
"sheet 'March', row 1 204, column D (Qty)".
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CellError:
    """An Excel error value in a cell (``#N/A``, ``#DIV/0!``, ``#REF!``, ...)."""

    code: str

    def __str__(self) -> str:
        return self.code


CellValue = (
    None | str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | CellError
)


def blanks_to_none(row: list[CellValue]) -> None:
    """Turn the empty strings readers use for blank cells into None, in place.

    ``list.index`` scans in C, so this is the quickest way over a million rows.
    """
    if "" not in row:
        return
    i = row.index("")
    try:
        while True:
            row[i] = None
            i = row.index("", i + 1)
    except ValueError:
        pass


SHARE_STEP = 10_000  # cells per native call over a column (share_repeated_text and others)
_TEXT_OR_BLANK = frozenset({str, type(None)})


def share_repeated_text(columns: list[list[CellValue]], sample: int = 10_000) -> int:
    """Make the equal text cells of each column one shared ``str``, in place.

    Readers give every cell its own object: a million "API_CALLS" cost 58 MB, one costs
    58 bytes. Only text is shared (equal text is the same text; equal numbers, times and
    booleans need not be: 1 == 1.0 == True), and only in columns where most values repeat
    (judged on the first ``sample`` cells, then on all). Returns how many columns changed.

    The column is walked ``SHARE_STEP`` cells at a time: ``set(column)`` and the slice
    assignment are each one C call that holds the GIL throughout, and over a whole
    million-row column they held it (and froze the window) for 0.6-1.7 s at a time. A
    column of text and blanks is shared in the same pass that finds its distinct values
    (:func:`_share_text_column`); others are walked twice (distinct values, then sharing).
    """
    changed = 0
    step = SHARE_STEP
    for column in columns:
        head = column[:sample]
        if len(set(head)) * 2 > len(head):
            continue  # mostly distinct (IDs, time stamps): nothing worth sharing
        half = len(column) // 2
        if set(map(type, head)) <= _TEXT_OR_BLANK:
            shared_all = _share_text_column(column, half, step)
            if shared_all is not None:
                changed += shared_all
                continue
        distinct: set[CellValue] = set()
        for start in range(0, len(column), step):
            distinct.update(column[start : start + step])
            if len(distinct) > half:
                break
        if len(distinct) > half:
            continue
        shared: dict[CellValue, CellValue] = {v: v for v in distinct if v.__class__ is str}
        if shared:
            get = shared.get
            for start in range(0, len(column), step):
                part = column[start : start + step]
                column[start : start + step] = map(get, part, part)  # text shared, or itself
            changed += 1
    return changed


def _share_text_column(column: list[CellValue], half: int, step: int) -> int | None:
    """share_repeated_text for a column whose head is text and blanks: one pass that both
    collects the distinct values and shares them (``dict.setdefault`` in C). 1 if shared,
    0 if more than half are distinct (stopped there: the text shared so far is equal
    text), None (and the column as it was) at a cell that is neither text nor blank,
    whose equals need not be alike (1 == 1.0 == True): the caller's general way then."""
    seen: dict[CellValue, CellValue] = {}
    put = seen.setdefault
    for start in range(0, len(column), step):
        part = column[start : start + step]
        known = len(seen)
        column[start : start + step] = map(put, part, part)
        if not set(map(type, itertools.islice(seen, known, None))) <= _TEXT_OR_BLANK:
            column[start : start + step] = part  # this step as it was (earlier ones: text)
            return None
        if len(seen) > half:
            return 0
    return 1


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_index(letters: str) -> int | None:
    """Excel letters -> 0-based column index, or None if ``letters`` is not a column name."""
    s = letters.strip().upper()
    if not s or not s.isascii() or not s.isalpha() or len(s) > 3:
        return None
    n = 0
    for ch in s:
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


@dataclass
class Grid:
    """A sheet as read, before a header row is chosen.

    ``rows[i]`` holds the cells of the sheet row numbered ``row_numbers[i]`` (1-based, as
    Excel shows it). Completely blank rows may already be left out; their numbers are then
    simply skipped. Trailing blank cells may be missing from a row.
    """

    source: str  # file name as the user knows it (no directory)
    sheet: str  # sheet name ("" is never used: CSV files get their file stem)
    rows: list[list[CellValue]]
    row_numbers: list[int]
    date1904: bool = False
    encoding: str | None = None  # a text file's encoding (Python codec name)
    encoding_guessed: bool = False  # no BOM, not UTF-8: the encoding is a guess
    notes: list[str] = field(default_factory=list)  # what reading changed or guessed


@dataclass
class Table:
    """Data rows below the chosen header row, column by column.

    ``headers`` are unique, never empty display names (duplicates get " (2)", empty
    ones "Column D"); ``original_headers`` keep what the sheet said. ``columns[c][i]`` is
    the cell of data row ``i`` in column ``c``; every column has ``len(row_numbers)`` cells.
    """

    source: str
    sheet: str
    header_row: int  # Excel row number of the header row
    headers: list[str]
    original_headers: list[str | None]
    columns: list[list[CellValue]]
    row_numbers: list[int]
    date1904: bool = False
    header_notes: list[str] = field(default_factory=list)  # e.g. "Column D had no header"
    read_notes: list[str] = field(default_factory=list)  # the grid's notes (encoding, NULs)
    encoding: str | None = None  # a text file's encoding (Python codec name)
    encoding_guessed: bool = False  # no BOM, not UTF-8: the encoding is a guess

    def __len__(self) -> int:
        return len(self.row_numbers)

    @property
    def column_count(self) -> int:
        return len(self.headers)

    def column_label(self, col: int) -> str:
        """``D (Qty)``: letter and header, as messages name a column."""
        return f"{column_letter(col)} ({self.headers[col]})"

    def where(self, row: int, col: int | None = None) -> str:
        """Where a cell is, in the user's words: ``sheet 'March', row 1204, column D (Qty)``.

        The row number is written plainly, as Excel's row heading shows it."""
        place = f"sheet '{self.sheet}', row {self.row_numbers[row]}"
        if col is not None:
            place += f", column {self.column_label(col)}"
        return place

    def row_values(self, row: int) -> list[CellValue]:
        return [col[row] for col in self.columns]

    def find_column(self, name_or_letter: str) -> int | None:
        """A column by header text (case-insensitive, trimmed) or by Excel letter."""
        wanted = name_or_letter.strip().casefold()
        for i, h in enumerate(self.headers):
            if h.strip().casefold() == wanted:
                return i
        for i, orig in enumerate(self.original_headers):
            if orig is not None and str(orig).strip().casefold() == wanted:
                return i
        idx = column_index(name_or_letter)
        if idx is not None and idx < len(self.headers):
            return idx
        return None
