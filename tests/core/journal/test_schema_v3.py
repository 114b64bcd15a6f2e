"""Version 3 of the journal: events keyed by integers, the hash as 16 bytes (issue 12).

A version-2 journal, written with version 2's own tables (copied below from the code that
wrote them) and real event hashes, is migrated in place: every event is kept, and the
duplicate guard of today's code recognises every earlier upload's events.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.core._upload_helpers import event
from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.journal import EventStatus, Journal, hash_key
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadRequest,
    UploadSession,
    event_hash,
)

# Version 2's tables, exactly as zmed-gui 2 created them (core/journal/_schema.py).
V2_SCHEMA = """
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

BASE = "http://127.0.0.1:9"  # nothing is sent: the tests plan only
METER = "8a1b2c3d4e5f60718293a4b5c6d7e8f9"
TARGET = make_target(BASE, METER)
OTHER = make_target(BASE, "0" * 32)


def write_v2_journal(path: Path) -> None:
    """Three uploads as zmed-gui 2 wrote them, real sha256 hashes in hex.

    u1 (meter): events 0-99 accepted, event 5 twice (the same event in two rows);
    u2 (meter): 100-149 uncertain, 150-199 kept, 200-209 rejected after receipt;
    u3 (another meter): 0-49 accepted; and an event whose upload row went missing.
    """
    uploads = {
        "u1": (TARGET, [(i, "accepted") for i in range(100)] + [(5, "accepted")]),
        "u2": (
            TARGET,
            [(i, "uncertain") for i in range(100, 150)]
            + [(i, "kept") for i in range(150, 200)]
            + [(i, "rejected_after_receipt") for i in range(200, 210)],
        ),
        "u3": (OTHER, [(i, "accepted") for i in range(50)]),
    }
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(V2_SCHEMA)
        db.executemany(
            "INSERT INTO meta VALUES(?, ?)",
            [("app", "zmed-gui"), ("schema_version", "2"), ("meter_keys", "2"),
             ("created", "2026-10-01T09:00:00+00:00")],
        )  # fmt: skip
        for n, (uid, (target, events)) in enumerate(uploads.items()):
            db.execute(
                "INSERT INTO uploads VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (uid, "usage.xlsx", "May", f"fp-{uid}", "Prod", target.url, target.meter_key,
                 f"t-{n}", f"2026-10-0{n + 1}T10:00:00+00:00", f"2026-10-0{n + 1}T10:01:00+00:00",
                 "interrupted" if uid == "u2" else "completed", len(events), "", None, None,
                 None),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?)",
                [
                    (uid, pos, i, i + 2, event_hash(event(i)), target.meter_key, 1, st, "")
                    for pos, (i, st) in enumerate(events)
                ],
            )
            db.execute(
                "INSERT INTO batches VALUES(?,?,?,?,?,?,?,?,?,?)",
                (uid, 1, "accepted", len(events), "[2]", 1, f"rq-{uid}", None, "", "2026-10-01"),
            )
        db.execute(
            "INSERT INTO events VALUES('gone', 0, 0, 2, ?, ?, 1, 'accepted', '')",
            (event_hash(event(300)), TARGET.meter_key),
        )
    db.close()


def plan_for(path: Path, rows: range) -> tuple[list[int], list[int], list[int], list[str]]:
    """Plan (nothing sent) ``rows`` to the meter: rows duplicate, held, to send; the
    uploads the duplicates were found in."""
    request = UploadRequest(
        target=TARGET,
        connection=Connection("Prod", CUSTOM, "id", custom_base_url=BASE),
        options=UploadOptions(dry_run=True),
        items=[UploadItem(i, i + 2, event(i)) for i in rows],
        source=SourceInfo("usage.xlsx", "May", "fp-new"),
    )
    with UploadSession(request, journal_path=path) as session:
        plan = session.prepare()
    return (
        [d.item.row for d in plan.duplicates],
        [it.row for it in plan.uncertain],
        [it.row for it in plan.to_send],
        [d.upload_ids[0] for d in plan.duplicates],
    )


