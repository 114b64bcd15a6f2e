"""The result file: the user's own rows with Status and Errors added (Data Loader style).

``.xlsx`` gets a Summary sheet first, then the rows with the problem cells filled light
red (invalid) or amber (warning); ``.csv`` is UTF-8 with a BOM so Excel opens it right.
Both are written to a temporary file next to the target and moved into place at the end,
so a cancelled or failed write never leaves half a report behind.

This module is the public face; the work is done in :mod:`~zmed_gui.core.report._layout`
(columns and rows), :mod:`~zmed_gui.core.report._xlsx` (the xlsx writer; its Results
sheets' XML from :mod:`~zmed_gui.core.report._sheetxml`),
:mod:`~zmed_gui.core.report._csv` (the csv writer), :mod:`~zmed_gui.core.report._summary`
(the Summary sheet) and :mod:`~zmed_gui.core.report._cells` (Excel limits, fills, values).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.filekind import give_user_file_mode
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.report._cells import (
    EXCEL_MAX_ROWS,
)
from zmed_gui.core.report._csv import write_csv
from zmed_gui.core.report._layout import Layout, ResultLike
from zmed_gui.core.report._outcome import RowUpload
from zmed_gui.core.report._xlsx import write_xlsx


def write_report(
    path: Path,
    result: ResultLike,
    *,
    uploads: Mapping[int, RowUpload] | None = None,
    edits: Mapping[tuple[int, int], Any] | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> None:
    """Write the result file: every original row with its Status and Errors.

    Args:
        path: ``.xlsx`` or ``.csv``; any other extension is an OptionsError.
        result: the validation result (its table, row statuses and issues).
        uploads: when given, the upload's outcome per 0-based data row; rows missing from
            it are reported "not sent".
        edits: the cells the user changed before sending, ``(data row, column) -> the
            value before the change``; the report then says for each row what changed
            ("Qty: "abc" -> 4") in a "Changed in Review" column. The cells themselves hold
            the new values, numbers as numbers.
        progress: called with (rows written, rows in all, message).
        cancel: checked between rows; a cancelled write leaves no file behind.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise OptionsError(
            f"The report {path.name} must end in .xlsx (Excel) or .csv; "
            f"choose one of those file types."
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OptionsError(
            f"The folder {folder} for the report does not exist; choose another place."
        )
    layout = Layout(result, uploads, edits)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".~{path.stem}.", suffix=suffix, dir=folder)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":
            write_csv(tmp, layout, progress, cancel)
        else:
            # EXCEL_MAX_ROWS is read here, at call time (tests set it on this module).
            write_xlsx(tmp, layout, progress, cancel, max_rows=EXCEL_MAX_ROWS)
        give_user_file_mode(tmp)  # mkstemp made it owner-only
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def _write_error(path: Path, exc: OSError) -> OptionsError:
    if isinstance(exc, PermissionError):
        return OptionsError(
            f"Cannot write the report {path.name}: it may be open in Excel or the folder is "
            f"read-only; close it or choose another place, then try again."
        )
    return OptionsError(
        f"Cannot write the report {path}: {exc.strerror or exc}; choose another place."
    )
