"""Reading the journal's rows back as records (uploads with their counts, events, batches)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from zmed_gui.core.journal._database import _Database
from zmed_gui.core.journal._records import (
    BatchRecord,
    BatchStatus,
    EventRow,
    EventStatus,
    UploadRecord,
    UploadStatus,
)

_COLS = (
    "id, file_name, sheet, fingerprint, connection, meter_url, meter_key, track_id,"
    " started, ended, status, events_total, message"
)


def uploads(db: _Database, where: str, params: Sequence[object] = ()) -> list[UploadRecord]:
    """``SELECT ... FROM uploads <where>`` as records, with their event counts."""
    return [_record(db, row) for row in db.query(f"SELECT {_COLS} FROM uploads {where}", params)]


def _record(db: _Database, row: Any) -> UploadRecord:
    (uid, file_name, sheet, fp, conn, url, key, track, started, ended, status, total, msg) = row
    counts: dict[str, int] = dict(
        db.query("SELECT status, COUNT(*) FROM events WHERE upload_id=? GROUP BY status", (uid,))
    )

    def n(*statuses: EventStatus) -> int:
        return sum(int(counts.get(s, 0)) for s in statuses)

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
        status=UploadStatus(status),
        events_total=int(total),
        accepted=n(EventStatus.ACCEPTED),
        rejected=n(EventStatus.REJECTED),
        uncertain=n(EventStatus.UNCERTAIN, EventStatus.SENDING),
        pending=n(EventStatus.PENDING),
        skipped=n(EventStatus.SKIPPED),
        kept=n(EventStatus.KEPT),
        rejected_after_receipt=n(EventStatus.REJECTED_AFTER_RECEIPT),
        message=str(msg),
    )


def events(db: _Database, upload_id: str) -> list[EventRow]:
    rows = db.query(
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
            EventStatus(s),
            str(m),
            None if b is None else int(b),
            None if q is None else str(q),
        )
        for p, r, x, h, s, m, b, q in rows
    ]


def batches(db: _Database, upload_id: str) -> list[BatchRecord]:
    rows = db.query(
        "SELECT seq, status, events, excel_rows, attempts, request_id, track_echo, message"
        " FROM batches WHERE upload_id=? ORDER BY seq",
        (upload_id,),
    )
    return [
        BatchRecord(
            int(s),
            BatchStatus(st),
            int(n),
            list(json.loads(str(x))),
            int(a),
            None if r is None else str(r),
            None if t is None else str(t),
            str(m),
        )
        for s, st, n, x, a, r, t, m in rows
    ]


def prior_statuses(
    db: _Database, meter_key: str, hashes: Iterable[str], exclude_upload: str | None
) -> dict[str, list[tuple[EventStatus, str]]]:
    """See :meth:`Journal.prior_statuses`."""
    found: dict[str, list[tuple[EventStatus, str]]] = {}
    wanted = list(dict.fromkeys(hashes))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.query(
            "SELECT hash, status, upload_id FROM events WHERE meter_key=? AND status IN"
            f" (?, ?, ?, ?) AND hash IN ({marks}) AND upload_id != ? ORDER BY rowid",
            (
                meter_key,
                EventStatus.ACCEPTED,
                EventStatus.KEPT,  # an event rejected after receipt is not "already sent"
                EventStatus.UNCERTAIN,
                EventStatus.SENDING,
                *chunk,
                exclude_upload or "",
            ),
        )
        for h, status, uid in rows:
            st = (
                EventStatus.ACCEPTED
                if status in (EventStatus.ACCEPTED, EventStatus.KEPT)
                else EventStatus.UNCERTAIN
            )
            found.setdefault(str(h), []).append((st, str(uid)))
    return found


def count_with_status(
    db: _Database, meter_key: str, hashes: Iterable[str], status: EventStatus
) -> dict[str, int]:
    """See :meth:`Journal.count_with_status`."""
    counts: dict[str, int] = {}
    wanted = list(dict.fromkeys(hashes))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.query(
            "SELECT hash, COUNT(*) FROM events WHERE meter_key=? AND status=?"
            f" AND hash IN ({marks}) GROUP BY hash",
            (meter_key, status, *chunk),
        )
        for h, n in rows:
            counts[str(h)] = int(n)
    return counts
