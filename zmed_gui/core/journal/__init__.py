from zmed_gui.core.journal._journal import (
    Journal,
    find_interrupted_uploads,
)
from zmed_gui.core.journal._schema import (
    ACCEPTED,
    HEARTBEAT_STALE_SECONDS,
    HELD,
    PENDING,
    REJECTED,
    RESENT,
    SENDING,
    SKIPPED,
    UNCERTAIN,
    BatchRecord,
    EventRow,
    UploadRecord,
)

__all__ = [
    "ACCEPTED",
    "HEARTBEAT_STALE_SECONDS",
    "HELD",
    "PENDING",
    "REJECTED",
    "RESENT",
    "SENDING",
    "SKIPPED",
    "UNCERTAIN",
    "BatchRecord",
    "EventRow",
    "Journal",
    "UploadRecord",
    "find_interrupted_uploads",
]
