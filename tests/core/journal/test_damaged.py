"""A journal file is never silently replaced: damaged ones are refused, set aside by choice."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.journal._helpers import new_upload
from zmed_gui.core.journal import (
    BatchStatus,
    Journal,
    JournalDamaged,
    JournalError,
    set_aside_journal,
)


@pytest.fixture
def real_journal(tmp_path: Path) -> bytes:
    """The bytes of a real journal with an upload of 3,000 events in it."""
    src = tmp_path / "real" / "journal.sqlite3"
    with Journal(src) as j:
        new_upload(j, "u1", [f"{i:064x}" for i in range(3000)])
        j.end_batch("u1", j.begin_batch("u1", list(range(3000)), [2]), BatchStatus.ACCEPTED)
    assert not Path(f"{src}-wal").exists()  # closed cleanly: all in the one file
    return src.read_bytes()


def damaged(path: Path) -> str:
    before = path.read_bytes()
    with pytest.raises(JournalDamaged) as info:
        Journal(path)
    assert path.read_bytes() == before  # looked at, never touched
    text = str(info.value)
    assert text.startswith(f"The upload journal {path} is damaged: ")
    assert "nothing was sent" in text and "ask IT" in text
    assert "`zmed-upload journal --set-aside`" in text and "Set aside button" in text
    assert text.endswith(f"Backups: {path.parent / 'journal-backups'}")
    return text


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"")
    assert "it is empty (0 bytes)" in damaged(path)


def test_truncated_file(tmp_path: Path, real_journal: bytes) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(real_journal[:1000])
    assert re.search(r"it is cut short \(1,000 bytes of the [\d,]+ it should have\)", damaged(path))


def test_garbage(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"PK\x03\x04 this is a zip, or a spreadsheet saved over the journal" * 50)
    assert "it is not an SQLite database" in damaged(path)


def test_sqlite_header_but_garbage_after(tmp_path: Path, real_journal: bytes) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(real_journal[:100] + os.urandom(len(real_journal) - 100))
    text = damaged(path)
    assert "SQLite" in text  # its own words: malformed, or what quick_check found


def test_pages_overwritten_fail_quick_check(tmp_path: Path, real_journal: bytes) -> None:
    page = 4096
    data = bytearray(real_journal)
    data[page * 4 : page * 8] = os.urandom(page * 4)  # a run of pages in the middle
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(bytes(data))
    assert "SQLite" in damaged(path)


def test_another_programs_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts(name TEXT, phone TEXT)")
    db.close()
    assert "it is an SQLite database, but not a zmed-gui journal" in damaged(path)


def test_a_journal_of_another_app_with_a_meta_table(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES('app', 'other-app')")
    db.close()
    assert "not a zmed-gui journal" in damaged(path)


def test_a_newer_journal_is_refused_but_not_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.close()
    with pytest.raises(JournalError) as info:
        Journal(path)
    assert not isinstance(info.value, JournalDamaged)
    assert "newer zmed-gui (journal version 99" in str(info.value)


def test_missing_file_beside_its_log_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Path(f"{path}-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\0" * 60)
    assert not path.exists()
    with pytest.raises(JournalDamaged, match=r"it is missing, but its log journal\.sqlite3-wal"):
        Journal(path)
    assert not path.exists()


def test_set_aside_then_a_new_journal_opens(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"not a journal")
    Path(f"{path}-wal").write_bytes(b"wal bytes")
    Path(f"{path}-shm").write_bytes(b"shm bytes")
    with pytest.raises(JournalDamaged):
        Journal(path)
    aside = set_aside_journal(path)
    assert re.fullmatch(r"journal\.sqlite3\.damaged-\d{8}T\d{6}Z", aside.name)
    assert aside.read_bytes() == b"not a journal"
    assert Path(f"{aside}-wal").read_bytes() == b"wal bytes"
    assert Path(f"{aside}-shm").read_bytes() == b"shm bytes"
    assert not path.exists() and not Path(f"{path}-wal").exists()
    with Journal(path) as j:
        assert j.list_uploads() == []
    # a second damaged file the same second gets its own name
    path.write_bytes(b"")
    again = set_aside_journal(path)
    assert again != aside and again.exists() and aside.exists()


def test_set_aside_the_default_journal(tmp_path: Path) -> None:
    from zmed_gui.core.paths import default_journal_path

    default_journal_path().parent.mkdir(parents=True, exist_ok=True)
    default_journal_path().write_bytes(b"")
    aside = set_aside_journal()
    assert aside.parent == default_journal_path().parent and aside.exists()
    with pytest.raises(JournalError, match=r"There is no upload journal at .* to set aside"):
        set_aside_journal()


def test_a_new_journal_is_made_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.sqlite3"]  # no temp files
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
    db.close()
    assert meta["app"] == "zmed-gui" and meta["schema_version"] == "3"


def test_processes_creating_the_journal_at_once_share_one(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    script = (
        "import sys, time; from pathlib import Path; from zmed_gui.core.journal import Journal\n"
        "t = float(sys.argv[2])\n"
        "while time.time() < t: pass\n"
        "with Journal(Path(sys.argv[1])) as j:\n"
        "    j.create_upload(upload_id=sys.argv[3], file_name='f', sheet='s', fingerprint='fp',"
        " connection='c', meter_url='u', meter_key='k', track_id='t', events=[])\n"
    )
    start = str(__import__("time").time() + 2.0)  # all start creating at the same moment
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), start, f"u{i}"])
        for i in range(6)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * 6
    with Journal(path) as j:
        assert sorted(u.upload_id for u in j.list_uploads()) == [f"u{i}" for i in range(6)]
    assert not [p for p in tmp_path.iterdir() if ".new-" in p.name]
