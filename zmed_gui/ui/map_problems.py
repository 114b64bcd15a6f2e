"""What the Map step tells the user about a mapping before the check: the problems that
stop it, and the columns that feed no field. Plain text from core objects, no widgets.
"""

from __future__ import annotations

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import Mapping, unmapped_columns
from zmed_gui.core.schema import Schema
from zmed_gui.core.table import Table
from zmed_gui.ui.map_grid import column_choice

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
    more = f" and {len(unused) - _UNUSED_NAMED} more" if len(unused) > _UNUSED_NAMED else ""
    return f"Columns not sent: {names}{more}."
