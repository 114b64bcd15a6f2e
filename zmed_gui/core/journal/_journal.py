"""The upload journal: SQLite (WAL, synchronous=FULL) in the user data dir.

What it knows, so that nothing is lost and nothing is billed twice:

- ``uploads``: one row per upload (file fingerprint, meter, track id, times, status, and
  which process runs it: pid + host + heartbeat).
- ``events``: one row per event of an upload (data row, Excel row, sha256 of the canonical
  JSON, the meter, its batch and status: pending, sending, accepted, rejected, uncertain,
  skipped (already accepted earlier), held (uncertain earlier, not resent), resent).
- ``batches``: one row per request (events, Excel rows, attempts, status, Zuora-Request-Id,
  echoed track id, message).

A batch is committed as ``sending`` *before* its request leaves and updated after the
answer. If the process dies in between, :meth:`Journal.recover` turns ``sending`` into
``uncertain`` (the request may have arrived): such events are never resent silently.

This module is the public face; the work is done in :mod:`~zmed_gui.core.journal._schema`
(statuses, tables, records, the database connection), :mod:`~zmed_gui.core.journal._recovery`
(recovery of dead uploads) and :mod:`~zmed_gui.core.journal._queries` (reads and writes).
"""

from __future__ import annotations

from zmed_gui.core.journal._queries import JournalQueries
from zmed_gui.core.journal._schema import (
    UploadRecord,
)


class Journal(JournalQueries):
    """Thread-safe access to the journal database (default: user data dir)."""


def find_interrupted_uploads(journal: Journal | None = None) -> list[UploadRecord]:
    """For the GUI's "resume at next start": interrupted uploads with events left, newest first."""
    if journal is not None:
        return journal.find_interrupted_uploads()
    with Journal() as j:
        return j.find_interrupted_uploads()
