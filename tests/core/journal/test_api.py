"""The journal's public surface is its ``__init__``; this pins it (httpx's habit)."""

from __future__ import annotations

from zmed_gui.core import journal
from zmed_gui.core.errors import ZmedError


def test_errors_are_user_errors() -> None:
    for cls in (journal.JournalError, journal.MeterBusy, journal.LeaseLost):
        assert issubclass(cls, ZmedError)
    for cls in (journal.JournalDamaged, journal.JournalFull, journal.JournalReadOnly):
        assert issubclass(cls, journal.JournalError)
    assert issubclass(journal.JournalLocked, journal.JournalError)
