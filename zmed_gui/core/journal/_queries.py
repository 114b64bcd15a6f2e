"""Writing and reading uploads, events and batches in the journal."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence

from zmed_gui.core.journal._recovery import JournalRecovery
from zmed_gui.core.journal._schema import (
    ACCEPTED,
    PENDING,
    RESENT,
    SENDING,
    UNCERTAIN,
    BatchRecord,
    EventRow,
    UploadRecord,
    utc_now,
)


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted positions as inclusive ranges: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


class JournalQueries(JournalRecovery):
    """The journal's reads and writes (uploads, events, batches)."""

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
                    utc_now(),
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
                (status, message, utc_now(), upload_id),
            )

    def list_uploads(self, limit: int = 50) -> list[UploadRecord]:
        """The latest uploads, newest first."""
        self.recover()
        rows = self._query(
            f"SELECT {self._COLS} FROM uploads ORDER BY started DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [self._record(r) for r in rows]

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
                (upload_id, seq, PENDING, len(positions), json.dumps(list(excel_rows)), utc_now()),
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
                (SENDING, utc_now(), upload_id, seq),
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
                (status, message, request_id, track_echo, utc_now(), upload_id, seq),
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