def test_a_version_2_journal_migrates_in_place_and_keeps_every_event(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_v2_journal(path)
    inode = path.stat().st_ino
    with Journal(path) as j:
        uploads = {u.upload_id: u for u in j.list_uploads()}
        assert uploads["u1"].accepted == 101 and uploads["u2"].uncertain == 50
        assert uploads["u2"].kept == 50 and uploads["u2"].rejected_after_receipt == 10
        assert uploads["u3"].accepted == 50
        rows = j.events("u2")
        assert [e.status for e in rows[:1]] == [EventStatus.UNCERTAIN]
        assert rows[0].request_id == "rq-u2" and rows[-1].excel_row == 211
        assert hash_key(rows[0].hash) == hash_key(event_hash(event(100)))
    assert path.stat().st_ino == inode  # migrated in place
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        cols = {r[1] for r in db.execute("PRAGMA table_info(events)")}
        (n,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
        (blob,) = db.execute("SELECT hash FROM events LIMIT 1").fetchone()
        tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert meta["schema_version"] == "3" and meta["events_migrated"]
    assert {"upload", "meter", "hash"} <= cols and "meter_key" not in cols
    assert n == 101 + 110 + 50 + 1 and isinstance(blob, bytes) and len(blob) == 16
    assert "events_v2" not in tables


def test_the_duplicate_guard_recognises_every_upload_of_the_old_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_v2_journal(path)
    dups, held, send, found_in = plan_for(path, range(0, 320))
    # accepted (u1, event 5 once: the second row of it is the second occurrence) and kept
    # (u2) are duplicates; the orphan's event too; uncertain ones are held back; rejected
    # after receipt and new events go out
    assert dups == [*range(100), *range(150, 200), 300]
    assert held == list(range(100, 150))
    assert send == [*range(200, 300), *range(301, 320)]
    assert set(found_in) == {"u1", "u2", "gone"}
    with Journal(path) as j:  # the other meter's upload is found for that meter only
        found = j.prior_statuses(OTHER.meter_key, [event_hash(event(i)) for i in range(60)])
    assert len(found) == 50 and all(v == [(EventStatus.ACCEPTED, "u3")] for v in found.values())


def test_a_repeated_event_is_covered_once_per_earlier_acceptance(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_v2_journal(path)
    request_rows = [5, 5, 5]  # the file has event 5 three times; u1 accepted it twice
    request = UploadRequest(
        target=TARGET,
        connection=Connection("Prod", CUSTOM, "id", custom_base_url=BASE),
        options=UploadOptions(dry_run=True),
        items=[UploadItem(n, n + 2, event(i)) for n, i in enumerate(request_rows)],
        source=SourceInfo("usage.xlsx", "May", "fp-rep"),
    )
    with UploadSession(request, journal_path=path) as session:
        plan = session.prepare()
    assert [d.item.row for d in plan.duplicates] == [0, 1]
    # the third copy: one more than was accepted, held back as a copy (not sent as new)
    assert [d.item.row for d in plan.copies] == [2] and not plan.to_send


def test_a_new_journal_is_version_3_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        cols = {r[1] for r in db.execute("PRAGMA table_info(events)")}
        (version,) = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    db.close()
    assert version == "3" and {"upload", "meter"} <= cols and "upload_id" not in cols


def test_a_batch_can_begin_as_sending_in_one_commit(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.create_upload(
            upload_id="u1",
            file_name="f.csv",
            sheet="f",
            fingerprint="fp",
            connection="c",
            meter_url=TARGET.url,
            meter_key=TARGET.meter_key,
            track_id="t",
            events=[(i, i, i + 2, event_hash(event(i)), EventStatus.PENDING, "") for i in range(4)],
        )
        seq = j.begin_batch("u1", [0, 1], [2, 3], sending=True)
        assert [e.status for e in j.events("u1")] == ["sending", "sending", "pending", "pending"]
        (batch,) = j.batches("u1")
        assert batch.seq == seq and batch.status == "sending" and batch.attempts == 1
        with sqlite3.connect(path) as other:  # another process sees it committed
            (n,) = other.execute("SELECT COUNT(*) FROM events WHERE status='sending'").fetchone()
        other.close()
        assert n == 2
