"""Uploading validated events to a meter: plan, send, journal, resume, never send twice.

Two steps, so the GUI can show what will happen before anything leaves the computer:

1. :func:`plan_upload` (read-only) looks at the journal: events already accepted for the
   same meter (by event hash, from any earlier upload) are duplicates and skipped unless
   ``allow_duplicates``; events of earlier *uncertain* batches are held back unless
   ``resend_uncertain``; with ``resume_id`` only what that upload has not finished is sent.
2. :func:`run_upload` sends the batches with retries, rate limit and concurrency, writing
   the journal before and after each request, and returns an :class:`UploadResult`.

Uncertain means: the request was sent but no answer came (timeout, dropped connection,
gateway timeout). Zuora has no idempotency key, so such a batch is never resent by itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zmed_gui.core.connections import Target, TenantLimits
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.progress import CancelToken, PauseToken

if TYPE_CHECKING:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.report import RowUpload
    from zmed_gui.core.validate import ValidationResult
    from zmed_gui.core.zuora import ZuoraClient

MAX_CONCURRENCY = 40  # Zuora's default tenant-wide limit of concurrent requests


@dataclass
class UploadOptions:
    """How to send. ``None`` limits mean "the connection's tenant limit".

    ``max_payload_bytes`` is applied to the uncompressed JSON body (Zuora does not say
    whether its limit counts before or after gzip; the stricter reading is safe either way).
    """

    batch_size: int | None = None
    max_payload_bytes: int | None = None
    concurrency: int = 4
    calls_per_minute: int | None = None
    gzip: bool = True
    track_id: str | None = None  # None: one is generated per upload
    dry_run: bool = False
    allow_duplicates: bool = False
    resend_uncertain: bool = False
    max_attempts: int = 6  # per batch, for 429/5xx/connection errors before sending
    max_retry_seconds: float = 300.0  # per batch, total time spent waiting to retry
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


@dataclass(frozen=True)
class UploadItem:
    """One event to send. ``row`` is the 0-based data row; ``excel_row`` what Excel shows."""

    row: int
    excel_row: int
    event: dict[str, Any]


@dataclass(frozen=True)
class SourceInfo:
    """Where the events came from; ``fingerprint`` identifies file content + sheet + mapping."""

    file_name: str
    sheet: str
    fingerprint: str

    @classmethod
    def from_file(cls, path: Path, sheet: str, mapping_json: str) -> SourceInfo:
        """Fingerprint = sha256 of the file's bytes, the sheet name and the mapping JSON."""
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0sheet\0" + sheet.encode("utf-8"))
        h.update(b"\0mapping\0" + mapping_json.encode("utf-8"))
        return cls(path.name, sheet, h.hexdigest())


def items_from_validation(result: ValidationResult) -> tuple[list[UploadItem], list[int]]:
    """Valid rows of a validation result as upload items, and the invalid rows (0-based).

    Rows with no event (invalid or excluded) are never sent.
    """
    items: list[UploadItem] = []
    invalid: list[int] = []
    row_numbers = result.table.row_numbers
    for i, event in enumerate(result.events):
        if event is None:
            invalid.append(i)
        else:
            items.append(UploadItem(i, row_numbers[i], event))
    return items, invalid


@dataclass(frozen=True)
class DuplicateFinding:
    """An item whose event was already accepted for this meter by ``upload_ids``."""

    item: UploadItem
    upload_ids: tuple[str, ...]


@dataclass
class UploadPlan:
    """What :func:`run_upload` will do; built by :func:`plan_upload`, nothing sent yet.

    ``to_send`` is what goes out. The other lists are what will *not* be sent and why:
    ``duplicates`` (already accepted earlier; empty when ``allow_duplicates``, their items
    are then in ``to_send``), ``uncertain`` (held back: sent earlier without an answer),
    ``already_done`` (resume: accepted or rejected in this upload before), ``too_large``
    (one event alone is over the payload limit).
    """

    upload_id: str
    resuming: bool
    target: Target
    source: SourceInfo
    options: UploadOptions
    batch_size: int
    max_payload_bytes: int
    calls_per_minute: int
    items: list[UploadItem]
    to_send: list[UploadItem]
    duplicates: list[DuplicateFinding] = field(default_factory=list)
    uncertain: list[UploadItem] = field(default_factory=list)
    already_done: list[UploadItem] = field(default_factory=list)
    too_large: list[UploadItem] = field(default_factory=list)
    invalid_rows: list[int] = field(default_factory=list)
    batches_total: int = 0
    track_id: str = ""

    def summary(self) -> str:
        """Sentences for the user before sending."""
        raise NotImplementedError


def plan_upload(
    journal: Journal,
    target: Target,
    items: list[UploadItem],
    source: SourceInfo,
    options: UploadOptions,
    resume_id: str | None = None,
    *,
    limits: TenantLimits | None = None,
    invalid_rows: Sequence[int] = (),
) -> UploadPlan:
    """Decide what to send, without sending or writing anything.

    Args:
        journal: where earlier uploads are recorded.
        target: the meter and its upload URL.
        items: the valid events (see :func:`items_from_validation`).
        source: the file's fingerprint; a resume must be of the same file, sheet and mapping.
        options: batch size, duplicates and uncertain choices...
        resume_id: continue that upload (only what it has not finished is sent).
        limits: the tenant limits of the connection (default: Production).
        invalid_rows: 0-based rows that are not sent because they are invalid (reported).

    Raises:
        OptionsError: bad options, unknown ``resume_id`` or a resume of another file/meter.
    """
    raise NotImplementedError


@dataclass
class UploadProgress:
    """A snapshot for progress bars; ``eta_seconds`` is None while unknown."""

    events_total: int
    accepted: int = 0
    rejected: int = 0
    uncertain: int = 0
    skipped_duplicates: int = 0
    retries: int = 0
    batches_done: int = 0
    batches_total: int = 0
    events_per_second: float = 0.0
    eta_seconds: float | None = None
    message: str = ""
    paused: bool = False


@dataclass
class UploadResult:
    """The outcome of :func:`run_upload`. ``row_outcomes`` is keyed by 0-based data row.

    ``interrupted`` means cancelled, stopped by an error or not finished: resumable with
    ``plan_upload(..., resume_id=upload_id)``. ``error`` is set when Zuora refused the
    credentials or the meter, or could not be reached (``message`` says it too).
    ``uncertain`` events were sent without an answer; ``held_uncertain`` of them were not
    resent in this run. ``dry_run`` results have nothing accepted.
    """

    upload_id: str
    track_id: str
    accepted: int = 0
    rejected: int = 0
    invalid: int = 0
    skipped_duplicates: int = 0
    uncertain: int = 0
    not_sent: int = 0
    retries: int = 0
    batches: int = 0
    row_outcomes: dict[int, RowUpload] = field(default_factory=dict)
    interrupted: bool = False
    dry_run: bool = False
    error: ZmedError | None = None
    message: str = ""
    request_ids: list[str] = field(default_factory=list)


ProgressFn = Callable[[UploadProgress], None]


def run_upload(
    plan: UploadPlan,
    client: ZuoraClient | None,
    journal: Journal,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    pause: PauseToken | None = None,
) -> UploadResult:
    """Send the plan's events (``client`` None only for a dry run) and journal every step.

    Progress is called from this thread (after each batch and while waiting). Cancel and
    pause take effect between batches: requests in flight finish and are journaled.
    Never raises for what Zuora answers; the result says it.
    """
    raise NotImplementedError
