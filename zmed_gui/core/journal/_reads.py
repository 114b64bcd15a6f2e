"""Reading the journal's rows back as records (uploads with their counts, events, batches)."""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from zmed_gui.core.journal._database import _Database
from zmed_gui.core.journal._records import (
    HASH_BYTES,
    BatchRecord,
    BatchStatus,
    EventRow,
    EventStatus,
    UploadRecord,
    UploadStatus,
    hash_key,
    hash_text,
)

H = TypeVar("H", str, bytes)

_EVENT_STATUS = {s.value: s for s in EventStatus}


def key_num(
    db: sqlite3.Connection, table: str, column: str, value: str, *, create: bool = False
) -> int | None:
    """The small integer of an upload ID (``upload_keys``) or meter key (``meter_keys``);
    numbered now when ``create`` (inside the caller's transaction)."""
    row = db.execute(f"SELECT num FROM {table} WHERE {column}=?", (value,)).fetchone()
    if row is not None:
        return int(row[0])
    if not create:
        return None
    return int(db.execute(f"INSERT INTO {table}({column}) VALUES(?)", (value,)).lastrowid or 0)


def upload_num(db: sqlite3.Connection, upload_id: str) -> int | None:
    return key_num(db, "upload_keys", "id", upload_id)


def _num(db: _Database, table: str, column: str, value: str) -> int | None:
    found = db.query(f"SELECT num FROM {table} WHERE {column}=?", (value,))
    return int(found[0][0]) if found else None


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
        db.query(
            "SELECT e.status, COUNT(*) FROM events e JOIN upload_keys u ON u.num = e.upload"
            " WHERE u.id=? GROUP BY e.status",
            (uid,),
        )
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


EVENTS_STEP = 50_000  # events read at a time


def events(db: _Database, upload_id: str) -> list[EventRow]:
    num = _num(db, "upload_keys", "id", upload_id)
    if num is None:
        return []
    out: list[EventRow] = []
    # Read a slice of positions at a time (not every row's tuple at once), and share the
    # texts that repeat (a batch's request ID, a message): 300,000 events of a resume
    # were 180 MiB read this way at once, with a string of its own for each.
    texts: dict[str, str] = {}
    step = EVENTS_STEP
    start = 0
    while True:
        rows = db.query(
            "SELECT e.pos, e.row, e.excel_row, e.hash, e.status, e.message, e.batch_seq,"
            " b.request_id FROM events e LEFT JOIN batches b"
            " ON b.upload_id=? AND b.seq=e.batch_seq"
            " WHERE e.upload=? AND e.pos >= ? ORDER BY e.pos LIMIT ?",
            (upload_id, num, start, step),
        )
        for p, r, x, h, s, m, b, q in rows:
            m = str(m)
            q = None if q is None else str(q)
            out.append(
                EventRow(
                    int(p),
                    int(r),
                    int(x),
                    hash_text(h),
                    _EVENT_STATUS[s],
                    texts.setdefault(m, m),
                    None if b is None else int(b),
                    None if q is None else texts.setdefault(q, q),
                )
            )
        if len(rows) < step:
            return out
        start = int(rows[-1][0]) + 1


_STATUS_LIST = tuple(EventStatus)
_STATUS_CODE = {s.value: i for i, s in enumerate(_STATUS_LIST)}


