"""The Results sheets' XML written by hand, a chunk of rows at a time, straight into the zip.

openpyxl spends most of a big report's time on each cell (a Python object, its style, an
lxml element). Here a chunk of rows becomes one string: every column of the chunk is turned
into its cells' XML at once (one comprehension per column, a type at a time, with C-speed
checks that no cell of it needs more care), the rows that :meth:`Layout.special_rows`
names are laid out with :meth:`Layout.row` and each of their cells written on its own.

Every cell is written as openpyxl's write-only writer wrote it (the reference the tests
compare against cell by cell): text as an inline string (``t="inlineStr"``, never a
formula: text starting with "=" stays text), numbers as ``"%.16g"``, booleans ``t="b"``,
Excel error codes ``t="e"``, dates, times and durations as serial numbers with openpyxl's
number formats, illegal control characters removed and text cut at Excel's 32,767
characters (:func:`~zmed_gui.core.report._cells.xlsx_value`). The styles (fills, number
formats) are registered in the openpyxl workbook that writes the rest of the file, so its
``styles.xml`` holds them and :class:`Styles` knows their numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from itertools import chain
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from zmed_gui.core.report._cells import AMBER, EXCEL_MAX_TEXT, RED, xlsx_value
from zmed_gui.core.report._layout import Layout

_NUMBER = "%.16g".__mod__  # openpyxl's safe_string for numbers
_ERRORS = frozenset(ERROR_CODES)
_ESCAPE_NEEDED = re.compile(r"[&<>\r]")
_FIRST = operator.itemgetter(slice(0, 1))
_LAST = operator.itemgetter(slice(-1, None))
# The number format openpyxl gives each kind of date cell (datetime before date: a subclass).
_DATE_KINDS: tuple[tuple[type, str], ...] = (
    (dt.datetime, "yyyy-mm-dd h:mm:ss"),
    (dt.date, "yyyy-mm-dd"),
    (dt.time, "h:mm:ss"),
    (dt.timedelta, "[hh]:mm:ss"),
)
_FILLS: tuple[PatternFill | None, ...] = (None, RED, AMBER)


class Styles:
    """The style numbers (``s="..."``) of the report's cells, registered in ``ws``'s workbook.

    Keyed by (date kind or None, fill or None): a fill alone, a date format alone, both;
    the fills are the layout's own RED and AMBER (:mod:`._cells`), known by identity.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ids: dict[tuple[type | None, int | None], str] = {}
        for kind, number_format in ((None, None), *_DATE_KINDS):
            for fill in _FILLS:
                if kind is None and fill is None:
                    continue
                cell = WriteOnlyCell(ws)
                if number_format is not None:
                    cell.number_format = number_format
                if fill is not None:
                    cell.fill = fill
                self.ids[(kind, None if fill is None else id(fill))] = str(cell.style_id)
        # (kind or None, id(fill or None)) -> the cell's style attribute, "" for none.
        self.attr: dict[tuple[type | None, int], str] = {(None, id(None)): ""}
        for (kind, fill_id), number in self.ids.items():
            self.attr[(kind, id(None) if fill_id is None else fill_id)] = f' s="{number}"'

    def of(self, kind: type | None, fill: PatternFill | None) -> str | None:
        if kind is None and fill is None:
            return None
        return self.ids[(kind, None if fill is None else id(fill))]


def escape(text: str) -> str:
    """``text`` as XML character data (``\\r`` kept as a reference, as lxml writes it)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _date_kind(value: Any) -> type | None:
    for kind, _ in _DATE_KINDS:
        if isinstance(value, kind):
            return kind
    return None


def cell_xml(ref: str, raw: Any, fill: PatternFill | None, styles: Styles) -> str:
    """One cell as openpyxl's write-only writer writes it ("" for an empty, plain cell)."""
    cls = raw.__class__
    # The most common cells first: plain text, finite numbers.
    if (
        cls is str
        and raw
        and len(raw) <= EXCEL_MAX_TEXT
        and raw == raw.strip()
        and raw not in _ERRORS
        and ILLEGAL_CHARACTERS_RE.search(raw) is None
    ):
        s = styles.attr[(None, id(fill))]
        return f'<c r="{ref}"{s} t="inlineStr"><is><t>{escape(raw)}</t></is></c>'
    if (cls is int or cls is float) and math.isfinite(raw):
        s = styles.attr[(None, id(fill))]
        return f'<c r="{ref}"{s} t="n"><v>{_NUMBER(raw)}</v></c>'
    value = xlsx_value(raw)
    if value is None:
        style = styles.of(None, fill)
        return "" if style is None else f'<c r="{ref}" s="{style}" t="n"/>'
    kind = _date_kind(value)
    s = styles.attr[(kind, id(fill))]
    if kind is not None:
        return f'<c r="{ref}"{s} t="n"><v>{_NUMBER(to_excel(value))}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{_NUMBER(value)}</v></c>'
    if isinstance(value, int | float):
        text = _NUMBER(value) if math.isfinite(value) else ""
        return f'<c r="{ref}"{s} t="n"><v>{text}</v></c>'
    if not isinstance(value, str):
        value = xlsx_value(str(value))  # not a cell type: its text (openpyxl refused it)
    value = str(value)  # a str subclass (an enum) as its plain text
    if value == "":
        return f'<c r="{ref}"{s} t="inlineStr"/>'  # openpyxl writes it: empty text
    if value in _ERRORS:
        return f'<c r="{ref}"{s} t="e"><v>{value}</v></c>'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'


