"""Converting the cells of one mapped field, column by column or cell by cell.

Each result is the converted value, or ``EMPTY``, a :class:`Problem` or a
:class:`Flagged` value (see :func:`is_special`). Columns with few distinct values are
converted once per distinct value.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from zmed_gui.core.convert import (
    EMPTY,
    ConversionOptions,
    Flagged,
    Problem,
    combine_date_time,
    count_cells,
    infer_date_order,
    to_time_of_day,
)
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.schema import FieldType
from zmed_gui.core.table import SHARE_STEP, Table
from zmed_gui.core.validate._mapping import FieldPlan

CHUNK = 10_000  # rows between progress reports and cancel checks
DISTINCT_SAMPLE = 10_000  # cells a column's repetitiveness is judged on first
# Cells per native pass (Counter, set, map): one such call holds the GIL throughout, and
# over a whole million-row column each held it 50-110 ms, freezing the window that
# waits for it (the app validates in a worker). Slices of this size hold it ~5 ms.
STEP = SHARE_STEP

SPECIAL = (Problem, Flagged)
_SPECIAL_TYPES = frozenset({*SPECIAL, type(EMPTY)})
_MISSING = object()


def is_special(r: object) -> bool:
    """A result that needs the slow path: an error, a warning or an empty cell."""
    return r is EMPTY or r.__class__ in SPECIAL


def _steps(column: Sequence[Any]) -> Any:
    """``column`` in slices of :data:`STEP` cells, for the native passes over it."""
    return (column[start : start + STEP] for start in range(0, len(column), STEP))


def _any_special(results: Sequence[Any]) -> bool:
    """Whether any result is special (:func:`is_special`), by type, in C, a slice at a
    time: EMPTY is the one instance of its type."""
    is_special_type = _SPECIAL_TYPES.__contains__
    return any(any(map(is_special_type, map(type, part))) for part in _steps(results))


def _has_bool_collision(column: Sequence[object], distinct: set[object]) -> bool:
    """True when True/1/1.0 (or False/0/0.0) both appear: dict keys would merge them."""
    if not (True in distinct or False in distinct):
        return False
    types: set[type] = set()
    for part in _steps(column):
        types.update(map(type, part))  # in C; most columns hold no bool at all
    if bool not in types or not types & {int, float}:
        return False
    kinds = {
        v.__class__ is bool for v in column if v.__class__ in (bool, int, float) and v in (0, 1)
    }
    return len(kinds) > 1


def _mostly_distinct(column: Sequence[object], sample: int = DISTINCT_SAMPLE) -> bool:
    """Whether more than half of the column's values are distinct (then a cache per value
    would cost more than it saves), judged on its first ``sample`` cells first, so an ID
    or time stamp column is never put in a set whole just to find that out."""
    head = column[:sample]
    return len(set(head)) * 2 > len(head)


def convert_column(
    table: Table,
    plan: FieldPlan,
    cancel: CancelToken | None,
    options: ConversionOptions,
    tick: Callable[[int, int], None],
) -> tuple[list[Any], bool]:
    """Per data row: the converted value (or EMPTY, Problem, Flagged) for one field.

    Also says whether any row's result is special (see :func:`is_special`). A date
    column's day/month order is decided here, from all its values, and kept on the
    plan's converter.
    """
    assert plan.column is not None
    column = table.columns[plan.column]
    distinct: set[object] | None = None
    if plan.ftype in (FieldType.DATE, FieldType.DATETIME):
        counted = count_cells(column)
        plan.converter.order = infer_date_order(counted.items(), options.date_order)
        plan.converter.learn_period(column)  # ambiguous dates far from the middle warn
        distinct = set()
        seen = iter(counted)
        while True:  # a slice at a time, as the counting above
            before = len(distinct)
            distinct.update(itertools.islice(seen, STEP))
            if len(distinct) - before < STEP:
                break
    if plan.time_column is not None:
        return _convert_with_time(table, plan, cancel, tick)
    if distinct is None and not _mostly_distinct(column):
        distinct = set()
        for part in _steps(column):
            distinct.update(part)
    if distinct is None or len(distinct) * 2 > len(column):
        # Mostly distinct values (IDs, time stamps): a cache would cost more than it saves.
        # Either way each cell gets exactly what converting it alone gives.
        out: list[Any] = []
        for start in range(0, len(column), CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            tick(start, len(column))
            out.extend(plan.converter.convert_all(column[start : start + CHUNK]))
        return out, _any_special(out)
    conv = plan.converter.convert
    if _has_bool_collision(column, distinct):
        typed: dict[tuple[bool, object], Any] = {}
        out = []
        for v in column:
            typed_key = (v.__class__ is bool, v)
            r = typed.get(typed_key, _MISSING)
            if r is _MISSING:
                r = typed[typed_key] = conv(v)
            out.append(r)
        return out, any(is_special(r) for r in typed.values())
    # Each distinct value converted once (convert_all: the common cells without a call
    # each), then every cell looked up, in C.
    keys = list(distinct)
    del distinct
    cache: dict[object, Any] = {}
    for start in range(0, len(keys), CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        tick(start, len(keys))
        part = keys[start : start + CHUNK]
        cache.update(zip(part, plan.converter.convert_all(part), strict=True))
    special = _any_special(list(cache.values()))
    get = cache.__getitem__
    out = []
    for part in _steps(column):
        out += map(get, part)  # every cell looked up, in C
    return out, special


def _convert_with_time(
    table: Table, plan: FieldPlan, cancel: CancelToken | None, tick: Callable[[int, int], None]
) -> tuple[list[Any], bool]:
    assert plan.column is not None and plan.time_column is not None
    conv = plan.converter
    dates: dict[tuple[type, object], Any] = {}
    times: dict[tuple[type, object], Any] = {}
    finals: dict[tuple[Any, Any], Any] = {}
    out: list[Any] = []
    for n, (dv, tv) in enumerate(
        zip(table.columns[plan.column], table.columns[plan.time_column], strict=True)
    ):
        dkey = (dv.__class__, dv)
        tkey = (tv.__class__, tv)
        pair = (dkey, tkey)
        r = finals.get(pair, _MISSING)
        if r is _MISSING:
            moment = dates.get(dkey, _MISSING)
            if moment is _MISSING:
                moment = dates[dkey] = conv.moment(dv)
            clock = times.get(tkey, _MISSING)
            if clock is _MISSING:
                clock = times[tkey] = to_time_of_day(tv)
            r = conv.finish(combine_date_time(moment, clock))
            r = finals[pair] = conv.check_period(dv, moment, r)
        out.append(r)
        if n % CHUNK == 0:
            if cancel is not None:
                cancel.raise_if_cancelled()
            tick(n, len(table))
    return out, any(is_special(r) for r in finals.values())


def cell_result(table: Table, plan: FieldPlan, row: int) -> Any:
    """The result of one field for one row, read from the table now."""
    if plan.column is None:
        return plan.constant
    value = table.columns[plan.column][row]
    if plan.time_column is None:
        return plan.converter(value)
    moment = plan.converter.moment(value)
    clock = to_time_of_day(table.columns[plan.time_column][row])
    result = plan.converter.finish(combine_date_time(moment, clock))
    return plan.converter.check_period(value, moment, result)
