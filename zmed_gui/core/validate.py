"""Converting every mapped cell and reporting each problem on its cell.

Issue codes (stable; tests, the GUI and report files rely on them):

Errors (the row is INVALID and is not sent):
    ``missing``              a required value is empty (or a time column cell is)
    ``unparseable``          text that is not a value of the field's type
    ``wrong_type``           a cell of another kind (a date in a number field, TRUE in a date)
    ``excel_error``          the cell holds an Excel error such as #N/A
    ``not_whole``            a fraction in an integer field
    ``imprecise_number``     a whole number too long for Excel to hold exactly, in a text field
    ``ambiguous_date``       03/04/2026 in a column that never says which part is the day
    ``date_order_conflict``  a date against the column's day/month order (or a tied column)
    ``invalid_date``         an impossible date or time (31/02/2026, 25:00, a DST gap)
    ``time_conflict``        the date cell has a time and the time column another
    ``mapping``              reserved for mapping problems shown as issues
Warnings (the row is sent; the user should look):
    ``negative``             a negative number in a quantity field (Quantity, Qty, ...)
    ``future_date``          a date more than one day after now
    ``duplicate``            an event identical to an earlier row's event

Excluded rows get no event and no issues. While :attr:`ValidationResult.mapping_problems`
is not empty, cells are still checked (so they can be shown), but no event is built.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zmed_gui.core.convert import (
    EMPTY,
    ConversionOptions,
    DateOrderGuess,
    FieldConverter,
    Flagged,
    Problem,
    combine_date_time,
    infer_date_order,
    is_quantity_field,
    resolve_timezone,
    show,
    to_time_of_day,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.schema import FieldType, Schema
from zmed_gui.core.table import Table, column_letter

CHUNK = 10_000  # rows between progress reports and cancel checks


class Severity(StrEnum):
    ERROR = "error"  # the row is invalid and will not be sent
    WARNING = "warning"  # the row is sent, but the user should look


class RowStatus(StrEnum):
    VALID = "valid"
    WARNING = "warning"
    INVALID = "invalid"
    EXCLUDED = "excluded"  # the user chose not to send this row


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem on one cell (or on a row, when ``column`` is None).

    ``row`` is the 0-based data row index in the table; the Excel row number is
    ``table.row_numbers[row]``. ``message`` is a full sentence for the user.
    """

    row: int
    column: int | None
    field: str | None
    code: str
    message: str
    severity: Severity


@dataclass
class ProblemGroup:
    """Issues of one kind on one field, for a summary."""

    field: str | None
    code: str
    severity: Severity
    count: int
    example: str  # the first issue's message
    rows: list[int]  # Excel row numbers of the first 10


@dataclass
class _Plan:
    """How one mapped field is filled."""

    name: str
    ftype: FieldType
    required: bool
    column: int | None
    time_column: int | None
    converter: FieldConverter
    constant: Any = None  # the converted constant, when column is None


@dataclass
class ValidationResult:
    table: Table
    schema: Schema
    mapping: Mapping
    options: ConversionOptions
    events: list[dict[str, Any] | None]  # per data row, fields in schema order
    statuses: list[RowStatus]  # per data row
    issues: list[Issue]  # every problem, in row order
    mapping_problems: list[str]
    excluded: set[int]
    _plans: list[_Plan] = field(default_factory=list, repr=False, compare=False)
    _row_issues: dict[int, list[Issue]] = field(default_factory=dict, repr=False, compare=False)
    # hash of an event's values -> the row (or sorted rows) with that hash
    _dups: dict[int, int | list[int]] = field(default_factory=dict, repr=False, compare=False)

    def issues_for_row(self, row: int) -> list[Issue]:
        return list(self._row_issues.get(row, ()))

    def issues_for_cell(self, row: int, column: int) -> list[Issue]:
        return [i for i in self._row_issues.get(row, ()) if i.column == column]

    @property
    def counts(self) -> dict[RowStatus, int]:
        found = Counter(self.statuses)
        return {status: found.get(status, 0) for status in RowStatus}

    def valid_rows(self) -> list[int]:
        """Rows whose event will be sent (VALID or WARNING), in order."""
        if self.mapping_problems:
            return []
        return [
            i
            for i, s in enumerate(self.statuses)
            if (s is RowStatus.VALID or s is RowStatus.WARNING) and self.events[i] is not None
        ]

    def summary(self, top: int = 10) -> list[ProblemGroup]:
        """Issues grouped by (field, code), largest groups first."""
        groups: dict[tuple[str | None, str], ProblemGroup] = {}
        row_numbers = self.table.row_numbers
        for issue in self.issues:
            key = (issue.field, issue.code)
            group = groups.get(key)
            if group is None:
                groups[key] = ProblemGroup(
                    issue.field, issue.code, issue.severity, 1, issue.message,
                    [row_numbers[issue.row]],
                )  # fmt: skip
            else:
                group.count += 1
                if len(group.rows) < 10:
                    number = row_numbers[issue.row]
                    if group.rows[-1] != number:
                        group.rows.append(number)
        ordered = sorted(
            groups.values(), key=lambda g: (g.severity is not Severity.ERROR, -g.count)
        )
        return ordered[:top]

    @property
    def ok(self) -> bool:
        """True when the mapping can be used (no mapping problems)."""
        return not self.mapping_problems


