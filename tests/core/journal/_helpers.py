"""Shared by the journal tests: an upload with events, and the journal of an older zmed-gui."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from zmed_gui.core.journal import EventStatus, Journal

# The schema exactly as zmed-gui wrote it before the journal had a ``meta`` table.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads(
    id TEXT PRIMARY KEY, file_name TEXT NOT NULL, sheet TEXT NOT NULL,
    fingerprint TEXT NOT NULL, connection TEXT NOT NULL, meter_url TEXT NOT NULL,
    meter_key TEXT NOT NULL, track_id TEXT NOT NULL, started TEXT NOT NULL, ended TEXT,
    status TEXT NOT NULL, events_total INTEGER NOT NULL, message TEXT NOT NULL DEFAULT '',
    pid INTEGER, host TEXT, heartbeat REAL
);
CREATE TABLE IF NOT EXISTS events(
    upload_id TEXT NOT NULL, pos INTEGER NOT NULL, row INTEGER NOT NULL,
    excel_row INTEGER NOT NULL, hash TEXT NOT NULL, meter_key TEXT NOT NULL,
    batch_seq INTEGER, status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(upload_id, pos)
);
CREATE INDEX IF NOT EXISTS events_by_meter_hash ON events(meter_key, hash);
CREATE INDEX IF NOT EXISTS events_by_batch ON events(upload_id, batch_seq);
CREATE TABLE IF NOT EXISTS batches(
    upload_id TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL,
    events INTEGER NOT NULL, excel_rows TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    request_id TEXT, track_echo TEXT, message TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,
    PRIMARY KEY(upload_id, seq)
);
"""


def old_key(base_url: str, meter_id: str) -> str:
    """The meter key as zmed-gui computed it before."""
    return f"{base_url.rstrip('/').lower()}|{meter_id}"


def write_old_journal(path: Path, uploads: list[tuple[str, str, str, list[str]]]) -> None:
    """An old-format journal: ``(upload_id, base_url, meter_id, accepted hashes)`` each."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OLD_SCHEMA)
        for uid, base, meter, hashes in uploads:
            key = old_key(base, meter)
            url = f"{base.rstrip('/')}/meters/streaming/ingestion/{meter}"
            db.execute(
                "INSERT INTO uploads VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (uid, "f.xlsx", "S", "fp", "Prod", url, key, "t-1", "2024-05-01T10:00:00+00:00",
                 "2024-05-01T10:01:00+00:00", "completed", len(hashes), "done", None, None,
                 None),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?)",
                [(uid, i, i, i + 2, h, key, 1, "accepted", "") for i, h in enumerate(hashes)],
            )
            db.execute(
                "INSERT INTO batches VALUES(?,?,?,?,?,?,?,?,?,?)",
                (uid, 1, "accepted", len(hashes), "[2]", 1, "rq", "t-1", "", "2024-05-01"),
            )
    db.close()


def new_upload(j: Journal, uid: str, hashes: list[str], meter: str = "m|1") -> None:
    j.create_upload(
        upload_id=uid,
        file_name="f.xlsx",
        sheet="S",
        fingerprint="fp",
        connection="Prod",
        meter_url="https://x/usage/bulk/1",
        meter_key=meter,
        track_id="t-1",
        events=[(i, i, i + 2, h, EventStatus.PENDING, "") for i, h in enumerate(hashes)],
    )
