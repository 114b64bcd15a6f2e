"""The journal's tables, how a zmed-gui journal is told from any other file, and migrations.

- ``meta``: ``app`` (``zmed-gui``), ``schema_version`` and ``meter_keys`` (the version of
  the meter key the rows carry): what tells our file from another SQLite database.
- ``uploads``: one row per upload (file fingerprint, meter, track id, times, status, and
  which process runs it: pid + host + heartbeat).
- ``events``: one row per event of an upload (data row, Excel row, the first 16 bytes of the
  sha256 of its canonical JSON, the meter, its batch and status), keyed by small integers:
  ``upload_keys`` and ``meter_keys`` number the upload IDs and meter keys (version 3: about
  a fifth of the bytes per event of version 2's text keys and hex hashes).
- ``batches``: one row per request (events, Excel rows, attempts, status, Zuora-Request-Id,
  echoed track id, message).
- ``leases``: at most one row per meter, the process sending to it now.

Version 1 is the journal before ``meta`` existed, version 2 the one with text keys in
``events``; both are migrated in place, keeping every event (an old hex hash becomes its
first 16 bytes, so the duplicate guard still recognises every earlier upload).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from zmed_gui.core.connections import meter_key, parse_upload_url
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal._errors import JournalDamaged, JournalError
from zmed_gui.core.journal._records import hash_key, utc_now
from zmed_gui.core.paths import APP_NAME

SCHEMA_VERSION = 3
METER_KEYS_VERSION = 2  # 1: base_url.rstrip('/').lower() + '|' + meter_id

_TABLES_V1 = """
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

# Version 3: events keyed by integers. WITHOUT ROWID: the rows live in their primary key's
# order, so an upload's events are appended, not scattered through a second index. The
# batch index is partial: events get into it when they get a batch (while sending), not
# all at once when the upload is recorded.
_EVENTS_V3 = """
CREATE TABLE IF NOT EXISTS upload_keys(
    num INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS meter_keys(
    num INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS events(
    upload INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    row INTEGER NOT NULL,
    excel_row INTEGER NOT NULL,
    hash BLOB NOT NULL,
    meter INTEGER NOT NULL,
    batch_seq INTEGER,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(upload, pos)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_meter_hash ON events(meter, hash);
CREATE INDEX IF NOT EXISTS events_by_batch ON events(upload, batch_seq)
    WHERE batch_seq IS NOT NULL;
"""

_TABLES_V2 = """
CREATE TABLE IF NOT EXISTS meta(
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases(
    meter_key TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    program TEXT NOT NULL,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL,
    upload_desc TEXT NOT NULL,
    upload_id TEXT
);
"""

# Columns a version-1 journal must have for us to call it ours.
_V1_COLUMNS = {
    "uploads": {"id", "fingerprint", "meter_url", "meter_key", "status", "pid", "heartbeat"},
    "events": {"upload_id", "pos", "hash", "meter_key", "batch_seq", "status"},
    "batches": {"upload_id", "seq", "status", "excel_rows", "attempts"},
}


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it would COMMIT the caller's transaction.
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


def create_tables(db: sqlite3.Connection) -> None:
    """A new, empty journal (inside the caller's transaction)."""
    _run_script(db, _TABLES_V1 + _TABLES_V2 + _EVENTS_V3)
    _set_meta(db, "app", APP_NAME)
    _set_meta(db, "schema_version", str(SCHEMA_VERSION))
    _set_meta(db, "meter_keys", str(METER_KEYS_VERSION))
    _set_meta(db, "created", utc_now())


def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))


def _meta(db: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}