def _column_xml(
    letter: str, numbers: list[str], values: list[Any], styles: Styles, dates: dict[Any, str]
) -> list[str]:
    """The cells of one column of a chunk (``numbers``: the rows' numbers in the sheet).

    One comprehension for a column of one kind whose cells need no care (no illegal
    character, over-long text, error code, edge whitespace, infinite number); any other
    column cell by cell with :func:`cell_xml`.
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return [""] * len(values)
    if kinds == {str}:
        texts = [v for v in values if v is not None] if None in values else values
        joined = "".join(texts)
        if (
            not ILLEGAL_CHARACTERS_RE.search(joined)
            and max(map(len, texts)) <= EXCEL_MAX_TEXT
            and _ERRORS.isdisjoint(texts)
            and not any(map(str.isspace, map(_FIRST, texts)))
            and not any(map(str.isspace, map(_LAST, texts)))
        ):
            if _ESCAPE_NEEDED.search(joined):
                values = [v if v is None else escape(v) for v in values]
            head = f'<c r="{letter}'
            tail = '" t="inlineStr"><is><t>'
            empty = '" t="inlineStr"/>'
            return [
                ""
                if v is None
                else f"{head}{n}{tail}{v}</t></is></c>"
                if v
                else f"{head}{n}{empty}"
                for n, v in zip(numbers, values, strict=True)
            ]
    elif kinds <= {int, float}:
        texts = [_NUMBER(v) if v is not None else "" for v in values]
        if "n" not in "".join(texts):  # no nan, no inf
            head = f'<c r="{letter}'
            return [
                "" if v == "" else f'{head}{n}" t="n"><v>{v}</v></c>'
                for n, v in zip(numbers, texts, strict=True)
            ]
    elif kinds == {dt.datetime} and not any(v.tzinfo for v in values if v is not None):
        style = styles.of(dt.datetime, None)
        head = f'<c r="{letter}'
        tail = f'" s="{style}" t="n"><v>'
        out = []
        get = dates.get
        for n, v in zip(numbers, values, strict=True):
            if v is None:
                out.append("")
                continue
            serial = get(v)
            if serial is None:
                serial = dates[v] = _NUMBER(to_excel(v))
            out.append(f"{head}{n}{tail}{serial}</v></c>")
        return out
    return [cell_xml(f"{letter}{n}", v, None, styles) for n, v in zip(numbers, values, strict=True)]


def sheet_rows(
    layout: Layout,
    start: int,
    stop: int,
    first_row: int,
    styles: Styles,
    dates: dict[Any, str],
) -> str:
    """The ``<row>`` elements of data rows ``[start, stop)``, the first at sheet row
    ``first_row``."""
    table = layout.table
    count = stop - start
    numbers = list(map(str, range(first_row, first_row + count)))
    columns: list[list[Any]] = [table.row_numbers[start:stop]]
    columns += [col[start:stop] for col in table.columns]
    columns += layout.plain_tails(start, stop)
    letters = [get_column_letter(c) for c in range(1, len(columns) + 1)]
    cells = [
        _column_xml(letter, numbers, values, styles, dates)
        for letter, values in zip(letters, columns, strict=True)
    ]
    # A special row's number and cells are the plain row's (written above) but for the
    # filled ones; from Status on it is its own: those columns of the special rows are
    # written as columns too, then each filled cell on its own.
    special = layout.special_rows(start, stop)
    if special:
        own = 1 + table.column_count
        laid = [layout.row(i) for i in special]
        places = [i - start for i in special]
        where = [numbers[k] for k in places]
        for c in range(own, len(columns)):
            theirs = _column_xml(letters[c], where, [r.values[c] for r in laid], styles, dates)
            column = cells[c]
            for k, xml in zip(places, theirs, strict=True):
                column[k] = xml
        for k, row in zip(places, laid, strict=True):
            for c, fill in row.fills.items():
                ref = f"{letters[c]}{numbers[k]}"
                cells[c][k] = cell_xml(ref, row.values[c], fill, styles)
    opens = [f'<row r="{n}">' for n in numbers]
    closes = ["</row>"] * count
    return "".join(chain.from_iterable(zip(opens, *cells, closes, strict=True)))


def split_sheet(xml: bytes) -> tuple[bytes, bytes]:
    """openpyxl's sheet XML (its header row only) cut where the data rows go."""
    at = xml.rindex(b"</sheetData>")
    return xml[:at], xml[at:]
