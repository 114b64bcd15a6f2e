"""The upload journal: SQLite (WAL, synchronous=FULL) in the user data dir.

What it knows, so that nothing is lost and nothing is billed twice:

- ``uploads``: one row per upload (file fingerprint, meter, track id, times, status, and
  which process runs it: pid + host + heartbeat).
- ``events``: one row per event of an upload (data row, Excel row, sha256 of the canonical
  JSON, the meter, its batch and status: pending, sending, accepted, rejected, uncertain,
  skipped (already accepted earlier), held (uncertain earlier, not resent), resent).
- ``batches``: one row per request (events, Excel rows, attempts, status, Zuora-Request-Id,
  echoed track id, message).

A batch is committed as ``sending`` *before* its request leaves and updated after the
answer. If the process dies in between, :meth:`Journal.recover` turns ``sending`` into
``uncertain`` (the request may have arrived): such events are never resent silently.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from zmed_gui.core.connections import APP_NAME

# Event statuses
PENDING = "pending"
SENDING = "sending"
ACCEPTED = "accepted"
REJECTED = "rejected"
UNCERTAIN = "uncertain"
SKIPPED = "skipped"  # already accepted for this meter by an earlier upload
HELD = "held"  # sent earlier without an answer; not resent
RESENT = "resent"  # an uncertain event the user chose to send again (in a later upload)

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_journal_path() -> Path:
    """``journal.sqlite3`` in the user data dir (platformdirs, ``zmed-gui``)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "journal.sqlite3"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted positions as inclusive ranges: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


