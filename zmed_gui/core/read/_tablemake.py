"""From a sheet's grid to its table: finding the header row, naming the columns (unique
names for duplicate and empty headers, with notes saying so) and taking the data below.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import operator
from collections.abc import Sequence

from zmed_gui.core.errors import SourceError
from zmed_gui.core.printable import printable
from zmed_gui.core.table import SHARE_STEP, CellValue, Grid, Table, column_letter

# Where a user chooses the header row, in both faces (the core sentence names both).
HEADER_ROW_CHOICE = (
    "with --header-row N in zmed-upload, or in the app with 'Column headings are in row' "
    "on the Open step"
)


def no_data_error(what: str, with_data: list[str], others: int) -> SourceError:
    """ "Sheet 'X' in f.xlsx has no data" followed by the sheets that do have data, or
    that none does."""
    if with_data:
        names = ", ".join(f"'{printable(n)}'" for n in with_data)
        many = len(with_data) > 1
        return SourceError(
            f"{what}; choose {'one of the sheets' if many else 'the sheet'} that "
            f"{'have' if many else 'has'} data: {names}."
        )
    if others:
        rest = "its other sheet has none" if others == 1 else "nor do its other sheets"
        return SourceError(f"{what}, and {rest}; check that you chose the right file.")
    return SourceError(f"{what}, and it has no other sheets; check that you chose the right file.")


def _is_blank(v: CellValue) -> bool:
    return v is None or (type(v) is str and not v.strip())


def count_filled(row: list[CellValue]) -> int:
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
    header is among the top 30 rows whose cells are mostly short text, that cover most of
    the columns the rows below them use, and that have data below them; the first such
    row that the rows right below it do not outgrow (rows of the same shape) is preferred
    over a narrower notes row above it. Without such a row, the first of the widest rows
    near the top that has rows below it (never a sheet's last row). Deterministic.
    """
    rows = grid.rows
    # Each row's filled cells, counted once (a wide sheet has thousands of cells a row).
    counts = [count_filled(rows[i]) for i in range(min(len(rows), 36))]
    candidates = [i for i in range(min(len(rows), 30)) if counts[i] > 0]
    if not candidates:
        return 0
    widest = max(counts[i] for i in candidates)
    fitting: list[int] = []
    for pos, i in enumerate(candidates):
        row = rows[i]
        filled = counts[i]
        if filled < 2 and widest >= 2:
            continue
        labels = sum(1 for v in row if _is_label(v))
        if labels * 2 < filled or labels == 0:
            continue
        below = [counts[j] for j in range(i + 1, min(len(rows), i + 7)) if counts[j]]
        if not below:
            continue
        below_width = max(below)
        if filled * 10 < below_width * 6:
            continue
        if pos + 1 < len(candidates) and max(below[:5]) < 1:
            continue
        if not fitting and _same_shape_below(filled, below):
            return i
        fitting.append(i)
        if len(fitting) > 1 and _same_shape_below(filled, below):
            return i
        if len(fitting) >= 3:
            break
    if fitting:
        return fitting[0]
    last = len(rows) - 1
    for i in candidates:
        if counts[i] == widest and i != last:
            return i
    return candidates[0]


