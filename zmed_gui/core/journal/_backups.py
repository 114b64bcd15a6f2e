"""Rolling backups of the journal, and setting a damaged journal aside.

A backup is made with SQLite's online backup API (consistent while other connections
write), under a temporary name first, so a file named ``journal-*.sqlite3`` is always a
whole journal. The newest :data:`BACKUPS_KEPT` are kept.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from zmed_gui.core.journal._database import _Database, _fsync
from zmed_gui.core.journal._errors import JournalError, backups_dir, translated
from zmed_gui.core.paths import default_journal_path

BACKUPS_KEPT = 3


def _stamp(micro: bool) -> str:
    now = dt.datetime.now(dt.UTC)
    # Fixed width, so names sort in time order; no colons (Windows).
    return now.strftime("%Y%m%dT%H%M%S.%fZ" if micro else "%Y%m%dT%H%M%SZ")


def list_backups(path: Path | None = None) -> list[Path]:
    """The backups of the journal at ``path`` (default: the user's), oldest first."""
    folder = backups_dir(path or default_journal_path())
    with translated(folder, "The journal backup folder"):
        if not folder.is_dir():
            return []
        return sorted(folder.glob("journal-*.sqlite3"))


def make_backup(db: _Database) -> Path:
    """Copy the open journal into its backups folder; drop all but the newest three."""
    folder = backups_dir(db.path)
    final = folder / f"journal-{_stamp(micro=True)}.sqlite3"
    tmp = folder / f".{final.name}.tmp"
    with translated(final, "The journal backup"):
        folder.mkdir(exist_ok=True)
        try:
            dest = sqlite3.connect(tmp, isolation_level=None)
            try:
                with db.lock:
                    db.conn.backup(dest)
                # The copy carries the WAL flag; one self-contained file is what we want.
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
            _fsync(tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        for old in list_backups(db.path)[:-BACKUPS_KEPT]:
            old.unlink(missing_ok=True)
    return final


def set_aside_journal(path: Path | None = None) -> Path:
    """Rename a journal (and its -wal/-shm) to ``<name>.damaged-<UTC time>``; the new name.

    The next :class:`~zmed_gui.core.journal.Journal` then starts a new one. Nothing is
    deleted: IT can still look at (or recover) the old file.
    """
    src = path or default_journal_path()
    with translated(src):
        parts = [Path(f"{src}{suffix}") for suffix in ("-wal", "-shm", "")]
        if not any(p.exists() for p in parts):
            raise JournalError(
                f"There is no upload journal at {src} to set aside; nothing was changed.", src
            )
        dest = src.with_name(f"{src.name}.damaged-{_stamp(micro=False)}")
        if any(Path(f"{dest}{s}").exists() for s in ("", "-wal", "-shm")):
            dest = src.with_name(f"{src.name}.damaged-{_stamp(micro=True)}")
        # The -wal first: left beside a new journal, SQLite would replay it into that one.
        for part in parts:
            if part.exists():
                os.rename(part, f"{dest}{part.name[len(src.name) :]}")
    return dest
