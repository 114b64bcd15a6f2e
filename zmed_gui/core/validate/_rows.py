"""Turning the per-field results of each row into its event, status and issues."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Any

from zmed_gui.core.convert import EMPTY, Flagged, Problem
from zmed_gui.core.mapping import row_id
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.table import Table
from zmed_gui.core.validate._columns import CHUNK
from zmed_gui.core.validate._duplicates import event_hash, find_duplicates
from zmed_gui.core.validate._result import (
    Issue,
    RowStatus,
    Severity,
    ValidationResult,
    status_of,
)


def _sentence(table: Table, row: int, column: int | None, field_name: str, text: str) -> str:
    place = table.where(row, column)
    lead = f"{place[0].upper()}{place[1:]}"
    if column is None:
        return f"{lead}, field {field_name} (a constant): {text}."
    return f"{lead}, field {field_name}: {text}."


def assemble(
    result: ValidationResult, row: int, values: Iterable[Any]
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """The event and issues of one row from its per-field results."""
    table = result.table
    event: dict[str, Any] = {}
    issues: list[Issue] = []
    bad = False
    for plan, r in zip(result._plans, values, strict=True):
        cls = r.__class__
        if cls is Problem:
            column = plan.time_column if r.on_time else plan.column
            issues.append(
                Issue(row, column, plan.name, r.code,
                      _sentence(table, row, column, plan.name, r.message), Severity.ERROR)
            )  # fmt: skip
            bad = True
        elif r is EMPTY:
            if plan.required:
                issues.append(
                    Issue(
                        row, plan.column, plan.name, "missing",
                        _sentence(table, row, plan.column, plan.name,
                                  f"the cell is empty, but {plan.name} is required; fill it in "
                                  "or exclude the row"),
                        Severity.ERROR,
                    )
                )  # fmt: skip
                bad = True
        elif cls is Flagged:
            event[plan.name] = r.value
            issues.append(
                Issue(row, plan.column, plan.name, r.code,
                      _sentence(table, row, plan.column, plan.name, r.message), Severity.WARNING)
            )  # fmt: skip
        else:
            event[plan.name] = r
    return (None if bad else event), issues


def _add_generated(
    result: ValidationResult,
    start: int,
    rows: list[tuple[Any, ...]],
    held: dict[int, tuple[tuple[Any, ...] | None, tuple[str, ...]]],
    dropped: dict[int, set[str]],
    names: tuple[str, ...],
    generated: tuple[str, ...],
    ids: list[Any],
) -> None:
    """Give each event of a chunk its generated row ID fields (as :func:`fill_generated`):
    into ``ids`` for rows read from the columns, onto the tuple of rows held on their own."""
    table = result.table
    sheet, numbers = table.sheet, table.row_numbers
    for k, values in enumerate(rows):
        own = held.get(k)
        if own is None:
            gone = dropped.get(k, ())
            event = {n: v for n, v in zip(names, values, strict=True) if n not in gone}
            ids[start + k] = row_id(sheet, numbers[start + k], event)
        elif (vals := own[0]) is not None:
            fields = own[1]
            value = row_id(sheet, numbers[start + k], dict(zip(fields, vals, strict=True)))
            held[k] = (vals + (value,) * len(generated), fields + generated)


def fill_generated(result: ValidationResult, row: int, event: dict[str, Any]) -> None:
    """Give ``event`` (built from its row's other fields) its generated row ID fields."""
    table = result.table
    value = row_id(table.sheet, table.row_numbers[row], event)
    for name in result._generated:
        event[name] = value


def build_rows(
    result: ValidationResult,
    per_field: list[list[Any] | None],
    special: set[int],
    gaps: list[tuple[str, list[int]]],
    progress: ProgressCallback,
    cancel: CancelToken | None,
    done: int,
    total: int,
) -> None:
    """Events, statuses and issues of every row, then the duplicate warnings, the row
    counts and the flat issue list.

    Consumes ``per_field`` and ``special``. The events of rows whose fields all converted
    plainly are the converted columns themselves (:meth:`EventList.use_columns`; an empty
    optional field, EMPTY there, is left out of the event); only rows with an issue or an
    exclusion go through :func:`assemble` and are held on their own.
    """
    n = len(result.table)
    names = tuple(p.name for p in result._plans)
    generated = tuple(result._generated)
    events, statuses = result.events, result.statuses
    row_issues = result._row_issues
    excluded = result.excluded
    build = not result.mapping_problems
    slow_rows = sorted(special | {r for r in excluded if 0 <= r < n})
    hashes: list[int] = []
    no_event: list[int] = []  # rows without an event (invalid or excluded)
    ids: list[Any] = []  # the generated row ID of each row read from the columns
    if build:
        # The events are the converted columns themselves (EMPTY: the field is left out);
        # only the rows that go through assemble are held one by one.
        columns: list[Sequence[Any]] = [
            [plan.constant] * n if values is None else values
            for plan, values in zip(result._plans, per_field, strict=True)
        ]
        if generated:
            ids = [None] * n
            columns += [ids] * len(generated)
        events.use_columns(columns, EMPTY)
    for start in range(0, n, CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(done + start, total, "Checking rows")
        stop = min(n, start + CHUNK)
        size = stop - start
        parts = [
            [plan.constant] * size if values is None else values[start:stop]
            for plan, values in zip(result._plans, per_field, strict=True)
        ]
        # A row's values as a tuple only where one is needed (rows with an issue, an
        # empty optional field or a generated ID): the hashes are taken straight from
        # zip, which reuses its one tuple when nothing keeps it.
        rows: list[tuple[Any, ...]] | None = None
        if generated:
            rows = list(zip(*parts, strict=True)) if parts else [()] * size

        def row_at(k: int, parts: list[list[Any]] = parts) -> tuple[Any, ...]:
            return tuple([p[k] for p in parts])

        held: dict[int, tuple[tuple[Any, ...] | None, tuple[str, ...]]] = {}  # k -> own
        chunk_hashes: list[int] = []
        dropped: dict[int, set[str]] = {}
        if build:
            chunk_hashes = list(map(hash, zip(*parts, strict=True))) if parts else [hash(())] * size
            for name, empties in gaps:
                a = bisect.bisect_left(empties, start)
                b = bisect.bisect_left(empties, stop)
                for i in empties[a:b]:
                    dropped.setdefault(i - start, set()).add(name)
            for k, gone in dropped.items():
                values = row_at(k)
                kept = tuple([values[j] for j, name in enumerate(names) if name not in gone])
                chunk_hashes[k] = hash(kept)  # = event_hash of the event without them
            # (hashes of the fields as converted: the generated ID, added below, is left out)
        lo = bisect.bisect_left(slow_rows, start)
        hi = bisect.bisect_left(slow_rows, stop)
        for i in slow_rows[lo:hi]:
            k = i - start
            event: dict[str, Any] | None = None
            if i in excluded:
                statuses[i] = RowStatus.EXCLUDED
            else:
                event, issues = assemble(result, i, row_at(k))
                if issues:
                    row_issues[i] = issues
                    statuses[i] = status_of(issues)
            if build:
                if event is None:
                    held[k] = (None, names)
                    no_event.append(i)
                else:
                    held[k] = (tuple(event.values()), tuple(event))
                    chunk_hashes[k] = event_hash(event)
        if build:
            if rows is not None:
                _add_generated(result, start, rows, held, dropped, names, generated, ids)
            for k, (own_values, own) in held.items():
                events.put(start + k, own_values, own)
            hashes.extend(chunk_hashes)
    per_field.clear()  # the events hold the converted columns now
    special.clear()
    if build:
        find_duplicates(result, hashes, no_event)
    result.recount()
    result._flat = None
    result.issues  # noqa: B018 -- built here, in the worker, not on first use in the GUI