def _same_shape_below(filled: int, below: list[int]) -> bool:
    """True unless the rows right below a candidate header (their filled-cell counts) are
    wider than it (then it is more likely a note above the real header)."""
    slack = max(1, filled // 10)
    return all(n <= filled + slack for n in below[:3])


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
    return table_from_rows(grid, header_index)


def table_from_rows(grid: Grid, header_index: int, *, lead: int = 0, raw: bool = False) -> Table:
    """:func:`make_table`, also for a grid of raw workbook rows (``raw``: blanks are "" and
    the ``lead`` empty columns left of the used range are missing from every row). A raw
    grid's rows are consumed: the list is emptied once the columns are taken from it.

    Each column is one list comprehension over the rows; no row is copied (unless ragged)
    and no blank converted row by row.
    """
    place = f"sheet '{printable(grid.sheet)}' of {printable(grid.source)}"
    rows = grid.rows
    if not rows:
        raise SourceError(f"The {place} has no data; choose another sheet or file.")
    if not 0 <= header_index < len(rows):
        first, last = grid.row_numbers[0], grid.row_numbers[-1]
        raise SourceError(
            f"The chosen header row is outside the data of {place}, which is in rows "
            f"{first} to {last}; choose a header row in that range ({HEADER_ROW_CHOICE})."
        )
    header: list[CellValue] = [None] * lead + rows[header_index]
    header_number = grid.row_numbers[header_index]
    numbers = grid.row_numbers[header_index + 1 :]
    data = rows[header_index + 1 :]
    if raw:
        rows.clear()  # the caller's list: the rows are only held by ``data`` now
    lengths = set(map(len, data))
    span = max(lengths, default=0)
    if len(lengths) > 1:  # ragged rows (text files): padded copies
        data = [r + [None] * (span - len(r)) if len(r) < span else r for r in data]
    cells = _columns(data, span, raw)
    del data
    keep = _data_rows(cells, len(numbers))
    if keep is not None:
        numbers = list(itertools.compress(numbers, keep))
        cells = [list(itertools.compress(col, keep)) for col in cells]
    if not numbers:
        raise SourceError(
            f"Row {header_number} of {place} has no data rows below it; choose the row that "
            f"holds the column names above the data ({HEADER_ROW_CHOICE})."
        )
    width = _used_width(header)
    for c in range(len(cells) - 1, -1, -1):
        if lead + c < width:
            break
        if not all(map(_is_blank, cells[c])):
            width = lead + c + 1
            break
    headers, originals, notes = _unique_headers(header, width)
    columns: list[list[CellValue]] = [
        cells[c - lead] if 0 <= c - lead < len(cells) else [None] * len(numbers)
        for c in range(width)
    ]
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
        read_notes=list(grid.notes),
        encoding=grid.encoding,
        encoding_guessed=grid.encoding_guessed,
    )


BLOCK = 1024  # rows turned into columns at a time (see _columns)
BLANK_STEP = SHARE_STEP  # cells per native pass in _blank_positions (see there)
_GONE: list[list[CellValue]] = [[]] * BLOCK  # one empty list, in the taken rows' places
_BLANK_TO_NONE = {"": None}.get  # get(v, v): calamine's blank "" as None, else v


def _columns(data: list[list[CellValue]], span: int, raw: bool) -> list[list[CellValue]]:
    """The ``span`` columns of ``data``'s rows (each exactly ``span`` long); ``raw``:
    calamine's blank "" as None. ``data`` is emptied on the way.

    A block of rows at a time, transposed by ``zip(*block)`` in C: the block's row lists
    stay in the CPU cache for all its columns (a pass over a million rows per column
    fetched every row list from memory once per column), and each block's rows are freed
    once taken, so the rows and the columns are never both whole.
    """
    cells: list[list[CellValue]] = [[] for _ in range(span)]
    step = BLOCK
    for start in range(0, len(data), step):
        block = data[start : start + step]
        for col, part in zip(cells, zip(*block, strict=True), strict=True):
            if raw and "" in part:
                col += map(_BLANK_TO_NONE, part, part)
            else:
                col += part
        data[start : start + step] = _GONE[: len(block)]  # the rows go with ``block``
    data.clear()
    return cells


def _data_rows(cells: list[list[CellValue]], height: int) -> list[bool] | None:
    """Which of ``height`` rows (given column by column) have a filled cell; None when all
    do. Only rows whose first cell is blank are looked at across."""
    if not cells:
        return [False] * height
    suspects = _blank_positions(cells[0])
    if not suspects:
        return None
    empty = [i for i in suspects if all(_is_blank(col[i]) for col in cells)]
    if not empty:
        return None
    keep = [True] * height
    for i in empty:
        keep[i] = False
    return keep


def _blank_positions(column: list[CellValue]) -> list[int]:
    """The positions of ``column``'s blank cells (:func:`_is_blank`), in order.

    Found with a few passes in C (it runs over every row): the None cells, and the text
    cells that strip to nothing. A slice of ``BLANK_STEP`` cells at a time: each pass is
    one call that holds the GIL, and over a whole million-row column the passes held it
    ~100 ms at a time while the window waited.
    """
    found: list[int] = []
    for start in range(0, len(column), BLANK_STEP):
        found += _blank_positions_in(column[start : start + BLANK_STEP], start)
    return found