class Journal:
    """Thread-safe access to the journal database (default: user data dir)."""

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

    def __enter__(self) -> Journal:
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
        events: Iterable[tuple[int, int, int, str, str, str]],
    ) -> None:
        """Record a new upload and its events ``(pos, row, excel_row, hash, status, message)``."""
        with self._tx() as db:
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
                    _now(),
                    "running",
                    0,
                    os.getpid(),
                    self._host,
                    time.time(),
                ),
            )
            db.executemany(
                "INSERT INTO events(upload_id, pos, row, excel_row, hash, meter_key, status,"
                " message) VALUES(?,?,?,?,?,?,?,?)",
                (
                    (upload_id, pos, row, xrow, h, meter_key, status, msg)
                    for pos, row, xrow, h, status, msg in events
                ),
            )
            db.execute(
                "UPDATE uploads SET events_total=(SELECT COUNT(*) FROM events WHERE upload_id=?)"
                " WHERE id=?",
                (upload_id, upload_id),
            )

    def claim_upload(self, upload_id: str) -> None:
        """Mark an existing upload as running in this process (resume)."""
        with self._tx() as db:
            db.execute(
                "UPDATE uploads SET status='running', ended=NULL, pid=?, host=?, heartbeat=?"
                " WHERE id=?",
                (os.getpid(), self._host, time.time(), upload_id),
            )

    def heartbeat(self, upload_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE uploads SET heartbeat=? WHERE id=?", (time.time(), upload_id))

    def finish_upload(self, upload_id: str, status: str, message: str) -> None:
        """Set the final status (completed, interrupted, failed) and message."""
        with self._tx() as db:
            db.execute(
                "UPDATE uploads SET status=?, message=?, ended=?, pid=NULL WHERE id=?",
                (status, message, _now(), upload_id),
            )

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

    def list_uploads(self, limit: int = 50) -> list[UploadRecord]:
        """The latest uploads, newest first."""
        self.recover()
        rows = self._query(
            f"SELECT {self._COLS} FROM uploads ORDER BY started DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [self._record(r) for r in rows]

    def recover(self) -> int:
        """Mark uploads whose process died as interrupted; their ``sending`` -> ``uncertain``.

        Returns how many uploads were recovered.
        """
        rows = self._query("SELECT id, pid, host, heartbeat FROM uploads WHERE status='running'")
        dead: list[str] = []
        for uid, pid, host, beat in rows:
            if host == self._host and isinstance(pid, int):
                alive = _pid_alive(pid)
            else:
                alive = isinstance(beat, float) and time.time() - beat < HEARTBEAT_STALE_SECONDS
            if not alive:
                dead.append(str(uid))
        for uid in dead:
            with self._tx() as db:
                n = db.execute(
                    "UPDATE events SET status=?, message=? WHERE upload_id=? AND status=?",
                    (
                        UNCERTAIN,
                        "Sent when the program stopped; Zuora's answer is unknown.",
                        uid,
                        SENDING,
                    ),
                ).rowcount
                db.execute(
                    "UPDATE batches SET status=?, message=? WHERE upload_id=? AND status=?",
                    (UNCERTAIN, "The program stopped before Zuora answered.", uid, SENDING),
                )
                msg = "The program stopped before the upload finished"
                msg += f"; {n} events were being sent and are uncertain." if n else "."
                db.execute(
                    "UPDATE uploads SET status='interrupted', message=?, ended=?, pid=NULL"
                    " WHERE id=? AND status='running'",
                    (msg, _now(), uid),
                )
        return len(dead)

    def find_interrupted_uploads(self) -> list[UploadRecord]:
        """Uploads that stopped before finishing (cancel, crash, power or network loss)."""
        self.recover()
        rows = self._query(
            f"SELECT {self._COLS} FROM uploads WHERE status IN ('interrupted', 'failed')"
            " ORDER BY started DESC, rowid DESC"
        )
        return [r for r in (self._record(row) for row in rows) if r.pending or r.uncertain]

    def find_resumable(self, fingerprint: str, meter_key: str) -> UploadRecord | None:
        """The newest interrupted upload of the same file/sheet/mapping to the same meter."""
        for rec in self.find_interrupted_uploads():
            if rec.fingerprint == fingerprint and rec.meter_key == meter_key:
                return rec
        return None

    # ---------------------------------------------------------------- events

    def events(self, upload_id: str) -> list[EventRow]:
        rows = self._query(
            "SELECT e.pos, e.row, e.excel_row, e.hash, e.status, e.message, e.batch_seq,"
            " b.request_id FROM events e LEFT JOIN batches b"
            " ON b.upload_id=e.upload_id AND b.seq=e.batch_seq"
            " WHERE e.upload_id=? ORDER BY e.pos",
            (upload_id,),
        )
        return [
            EventRow(
                int(p),
                int(r),
                int(x),
                str(h),
                str(s),
                str(m),
                None if b is None else int(b),
                None if q is None else str(q),
            )
            for p, r, x, h, s, m, b, q in rows
        ]

    def prior_statuses(
        self, meter_key: str, hashes: Iterable[str], exclude_upload: str | None = None
    ) -> dict[str, list[tuple[str, str]]]:
        """For each hash: ``(status, upload_id)`` of accepted/uncertain events for the meter.

        ``sending`` events of another live upload count as uncertain too.
        """
        found: dict[str, list[tuple[str, str]]] = {}
        wanted = list(dict.fromkeys(hashes))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                "SELECT hash, status, upload_id FROM events WHERE meter_key=? AND status IN"
                f" ('accepted','uncertain','sending') AND hash IN ({marks})"
                " AND upload_id != ? ORDER BY rowid",
                (meter_key, *chunk, exclude_upload or ""),
            )
            for h, status, uid in rows:
                st = ACCEPTED if status == ACCEPTED else UNCERTAIN
                found.setdefault(str(h), []).append((st, str(uid)))
        return found

    def mark_resent(self, meter_key: str, hashes: dict[str, int], by_upload: str) -> None:
        """Earlier uncertain events the user chose to send again: ``hash -> how many``."""
        with self._tx() as db:
            for h, count in hashes.items():
                db.execute(
                    "UPDATE events SET status=?, message=? WHERE rowid IN (SELECT rowid FROM"
                    " events WHERE meter_key=? AND hash=? AND status=? AND upload_id != ?"
                    " ORDER BY rowid LIMIT ?)",
                    (
                        RESENT,
                        f"Sent again by upload {by_upload}.",
                        meter_key,
                        h,
                        UNCERTAIN,
                        by_upload,
                        count,
                    ),
                )

    def set_event_statuses(self, upload_id: str, updates: Iterable[tuple[int, str, str]]) -> None:
        """``(pos, status, message)`` for single events (skipped, held, rejected...)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE events SET status=?, message=? WHERE upload_id=? AND pos=?",
                ((s, m, upload_id, p) for p, s, m in updates),
            )

    # ---------------------------------------------------------------- batches

    def begin_batch(
        self, upload_id: str, positions: Sequence[int], excel_rows: Sequence[int]
    ) -> int:
        """Record a new batch (``pending``: not sent yet) and assign its events; its seq.

        :meth:`batch_attempt` marks it ``sending`` right before each request.
        """
        with self._tx() as db:
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM batches WHERE upload_id=?", (upload_id,)
            ).fetchone()
            db.execute(
                "INSERT INTO batches(upload_id, seq, status, events, excel_rows, attempts,"
                " updated) VALUES(?,?,?,?,?,0,?)",
                (upload_id, seq, PENDING, len(positions), json.dumps(list(excel_rows)), _now()),
            )
            # Batches are mostly runs of consecutive positions: one UPDATE per run.
            db.executemany(
                "UPDATE events SET status=?, batch_seq=?, message='' WHERE upload_id=?"
                " AND pos BETWEEN ? AND ?",
                ((PENDING, seq, upload_id, lo, hi) for lo, hi in _runs(positions)),
            )
            db.execute("UPDATE uploads SET heartbeat=? WHERE id=?", (time.time(), upload_id))
        return int(seq)

    def batch_attempt(self, upload_id: str, seq: int) -> None:
        """The batch's request is about to leave: ``sending``, committed before it does."""
        with self._tx() as db:
            db.execute(
                "UPDATE batches SET attempts=attempts+1, status=?, updated=? WHERE upload_id=?"
                " AND seq=?",
                (SENDING, _now(), upload_id, seq),
            )
            db.execute(
                "UPDATE events SET status=? WHERE upload_id=? AND batch_seq=? AND status=?",
                (SENDING, upload_id, seq, PENDING),
            )

    def end_batch(
        self,
        upload_id: str,
        seq: int,
        status: str,
        *,
        message: str = "",
        request_id: str | None = None,
        track_echo: str | None = None,
        event_status: str | None = None,
    ) -> None:
        """The answer of a batch: its status, and its events' (``event_status`` or the same).

        ``status`` ``split`` leaves the events to the smaller batches made from it;
        ``pending`` means not sent (retry later).
        """
        with self._tx() as db:
            db.execute(
                "UPDATE batches SET status=?, message=?, request_id=COALESCE(?, request_id),"
                " track_echo=COALESCE(?, track_echo), updated=? WHERE upload_id=? AND seq=?",
                (status, message, request_id, track_echo, _now(), upload_id, seq),
            )
            # "split": the events go on in smaller batches; until then they were not taken.
            ev = PENDING if status == "split" else (event_status or status)
            db.execute(
                "UPDATE events SET status=?, message=? WHERE upload_id=? AND batch_seq=?"
                " AND status IN (?, ?)",
                (
                    ev,
                    message if ev not in (ACCEPTED, PENDING) else "",
                    upload_id,
                    seq,
                    SENDING,
                    PENDING,
                ),
            )

    def batches(self, upload_id: str) -> list[BatchRecord]:
        rows = self._query(
            "SELECT seq, status, events, excel_rows, attempts, request_id, track_echo, message"
            " FROM batches WHERE upload_id=? ORDER BY seq",
            (upload_id,),
        )
        return [
            BatchRecord(
                int(s),
                str(st),
                int(n),
                list(json.loads(str(x))),
                int(a),
                None if r is None else str(r),
                None if t is None else str(t),
                str(m),
            )
            for s, st, n, x, a, r, t, m in rows
        ]


def find_interrupted_uploads(journal: Journal | None = None) -> list[UploadRecord]:
    """For the GUI's "resume at next start": interrupted uploads with events left, newest first."""
    if journal is not None:
        return journal.find_interrupted_uploads()
    with Journal() as j:
        return j.find_interrupted_uploads()
