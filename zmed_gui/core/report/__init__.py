"""The result report (xlsx or CSV) and what an upload did with each row.

The writers load openpyxl, so they are loaded when first used: the upload engine and the
command line name ``RowOutcome`` and ``RowUpload`` without paying for the xlsx writer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zmed_gui.core.report._outcome import RowOutcome, RowUpload, shown_value

if TYPE_CHECKING:
    from zmed_gui.core.report._rows import write_outcome_rows
    from zmed_gui.core.report._write import write_report

_LAZY = {
    "write_outcome_rows": "zmed_gui.core.report._rows",
    "write_report": "zmed_gui.core.report._write",
}

__all__ = [
    "RowOutcome",
    "RowUpload",
    "shown_value",
    "write_outcome_rows",
    "write_report",
]


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value
