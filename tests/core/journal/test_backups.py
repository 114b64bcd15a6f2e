"""Rolling backups: SQLite's online backup, the newest three kept, each a whole journal."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

from tests.core.journal._helpers import new_upload
from zmed_gui.core.journal import BACKUPS_KEPT, BatchStatus, Journal, list_backups


def test_three_newest_kept_newest_last_each_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    made: list[Path] = []
    with Journal(path) as j:
        assert j.list_backups() == []
        for n in range(5):
            new_upload(j, f"u{n}", [f"{n}-{i}" for i in range(50)])
            made.append(j.backup())
        assert BACKUPS_KEPT == 3
        assert j.list_backups() == made[-3:] == list_backups(path)
    folder = tmp_path / "journal-backups"
    assert sorted(folder.iterdir()) == made[-3:]  # no temporary files left
    for n, backup in enumerate(made[-3:], start=2):
        assert re.fullmatch(r"journal-\d{8}T\d{6}\.\d{6}Z\.sqlite3", backup.name)
        assert not Path(f"{backup}-wal").exists()  # one self-contained file
        with Journal(backup) as b:  # a valid journal, as it was when backed up
            assert sorted(u.upload_id for u in b.list_uploads()) == [f"u{k}" for k in range(n + 1)]
            assert len(b.events(f"u{n}")) == 50


def test_backup_while_another_thread_writes(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite3") as j:
        new_upload(j, "u1", [f"h{i}" for i in range(2000)])
        stop = threading.Event()

        def write() -> None:
            pos = 0
            while not stop.is_set() and pos < 2000:
                seq = j.begin_batch("u1", list(range(pos, pos + 10)), [2])
                j.end_batch("u1", seq, BatchStatus.ACCEPTED)
                pos += 10

        t = threading.Thread(target=write)
        t.start()
        try:
            backups = [j.backup() for _ in range(4)]
        finally:
            stop.set()
            t.join()
    for b in backups[-3:]:
        with sqlite3.connect(b) as db:
            assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
            # a backup is one moment between transactions: batches and events agree
            (n_batches,) = db.execute(
                "SELECT COUNT(*) FROM batches WHERE status='accepted'"
            ).fetchone()
            (n_acc,) = db.execute("SELECT COUNT(*) FROM events WHERE status='accepted'").fetchone()
        db.close()
        assert n_acc == 10 * n_batches


def test_list_backups_of_a_journal_never_backed_up(tmp_path: Path) -> None:
    assert list_backups(tmp_path / "journal.sqlite3") == []
