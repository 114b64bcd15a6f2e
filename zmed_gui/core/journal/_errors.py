"""The journal's errors: one sentence each, saying where, what happened and what to do.

Every public method raises these instead of a raw ``sqlite3.Error`` or ``OSError``, so the
upload engine can rely on one thing: if a journal write raised, the request it guards was
not sent.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zmed_gui.core.errors import ZmedError

_NOTHING_LOST = "nothing was sent that the journal did not record."

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


def backups_dir(journal_path: Path) -> Path:
    """Where the journal's rolling backups go (the damaged sentence names it too)."""
    return journal_path.parent / "journal-backups"


class JournalError(ZmedError):
    """The journal cannot be opened, read or written; ``path`` is the file concerned."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class JournalDamaged(JournalError):
    """The file is there but is not a usable journal; it is never replaced silently."""

    def __init__(self, path: Path, reason: str) -> None:
        backups = backups_dir(path)
        super().__init__(
            f"The upload journal {path} is damaged: {reason}, so zmed-gui stopped before "
            "using it and nothing was sent. If you do not know why, ask IT; to start a new "
            "journal, set this one aside: `zmed-upload journal --set-aside` or the app's "
            f"Set aside button. Backups: {backups}",
            path,
        )
        self.reason = reason
        self.backups = backups


class JournalFull(JournalError):
    """The disk (or the user's quota) is full."""


class JournalReadOnly(JournalError):
    """The folder, the file or the whole disk is read-only."""


class JournalLocked(JournalError):
    """Another program holds the database's lock for longer than we wait."""


class MeterBusy(ZmedError):
    """Another live upload holds the meter's lease; the attributes name it."""

    def __init__(
        self, message: str, *, upload_desc: str, program: str, pid: int, host: str
    ) -> None:
        super().__init__(message)
        self.upload_desc, self.program, self.pid, self.host = upload_desc, program, pid, host


class LeaseLost(ZmedError):
    """Our meter lease was taken over (we stopped beating for too long): stop sending."""


def full_error(path: Path, what: str = "The upload journal") -> JournalFull:
    return JournalFull(
        f"{what} {path} cannot be written: the disk is full. Free some space and try "
        f"again; {_NOTHING_LOST}",
        path,
    )


def read_only_error(path: Path, what: str = "The upload journal") -> JournalReadOnly:
    folder = path.parent
    if not os.access(folder, os.W_OK):
        where = f"the folder {folder} is read-only"
    elif path.exists() and not os.access(path, os.W_OK):
        where = "the file is read-only"
    else:
        where = "the disk or the file is read-only"
    return JournalReadOnly(
        f"{what} {path} cannot be written: {where}. Make it writable (or ask IT) and try "
        f"again; {_NOTHING_LOST}",
        path,
    )


def locked_error(path: Path, what: str = "The upload journal") -> JournalLocked:
    return JournalLocked(
        f"{what} {path} is locked by another program. Close other zmed-gui windows and "
        "zmed-upload commands using it (or wait for a backup or virus scan to finish) and "
        f"try again; {_NOTHING_LOST}",
        path,
    )


_NEARLY_FULL_BYTES = 1 << 20


def _nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def journal_error(exc: BaseException, path: Path, what: str = "The upload journal") -> JournalError:
    """The sentence for a low-level error met while using ``path``."""
    if isinstance(exc, JournalError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
        if code == _SQLITE_FULL:
            return full_error(path, what)
        if code == _SQLITE_READONLY or (
            code == _SQLITE_CANTOPEN and not os.access(path.parent, os.W_OK)
        ):
            return read_only_error(path, what)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return locked_error(path, what)
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return JournalDamaged(path, f"SQLite reports: {exc}")
        if code == _SQLITE_IOERR and _nearly_full(path):
            # A full disk often surfaces as "disk I/O error" (a failed write to the WAL).
            return full_error(path, what)
    elif isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return full_error(path, what)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return read_only_error(path, what)
    return JournalError(
        f"{what} {path} cannot be used: {exc}. Try again, or ask IT if it keeps "
        f"happening; {_NOTHING_LOST}",
        path,
    )


@contextmanager
def translated(path: Path, what: str = "The upload journal") -> Iterator[None]:
    """Turn ``sqlite3.Error`` and ``OSError`` raised inside into a :class:`JournalError`."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise journal_error(exc, path, what) from exc
