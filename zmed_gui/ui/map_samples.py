"""Samples of the table for the Map step: the first values as they will be sent, and the
column heads automatic matching looks at. Plain functions on core objects, no widgets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.mapping import FieldSource
from zmed_gui.core.schema import FieldType, SchemaField
from zmed_gui.core.table import Table

SAMPLE_ROWS = 5
_ORDER_SAMPLE_ROWS = 300


# A date column's day/month order as the validator decides it, from every cell (read in
# a worker, see map_dateorder.date_orders_job), by (column, the date order option).
DateOrders = dict[tuple[int, Any], Any]
READING_DATES = "Reading the column's dates…"


def sample_text(
    table: Table,
    field: SchemaField,
    src: FieldSource,
    options: ConversionOptions,
    rows: int,
    orders: DateOrders | None = None,
) -> str:
    """The first values of a field as they will be sent (cheap: a handful of cells).

    A date column's day/month order comes from ``orders`` (the whole column, as the
    validator reads it); a column longer than a few hundred rows that ``orders`` does not
    hold yet shows READING_DATES rather than a guess from its first rows.
    """
    if any(
        c is not None and not 0 <= c < table.column_count for c in (src.column, src.time_column)
    ):
        return ""  # a column of another table: never shown, never an IndexError
    if src.generated is not None:
        return "zmed-… (a stable ID per row, made when the rows are checked)"
    from collections import Counter

    from zmed_gui.core import convert

    date_like = field.type in (FieldType.DATE, FieldType.DATETIME)
    try:
        zone = convert.resolve_timezone(options.timezone) if date_like else dt.UTC
    except ZmedError as exc:
        return str(exc)
    order = None
    if date_like and src.column is not None:
        known = (orders or {}).get((src.column, options.date_order))
        column = table.columns[src.column]
        if known is not None:
            order = known
        elif len(column) <= _ORDER_SAMPLE_ROWS:  # the whole column: cheap here
            order = convert.infer_date_order(Counter(column).items(), options.date_order)
        elif options.date_order in (convert.DateOrder.DMY, convert.DateOrder.MDY):
            head = column[:_ORDER_SAMPLE_ROWS]  # the order is given: nothing to decide
            order = convert.infer_date_order(Counter(head).items(), options.date_order)
        else:
            return READING_DATES  # the worker reads every cell; its answer refreshes this
    try:
        converter = convert.FieldConverter(
            field.type,
            options,
            zone=zone,
            date1904=table.date1904,
            order=order,
            warn_negative=field.type in (FieldType.NUMBER, FieldType.INTEGER)
            and convert.is_quantity_field(field.name),
            date_format=field.date_format,
        )
    except ZmedError as exc:  # the field's own date format cannot be written
        return str(exc)
    if src.constant is not None:
        return _result_text(converter(src.constant))
    values: list[str] = []
    for i in range(min(rows, len(table))):
        raw = table.columns[src.column][i] if src.column is not None else None
        if src.time_column is not None and date_like:
            clock = convert.to_time_of_day(table.columns[src.time_column][i])
            result = converter.finish(convert.combine_date_time(converter.moment(raw), clock))
        else:
            result = converter(raw)
        values.append(_result_text(result))
    return "   ".join(values)  # map_grid.SAMPLE_SEPARATOR: whole values are shown


def _result_text(result: Any) -> str:
    from zmed_gui.core import convert

    if result is convert.EMPTY:
        return "(blank)"
    if isinstance(result, convert.Problem):
        return f"\u26a0 {result.message}"
    if isinstance(result, convert.Flagged):
        return f"{result.value} \u26a0"
    if isinstance(result, bool):
        return "true" if result else "false"
    return str(result)