# ---------------------------------------------------------------------------- mapping


def _place(table: Table, column: int) -> str:
    return f"column {table.column_label(column)}"


def _plan(
    table: Table,
    schema: Schema,
    mapping: Mapping,
    options: ConversionOptions,
    now: dt.datetime,
) -> tuple[list[str], list[_Plan]]:
    problems: list[str] = []
    plans: list[_Plan] = []
    ncols = table.column_count
    needs_zone = any(
        f.type is FieldType.DATETIME and mapping.source(f.name) is not None for f in schema.fields
    )
    zone: dt.tzinfo = dt.UTC
    if needs_zone:
        try:
            zone = resolve_timezone(options.timezone)
        except OptionsError as exc:
            problems.append(str(exc))
    for f in schema.fields:
        src = mapping.source(f.name)
        if src is None:
            if f.required:
                problems.append(
                    f"The required field {f.name} is not mapped to a column or a constant."
                )
            continue
        where = f"The field {f.name}"
        if src.column is not None and src.constant is not None:
            col = _place(table, src.column) if 0 <= src.column < ncols else "a column"
            problems.append(
                f"{where} is mapped to both {col} and the constant {show(src.constant)}; "
                "keep only one of them."
            )
            continue
        if src.column is not None and not 0 <= src.column < ncols:
            problems.append(
                f"{where} is mapped to column {column_letter(max(src.column, 0))}, but sheet "
                f"'{table.sheet}' has only {ncols} columns; map the field again."
            )
            continue
        # A date field sends no time of day, so a time column next to it is ignored.
        time_column = src.time_column if f.type is not FieldType.DATE else None
        if time_column is not None:
            if f.type is not FieldType.DATETIME:
                problems.append(
                    f"{where} is of type {f.type.value}, so it cannot take a time column; "
                    "remove the time column or use a date-time field."
                )
                continue
            if src.column is None:
                problems.append(
                    f"{where} takes a constant, which cannot be combined with a time column; "
                    "map the date to a column or remove the time column."
                )
                continue
            if not 0 <= time_column < ncols:
                problems.append(
                    f"{where} takes its time from column {column_letter(max(time_column, 0))}, "
                    f"but sheet '{table.sheet}' has only {ncols} columns; choose the time column "
                    "again."
                )
                continue
        order: DateOrderGuess | None = None
        if src.constant is not None and f.type in (FieldType.DATE, FieldType.DATETIME):
            order = infer_date_order([(src.constant, 1)], options.date_order)
        converter = FieldConverter(
            f.type,
            options,
            zone=zone,
            date1904=table.date1904,
            order=order,
            now=now,
            warn_negative=f.type in (FieldType.NUMBER, FieldType.INTEGER)
            and is_quantity_field(f.name),
        )
        plan = _Plan(f.name, f.type, f.required, src.column, time_column, converter)
        if src.constant is not None:
            value = converter(src.constant)
            if isinstance(value, Problem):
                problems.append(
                    f"The constant {show(src.constant)} for {f.name} cannot be used: "
                    f"{value.message}."
                )
                continue
            if value is EMPTY:
                if f.required:
                    problems.append(
                        f"The constant for the required field {f.name} is empty; enter a value "
                        "or map the field to a column."
                    )
                continue  # an empty optional constant: the field is left out
            plan.constant = value
        plans.append(plan)
    if not plans and not problems:
        problems.append(
            "No field of the event is mapped to a column or a constant; map at least one field."
        )
    return problems, plans


def check_mapping(
    table: Table,
    schema: Schema,
    mapping: Mapping,
    *,
    options: ConversionOptions | None = None,
) -> list[str]:
    """Problems that stop any row from being sent, each one sentence.

    Unmapped required fields, columns beyond the sheet, time columns on fields that
    cannot take them, constants that do not convert (checked with ``options``, default
    settings when None) and an unknown time zone.
    """
    opts = options if options is not None else ConversionOptions()
    return _plan(table, schema, mapping, opts, dt.datetime.now(dt.UTC))[0]


