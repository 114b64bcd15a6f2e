"""The journal's public surface is its ``__init__``; this pins it (httpx's habit)."""

from __future__ import annotations

from zmed_gui.core import journal
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.journal import BatchStatus, EventStatus, UploadStatus


def test_exported_names_are_pinned() -> None:
    assert sorted(journal.__all__) == [
        "BACKUPS_KEPT",
        "BatchRecord",
        "BatchStatus",
        "EventRow",
        "EventStatus",
        "HEARTBEAT_STALE_SECONDS",
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
        "find_interrupted_uploads",
        "list_backups",
        "set_aside_journal",
    ]
    public = {n for n in vars(journal) if not n.startswith("_")} - {"annotations"}
    assert public == set(journal.__all__)


def test_status_values_are_the_stored_strings() -> None:
    # Existing journals hold these strings: they must never change.
    assert [s.value for s in EventStatus] == [
        "pending", "sending", "accepted", "kept", "rejected_after_receipt", "rejected",
        "uncertain", "skipped", "held", "resent",
    ]  # fmt: skip
    assert [s.value for s in BatchStatus] == [
        "pending", "sending", "accepted", "rejected", "uncertain", "split",
    ]  # fmt: skip
    assert [s.value for s in UploadStatus] == ["running", "completed", "interrupted", "failed"]


def test_errors_are_user_errors() -> None:
    for cls in (journal.JournalError, journal.MeterBusy, journal.LeaseLost):
        assert issubclass(cls, ZmedError)
    for cls in (journal.JournalDamaged, journal.JournalFull, journal.JournalReadOnly):
        assert issubclass(cls, journal.JournalError)
    assert issubclass(journal.JournalLocked, journal.JournalError)
