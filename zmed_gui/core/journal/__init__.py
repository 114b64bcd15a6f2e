"""The upload journal: every upload, event and request in SQLite, so nothing is sent twice.

One :class:`Journal` owns its database connection. It is never replaced silently: a file
that is not a usable journal raises :class:`JournalDamaged` until the user sets it aside
(:func:`set_aside_journal`). :meth:`Journal.backup` keeps rolling backups beside it, and
:meth:`Journal.acquire_lease` lets one upload at a time send to a meter, across processes.
Everything that goes wrong on disk is a :class:`JournalError` sentence (full, read-only,
locked), never a raw ``sqlite3`` or ``OSError``.

The work is done in private modules: ``_database`` (the connection, opening and creating
safely), ``_schema`` (tables, migrations), ``_journal`` (reads and writes), ``_reads``,
``_recovery`` (dead uploads), ``_lease``, ``_backups``, ``_records``, ``_errors``.
"""

from __future__ import annotations

from zmed_gui.core.journal._backups import BACKUPS_KEPT, list_backups, set_aside_journal
from zmed_gui.core.journal._errors import (
    JournalDamaged,
    JournalError,
    JournalFull,
    JournalLocked,
    JournalReadOnly,
    LeaseLost,
    MeterBusy,
)
from zmed_gui.core.journal._journal import Journal, abandon_upload, find_interrupted_uploads
from zmed_gui.core.journal._lease import MeterLease
from zmed_gui.core.journal._reads import EventColumns
from zmed_gui.core.journal._records import (
    HEARTBEAT_STALE_SECONDS,
    BatchRecord,
    BatchStatus,
    EventRow,
    EventStatus,
    UploadRecord,
    UploadStatus,
    hash_key,
)

__all__ = [
    "BACKUPS_KEPT",
    "HEARTBEAT_STALE_SECONDS",
    "BatchRecord",
    "BatchStatus",
    "EventColumns",
    "EventRow",
    "EventStatus",
    "Journal",
    "JournalDamaged",
    "JournalError",
    "JournalFull",
    "JournalLocked",
    "JournalReadOnly",
    "LeaseLost",
    "MeterBusy",
    "MeterLease",
    "UploadRecord",
    "UploadStatus",
    "abandon_upload",
    "find_interrupted_uploads",
    "hash_key",
    "list_backups",
    "set_aside_journal",
]
