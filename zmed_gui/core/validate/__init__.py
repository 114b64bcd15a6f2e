from zmed_gui.core.validate._columns import (
    CHUNK,
)
from zmed_gui.core.validate._lines import (
    event_lines,
)
from zmed_gui.core.validate._mapping import (
    check_mapping,
)
from zmed_gui.core.validate._result import (
    Issue,
    RowStatus,
    Severity,
    ValidationResult,
)
from zmed_gui.core.validate._validate import (
    revalidate_rows,
    validate,
)

__all__ = [
    "CHUNK",
    "Issue",
    "RowStatus",
    "Severity",
    "ValidationResult",
    "check_mapping",
    "event_lines",
    "revalidate_rows",
    "validate",
]
