from zmed_gui.core.report._layout import (
    RowUpload,
)
from zmed_gui.core.report._rows import write_outcome_rows
from zmed_gui.core.report._write import (
    write_report,
)

__all__ = [
    "RowUpload",
    "write_outcome_rows",
    "write_report",
]
