"""The upload journal: SQLite in the user data dir, written before and after each request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class UploadRecord:
    """One upload as the journal knows it."""

    upload_id: str
    file_name: str
    sheet: str
    fingerprint: str
    connection: str
    meter_url: str
    meter_key: str
    track_id: str
    started: str  # ISO 8601 UTC
    ended: str | None
    status: str  # running, completed, interrupted, failed
    events_total: int
    accepted: int = 0
    rejected: int = 0
    uncertain: int = 0
    pending: int = 0
    message: str = ""


class Journal:
    """Thread-safe access to the journal database (default: user data dir)."""

    def __init__(self, path: Path | None = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def list_uploads(self, limit: int = 50) -> list[UploadRecord]:
        """The latest uploads, newest first."""
        raise NotImplementedError

    def find_interrupted_uploads(self) -> list[UploadRecord]:
        """Uploads that stopped before finishing (cancel, crash, power or network loss)."""
        raise NotImplementedError


def find_interrupted_uploads(journal: Journal | None = None) -> list[UploadRecord]:
    """For the GUI's "resume at next start": interrupted uploads, newest first."""
    raise NotImplementedError
