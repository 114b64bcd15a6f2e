"""The upload journal: SQLite (WAL, synchronous=FULL) in the user data folder.

What it knows, so that nothing is lost and nothing is billed twice: every upload, its
events and their statuses, and every request (batch). A batch is committed as ``sending``
*before* its request leaves and updated after the answer; a process that died in between
leaves ``uncertain`` events, never resent silently (see :mod:`._recovery`).
"""

from __future__ import annotations

import json
import operator
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from zmed_gui.core.journal import _reads
from zmed_gui.core.journal._backups import list_backups, make_backup
from zmed_gui.core.journal._database import _Database
from zmed_gui.core.journal._lease import MeterLease, acquire
from zmed_gui.core.journal._reads import EventColumns
from zmed_gui.core.journal._records import (
    HASH_BYTES,
    BatchRecord,
    BatchStatus,
    EventRow,
    EventStatus,
    UploadRecord,
    UploadStatus,
    hash_key,
    utc_now,
)
from zmed_gui.core.journal._recovery import recover
from zmed_gui.core.paths import default_journal_path
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.table import SHARE_STEP

H = TypeVar("H", str, bytes)  # an event hash: the sha256 as hex or as bytes

_STATUS = {s.value: s.value for s in EventStatus}  # checked without making an enum per row
_PENDING = EventStatus.PENDING.value
assert _PENDING.isalpha()  # written into SQL as it is


def _event_status(status: str) -> str:
    try:
        return _STATUS[status]
    except KeyError:
        raise ValueError(f"{status!r} is not an event status") from None


def _event_rows(
    num: int | None,
    meter: int | None,
    events: Iterable[tuple[int, int, int, str | bytes, EventStatus, str]],
) -> Iterator[tuple[object, ...]]:
    """The rows to insert; the hot loop of recording an upload, so kept plain."""
    status_of = _STATUS
    for pos, row, xrow, h, status, msg in events:
        key = h[:HASH_BYTES] if type(h) is bytes else hash_key(h)
        if status not in status_of:
            _event_status(status)  # raises
        yield (num, pos, row, xrow, key, meter, status_of[status], msg)


def _insert_columns(
    db: sqlite3.Connection,
    num: int,
    meter: int,
    columns: tuple[Sequence[int], Sequence[int], Sequence[bytes]],
    marks: Mapping[int, tuple[EventStatus, str]],
) -> None:
    """:func:`_event_rows` of columns, inside the caller's transaction: every event
    ``pending``, then the few in ``marks`` given their status.

    The hot loop of recording a big upload: four values bound per event (its loop in C:
    zip, map, repeat); the upload's and meter's numbers and the status are written into
    the statement once (they are integers of our own tables and a fixed word).
    """
    rows, xrows, hashes = columns
    n = len(rows)
    if len(xrows) != n or len(hashes) != n:
        raise ValueError("the event columns differ in length")
    marked = [(_event_status(st), msg, pos) for pos, (st, msg) in marks.items()]
    if any(not 0 <= pos < n for _, _, pos in marked):
        raise ValueError("a marked event is not among the event columns")
    if not all(type(h) is bytes and len(h) >= HASH_BYTES for h in hashes):
        raise ValueError("event hashes in columns must be sha256 digests (bytes)")
    if not _insert_runs(db, num, meter, columns):
        keys = map(operator.getitem, hashes, repeat(slice(0, HASH_BYTES)))
        db.executemany(
            "INSERT INTO events(upload, pos, row, excel_row, hash, meter, status)"
            f" VALUES({int(num)},?,?,?,?,{int(meter)},'{_PENDING}')",
            zip(range(n), rows, xrows, keys, strict=True),
        )
    db.executemany(
        f"UPDATE events SET status=?, message=? WHERE upload={int(num)} AND pos=?", marked
    )


_CHUNK = 50_000  # events per statement of _insert_runs (a JSON text and a blob of 16 B each)


