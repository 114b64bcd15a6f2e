"""The journal's database: statuses, tables, records, and the connection (WAL, FULL sync).

- ``uploads``: one row per upload (file fingerprint, meter, track id, times, status, and
  which process runs it: pid + host + heartbeat).
- ``events``: one row per event of an upload (data row, Excel row, sha256 of the canonical
  JSON, the meter, its batch and status).
- ``batches``: one row per request (events, Excel rows, attempts, status, Zuora-Request-Id,
  echoed track id, message).
"""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from zmed_gui.core.paths import default_journal_path


class EventStatus(StrEnum):
    """What the journal knows of one event of an upload."""

    PENDING = "pending"
    SENDING = "sending"
    ACCEPTED = "accepted"  # received by Zuora (a 200)
    REJECTED = "rejected"
    UNCERTAIN = "uncertain"
    SKIPPED = "skipped"  # already accepted for this meter by an earlier upload
    HELD = "held"  # sent earlier without an answer; not resent
    RESENT = "resent"  # an uncertain event the user chose to send again (in a later upload)


class BatchStatus(StrEnum):
    """What the journal knows of one request."""

    PENDING = "pending"
    SENDING = "sending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNCERTAIN = "uncertain"
    SPLIT = "split"  # its events went on in smaller batches


class UploadStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


PENDING = EventStatus.PENDING
SENDING = EventStatus.SENDING
ACCEPTED = EventStatus.ACCEPTED
REJECTED = EventStatus.REJECTED
UNCERTAIN = EventStatus.UNCERTAIN
SKIPPED = EventStatus.SKIPPED
HELD = EventStatus.HELD
RESENT = EventStatus.RESENT

HEARTBEAT_STALE_SECONDS = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads(
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    sheet TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    connection TEXT NOT NULL,
    meter_url TEXT NOT NULL,
    meter_key TEXT NOT NULL,
    track_id TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT,
    status TEXT NOT NULL,
    events_total INTEGER NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    pid INTEGER,
    host TEXT,
    heartbeat REAL
);
CREATE TABLE IF NOT EXISTS events(
    upload_id TEXT NOT NULL,
    pos INTEGER NOT NULL,
    row INTEGER NOT NULL,
    excel_row INTEGER NOT NULL,
    hash TEXT NOT NULL,
    meter_key TEXT NOT NULL,
    batch_seq INTEGER,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(upload_id, pos)
);
CREATE INDEX IF NOT EXISTS events_by_meter_hash ON events(meter_key, hash);
CREATE INDEX IF NOT EXISTS events_by_batch ON events(upload_id, batch_seq);
CREATE TABLE IF NOT EXISTS batches(
    upload_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    events INTEGER NOT NULL,
    excel_rows TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    request_id TEXT,
    track_echo TEXT,
    message TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY(upload_id, seq)
);
"""


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
    status: str  # running, completed, interrupted, failed
    events_total: int
    accepted: int = 0
    rejected: int = 0
    uncertain: int = 0
    pending: int = 0
    skipped: int = 0
    message: str = ""

    @property
    def resumable(self) -> bool:
        """Not finished: some events were never sent (or are uncertain)."""
        return self.status != "running" and (self.pending > 0 or self.uncertain > 0)


@dataclass
class EventRow:
    pos: int
    row: int
    excel_row: int
    hash: str
    status: str
    message: str
    batch_seq: int | None
    request_id: str | None


@dataclass
class BatchRecord:
    seq: int
    status: str
    events: int
    excel_rows: list[int]
    attempts: int
    request_id: str | None
    track_echo: str | None
    message: str


class JournalStore:
    """The open database: schema, locking, transactions and reading upload records."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_journal_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a batch marked "sending" survives a power loss before the request leaves.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA cache_size=-32000")  # 32 MB: big uploads stay in memory
        with self._tx() as db:
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
        self._host = socket.gethostname()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def _record(self, row: Any) -> UploadRecord:
        (uid, file_name, sheet, fp, conn, url, key, track, started, ended, status, total, msg) = (
            row[:13]
        )
        counts: dict[str, int] = dict(
            self._query(
                "SELECT status, COUNT(*) FROM events WHERE upload_id=? GROUP BY status", (uid,)
            )
        )

        def n(*names: str) -> int:
            return sum(int(counts.get(s, 0)) for s in names)

        return UploadRecord(
            upload_id=str(uid),
            file_name=str(file_name),
            sheet=str(sheet),
            fingerprint=str(fp),
            connection=str(conn),
            meter_url=str(url),
            meter_key=str(key),
            track_id=str(track),
            started=str(started),
            ended=None if ended is None else str(ended),
            status=str(status),
            events_total=int(total),
            accepted=n(ACCEPTED),
            rejected=n(REJECTED),
            uncertain=n(UNCERTAIN, SENDING),
            pending=n(PENDING),
            skipped=n(SKIPPED),
            message=str(msg),
        )

    _COLS = (
        "id, file_name, sheet, fingerprint, connection, meter_url, meter_key, track_id,"
        " started, ended, status, events_total, message"
    )

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        rows = self._query(f"SELECT {self._COLS} FROM uploads WHERE id=?", (upload_id,))
        return self._record(rows[0]) if rows else None