def needs_migration(db: sqlite3.Connection, path: Path) -> bool:
    """Check that ``db`` is a zmed-gui journal we can use; True if it must be migrated.

    Raises:
        JournalDamaged: an SQLite database, but not a zmed-gui journal.
        JournalError: a journal written by a newer zmed-gui.
    """
    tables = {str(n) for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" in tables:
        meta = _meta(db)
        if meta.get("app") != APP_NAME:
            raise JournalDamaged(path, "it is an SQLite database, but not a zmed-gui journal")
        version = int(meta.get("schema_version", "0") or 0)
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"The upload journal {path} was written by a newer zmed-gui (journal version "
                f"{version}; this one reads up to {SCHEMA_VERSION}). Use that newer zmed-gui; "
                "nothing was sent.",
                path,
            )
        return version < SCHEMA_VERSION or meta.get("meter_keys") != str(METER_KEYS_VERSION)
    for table, needed in _V1_COLUMNS.items():
        have = {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}
        if not needed <= have:
            raise JournalDamaged(path, "it is an SQLite database, but not a zmed-gui journal")
    return True


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring a journal to the current version (inside the caller's immediate transaction).

    Checked again here: another process may have migrated it while we waited for the lock.
    """
    if not needs_migration(db, path):
        return
    _run_script(db, _TABLES_V2)
    meta = _meta(db)
    old_events = "meter_key" in _columns(db, "events")
    if meta.get("meter_keys") != str(METER_KEYS_VERSION):
        if old_events:
            _recompute_meter_keys(db)
        _set_meta(db, "meter_keys", str(METER_KEYS_VERSION))
        _set_meta(db, "meter_keys_migrated", utc_now())
    if old_events:
        _events_to_v3(db)
        _set_meta(db, "events_migrated", utc_now())
    _set_meta(db, "app", APP_NAME)
    _set_meta(db, "schema_version", str(SCHEMA_VERSION))
    if "created" not in meta:
        _set_meta(db, "migrated_from", meta.get("schema_version", "1"))


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def _events_to_v3(db: sqlite3.Connection) -> None:
    """Version 2's events (text keys, hex hashes) -> version 3's, every row kept.

    Uploads are numbered in the order their events were written (the duplicate guard's
    "oldest first" stays the same), events whose upload row is gone included.
    """
    db.create_function("zmed_hash_key", 1, hash_key, deterministic=True)
    db.execute("ALTER TABLE events RENAME TO events_v2")
    db.execute("DROP INDEX IF EXISTS events_by_meter_hash")
    db.execute("DROP INDEX IF EXISTS events_by_batch")
    _run_script(db, _EVENTS_V3)
    db.execute(
        "INSERT OR IGNORE INTO upload_keys(id) SELECT upload_id FROM events_v2"
        " GROUP BY upload_id ORDER BY MIN(rowid)"
    )
    db.execute("INSERT OR IGNORE INTO upload_keys(id) SELECT id FROM uploads ORDER BY rowid")
    db.execute(
        "INSERT OR IGNORE INTO meter_keys(key) SELECT meter_key FROM events_v2"
        " GROUP BY meter_key ORDER BY MIN(rowid)"
    )
    db.execute("INSERT OR IGNORE INTO meter_keys(key) SELECT meter_key FROM uploads ORDER BY rowid")
    db.execute(
        "INSERT INTO events(upload, pos, row, excel_row, hash, meter, batch_seq, status,"
        " message) SELECT u.num, e.pos, e.row, e.excel_row, zmed_hash_key(e.hash), m.num,"
        " e.batch_seq, e.status, e.message FROM events_v2 e"
        " JOIN upload_keys u ON u.id = e.upload_id JOIN meter_keys m ON m.key = e.meter_key"
        " ORDER BY u.num, e.pos"
    )
    db.execute("DROP TABLE events_v2")


def new_meter_key(old_key: str, meter_url: str | None = None) -> str:
    """The current key of a meter from what an older journal stored.

    The upload URL is the surest source (it keeps the base path's case); the old key
    ``base|meter`` (base lower-cased) is the fallback.
    """
    if meter_url:
        try:
            return parse_upload_url(meter_url).meter_key
        except OptionsError:
            pass
    base, sep, meter = old_key.rpartition("|")
    return meter_key(base, meter) if sep else old_key


def _recompute_meter_keys(db: sqlite3.Connection) -> None:
    """Re-key uploads and events so the duplicate guard still finds every earlier upload."""
    uploads = db.execute("SELECT id, meter_key, meter_url FROM uploads").fetchall()
    for uid, old, url in uploads:
        key = new_meter_key(str(old), str(url))
        db.execute("UPDATE uploads SET meter_key=? WHERE id=?", (key, uid))
        db.execute("UPDATE events SET meter_key=? WHERE upload_id=?", (key, uid))
    # Events whose upload row is missing: only their own old key is left.
    orphans = db.execute(
        "SELECT DISTINCT meter_key FROM events WHERE upload_id NOT IN (SELECT id FROM uploads)"
    ).fetchall()
    for (old,) in orphans:
        db.execute(
            "UPDATE events SET meter_key=? WHERE meter_key=? AND upload_id NOT IN"
            " (SELECT id FROM uploads)",
            (new_meter_key(str(old)), old),
        )
