from zmed_gui.core.report._layout import (
    RowOutcome,
    RowUpload,
)
from zmed_gui.core.report._rows import write_outcome_rows
from zmed_gui.core.report._write import (
    write_report,
)

__all__ = [
    "RowOutcome",
    "RowUpload",
    "write_outcome_rows",
    "write_report",
]