class EventColumns:
    """An upload's events as a few columns (what a resume plans from and the sender starts
    from), in file order: a status byte, a 16-byte hash key, a message number and a batch
    number per event, not an :class:`EventRow` each (1,048,575 rows were 269 MiB that way,
    about 37 MiB here). Iterating makes the rows one at a time.

    ``statuses`` holds ``tuple(EventStatus)`` indices; ``keys`` the events' hash keys (see
    :func:`hash_key`), 16 bytes each; ``odd_keys`` is set when some stored key is not a
    16-byte digest (an older journal's text: it never equals a digest; its key here is
    zeros, its text kept aside)."""

    __slots__ = (
        "_messages",
        "_odd",
        "_request_ids",
        "_texts",
        "excel_rows",
        "keys",
        "positions",
        "rows",
        "seqs",
        "statuses",
    )

    def __init__(self) -> None:
        self.positions = array("q")
        self.rows = array("q")
        self.excel_rows = array("q")
        self.statuses = bytearray()
        self.keys = bytearray()
        self._odd: dict[int, str] = {}  # index -> an older journal's hash text
        self.seqs = array("q")  # -1: in no batch
        self._messages = array("I")  # index into _texts
        self._texts: list[str] = [""]
        self._request_ids: dict[int, str | None] = {}

    def __len__(self) -> int:
        return len(self.statuses)

    @property
    def odd_keys(self) -> bool:
        return any(len(hash_key(text)) != HASH_BYTES for text in self._odd.values())

    def in_order(self) -> bool:
        """Positions 0, 1, 2... (each event's index is its position)."""
        pos = self.positions
        return not pos or (pos[0] == 0 and pos[-1] == len(pos) - 1)

    def status(self, i: int) -> EventStatus:
        return _STATUS_LIST[self.statuses[i]]

    def key(self, i: int) -> bytes:
        return bytes(self.keys[i * HASH_BYTES : (i + 1) * HASH_BYTES])

    def row(self, i: int) -> EventRow:
        seq = self.seqs[i]
        batch = None if seq < 0 else seq
        return EventRow(
            self.positions[i],
            self.rows[i],
            self.excel_rows[i],
            self._odd.get(i) or hash_text(self.key(i)),
            _STATUS_LIST[self.statuses[i]],
            self._texts[self._messages[i]],
            batch,
            None if batch is None else self._request_ids.get(batch),
        )

    def __iter__(self) -> Iterator[EventRow]:
        return (self.row(i) for i in range(len(self.statuses)))


def event_columns(db: _Database, upload_id: str) -> EventColumns:
    """The upload's events as :class:`EventColumns`, read a slice at a time."""
    cols = EventColumns()
    num = _num(db, "upload_keys", "id", upload_id)
    if num is None:
        return cols
    cols._request_ids = {
        int(s): None if r is None else str(r)
        for s, r in db.query("SELECT seq, request_id FROM batches WHERE upload_id=?", (upload_id,))
    }
    text_num: dict[str, int] = {"": 0}
    texts = cols._texts
    step = EVENTS_STEP
    start = 0
    codes = _STATUS_CODE
    blank = bytes(HASH_BYTES)
    while True:
        rows = db.query(
            "SELECT pos, row, excel_row, hash, status, message, batch_seq FROM events"
            " WHERE upload=? AND pos >= ? ORDER BY pos LIMIT ?",
            (num, start, step),
        )
        if not rows:
            return cols
        pos, row, xrow, keys, sts, msgs, seqs = zip(*rows, strict=True)
        cols.positions.extend(pos)
        cols.rows.extend(row)
        cols.excel_rows.extend(xrow)
        cols.statuses.extend(codes[s] for s in sts)
        first = len(cols.keys) // HASH_BYTES
        for i, k in enumerate(keys, first):
            k = bytes(k)
            if len(k) != HASH_BYTES:
                text = cols._odd[i] = hash_text(k)  # an older journal's text (hex or other)
                k = hash_key(text)
                if len(k) != HASH_BYTES:
                    k = blank
            cols.keys += k
        for m in msgs:
            m = str(m)
            n = text_num.get(m)
            if n is None:
                n = text_num[m] = len(texts)
                texts.append(m)
            cols._messages.append(n)
        cols.seqs.extend(-1 if b is None else int(b) for b in seqs)
        del pos, row, xrow, keys, sts, msgs, seqs
        if len(rows) < step:
            return cols
        start = int(rows[-1][0]) + 1


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


def _wanted(hashes: Iterable[H]) -> dict[bytes, list[H]]:
    """Stored key -> the hashes as the caller gave them (hex and bytes of one event meet)."""
    wanted: dict[bytes, list[H]] = {}
    for h in hashes:
        given = wanted.setdefault(hash_key(h), [])
        if h not in given:
            given.append(h)
    return wanted


def _key_chunks(keys: list[bytes]) -> Iterator[tuple[list[bytes], str]]:
    """``keys`` 500 at a time, each with its ``?,?,...`` for an ``IN (...)``."""
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