def _insert_runs(
    db: sqlite3.Connection,
    num: int,
    meter: int,
    columns: tuple[Sequence[int], Sequence[int], Sequence[bytes]],
) -> bool:
    """The usual case of :func:`_insert_columns` with no value bound per event: when every
    Excel row is its data row plus the same number (a CSV file, a sheet without gaps),
    SQLite makes the rows itself from a JSON array of the data rows and one blob of the
    hash keys, 50,000 events a statement (about half the time of binding each event).

    False (nothing written) when the columns are not so, or this SQLite has no
    ``json_each``: the caller binds each event then.
    """
    rows, xrows, hashes = columns
    n = len(rows)
    if not n:
        return False
    offset = xrows[0] - rows[0]
    for start in range(0, n, SHARE_STEP):  # a slice a native call: the GIL is let go between
        part = slice(start, start + SHARE_STEP)
        if not all(map(operator.eq, xrows[part], map(operator.add, rows[part], repeat(offset)))):
            return False
    sql = (
        "INSERT INTO events(upload, pos, row, excel_row, hash, meter, status)"
        f" SELECT {int(num)}, ? + e.key, e.value, e.value + ?, substr(?, e.key * {HASH_BYTES}"
        f" + 1, {HASH_BYTES}), {int(meter)}, '{_PENDING}' FROM json_each(?) e"
    )
    for start in range(0, n, _CHUNK):
        end = min(n, start + _CHUNK)
        keys = b"".join([h[:HASH_BYTES] for h in hashes[start:end]])
        data = json.dumps(list(rows[start:end]))
        try:
            cur = db.execute(sql, (start, int(offset), keys, data))
        except sqlite3.OperationalError as exc:
            if start == 0 and "json_each" in str(exc):
                return False  # an SQLite built without JSON: nothing was written
            raise
        if cur.rowcount != end - start:  # never: a JSON array has one row per item
            raise ValueError("the events were not all recorded")
    return True


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted positions as inclusive ranges: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    if positions and list(positions) == list(range(positions[0], positions[0] + len(positions))):
        return [(positions[0], positions[-1])]  # the usual batch, told apart in C
    runs: list[tuple[int, int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


class Journal:
    """Thread-safe access to the journal (default: ``journal.sqlite3`` in the user data dir).

    Raises :class:`JournalDamaged` for a file that is not a usable journal, and a
    :class:`JournalError` (full, read-only, locked...) from any method that cannot do its
    work; ``busy_timeout`` is how long to wait for another program's lock.
    """

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 30.0) -> None:
        self.path = path or default_journal_path()
        self._db = _Database(self.path, busy_timeout=busy_timeout)
        self._host = socket.gethostname()
        self._leases: list[MeterLease] = []

    def close(self) -> None:
        """Release this journal's meter leases, then close the database."""
        for lease in self._leases:
            if not lease.released:
                try:
                    lease.release()
                except Exception:
                    lease.stop()  # the row goes stale and is taken over later
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---------------------------------------------------------------- backups, leases

    def backup(self) -> Path:
        """Copy the journal to ``journal-backups/journal-<UTC time>.sqlite3``; newest 3 kept."""
        return make_backup(self._db)

    def list_backups(self) -> list[Path]:
        """This journal's backups, oldest first."""
        return list_backups(self.path)

    def acquire_lease(
        self,
        meter_key: str,
        *,
        upload_desc: str,
        wait: bool = False,
        cancel: CancelToken | None = None,
        program: str | None = None,
    ) -> MeterLease:
        """Take the right to send to a meter, for this process alone.

        Args:
            meter_key: the meter (``Target.meter_key``).
            upload_desc: what the upload is, for another process's :class:`MeterBusy`
                sentence (e.g. ``"usage.xlsx, sheet 'May'"``).
            wait: poll every 0.5 s until the meter is free instead of raising.
            cancel: stops the waiting (raises ``Cancelled``).
            program: the name a user knows this program by (default: from ``sys.argv``).

        Raises:
            MeterBusy: a live process holds the meter (only when not ``wait``).
        """
        lease = acquire(
            self._db,
            self._host,
            meter_key,
            upload_desc=upload_desc,
            program=program,
            wait=wait,
            cancel=cancel,
        )
        self._leases = [x for x in self._leases if not x.released] + [lease]
        return lease

    # ---------------------------------------------------------------- uploads

    def create_upload(
        self,
        *,
        upload_id: str,
        file_name: str,
        sheet: str,
        fingerprint: str,
        connection: str,
        meter_url: str,
        meter_key: str,
        track_id: str,
        events: Iterable[tuple[int, int, int, str | bytes, EventStatus, str]] = (),
        columns: tuple[Sequence[int], Sequence[int], Sequence[bytes]] | None = None,
        marks: Mapping[int, tuple[EventStatus, str]] | None = None,
    ) -> None:
        """Record a new upload and its events ``(pos, row, excel_row, hash, status, message)``.

        ``hash`` is the event's sha256 (bytes or hex); one transaction for all of it.
        Or, quicker for many, ``columns``: the events' rows, Excel rows and sha256 digests
        (bytes), position by position, all ``pending`` except those in ``marks``
        (position -> status, message).
        """
        with self._db.tx() as db:
            db.execute(
                "INSERT INTO uploads(id, file_name, sheet, fingerprint, connection, meter_url,"
                " meter_key, track_id, started, status, events_total, pid, host, heartbeat)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    upload_id,
                    file_name,
                    sheet,
                    fingerprint,
                    connection,
                    meter_url,
                    meter_key,
                    track_id,
                    utc_now(),
                    UploadStatus.RUNNING,
                    0,
                    os.getpid(),
                    self._host,
                    time.time(),
                ),
            )
            num = _reads.key_num(db, "upload_keys", "id", upload_id, create=True)
            meter = _reads.key_num(db, "meter_keys", "key", meter_key, create=True)
            if columns is None:
                db.executemany(
                    "INSERT INTO events(upload, pos, row, excel_row, hash, meter, status,"
                    " message) VALUES(?,?,?,?,?,?,?,?)",
                    _event_rows(num, meter, events),
                )
            else:
                _insert_columns(db, num or 0, meter or 0, columns, marks or {})
            db.execute(
                "UPDATE uploads SET events_total=(SELECT COUNT(*) FROM events WHERE upload=?)"
                " WHERE id=?",
                (num, upload_id),
            )

    def claim_upload(self, upload_id: str) -> None:
        """Mark an existing upload as running in this process (resume)."""
        with self._db.tx() as db:
            db.execute(
                "UPDATE uploads SET status=?, ended=NULL, pid=?, host=?, heartbeat=? WHERE id=?",
                (UploadStatus.RUNNING, os.getpid(), self._host, time.time(), upload_id),
            )

    def heartbeat(self, upload_id: str) -> None:
        """Tell other processes the upload's process is alive."""
        with self._db.tx() as db:
            db.execute("UPDATE uploads SET heartbeat=? WHERE id=?", (time.time(), upload_id))

    def finish_upload(
        self, upload_id: str, status: UploadStatus, message: str, meter_url: str | None = None
    ) -> None:
        """Set the final status (completed, interrupted, failed) and message; ``meter_url``
        when the meter answered at another path than the one planned."""
        with self._db.tx() as db:
            db.execute(
                "UPDATE uploads SET status=?, message=?, ended=?, pid=NULL,"
                " meter_url=COALESCE(?, meter_url) WHERE id=?",
                (UploadStatus(status), message, utc_now(), meter_url, upload_id),
            )

    def abandon_upload(self, upload_id: str) -> bool:
        """Discard an interrupted or failed upload: it is no longer offered for resuming.

        Returns whether it was discarded (a running or completed upload is left alone).
        """
        self.recover()
        with self._db.tx() as db:
            cur = db.execute(
                "UPDATE uploads SET status=?, ended=COALESCE(ended, ?), pid=NULL"
                " WHERE id=? AND status IN (?, ?)",
                (
                    UploadStatus.ABANDONED,
                    utc_now(),
                    upload_id,
                    UploadStatus.INTERRUPTED,
                    UploadStatus.FAILED,
                ),
            )
            return bool(cur.rowcount)

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        found = _reads.uploads(self._db, "WHERE id=?", (upload_id,))
        return found[0] if found else None

    def count_uploads(self) -> int:
        """How many uploads the journal records (one query, no per-upload counts)."""
        return int(self._db.query("SELECT COUNT(*) FROM uploads")[0][0])

    def list_uploads(self, limit: int = 50) -> list[UploadRecord]:
        """The latest uploads, newest first."""
        self.recover()
        return _reads.uploads(self._db, "ORDER BY started DESC, rowid DESC LIMIT ?", (limit,))

    # ---------------------------------------------------------------- recovery

    def recover(self) -> int:
        """Mark uploads whose process died as interrupted; their ``sending`` -> ``uncertain``.

        Returns how many uploads were recovered.
        """
        return recover(self._db, self._host)

    def find_interrupted_uploads(self, *, recover: bool = True) -> list[UploadRecord]:
        """Uploads that stopped before finishing (cancel, crash, power or network loss).

        ``recover=False``: the caller has just called :meth:`recover` itself.
        """
        if recover:
            self.recover()
        found = _reads.uploads(
            self._db,
            "WHERE status IN (?, ?) ORDER BY started DESC, rowid DESC",
            (UploadStatus.INTERRUPTED, UploadStatus.FAILED),
        )
        return [r for r in found if r.pending or r.uncertain]

    def find_resumable(
        self, fingerprint: str, meter_key: str, *, recover: bool = True
    ) -> UploadRecord | None:
        """The newest interrupted upload of the same file/sheet/mapping to the same meter."""
        for rec in self.find_interrupted_uploads(recover=recover):
            if rec.fingerprint == fingerprint and rec.meter_key == meter_key:
                return rec
        return None

    # ---------------------------------------------------------------- events

    def events(self, upload_id: str) -> list[EventRow]:
        """The upload's events in file order, with their batch's Zuora-Request-Id."""
        return _reads.events(self._db, upload_id)

    def event_columns(self, upload_id: str) -> EventColumns:
        """:meth:`events` as compact columns (a resume's plan and sender start from them)."""
        return _reads.event_columns(self._db, upload_id)

    def prior_statuses(
        self,
        meter_key: str,
        hashes: Iterable[H],
        exclude_upload: str | None = None,
        *,
        most: int | None = None,
        refusals: bool = False,
    ) -> dict[H, list[tuple[EventStatus, str]]]:
        """For each hash: ``(status, upload_id)`` of accepted/uncertain events for the meter,
        oldest first, keyed by the hashes as given (sha256 as bytes or hex).

        ``sending`` events of another live upload count as uncertain too; a ``kept`` one
        as accepted. ``most``: only the oldest that many accepted and that many uncertain
        per hash (a file holding an event twice needs two; k earlier uploads of it would
        give k each). ``refusals``: events Zuora refused (when sent or after receipt) come
        too, as ``rejected`` (``most`` of those as well).
        """
        return _reads.prior_statuses(
            self._db, meter_key, hashes, exclude_upload, most, refusals=refusals
        )

    def refusal_reasons(
        self, meter_key: str, hashes: Iterable[H], exclude_upload: str | None = None
    ) -> dict[H, str]:
        """For each hash Zuora refused for the meter in an earlier upload: the newest
        refusal's message (what the result said of it)."""
        return _reads.refusal_reasons(self._db, meter_key, hashes, exclude_upload)

    def count_with_status(
        self, meter_key: str, hashes: Iterable[H], status: EventStatus
    ) -> dict[H, int]:
        """How many events of the meter, in any upload, have each hash and ``status``."""
        return _reads.count_with_status(self._db, meter_key, hashes, status)

    def mark_resent(
        self, meter_key: str, hashes: Mapping[str, int] | Mapping[bytes, int], by_upload: str
    ) -> None:
        """Earlier uncertain events the user chose to send again: ``hash -> how many``."""
        with self._db.tx() as db:
            meter = _reads.key_num(db, "meter_keys", "key", meter_key)
            if meter is None:
                return
            mine = _reads.key_num(db, "upload_keys", "id", by_upload) or 0
            for h, count in hashes.items():
                db.execute(
                    "UPDATE events SET status=?, message=? WHERE (upload, pos) IN (SELECT"
                    " upload, pos FROM events WHERE meter=? AND hash=? AND status=?"
                    " AND upload != ? ORDER BY upload, pos LIMIT ?)",
                    (
                        EventStatus.RESENT,
                        f"Sent again by upload {by_upload}.",
                        meter,
                        hash_key(h),
                        EventStatus.UNCERTAIN,
                        mine,
                        count,
                    ),
                )

    def set_event_statuses(
        self, upload_id: str, updates: Iterable[tuple[int, EventStatus, str]]
    ) -> None:
        """``(pos, status, message)`` for single events (skipped, held, rejected...)."""
        with self._db.tx() as db:
            num = _reads.key_num(db, "upload_keys", "id", upload_id)
            db.executemany(
                "UPDATE events SET status=?, message=? WHERE upload=? AND pos=?",
                ((_event_status(s), m, num, p) for p, s, m in updates),
            )

    # ---------------------------------------------------------------- batches

    def begin_batch(
        self,
        upload_id: str,
        positions: Sequence[int],
        excel_rows: Sequence[int],
        *,
        sending: bool = False,
    ) -> int:
        """Record a new batch (``pending``: not sent yet) and assign its events; its seq.

        :meth:`batch_attempt` marks it ``sending`` right before each request;
        ``sending=True`` records it as sending its first attempt at once (the same commit:
        if this raises, the request must not be sent).
        """
        batch_status, event_status = BatchStatus.PENDING, EventStatus.PENDING
        if sending:
            batch_status, event_status = BatchStatus.SENDING, EventStatus.SENDING
        # Made before the lock is taken: other threads' journal writes need not wait on it.
        xrows_json = json.dumps(list(excel_rows))
        runs = _runs(positions)  # mostly runs of consecutive positions: one UPDATE per run
        with self._db.tx() as db:
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM batches WHERE upload_id=?", (upload_id,)
            ).fetchone()
            db.execute(
                "INSERT INTO batches(upload_id, seq, status, events, excel_rows, attempts,"
                " updated) VALUES(?,?,?,?,?,?,?)",
                (
                    upload_id,
                    seq,
                    batch_status,
                    len(positions),
                    xrows_json,
                    int(sending),
                    utc_now(),
                ),
            )
            num = _reads.key_num(db, "upload_keys", "id", upload_id)
            db.executemany(
                "UPDATE events SET status=?, batch_seq=?, message='' WHERE upload=?"
                " AND pos BETWEEN ? AND ?",
                ((event_status, seq, num, lo, hi) for lo, hi in runs),
            )
            db.execute("UPDATE uploads SET heartbeat=? WHERE id=?", (time.time(), upload_id))
        return int(seq)

    def batch_attempt(self, upload_id: str, seq: int) -> None:
        """The batch's request is about to leave: ``sending``, committed before it does.

        If this raises, the request must not be sent (and the engine does not send it).
        """
        with self._db.tx() as db:
            db.execute(
                "UPDATE batches SET attempts=attempts+1, status=?, updated=? WHERE upload_id=?"
                " AND seq=?",
                (BatchStatus.SENDING, utc_now(), upload_id, seq),
            )
            db.execute(
                # INDEXED BY: SQLite would rather walk the upload's whole primary key
                "UPDATE events INDEXED BY events_by_batch SET status=? WHERE upload=?"
                " AND batch_seq=? AND status=?",
                (EventStatus.SENDING, _reads.upload_num(db, upload_id), seq, EventStatus.PENDING),
            )

    def end_batch(
        self,
        upload_id: str,
        seq: int,
        status: BatchStatus,
        *,
        message: str = "",
        request_id: str | None = None,
        track_echo: str | None = None,
        event_status: EventStatus | None = None,
    ) -> None:
        """The answer of a batch: its status, and its events' (``event_status`` or the same).

        ``split`` leaves the events to the smaller batches made from it; ``pending`` means
        not sent (retry later).
        """
        status = BatchStatus(status)
        if status is BatchStatus.SPLIT:  # the events go on in smaller batches
            ev = EventStatus.PENDING
        else:
            ev = EventStatus(event_status or status.value)
        with self._db.tx() as db:
            db.execute(
                "UPDATE batches SET status=?, message=?, request_id=COALESCE(?, request_id),"
                " track_echo=COALESCE(?, track_echo), updated=? WHERE upload_id=? AND seq=?",
                (status, message, request_id, track_echo, utc_now(), upload_id, seq),
            )
            num = _reads.upload_num(db, upload_id)
            text = message if ev not in (EventStatus.ACCEPTED, EventStatus.PENDING) else ""
            # A batch is mostly one run of positions: then its rows are walked along the
            # primary key (a fifth quicker than looking each up from the batch index).
            lo, hi, count = db.execute(
                "SELECT MIN(pos), MAX(pos), COUNT(*) FROM events INDEXED BY events_by_batch"
                " WHERE upload=? AND batch_seq=?",
                (num, seq),
            ).fetchone()
            if count and hi - lo < 2 * count:
                db.execute(
                    "UPDATE events SET status=?, message=? WHERE upload=? AND pos BETWEEN ?"
                    " AND ? AND batch_seq=? AND status IN (?, ?)",
                    (ev, text, num, lo, hi, seq, EventStatus.SENDING, EventStatus.PENDING),
                )
            elif count:
                db.execute(
                    "UPDATE events INDEXED BY events_by_batch SET status=?, message=? WHERE"
                    " upload=? AND batch_seq=? AND status IN (?, ?)",
                    (ev, text, num, seq, EventStatus.SENDING, EventStatus.PENDING),
                )

    def batches(self, upload_id: str) -> list[BatchRecord]:
        """The upload's requests in the order they were made."""
        return _reads.batches(self._db, upload_id)


def abandon_upload(upload_id: str, journal: Journal | None = None) -> bool:
    """:meth:`Journal.abandon_upload` on the user's journal (or ``journal``)."""
    if journal is not None:
        return journal.abandon_upload(upload_id)
    with Journal() as j:
        return j.abandon_upload(upload_id)


def find_interrupted_uploads(journal: Journal | None = None) -> list[UploadRecord]:
    """For the GUI's "resume at next start": interrupted uploads with events left, newest first."""
    if journal is not None:
        return journal.find_interrupted_uploads()
    with Journal() as j:
        return j.find_interrupted_uploads()
