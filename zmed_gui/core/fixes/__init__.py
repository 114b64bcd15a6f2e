"""The fix-and-reimport loop: rows an upload did not deliver, out to Excel and back in.

:func:`rows_to_fix` says which rows of a validated file an upload left undelivered
(rejected by Zuora, invalid, or not sent before it stopped) and why, in words;
:func:`export_rows_to_fix` writes them, with the sheet's row number and the original
columns, as an ``.xlsx`` the user fixes in Excel; :func:`read_fixed_rows` reads such a
workbook back (through core's guarded reader: bounded in size, time and rows) and turns it
into cell edits matched by the row-number column. A workbook that is not one of ours, or
was exported from another file, is refused with one sentence (:class:`FixesError`).

:func:`merge_outcomes` and :func:`not_yet_sent` keep the story of several uploads of the
same rows straight, so that after a fix only what is not yet delivered is sent;
:func:`report_outcomes` says, for the result report, what each row's uploads did (rows
fixed since, or changed after they were sent, said so), for the app and the CLI alike.
"""

from __future__ import annotations

from zmed_gui.core.fixes._export import (
    FIXES_SHEET,
    MARKER_SHEET,
    RowToFix,
    export_rows_to_fix,
    rows_to_fix,
    source_token,
)
from zmed_gui.core.fixes._outcomes import (
    DELIVERED,
    FIXED_NOT_SENT,
    describe_now,
    merge_outcomes,
    not_yet_sent,
    report_outcomes,
    say_what_was_sent,
)
from zmed_gui.core.fixes._read import FixedRows, FixesError, read_fixed_rows

__all__ = [
    "DELIVERED",
    "FIXED_NOT_SENT",
    "FIXES_SHEET",
    "MARKER_SHEET",
    "FixedRows",
    "FixesError",
    "RowToFix",
    "describe_now",
    "export_rows_to_fix",
    "merge_outcomes",
    "not_yet_sent",
    "read_fixed_rows",
    "report_outcomes",
    "rows_to_fix",
    "say_what_was_sent",
    "source_token",
]