# ---------------------------------------------------------------------------- columns

_SPECIAL = (Problem, Flagged)
_MISSING = object()


def _is_special(r: object) -> bool:
    """A result that needs the slow path: an error, a warning or an empty cell."""
    return r is EMPTY or r.__class__ in _SPECIAL


def _has_bool_collision(column: Sequence[object], distinct: set[object]) -> bool:
    """True when True/1/1.0 (or False/0/0.0) both appear: dict keys would merge them."""
    if not (True in distinct or False in distinct):
        return False
    kinds = {
        v.__class__ is bool for v in column if v.__class__ in (bool, int, float) and v in (0, 1)
    }
    return len(kinds) > 1


def _convert_column(
    table: Table,
    plan: _Plan,
    cancel: CancelToken | None,
    options: ConversionOptions,
    tick: Callable[[int, int], None],
) -> tuple[list[Any], bool]:
    """Per data row: the converted value (or EMPTY, Problem, Flagged) for one field.

    Also says whether any row's result is special (see :func:`_is_special`).
    """
    assert plan.column is not None
    column = table.columns[plan.column]
    conv = plan.converter.convert
    if plan.ftype in (FieldType.DATE, FieldType.DATETIME):
        counted = Counter(column)
        plan.converter.order = infer_date_order(counted.items(), options.date_order)
        distinct: set[object] = set(counted)
    else:
        distinct = set(column)
    if plan.time_column is not None:
        return _convert_with_time(table, plan, cancel, tick)
    if len(distinct) * 2 > len(column):
        # Mostly distinct values (time stamps): a cache would cost more than it saves.
        out: list[Any] = []
        for start in range(0, len(column), CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            tick(start, len(column))
            out.extend([conv(v) for v in column[start : start + CHUNK]])
        return out, any(r is EMPTY or r.__class__ in _SPECIAL for r in out)
    if _has_bool_collision(column, distinct):
        typed: dict[tuple[bool, object], Any] = {}
        out = []
        for v in column:
            typed_key = (v.__class__ is bool, v)
            r = typed.get(typed_key, _MISSING)
            if r is _MISSING:
                r = typed[typed_key] = conv(v)
            out.append(r)
        return out, any(_is_special(r) for r in typed.values())
    cache: dict[object, Any] = {}
    for n, key in enumerate(distinct, start=1):
        cache[key] = conv(key)
        if n % CHUNK == 0:
            if cancel is not None:
                cancel.raise_if_cancelled()
            tick(n, len(distinct))
    return [cache[v] for v in column], any(_is_special(r) for r in cache.values())


def _convert_with_time(
    table: Table, plan: _Plan, cancel: CancelToken | None, tick: Callable[[int, int], None]
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
            r = finals[pair] = conv.finish(combine_date_time(moment, clock))
        out.append(r)
        if n % CHUNK == 0:
            if cancel is not None:
                cancel.raise_if_cancelled()
            tick(n, len(table))
    return out, any(_is_special(r) for r in finals.values())


def _cell_result(table: Table, plan: _Plan, row: int) -> Any:
    if plan.column is None:
        return plan.constant
    value = table.columns[plan.column][row]
    if plan.time_column is None:
        return plan.converter(value)
    moment = plan.converter.moment(value)
    clock = to_time_of_day(table.columns[plan.time_column][row])
    return plan.converter.finish(combine_date_time(moment, clock))


# ---------------------------------------------------------------------------- rows


def _sentence(table: Table, row: int, column: int | None, field_name: str, text: str) -> str:
    place = table.where(row, column)
    lead = f"{place[0].upper()}{place[1:]}"
    if column is None:
        return f"{lead}, field {field_name} (a constant): {text}."
    return f"{lead}, field {field_name}: {text}."


def _assemble(
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


def _status(issues: list[Issue] | None) -> RowStatus:
    if not issues:
        return RowStatus.VALID
    if any(i.severity is Severity.ERROR for i in issues):
        return RowStatus.INVALID
    return RowStatus.WARNING


def _event_hash(event: dict[str, Any]) -> int:
    return hash(tuple(event.values()))


def _duplicate_issue(result: ValidationResult, row: int, first: int) -> Issue:
    table = result.table
    place = table.where(row)
    number = f"{table.row_numbers[first]:,}".replace(",", "\u202f")
    return Issue(
        row, None, None, "duplicate",
        f"{place[0].upper()}{place[1:]}: this row's event is identical to the one from row "
        f"{number}, so the usage would be counted twice; exclude one of them unless that is "
        "intended.",
        Severity.WARNING,
    )  # fmt: skip


def _earlier_twin(result: ValidationResult, row: int, event: dict[str, Any], h: int) -> int | None:
    """The first earlier row with an identical event, registering ``row`` under ``h``."""
    dups = result._dups
    held = dups.get(h)
    if held is None:
        dups[h] = row
        return None
    rows = [held] if isinstance(held, int) else held
    twin = None
    events = result.events
    for other in rows:
        if other < row and events[other] == event:
            twin = other
            break
    if isinstance(held, int):
        dups[h] = sorted((held, row))
    else:
        bisect.insort(held, row)
    return twin


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

    Raises:
        Cancelled: ``cancel`` was set.
    """
    n = len(table)
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    problems, plans = _plan(table, schema, mapping, options, moment)
    result = ValidationResult(
        table=table,
        schema=schema,
        mapping=mapping,
        options=options,
        events=[None] * n,
        statuses=[RowStatus.VALID] * n,
        issues=[],
        mapping_problems=problems,
        excluded=set(excluded),
        _plans=plans,
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
            if _is_special(plan.constant):
                special.update(range(n))
            continue
        message = f"Checking {table.column_label(plan.column)} for {plan.name}"
        progress(k * n, total, message)

        def tick(part: int, whole: int, k: int = k, message: str = message) -> None:
            progress(k * n + n * part // max(whole, 1), total, message)

        values, has_special = _convert_column(table, plan, cancel, options, tick)
        per_field.append(values)
        if has_special and plan.required:
            special.update(i for i, r in enumerate(values) if _is_special(r))
        elif has_special:
            # An empty optional field is common and cheap: the bulk build drops the key.
            special.update(i for i, r in enumerate(values) if r.__class__ in _SPECIAL)
            empties = [i for i, r in enumerate(values) if r is EMPTY]
            if empties:
                gaps.append((plan.name, empties))
    _build_rows(result, per_field, special, gaps, progress, cancel, len(plans) * n, total)
    progress(total, total, "Checked")
    return result


def _build_rows(
    result: ValidationResult,
    per_field: list[list[Any] | None],
    special: set[int],
    gaps: list[tuple[str, list[int]]],
    progress: ProgressCallback,
    cancel: CancelToken | None,
    done: int,
    total: int,
) -> None:
    """Events, statuses and issues of every row, then the duplicate warnings.

    Rows whose fields all converted plainly are built in bulk (``map`` over ``zip``);
    only rows with an issue, an empty field or an exclusion go through :func:`_assemble`.
    """
    n = len(result.table)
    names = [p.name for p in result._plans]
    events, statuses = result.events, result.statuses
    row_issues = result._row_issues
    excluded = result.excluded
    build = not result.mapping_problems
    slow_rows = sorted(special | {r for r in excluded if 0 <= r < n})
    hashes: list[int] = []
    no_event: list[int] = []  # rows without an event (invalid or excluded)
    for start in range(0, n, CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(done + start, total, "Checking rows")
        stop = min(n, start + CHUNK)
        parts = [
            itertools.repeat(plan.constant, stop - start) if values is None else values[start:stop]
            for plan, values in zip(result._plans, per_field, strict=True)
        ]
        rows = list(zip(*parts, strict=True)) if parts else [()] * (stop - start)
        chunk_events: list[dict[str, Any] | None] = []
        chunk_hashes: list[int] = []
        if build:
            chunk_events = list(map(dict, map(zip, itertools.repeat(names), rows)))
            chunk_hashes = list(map(hash, rows))
            stripped: set[int] = set()
            for name, empties in gaps:
                a = bisect.bisect_left(empties, start)
                b = bisect.bisect_left(empties, stop)
                for i in empties[a:b]:
                    del chunk_events[i - start][name]  # type: ignore[union-attr]
                    stripped.add(i - start)
            for k in stripped:
                chunk_hashes[k] = _event_hash(chunk_events[k])  # type: ignore[arg-type]
        lo = bisect.bisect_left(slow_rows, start)
        hi = bisect.bisect_left(slow_rows, stop)
        for i in slow_rows[lo:hi]:
            k = i - start
            event: dict[str, Any] | None = None
            if i in excluded:
                statuses[i] = RowStatus.EXCLUDED
            else:
                event, issues = _assemble(result, i, rows[k])
                if issues:
                    row_issues[i] = issues
                    statuses[i] = _status(issues)
            if build:
                chunk_events[k] = event
                if event is None:
                    no_event.append(i)
                else:
                    chunk_hashes[k] = _event_hash(event)
        if build:
            events[start:stop] = chunk_events
            hashes.extend(chunk_hashes)
    if build:
        _find_duplicates(result, hashes, no_event)
    result.issues[:] = [issue for row in sorted(row_issues) for issue in row_issues[row]]


def _find_duplicates(result: ValidationResult, hashes: list[int], no_event: list[int]) -> None:
    """Index every event by hash and warn on each row equal to an earlier one."""
    if no_event:
        skip = set(no_event)
        rows = [i for i in range(len(hashes)) if i not in skip]
        keys = [hashes[i] for i in rows]
    else:
        rows = list(range(len(hashes)))
        keys = hashes
    # Built backwards, so each hash keeps its first row: all in C, no Python loop.
    first: dict[int, int | list[int]] = dict(zip(reversed(keys), reversed(rows), strict=True))
    result._dups = first
    if len(first) == len(keys):
        return  # no two events share a hash: no duplicates
    events, statuses, row_issues = result.events, result.statuses, result._row_issues
    later = [(i, h) for i, h in zip(rows, keys, strict=True) if first[h] != i]
    for i, h in later:
        event = events[i]
        assert event is not None
        twin = _earlier_twin(result, i, event, h)
        if twin is not None:
            row_issues.setdefault(i, []).append(_duplicate_issue(result, i, twin))
            if statuses[i] is RowStatus.VALID:
                statuses[i] = RowStatus.WARNING


# ---------------------------------------------------------------------------- edits


def _forget(result: ValidationResult, row: int) -> int | None:
    """Take ``row`` out of the duplicate index; returns its old hash."""
    event = result.events[row]
    if event is None:
        return None
    h = _event_hash(event)
    held = result._dups.get(h)
    if held == row:
        del result._dups[h]
    elif isinstance(held, list) and row in held:
        held.remove(row)
        if len(held) == 1:
            result._dups[h] = held[0]
    return h


def _recheck_bucket(result: ValidationResult, h: int, touched: set[int]) -> None:
    """Redo the duplicate warnings of every row registered under hash ``h``."""
    held = result._dups.get(h)
    if held is None:
        return
    rows = [held] if isinstance(held, int) else list(held)
    events = result.events
    for k, row in enumerate(rows):
        event = events[row]
        twin = next((o for o in rows[:k] if events[o] == event), None)
        issues = [i for i in result._row_issues.get(row, ()) if i.code != "duplicate"]
        if twin is not None:
            issues.append(_duplicate_issue(result, row, twin))
        _set_issues(result, row, issues)
        touched.add(row)


def _set_issues(result: ValidationResult, row: int, issues: list[Issue]) -> None:
    if issues:
        result._row_issues[row] = issues
    else:
        result._row_issues.pop(row, None)
    result.statuses[row] = _status(issues)


def revalidate_rows(result: ValidationResult, rows: Iterable[int]) -> list[int]:
    """Recompute events, statuses and issues of ``rows`` after edits or (un)exclusion.

    Reads the cells from ``result.table`` and exclusion from ``result.excluded``; the
    day/month order each column was read in stays as the first validation decided.
    Duplicate warnings of other rows that shared an event with these rows are fixed up.

    Returns:
        Every row whose event, status or issues may have changed (the given rows and the
        rows sharing a duplicate group with them), sorted: the rows to repaint.
    """
    wanted = sorted({r for r in rows if 0 <= r < len(result.table)})
    if not wanted:
        return []
    hashes: set[int] = set()
    for row in wanted:
        old = _forget(result, row)
        if old is not None:
            hashes.add(old)
        result.events[row] = None
    build = not result.mapping_problems
    for row in wanted:
        if row in result.excluded:
            result._row_issues.pop(row, None)
            result.statuses[row] = RowStatus.EXCLUDED
            continue
        values = [_cell_result(result.table, plan, row) for plan in result._plans]
        event, issues = _assemble(result, row, values)
        _set_issues(result, row, issues)
        if event is not None and build:
            result.events[row] = event
            h = _event_hash(event)
            _earlier_twin(result, row, event, h)  # registers; warnings redone below
            hashes.add(h)
    touched: set[int] = set(wanted)
    for h in hashes:
        _recheck_bucket(result, h, touched)
    # Splice the changed rows' issues into the sorted list instead of rebuilding it.
    issues = result.issues
    by_row = operator.attrgetter("row")
    for row in sorted(touched):
        lo = bisect.bisect_left(issues, row, key=by_row)
        hi = bisect.bisect_right(issues, row, lo=lo, key=by_row)
        issues[lo:hi] = result._row_issues.get(row, [])
    return sorted(touched)
