from zmed_gui.core.report._layout import (
    RowOutcome,
    RowUpload,
    shown_value,
)
from zmed_gui.core.report._rows import write_outcome_rows
from zmed_gui.core.report._write import (
    write_report,
)

__all__ = [
    "RowOutcome",
    "RowUpload",
    "shown_value",
    "write_outcome_rows",
    "write_report",
]
