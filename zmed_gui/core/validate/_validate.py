"""Converting every mapped cell and reporting each problem on its cell.

Issue codes (stable; tests, the GUI and report files rely on them):

Errors (the row is INVALID and is not sent):
    ``missing``              a required value is empty (or a time column cell is)
    ``unparseable``          text that is not a value of the field's type
    ``wrong_type``           a cell of another kind (a date in a number field, TRUE in a date)
    ``excel_error``          the cell holds an Excel error such as #N/A
    ``not_whole``            a fraction in an integer field
    ``imprecise_number``     a whole number too long for Excel to hold exactly, in a text field
    ``ambiguous_date``       03/04/2026 in a column that never says which part is the day,
                             or that proves both orders (14/10/2026 and 10/30/2026) and
                             has no order chosen
    ``date_order_conflict``  a date against the column's day/month order (or a tied column)
    ``invalid_date``         an impossible date or time (31/02/2026, 25:00, a DST gap)
    ``time_conflict``        the date cell has a time and the time column another
    ``date_outside_period``  03/04/2026 read (in the order proved or chosen) more than 45
                             days from its column's median date: probably misread
    ``mapping``              reserved for mapping problems shown as issues
Warnings (the row is sent; the user should look):
    ``negative``             a negative number in a quantity field (Quantity, Qty, ...)
    ``future_date``          a date more than one day after now
    ``mixed_date_order``     03/04/2026 read in the chosen order in a column that proves both
    ``duplicate``            an event identical to an earlier row's event

Excluded rows get no event and no issues. While :attr:`ValidationResult.mapping_problems`
is not empty, cells are still checked (so they can be shown), but no event is built.

A field mapped to the generated row ID (``FieldSource(generated="row-id")``) is filled in
each event once its other fields are known (see :func:`zmed_gui.core.mapping.row_id`):
the ID is part of the event sent and of its hash in the journal, so a resend of the same
row is recognised; the in-file duplicate warning compares the other fields only.

This module is the public face; the work is in ``validate_mapping`` (field plans,
:func:`check_mapping`), ``validate_columns`` (converting cells), ``validate_rows``
(events, statuses and issues of rows), ``validate_duplicates`` (duplicate warnings) and
``validate_result`` (:class:`ValidationResult`, its queries and its kept counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from zmed_gui.core.convert import EMPTY, ConversionOptions
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.memory import collector_paused
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.schema import Schema
from zmed_gui.core.table import Table, share_repeated_text
from zmed_gui.core.validate._columns import SPECIAL, cell_result, convert_column, is_special
from zmed_gui.core.validate._duplicates import event_hash, forget, recheck_bucket, register
from zmed_gui.core.validate._events import EventList
from zmed_gui.core.validate._mapping import plan_fields
from zmed_gui.core.validate._result import (
    RowStatus,
    ValidationResult,
)
from zmed_gui.core.validate._rows import assemble, build_rows, fill_generated


def validate(
    table: Table,
    schema: Schema,
    mapping: Mapping,
    options: ConversionOptions,
    *,
    excluded: Iterable[int] = (),
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    now: dt.datetime | None = None,
) -> ValidationResult:
    """Convert every mapped cell of ``table`` into events and report every problem.

    ``now`` (aware) fixes the clock for the future-date warning; tests pass it.

    The cycle collector is paused meanwhile (see :mod:`zmed_gui.core.memory`): what is
    made here holds no cycles, and with a million rows its full passes over the values
    being made held the GIL 150-600 ms at a time, a few seconds in all.

    Raises:
        Cancelled: ``cancel`` was set.
    """
    with collector_paused():
        return _validate(
            table, schema, mapping, options, excluded, progress=progress, cancel=cancel, now=now
        )


def _validate(
    table: Table,
    schema: Schema,
    mapping: Mapping,
    options: ConversionOptions,
    excluded: Iterable[int],
    *,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    now: dt.datetime | None,
) -> ValidationResult:
    n = len(table)
    # Equal text cells become one object first: the events and the index come on top.
    share_repeated_text(table.columns)
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    problems, plans, generated = plan_fields(table, schema, mapping, options, moment)
    result = ValidationResult(
        table=table,
        schema=schema,
        mapping=mapping,
        options=options,
        events=EventList(n, [p.name for p in plans] + generated),
        statuses=[RowStatus.VALID] * n,
        mapping_problems=problems,
        excluded=set(excluded),
        _plans=plans,
        _generated=generated,
    )
    total = n * (len(plans) + 1)
    per_field: list[list[Any] | None] = []
    special: set[int] = set()
    gaps: list[tuple[str, list[int]]] = []  # optional field -> rows where it is empty
    for k, plan in enumerate(plans):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if plan.column is None:
            per_field.append(None)
            if is_special(plan.constant):
                special.update(range(n))
            continue
        message = f"Checking {table.column_label(plan.column)} for {plan.name}"
        progress(k * n, total, message)

        def tick(part: int, whole: int, k: int = k, message: str = message) -> None:
            progress(k * n + n * part // max(whole, 1), total, message)

        values, has_special = convert_column(table, plan, cancel, options, tick)
        per_field.append(values)
        if has_special and plan.required:
            special.update(i for i, r in enumerate(values) if is_special(r))
        elif has_special:
            # An empty optional field is common and cheap: the bulk build drops the key.
            special.update(i for i, r in enumerate(values) if r.__class__ in SPECIAL)
            empties = [i for i, r in enumerate(values) if r is EMPTY]
            if empties:
                gaps.append((plan.name, empties))
        del values  # per_field holds it; build_rows lets go of them before the index
    build_rows(result, per_field, special, gaps, progress, cancel, len(plans) * n, total)
    result.hold_back()  # with mapping problems no row is valid
    progress(total, total, "Checked")
    return result


def revalidate_rows(result: ValidationResult, rows: Iterable[int]) -> list[int]:
    """Recompute events, statuses and issues of ``rows`` after edits or (un)exclusion.

    Reads the cells from ``result.table`` and exclusion from ``result.excluded``; the
    day/month order each column was read in stays as the first validation decided.
    Duplicate warnings of other rows that shared an event with these rows are fixed up.
    Row counts and the issue list are adjusted for the rows that changed, so an edit
    costs in proportion to the rows it touches, not to the size of the table.

    Returns:
        Every row whose event, status or issues may have changed (the given rows and the
        rows sharing a duplicate group with them), sorted: the rows to repaint.
    """
    wanted = sorted({r for r in rows if 0 <= r < len(result.table)})
    if not wanted:
        return []
    hashes: set[int] = set()
    for row in wanted:
        old = forget(result, row)
        if old is not None:
            hashes.add(old)
        result.events[row] = None
        result._twins.pop(row, None)  # its issues are rebuilt without the warning
    build = not result.mapping_problems
    for row in wanted:
        if row in result.excluded:
            result.set_row(row, [], RowStatus.EXCLUDED)
            continue
        values = [cell_result(result.table, plan, row) for plan in result._plans]
        event, issues = assemble(result, row, values)
        result.set_row(row, issues)
        if event is not None and build:
            if result._generated:
                fill_generated(result, row, event)
            result.events[row] = event
            h = event_hash(event, result._generated)
            register(result, row, h)  # its warning is redone with its bucket's below
            hashes.add(h)
    touched: set[int] = set(wanted)
    changed: set[int] = set(wanted)
    for h in hashes:
        recheck_bucket(result, h, touched, changed)
    result.refresh_issues(changed)
    return sorted(touched)