def prior_statuses(
    db: _Database,
    meter_key: str,
    hashes: Iterable[H],
    exclude_upload: str | None,
    most: int | None = None,
    refusals: bool = False,
) -> dict[H, list[tuple[EventStatus, str]]]:
    """See :meth:`Journal.prior_statuses`."""
    found: dict[H, list[tuple[EventStatus, str]]] = {}
    meter = _num(db, "meter_keys", "key", meter_key)
    if meter is None:
        return found
    mine = _num(db, "upload_keys", "id", exclude_upload or "") or 0
    wanted = _wanted(hashes)
    keys = list(wanted)
    # kind: 1 received (accepted or kept), 2 refused (when sent or after receipt), 0 sent
    # without an answer.
    kind = "(CASE WHEN e.status IN (?, ?) THEN 1 WHEN e.status IN (?, ?) THEN 2 ELSE 0 END)"
    kind_params: tuple[EventStatus, ...] = (
        EventStatus.ACCEPTED,
        EventStatus.KEPT,
        EventStatus.REJECTED,
        EventStatus.REJECTED_AFTER_RECEIPT,
    )
    statuses: tuple[EventStatus, ...] = (
        EventStatus.ACCEPTED,
        EventStatus.KEPT,  # an event rejected after receipt is not "already sent"
        EventStatus.UNCERTAIN,
        EventStatus.SENDING,
    )
    if refusals:
        statuses += (EventStatus.REJECTED, EventStatus.REJECTED_AFTER_RECEIPT)
    kinds = (EventStatus.UNCERTAIN, EventStatus.ACCEPTED, EventStatus.REJECTED)
    # One (status, upload) tuple per distinct pair: k earlier uploads of the same rows give
    # k entries per hash, and each must not be a new tuple and string of its own.
    shared: dict[tuple[int, str], tuple[EventStatus, str]] = {}
    states = ",".join("?" * len(statuses))
    chunk: list[bytes]
    for chunk, marks in _key_chunks(keys):
        where = (
            "FROM events e JOIN upload_keys u ON u.num = e.upload"
            f" WHERE e.meter=? AND e.hash IN ({marks}) AND e.status IN ({states})"
            " AND e.upload != ?"
        )
        params: tuple[object, ...] = (meter, *chunk, *statuses, mine)
        if most is None:
            sql = f"SELECT e.hash, {kind}, u.id {where} ORDER BY e.upload, e.pos"
            params = (*kind_params, *params)
        else:  # only the oldest ``most`` of each kind per hash, counted by SQLite
            sql = (
                f"SELECT hash, kind, id FROM (SELECT e.hash AS hash, {kind} AS kind,"
                " u.id AS id, e.upload AS up, e.pos AS pos, ROW_NUMBER() OVER (PARTITION BY"
                f" e.hash, {kind} ORDER BY e.upload, e.pos) AS n {where})"
                " WHERE n <= ? ORDER BY up, pos"
            )
            params = (*kind_params, *kind_params, *params, most)
        for key, k, uid in db.query(sql, params):
            entry = shared.get((k, uid))
            if entry is None:
                entry = shared[(k, uid)] = (kinds[int(k)], str(uid))
            for h in wanted[bytes(key)]:
                found.setdefault(h, []).append(entry)
    return found


def refusal_reasons(
    db: _Database, meter_key: str, hashes: Iterable[H], exclude_upload: str | None
) -> dict[H, str]:
    """See :meth:`Journal.refusal_reasons`."""
    reasons: dict[H, str] = {}
    meter = _num(db, "meter_keys", "key", meter_key)
    if meter is None:
        return reasons
    mine = _num(db, "upload_keys", "id", exclude_upload or "") or 0
    wanted = _wanted(hashes)
    keys = list(wanted)
    chunk: list[bytes]
    for chunk, marks in _key_chunks(keys):
        rows = db.query(
            "SELECT hash, message FROM events WHERE meter=? AND hash IN"
            f" ({marks}) AND status IN (?, ?) AND upload != ? ORDER BY upload, pos",
            (meter, *chunk, EventStatus.REJECTED, EventStatus.REJECTED_AFTER_RECEIPT, mine),
        )
        for key, message in rows:  # the newest refusal last: it wins
            for h in wanted[bytes(key)]:
                reasons[h] = str(message)
    return reasons


def count_with_status(
    db: _Database, meter_key: str, hashes: Iterable[H], status: EventStatus
) -> dict[H, int]:
    """See :meth:`Journal.count_with_status`."""
    counts: dict[H, int] = {}
    meter = _num(db, "meter_keys", "key", meter_key)
    if meter is None:
        return counts
    wanted = _wanted(hashes)
    keys = list(wanted)
    chunk: list[bytes]
    for chunk, marks in _key_chunks(keys):
        rows = db.query(
            "SELECT hash, COUNT(*) FROM events WHERE meter=? AND hash IN"
            f" ({marks}) AND status=? GROUP BY hash",
            (meter, *chunk, status),
        )
        for key, n in rows:
            for h in wanted[bytes(key)]:
                counts[h] = int(n)
    return counts
