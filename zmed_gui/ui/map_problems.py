"""What the Map step tells the user about a mapping before the check: the problems that
stop it, and the columns that feed no field. Plain text from core objects, no widgets.
"""

from __future__ import annotations

from dataclasses import replace

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import FieldSource, Mapping, normalise_header, unmapped_columns
from zmed_gui.core.schema import Schema
from zmed_gui.core.table import Table
from zmed_gui.ui.map_grid import column_choice
from zmed_gui.ui.numbers import count

_UNUSED_NAMED = 15  # columns named in full; the rest are counted


def mapping_problems(
    table: Table | None, schema: Schema, mapping: Mapping, options: ConversionOptions
) -> list[str]:
    """Sentences the user can act on, each once; empty when the data can be checked."""
    if table is None:
        return ["Open a spreadsheet first."]
    problems: list[str] = []
    missing = [f.name for f in schema.fields if f.required and mapping.source(f.name) is None]
    if missing:
        names = ", ".join(missing)
        problems.append(
            f"Required field{'s' if len(missing) > 1 else ''} not mapped yet: {names}. "
            "Choose a column or a constant for each before checking your data."
        )
    from zmed_gui.core.validate import check_mapping

    for text in check_mapping(table, schema, mapping, options=options):
        if not text.startswith("The required field"):  # said above, in one sentence
            problems.append(text)
    return list(dict.fromkeys(problems))


def unused_columns_text(table: Table | None, mapping: Mapping) -> str:
    """ "Columns not sent: ..." (or that every column is used); empty without a table."""
    if table is None:
        return ""
    unused = unmapped_columns(table, mapping)
    if not unused:
        return "Every column feeds a field."
    names = ", ".join(column_choice(table, c) for c in unused[:_UNUSED_NAMED])
    more = f" and {count(len(unused) - _UNUSED_NAMED)} more" if len(unused) > _UNUSED_NAMED else ""
    return f"Columns not sent: {names}{more}."


def carry_over(mapping: Mapping, old: Table | None, new: Table) -> tuple[Mapping, dict[str, str]]:
    """What of ``mapping`` (made for ``old``) still holds for the ``new`` table.

    Constants and generated values stay. A column the user chose stays when the new table
    has a column with the same heading (found by name, wherever it now is); automatic
    matches are left out (the new table is matched afresh). Returns the kept mapping and,
    for each field whose chosen column the new table lacks, that column as it was shown
    (``{"UsageIdentifier": "F - Notes"}``). Nothing kept ever names a column ``new``
    does not have.
    """
    kept: dict[str, FieldSource] = {}
    lost: dict[str, str] = {}
    by_name: dict[str, int] = {}
    for col, header in enumerate(new.headers):
        key = normalise_header(str(header))
        if key and key not in by_name:
            by_name[key] = col
        elif key:
            by_name[key] = -1  # two columns with this heading: neither is "the" one

    def find(col: int | None) -> int | None:
        if old is None or col is None or not 0 <= col < old.column_count:
            return None
        found = by_name.get(normalise_header(str(old.headers[col])) or "\0", -1)
        return found if found >= 0 else None

    for name, src in mapping.sources.items():
        if src.constant is not None or src.generated is not None:
            kept[name] = replace(src, column=None, time_column=None)
            continue
        if src.column is None or src.confidence is not None:
            continue  # matched automatically: matched again for the new table
        column = find(src.column)
        if column is None:
            if old is not None and 0 <= src.column < old.column_count:
                lost[name] = column_choice(old, src.column)
            continue
        time_column = find(src.time_column)
        gone_time = time_column is None and src.time_column is not None
        if gone_time and old is not None and 0 <= (src.time_column or 0) < old.column_count:
            lost[name] = column_choice(old, src.time_column or 0)
        kept[name] = replace(src, column=column, time_column=time_column)
    return Mapping(kept), lost


def fill_in(kept: Mapping, automatic: Mapping) -> Mapping:
    """``kept`` plus the automatic matches for the fields it lacks, on columns it leaves free."""
    sources = dict(kept.sources)
    taken = kept.used_columns()
    for name, src in automatic.sources.items():
        if name not in sources and (src.column is None or src.column not in taken):
            sources[name] = src
    return Mapping(sources)


def carried_constants(mapping: Mapping) -> dict[str, str]:
    """The fixed values of ``mapping``, by field: what a new table may replace by a column."""
    return {n: s.constant for n, s in mapping.sources.items() if s.constant is not None}


def prefer_columns(
    mapping: Mapping, carried: dict[str, str], automatic: Mapping, table: Table
) -> tuple[Mapping, list[str]]:
    """A carried-over fixed value gives way where the new table matches a column for it.

    ``carried`` holds the fixed values brought from the previous file; a field whose
    value the user has changed since is left alone. Returns the mapping and one note a
    field: the column that now feeds it, or that the fixed value was kept (check it).
    """
    sources = dict(mapping.sources)
    notes: list[str] = []
    taken = mapping.used_columns()
    for name, value in carried.items():
        src = sources.get(name)
        if src is None or src.constant != value:
            continue  # changed by the user meanwhile: theirs
        auto = automatic.source(name)
        if auto is not None and auto.column is not None and auto.column not in taken:
            sources[name] = auto
            taken.add(auto.column)
            shown = column_choice(table, auto.column)
            notes.append(f"{name}: now column '{shown}' (was the fixed value '{value}')")
        else:
            notes.append(f"{name} keeps the fixed value '{value}' from the previous file: check it")
    return Mapping(sources), notes


def lost_columns_text(lost: dict[str, str], table: Table | None, mapping: Mapping) -> str:
    """The note for fields whose chosen column is not in the new file (empty when none is)."""
    if not lost or table is None:
        return ""
    parts = []
    for name, column in lost.items():
        src = mapping.source(name)
        if src is not None and src.column is not None and src.column < table.column_count:
            parts.append(f"{name} took {column}, now {column_choice(table, src.column)}: check it")
        elif src is not None:
            parts.append(f"{name} took {column}")
        else:
            parts.append(f"{name} took {column}: choose a column or a constant for it")
    return "Columns you chose are not in this file. " + "; ".join(parts) + "."
