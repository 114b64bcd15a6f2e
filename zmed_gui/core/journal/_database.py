"""The journal's one SQLite connection: opening safely, the lock, transactions, errors.

A journal is never replaced silently. A new one is made only when no file is there, and
atomically (built under a temporary name, then linked into place), so a crash cannot
leave the 0-byte file that would look damaged later. An existing file that is empty, cut
short, not SQLite, not ours or fails ``PRAGMA quick_check`` raises :class:`JournalDamaged`.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from zmed_gui.core.journal._errors import JournalDamaged, read_only_error, translated
from zmed_gui.core.journal._schema import create_tables, migrate, needs_migration

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _fsync(path: Path, *, directory: bool = False) -> None:
    if directory and os.name == "nt":
        return  # Windows cannot open a folder to flush it; NTFS journals the rename
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(path: Path) -> None:
    """Make a new journal at ``path`` unless one appeared meanwhile (that one is kept)."""
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file's header
            db.execute("BEGIN IMMEDIATE")
            create_tables(db)
            db.execute("COMMIT")
        finally:
            db.close()  # checkpoints: the whole journal is in the one file now
        _fsync(tmp)
        try:
            os.link(tmp, path)  # unlike rename, never replaces a file already there
        except FileExistsError:
            pass  # another process made it first; use theirs
        except OSError:
            if not path.exists():  # a file system without hard links
                os.rename(tmp, path)
        _fsync(path.parent, directory=True)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(OSError):
                os.unlink(f"{tmp}{suffix}")


def _check_file(path: Path) -> None:
    """What can be told from the bytes alone, before SQLite sees the file."""
    with open(path, "rb") as f:
        head = f.read(100)
    size = path.stat().st_size
    if size == 0:
        raise JournalDamaged(path, "it is empty (0 bytes)")
    if not head.startswith(_SQLITE_MAGIC):
        raise JournalDamaged(path, "it is not an SQLite database")
    if len(head) < 100:
        raise JournalDamaged(path, f"it is cut short ({size:,} bytes)")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    header_valid = head[24:28] == head[92:96]  # else the page count is not kept up to date
    wal = Path(f"{path}-wal")
    wal_holds_pages = wal.exists() and wal.stat().st_size > 0  # a checkpoint may be owed
    if header_valid and not wal_holds_pages and size < page_size * pages:
        raise JournalDamaged(
            path, f"it is cut short ({size:,} bytes of the {page_size * pages:,} it should have)"
        )


class _Database:
    """The open journal file: one connection shared by threads under one lock."""

    def __init__(self, path: Path, *, busy_timeout: float) -> None:
        self.path = path
        self.lock = threading.RLock()
        with translated(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                wal = Path(f"{path}-wal")
                if wal.exists() and wal.stat().st_size > 0:
                    # A new journal beside it would have SQLite replay that log into it.
                    raise JournalDamaged(path, f"it is missing, but its log {wal.name} is there")
                _create(path)
            _check_file(path)
            if not os.access(path.parent, os.W_OK) or not os.access(path, os.W_OK):
                # SQLite would open it read-only without a word and fail at the first write.
                raise read_only_error(path)
            self.conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=rw",  # never creates a file
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                timeout=busy_timeout,
            )
            try:
                self._prepare()
            except BaseException:
                self.conn.close()
                raise

    def _prepare(self) -> None:
        db = self.conn
        try:
            check = [str(r[0]) for r in db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == 26:  # SQLITE_NOTADB
                raise JournalDamaged(self.path, "it is not an SQLite database") from exc
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == 11:  # SQLITE_CORRUPT
                raise JournalDamaged(self.path, f"SQLite reports: {exc}") from exc
            raise
        if check != ["ok"]:
            raise JournalDamaged(self.path, f"SQLite's check found damage ({check[0]})")
        migrating = needs_migration(db, self.path)  # before changing anything: ours?
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        # FULL: a batch marked "sending" survives a power loss before the request leaves.
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA cache_size=-32000")  # 32 MB: big uploads stay in memory
        if migrating:
            with self.tx() as tx:
                migrate(tx, self.path)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: all of it is written, or none of it."""
        with self.lock, translated(self.path):
            db = self.conn
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # a failed COMMIT (disk full) can leave it open
                    with suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self.lock, translated(self.path):
            return list(self.conn.execute(sql, params).fetchall())
