"""How each mapped field is filled, and the mapping problems that stop every row.

:func:`plan_fields` turns a mapping into one :class:`FieldPlan` per mapped field (its
column or converted constant, and its converter), names the fields whose value is
generated per row (the row ID, filled once the row's other fields are known) and lists
every mapping problem: unmapped required fields, columns beyond the sheet, time columns on
fields that cannot take them, constants that do not convert, a generated value a field
cannot take and an unknown time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from zmed_gui.core.convert import (
    EMPTY,
    ConversionOptions,
    DateOrderGuess,
    FieldConverter,
    Problem,
    infer_date_order,
    is_quantity_field,
    resolve_timezone,
    show,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping import ROW_ID, FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema
from zmed_gui.core.table import Table, column_letter


@dataclass
class FieldPlan:
    """How one mapped field is filled."""

    name: str
    ftype: FieldType
    required: bool
    column: int | None
    time_column: int | None
    converter: FieldConverter
    constant: Any = None  # the converted constant, when column is None


def _place(table: Table, column: int) -> str:
    return f"column {table.column_label(column)}"


def plan_fields(
    table: Table,
    schema: Schema,
    mapping: Mapping,
    options: ConversionOptions,
    now: dt.datetime,
) -> tuple[list[str], list[FieldPlan], list[str]]:
    """The mapping problems (each one sentence), the plan of every usable field and the
    names of the fields filled with the generated row ID."""
    problems: list[str] = []
    plans: list[FieldPlan] = []
    generated: list[str] = []
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
        if src.generated is not None:
            problem = _generated_problem(f.name, f.type, src.generated, src)
            if problem:
                problems.append(problem)
            else:
                generated.append(f.name)
            continue
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
        try:
            converter = FieldConverter(
                f.type,
                options,
                zone=zone,
                date1904=table.date1904,
                order=order,
                now=now,
                warn_negative=f.type in (FieldType.NUMBER, FieldType.INTEGER)
                and is_quantity_field(f.name),
                date_format=f.date_format,
            )
        except OptionsError as exc:  # the field's own date format (from a schema file)
            message = str(exc)
            problems.append(f"{where} cannot be written: {message[0].lower()}{message[1:]}")
            continue
        plan = FieldPlan(f.name, f.type, f.required, src.column, time_column, converter)
        if src.constant is not None:
            value = converter(src.constant)
            if isinstance(value, Problem):
                why = value.message
                if value.code == "ambiguous_date":
                    # one value, not a column: no other date can tell the order
                    why = why.split(", and no date in this column", 1)[0] + (
                        "; write it year first (for example 2026-11-05) or choose the "
                        "day/month order"
                    )
                problems.append(
                    f"The constant {show(src.constant)} for {f.name} cannot be used: {why}."
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
    return problems, plans, generated


def _generated_problem(name: str, ftype: FieldType, kind: str, src: FieldSource) -> str:
    """Why ``name`` cannot take the generated value ``kind`` (or "" when it can)."""
    if kind != ROW_ID:
        return f"The field {name} asks for a generated '{kind}', which this app does not make."
    if src.column is not None or src.constant is not None:
        return (
            f"The field {name} is mapped to the generated row ID and to a column or constant; "
            "keep only one of them."
        )
    if ftype is not FieldType.STRING:
        return (
            f"The field {name} is of type {ftype.value}, but the generated row ID is text; "
            "map it to a column, or make it a string field."
        )
    return ""


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
    return plan_fields(table, schema, mapping, opts, dt.datetime.now(dt.UTC))[0]
