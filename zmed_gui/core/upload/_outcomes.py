"""What an upload did: progress snapshots, the final :class:`UploadResult`, row outcomes.

The sending engine (:mod:`zmed_gui.core.upload._sender`) reports :class:`UploadProgress` while it
runs and, at the end, turns the journal's event statuses into an :class:`UploadResult`
with :func:`result_from_journal`; a dry run's result comes from the plan alone
(:func:`dry_run_result`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zmed_gui.core.errors import ZmedError
from zmed_gui.core.journal import EventStatus, UploadStatus
from zmed_gui.core.report import RowUpload

if TYPE_CHECKING:
    from zmed_gui.core.journal import EventRow
    from zmed_gui.core.upload._planning import UploadPlan


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

    Counts are events of the whole upload (a resumed upload includes earlier runs);
    ``retries`` is this run's. ``interrupted`` means cancelled, stopped by an error or not
    finished: resumable with ``plan_upload(..., resume_id=upload_id)``. ``error`` is set
    when Zuora refused the credentials or the meter or could not be reached. ``uncertain``
    events were sent without an answer; ``held_uncertain`` are events an *earlier* upload
    sent without an answer, not sent again; ``resent_uncertain`` is how many uncertain
    events this run sent again by the user's choice. ``dry_run`` results have nothing
    accepted.
    """

    upload_id: str
    track_id: str
    accepted: int = 0
    rejected: int = 0
    invalid: int = 0
    skipped_duplicates: int = 0
    uncertain: int = 0
    held_uncertain: int = 0
    resent_uncertain: int = 0
    not_sent: int = 0
    retries: int = 0
    batches: int = 0
    row_outcomes: dict[int, RowUpload] = field(default_factory=dict)
    interrupted: bool = False
    dry_run: bool = False
    error: ZmedError | None = None
    message: str = ""
    request_ids: list[str] = field(default_factory=list)

    @property
    def uncertain_total(self) -> int:
        return self.uncertain + self.held_uncertain


ProgressFn = Callable[[UploadProgress], None]


def dry_run_result(plan: UploadPlan) -> UploadResult:
    """The result of a dry run: what the plan would send, skip, hold back or reject."""
    res = UploadResult(plan.upload_id, plan.track_id, dry_run=True)
    res.invalid = len(plan.invalid_rows)
    for row in plan.invalid_rows:
        res.row_outcomes[row] = RowUpload("not sent", "The row is invalid.")
    for pos, (status, msg) in plan._status.items():
        item = plan.items[pos]
        if status == EventStatus.SKIPPED:
            res.skipped_duplicates += 1
            res.row_outcomes[item.row] = RowUpload("skipped (already sent)", msg)
        elif status == EventStatus.HELD:
            res.held_uncertain += 1
            res.row_outcomes[item.row] = RowUpload("uncertain", msg)
        else:
            res.rejected += 1
            res.row_outcomes[item.row] = RowUpload("rejected", msg)
    for item in plan.to_send:
        res.row_outcomes[item.row] = RowUpload("not sent", "Dry run: would be sent.")
    res.not_sent = len(plan.to_send)
    res.batches = plan.batches_total
    res.message = "Dry run, nothing was sent. " + plan.summary()
    return res


def result_from_journal(
    plan: UploadPlan,
    rows: Sequence[EventRow],
    batches: int,
    *,
    retries: int,
    request_ids: Sequence[str],
    error: ZmedError | None,
    cancelled: bool,
) -> tuple[UploadResult, UploadStatus, str]:
    """The result of a run from the journal's event ``rows`` of the upload.

    ``batches`` is the number of batches journaled for it. Returns the result, the status
    to record in the journal (completed, interrupted or failed) and the counts line.
    """
    res = UploadResult(plan.upload_id, plan.track_id, retries=retries)
    res.resent_uncertain = len(plan.uncertain) if plan.options.resend_uncertain else 0
    res.request_ids = list(request_ids)
    res.invalid = len(plan.invalid_rows)
    for row in plan.invalid_rows:
        res.row_outcomes[row] = RowUpload("not sent", "The row is invalid, so it was not sent.")
    res.batches = batches
    for e in rows:
        st = e.status
        if st == EventStatus.ACCEPTED:
            res.accepted += 1
            out = RowUpload("accepted", "", e.request_id)
        elif st == EventStatus.REJECTED:
            res.rejected += 1
            out = RowUpload("rejected", e.message, e.request_id)
        elif st in (EventStatus.UNCERTAIN, EventStatus.SENDING):
            res.uncertain += 1
            out = RowUpload(
                "uncertain",
                e.message
                or "Sent, but Zuora's answer never came; check the meter before sending it again.",
                e.request_id,
            )
        elif st == EventStatus.HELD:
            res.held_uncertain += 1
            out = RowUpload("uncertain", e.message)
        elif st == EventStatus.SKIPPED:
            res.skipped_duplicates += 1
            out = RowUpload("skipped (already sent)", e.message)
        else:
            res.not_sent += 1
            out = RowUpload(
                "not sent", e.message or "Not sent: the upload stopped first; resume it."
            )
        res.row_outcomes[e.row] = out
    res.error = error
    res.interrupted = cancelled or error is not None or res.not_sent > 0
    if error is not None:
        status, lead = UploadStatus.FAILED, str(error)
    elif cancelled:
        status, lead = (
            UploadStatus.INTERRUPTED,
            "The upload was cancelled; resume it to send the rest.",
        )
    elif res.not_sent:
        status, lead = UploadStatus.INTERRUPTED, "The upload stopped before the end; resume it."
    else:
        status, lead = UploadStatus.COMPLETED, "The upload is complete."
    counts = (
        f"{res.accepted:,} accepted, {res.rejected:,} rejected, {res.invalid:,} invalid, "
        f"{res.skipped_duplicates:,} duplicates skipped, {res.uncertain_total:,} uncertain, "
        f"{res.not_sent:,} not sent, {res.retries:,} retries."
    )
    res.message = f"{lead} {counts}"
    if res.resent_uncertain:
        res.message += (
            f" {res.resent_uncertain:,} events sent earlier without an answer were sent "
            "again, as chosen."
        )
    if res.uncertain:
        res.message += (
            f" {res.uncertain:,} events were sent without an answer; check the meter in "
            "Zuora, and resend them only if they are missing."
        )
    return res, status, counts
