"""What the journal hands out: statuses as enums and the records of uploads, events, batches.

The enums' values are the strings stored in the database since the first version, so a
journal written by any earlier zmed-gui reads unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class EventStatus(StrEnum):
    """Where one event stands."""

    PENDING = "pending"  # not sent (yet)
    SENDING = "sending"  # its request left (or is about to); the answer is not in
    ACCEPTED = "accepted"  # received by Zuora (a 200); not yet known to be kept
    KEPT = "kept"  # received, and no error in the meter's audit trail after its window
    REJECTED_AFTER_RECEIPT = "rejected_after_receipt"  # in the meter's audit trail of errors
    REJECTED = "rejected"
    UNCERTAIN = "uncertain"  # sent, but no answer came: never resent silently
    SKIPPED = "skipped"  # already accepted for this meter by an earlier upload
    HELD = "held"  # sent earlier without an answer; not resent
    RESENT = "resent"  # an uncertain event the user chose to send again (in a later upload)


class BatchStatus(StrEnum):
    """Where one request stands; ``split`` hands its events to smaller batches."""

    PENDING = "pending"
    SENDING = "sending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNCERTAIN = "uncertain"
    SPLIT = "split"


class UploadStatus(StrEnum):
    """Where one upload stands; ``running`` means a live process owns it."""

    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    # The user discarded it (e.g. it went to a wrong meter): never offered for resuming
    # again. Its events keep their statuses, so the duplicate guard still knows them.
    ABANDONED = "abandoned"


# A running upload (or a meter lease) whose process has not written for this long is dead.
HEARTBEAT_STALE_SECONDS = 60.0


def utc_now() -> str:
    """Now in UTC, ISO 8601 to the second (the journal's timestamps)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class UploadRecord:
    """One upload as the journal knows it (counts are events)."""

    upload_id: str
    file_name: str
    sheet: str
    fingerprint: str
    connection: str
    meter_url: str
    meter_key: str
    track_id: str
    started: str  # ISO 8601 UTC
    ended: str | None
    status: UploadStatus
    events_total: int
    accepted: int = 0
    rejected: int = 0
    uncertain: int = 0
    pending: int = 0
    skipped: int = 0
    kept: int = 0
    rejected_after_receipt: int = 0
    message: str = ""

    @property
    def resumable(self) -> bool:
        """Not finished: some events were never sent (or are uncertain)."""
        return self.status != UploadStatus.RUNNING and (self.pending > 0 or self.uncertain > 0)


@dataclass
class EventRow:
    """One event of an upload; ``request_id`` is its batch's Zuora-Request-Id."""

    pos: int
    row: int
    excel_row: int
    hash: str
    status: EventStatus
    message: str
    batch_seq: int | None
    request_id: str | None


@dataclass
class BatchRecord:
    """One request of an upload, with the Excel rows it carried."""

    seq: int
    status: BatchStatus
    events: int
    excel_rows: list[int]
    attempts: int
    request_id: str | None
    track_echo: str | None
    message: str