def _blank_positions_in(column: list[CellValue], first: int) -> list[int]:
    """:func:`_blank_positions` of one slice whose first cell is row ``first``."""
    rows = range(first, first + len(column))
    nones = list(itertools.compress(rows, map(operator.is_, column, itertools.repeat(None))))
    kinds = set(map(type, column))
    if str not in kinds:
        return nones
    if kinds == {str}:
        texts: list[str] = column  # type: ignore[assignment]
        places: Sequence[int] = rows
    else:
        is_text = list(map(operator.is_, map(type, column), itertools.repeat(str)))
        places = list(itertools.compress(rows, is_text))
        texts = list(itertools.compress(column, is_text))  # type: ignore[arg-type]
    spaces = list(itertools.compress(places, map(operator.not_, map(str.strip, texts))))
    if not nones:
        return spaces
    if not spaces:
        return nones
    return sorted(nones + spaces)


def _used_width(row: list[CellValue]) -> int:
    for i in range(len(row) - 1, -1, -1):
        if not _is_blank(row[i]):
            return i + 1
    return 0


NOTES_EACH = 3  # up to this many renamed columns get a note each; more get one summary


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
    names = _Names({t.casefold() for t in texts if t})
    seen: dict[str, int] = {}  # casefolded name -> first column using it
    headers: list[str] = []
    unnamed: list[str] = []
    same: list[str] = []
    shared: set[str] = set()  # the casefolded names that more than one column has
    for c, text in enumerate(texts):
        letter = column_letter(c)
        if not text:
            name = names.free(f"Column {letter}")
            unnamed.append(f'Column {letter} has no header; it is called "{name}" here.')
        elif text.casefold() in seen:
            first = column_letter(seen[text.casefold()])
            name = names.free(text, start=2)
            shared.add(text.casefold())
            same.append(
                f'Columns {first} and {letter} are both called "{text}"; column {letter} is '
                f'called "{name}" here.'
            )
        else:
            name = text
            seen[text.casefold()] = c
        names.take(name)
        headers.append(name)
    notes = _summarised(same, unnamed, len(shared))
    return headers, originals, notes


def _summarised(same: list[str], unnamed: list[str], shared: int) -> list[str]:
    """The renaming notes, one each when few, else one sentence per kind (a wide export
    can have thousands of columns called TRUE: nobody reads a note per column)."""
    notes: list[str] = []
    if len(same) <= NOTES_EACH:
        notes += same
    else:
        kinds = "a name" if shared == 1 else f"one of {shared:,} names"
        notes.append(
            f"{len(same):,} columns share {kinds} with an earlier column; they were "
            f'numbered ("Name (2)", "Name (3)", ...).'
        )
    if len(unnamed) <= NOTES_EACH:
        notes += unnamed
    else:
        notes.append(
            f"{len(unnamed):,} columns have no header; each is called by its letter "
            f'("Column G", ...).'
        )
    return notes


class _Names:
    """The names taken so far, casefolded, and for each base the next number to try, so
    numbering thousands of columns with one name does not rescan from "(2)" each time."""

    def __init__(self, taken: set[str]) -> None:
        self._taken = taken
        self._next: dict[str, int] = {}

    def take(self, name: str) -> None:
        self._taken.add(name.casefold())

    def free(self, base: str, start: int = 1) -> str:
        """``base`` itself (when start is 1 and free) or ``base (n)``, whichever is
        unused. Names are only ever added, so a number once taken stays taken."""
        key = base.casefold()
        if start <= 1 and key not in self._taken:
            return base
        n = max(start, 2, self._next.get(key, 2))
        while f"{key} ({n})" in self._taken:
            n += 1
        self._next[key] = n + 1
        return f"{base} ({n})"


def header_row_index(grid: Grid, header_row: int) -> int:
    place = f"sheet '{printable(grid.sheet)}' of {printable(grid.source)}"
    first, last = grid.row_numbers[0], grid.row_numbers[-1]
    if header_row > last or header_row < 1:
        raise SourceError(
            f"Header row {header_row} is outside the data of {place}, which is in rows "
            f"{first} to {last}; choose a header row in that range ({HEADER_ROW_CHOICE})."
        )
    for i, number in enumerate(grid.row_numbers):
        if number == header_row:
            return i
        if number > header_row:
            break
    raise SourceError(
        f"Row {header_row} of {place} is empty; choose the row that holds the column names "
        f"(the data starts at row {first}) {HEADER_ROW_CHOICE}."
    )
