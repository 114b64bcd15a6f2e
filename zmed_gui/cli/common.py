"""Options every command that reads a spreadsheet shares, and the preparation they lead to.

``prepare`` turns the command line into a validated table: open the file, pick the sheet and
header row, load the schema (this app's schema file or a meter definition exported from
Zuora, whose fields then carry the meter's own date formats), build the mapping (profile,
explicit ``--map``/``--const``/``--event-id-field``, or automatic matching whose choices are
printed) and run
validation with progress on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from zmed_gui.cli.password import load_table_with_password
from zmed_gui.cli.progressbar import ProgressPrinter
from zmed_gui.core.convert import (
    ConversionOptions,
    DateOrder,
    DateTimeFormat,
    date_order_question,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping import (
    ROW_ID,
    FieldSource,
    Mapping,
    Profile,
    apply_profile,
    auto_match_table,
    load_profile,
    resolve_column,
)
from zmed_gui.core.meterdef import MeterDefinition, load_event_fields, load_meter_definition
from zmed_gui.core.printable import printable
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.read import check_encoding, encoding_label
from zmed_gui.core.schema import Schema, default_schema
from zmed_gui.core.table import Table
from zmed_gui.core.validate import ValidationResult, validate


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """FILE and the options that say how to read, map and convert it."""
    parser.add_argument("file", metavar="FILE", type=Path, help="xlsx, xlsm, xls, ods, csv or tsv")
    g = parser.add_argument_group("reading")
    g.add_argument("--sheet", metavar="NAME|INDEX", help="sheet name, or its position from 1")
    g.add_argument(
        "--header-row", metavar="N", type=int, help="row number of the header row (default: detect)"
    )
    g.add_argument(
        "--encoding",
        metavar="NAME",
        help="a text file's encoding, e.g. utf-8, cp1252, iso-8859-7, cp1251 (default: detect; "
        "a guess is printed)",
    )
    m = parser.add_argument_group("mapping")
    m.add_argument("--mapping", metavar="PROFILE.json", type=Path, help="a saved mapping profile")
    m.add_argument(
        "--map",
        metavar="FIELD=COLUMN",
        action="append",
        default=[],
        help="feed FIELD from COLUMN (header text or column letter); repeatable",
    )
    m.add_argument(
        "--const",
        metavar="FIELD=VALUE",
        action="append",
        default=[],
        help="give FIELD the same VALUE on every row; repeatable",
    )
    m.add_argument(
        "--event-id-field",
        metavar="FIELD",
        action="append",
        default=[],
        help="fill FIELD with a stable ID per row (zmed- and 24 hex digits from the sheet, "
        "row number and the row's values) for a meter that deduplicates on it",
    )
    m.add_argument(
        "--schema",
        metavar="SCHEMA.json",
        type=Path,
        help="the meter's event fields: a schema file, or a meter definition exported from Zuora",
    )
    m.add_argument(
        "--meter-definition",
        metavar="METER.json",
        type=Path,
        help="the meter's definition as exported from Zuora Mediation: its fields, and its event "
        "time written in the meter's own format",
    )
    c = parser.add_argument_group("conversion")
    c.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone for times without one (default: this computer's)",
    )
    c.add_argument(
        "--date-order",
        choices=[o.value for o in DateOrder],
        type=str.upper,
        help="day/month order of dates written as text (default: infer per column)",
    )
    c.add_argument("--decimal-comma", action="store_true", help="numbers are written like 1.234,50")
    c.add_argument(
        "--datetime-format",
        choices=[f.value for f in DateTimeFormat],
        type=lambda text: text.strip().lower().replace("_", "-"),
        help="how date-times are written into events: rfc3339 2026-11-26T09:30:00+01:00 "
        "(default), rfc3339-utc 2026-11-26T08:30:00Z, local 2026-11-26T09:30:00, date "
        "2026-11-26, offset-no-colon 2026-11-26T09:30:00+0100, epoch-ms 1795681800000 "
        "(milliseconds since 1970, a JSON number); replaces a meter definition's own format",
    )
    parser.add_argument(
        "--report",
        metavar="REPORT.xlsx|REPORT.csv",
        type=Path,
        help="write your rows with Status and Errors columns",
    )


@dataclass
class Prepared:
    file_path: Path
    table: Table
    schema: Schema
    mapping: Mapping
    options: ConversionOptions
    result: ValidationResult
    profile: Profile | None = None
    notes: list[str] = field(default_factory=list)
    definition: MeterDefinition | None = None


def _split_assignment(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise OptionsError(
            f"{flag} {text!r} must look like FIELD=VALUE, e.g. {flag} Quantity=Units."
        )
    return name.strip(), value


def _field_name(schema: Schema, name: str, flag: str) -> str:
    if schema.field(name) is not None:
        return name
    for f in schema.fields:
        if f.name.casefold() == name.casefold():
            return f.name
    raise OptionsError(
        f"{flag} names the field '{name}', but the event has only these fields: "
        f"{', '.join(schema.names)}."
    )


def _sheet_arg(value: str | None) -> str | int | None:
    if value is None:
        return None
    if value.isdigit():
        index = int(value) - 1
        if index < 0:
            raise OptionsError("--sheet counts from 1: use --sheet 1 for the first sheet.")
        return index
    return value


def build_options(args: argparse.Namespace, base: ConversionOptions | None) -> ConversionOptions:
    options = base or ConversionOptions()
    if args.timezone:
        options.timezone = _check_zone(args.timezone)
    if args.date_order:
        options.date_order = DateOrder(args.date_order)
    if args.decimal_comma:
        options.decimal_comma = True
    if args.datetime_format:
        options.datetime_format = DateTimeFormat(args.datetime_format)
    return options


def _check_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionsError(
            f"--timezone {name!r} is not a known time zone; use an IANA name such as "
            "Europe/Berlin, America/New_York or UTC."
        ) from None
    return name


def build_mapping(
    args: argparse.Namespace, table: Table, schema: Schema, profile: Profile | None, out: TextIO
) -> tuple[Mapping, list[str]]:
    notes: list[str] = []
    if profile is not None:
        mapping, notes = apply_profile(profile, table)
    elif args.map:
        mapping = Mapping()
    else:
        mapping = auto_match_table(table, schema)
        constants = {a.partition("=")[0].strip().casefold() for a in args.const}
        print("Automatic matching (use --map FIELD=COLUMN to change):", file=out)
        for f in schema.fields:
            src = mapping.source(f.name)
            if src is not None and src.column is not None:
                conf = f" ({src.confidence:.0%} sure)" if src.confidence is not None else ""
                label = printable(table.column_label(src.column))
                print(f"  {f.name:<20} <- {label}{conf}", file=out)
            elif src is not None and src.generated is not None:
                print(f"  {f.name:<20} <- (a stable ID per row: the meter's event ID)", file=out)
            elif f.name.casefold() not in constants:
                need = "required" if f.required else "optional"
                print(f"  {f.name:<20} <- (no matching column; {need})", file=out)
    for text in args.map:
        name, column = _split_assignment(text, "--map")
        name = _field_name(schema, name, "--map")
        mapping.sources[name] = FieldSource(column=resolve_column(table, column))
    for text in args.const:
        name, value = _split_assignment(text, "--const")
        name = _field_name(schema, name, "--const")
        mapping.sources[name] = FieldSource(constant=value)
    for text in getattr(args, "event_id_field", []):
        name = _field_name(schema, text.strip(), "--event-id-field")
        mapping.sources[name] = FieldSource(generated=ROW_ID)
    return mapping, notes


def prepare(
    args: argparse.Namespace, out: TextIO = sys.stdout, cancel: CancelToken | None = None
) -> Prepared:
    """Read, map and validate the file the command line names (``cancel`` stops it)."""
    path: Path = args.file
    profile = load_profile(args.mapping) if args.mapping else None
    schema, definition = _event_fields(args, profile)
    sheet = _sheet_arg(args.sheet)
    header_row = args.header_row
    if profile is not None:
        sheet = profile.sheet if sheet is None else sheet
        header_row = profile.header_row if header_row is None else header_row
    if header_row is not None and header_row < 1:
        raise OptionsError("--header-row is a row number as Excel shows it, starting at 1.")
    encoding = check_encoding(args.encoding) if getattr(args, "encoding", None) else None
    options = build_options(args, profile.options if profile is not None else None)
    if definition is not None:
        for line in definition.summary():
            print(f"Meter definition: {line}", file=out)
    if args.datetime_format and any(f.date_format for f in schema.fields):
        # The explicit flag wins over the meter's own formats, and says so.
        for f in schema.fields:
            if f.date_format:
                print(
                    f"  note: --datetime-format {args.datetime_format} replaces the meter's "
                    f"format {f.date_format} for {f.name}.",
                    file=out,
                )
        schema = dataclasses.replace(
            schema, fields=[dataclasses.replace(f, date_format="") for f in schema.fields]
        )

    bar = ProgressPrinter("Reading", stream=sys.stderr)
    table = load_table_with_password(
        path, sheet, header_row, progress=bar, cancel=cancel, encoding=encoding
    )
    bar.done()
    how = f", as {encoding_label(table.encoding)}" if table.encoding else ""
    print(
        f"Read {len(table):,} rows from {printable(table.source)}, sheet "
        f"'{printable(table.sheet)}' (header in row {table.header_row}){how}.",
        file=out,
    )
    for note in table.read_notes:
        print(f"  note: {printable(note)}", file=out)
    if table.encoding_guessed:
        print("  note: give --encoding NAME to read it in another encoding.", file=out)
    for note in table.header_notes:
        print(f"  note: {printable(note)}", file=out)
    mapping, notes = build_mapping(args, table, schema, profile, out)
    for note in notes:
        print(f"  note: {printable(note)}", file=out)
    bar = ProgressPrinter("Validating", stream=sys.stderr)
    result = validate(table, schema, mapping, options, progress=bar, cancel=cancel)
    bar.done()
    _ask_date_order(result, out)
    return Prepared(path, table, schema, mapping, options, result, profile, notes, definition)


def _ask_date_order(result: ValidationResult, out: TextIO) -> None:
    """Say once per date column that nothing proves its day/month order, and how to give it."""
    if not any(issue.code == "ambiguous_date" for issue in result.issues):
        return
    columns = {i.column for i in result.issues if i.code == "ambiguous_date"}
    for column in sorted(c for c in columns if c is not None):
        question = date_order_question(result.table.columns[column], result.options.date_order)
        if question is not None:
            where = f"Column {result.table.column_label(column)}"
            how = "give --date-order DMY (day first) or --date-order MDY (month first)"
            print(f"  note: {question.sentence(where, how)}", file=out)


def _event_fields(
    args: argparse.Namespace, profile: Profile | None
) -> tuple[Schema, MeterDefinition | None]:
    """The event's fields: --meter-definition, --schema (either kind of file), the profile's
    or Zuora's default event; and the meter definition when there is one."""
    meter_file: Path | None = getattr(args, "meter_definition", None)
    if meter_file is not None and args.schema:
        raise OptionsError(
            "Give the event's fields once: --schema or --meter-definition, not both."
        )
    if meter_file is not None:
        definition = load_meter_definition(meter_file)
        return definition.schema, definition
    if args.schema:
        return load_event_fields(args.schema)
    if profile is not None:
        return profile.schema, None
    return default_schema(), None
