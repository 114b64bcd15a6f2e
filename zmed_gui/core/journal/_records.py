"""What the journal hands out: statuses as enums and the records of uploads, events, batches.

The enums' values are the strings stored in the database since the first version, so a
journal written by any earlier zmed-gui reads unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

HASH_BYTES = 16  # the journal keeps the first 128 bits of an event's sha256


def hash_key(event_hash: str | bytes) -> bytes:
    """What the journal stores for an event hash: the digest's first 16 bytes.

    ``event_hash`` is the sha256 as bytes or hex (all 64 digits, or the 32 the journal
    hands back); any other text (journals of tests, say) is kept as its UTF-8 bytes, which
    never equal a 16-byte digest. The same event gives the same key in every version.
    """
    if isinstance(event_hash, bytes):
        return event_hash[:HASH_BYTES]
    if len(event_hash) in (2 * HASH_BYTES, 64):
        try:
            return bytes.fromhex(event_hash)[:HASH_BYTES]
        except ValueError:
            pass
    return event_hash.encode("utf-8")


def hash_text(key: bytes) -> str:
    """A stored key as text: 32 hex digits (or an older journal's own text)."""
    if len(key) == HASH_BYTES:
        return key.hex()
    return key.decode("utf-8", "replace")


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


@dataclass(slots=True)  # one per event of an upload: no __dict__ each
class EventRow:
    """One event of an upload; ``request_id`` is its batch's Zuora-Request-Id; ``hash`` the
    first 32 hex digits of its sha256 (see :func:`hash_key`)."""

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
