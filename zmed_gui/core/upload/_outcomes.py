"""What an upload did: progress snapshots, the final :class:`UploadResult`, row outcomes.

The session reports one typed :class:`UploadProgress` for every phase (preparing,
fingerprinting, checking the journal, waiting for another upload, sending); at
the end the sender turns the event statuses it kept (the same as the journal's) into an
:class:`UploadResult` with :func:`result_from_statuses`. A dry run's result comes from the
plan alone (:func:`dry_run_result`).

Words matter here: a 200 from Zuora means the events were *received*, not that the meter
kept them (Mediation validates afterwards), and the summary never says "complete" unless
every event to send was received.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from zmed_gui.core.connections import is_loopback_host
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.journal import EventStatus, UploadStatus
from zmed_gui.core.report import RowOutcome, RowUpload
from zmed_gui.core.table import SHARE_STEP
from zmed_gui.core.upload._input import row_pairs

if TYPE_CHECKING:
    from zmed_gui.core.journal import EventRow
    from zmed_gui.core.upload._planning import UploadPlan


INVALID_NOT_SENT = "The row is invalid, so it was not sent."
STOPPED_FIRST = "Not sent: the upload stopped first; run it again."


class UploadPhase(StrEnum):
    """Where an upload is; each phase honours cancel."""

    PREPARING = "preparing"
    FINGERPRINTING = "fingerprinting"
    WAITING = "waiting"  # for another upload to the same meter
    CHECKING = "checking"  # the journal: what was sent before
    SENDING = "sending"


@dataclass
class UploadProgress:
    """A snapshot for progress bars; ``eta_seconds`` is None while unknown.

    ``done``/``total`` count the current phase's work (rows, bytes, events); ``total`` 0
    means unknown. In the sending phase the event counts say how far the upload is.
    """

    events_total: int
    phase: UploadPhase = UploadPhase.SENDING
    done: int = 0
    total: int = 0
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
    in_flight: int = 0  # requests on their way now (a pause waits for them)
    # Zuora refused, did not answer or asked to slow down, and the sender waits to try
    # again: nothing moves, so no time left can be said (``eta_seconds`` is None).
    waiting: bool = False


ProgressFn = Callable[[UploadProgress], None]


@dataclass
class UploadResult:
    """The outcome of an upload. ``row_outcomes`` is keyed by 0-based data row.

    Counts are events of the whole upload (a resumed upload includes earlier runs);
    ``retries`` is this run's. ``accepted`` events were *received* by Zuora (a 200).
    ``interrupted`` means cancelled, stopped by an error or not finished: resumable.
    ``error`` is set when Zuora refused the credentials or the meter or could not be
    reached. ``uncertain`` events were sent without an answer; ``held_uncertain`` are
    events an *earlier* upload sent without an answer, not sent again; ``resent_uncertain``
    is how many uncertain events this run sent again by the user's choice, ``resent_by_id``
    how many it sent again because the meter drops repeats of their event ID;
    ``safe_resend``: the meter deduplicates on the events' IDs, so a rerun resends what
    stays uncertain by itself.
    ``warnings`` are sentences about what happened after the upload (a report that could
    not be written, a backup that failed): they never change the outcome.
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
    resent_by_id: int = 0
    safe_resend: bool = False
    not_sent: int = 0
    retries: int = 0
    batches: int = 0
    row_outcomes: dict[int, RowUpload] = field(default_factory=dict)
    interrupted: bool = False
    cancelled: bool = False
    dry_run: bool = False
    error: ZmedError | None = None
    message: str = ""
    request_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    journal_backup: str = ""
    learned_batch_size: int | None = None  # a 413 showed the tenant takes no more a call
    path_style_used: str | None = None  # the meter answered at the other path style
    service: str = "Zuora"  # who received the events, in words (see destination)

    @property
    def uncertain_total(self) -> int:
        return self.uncertain + self.held_uncertain

    @property
    def complete(self) -> bool:
        """Every event to send was received, none rejected, uncertain or left."""
        return (
            not self.dry_run
            and not self.interrupted
            and not self.rejected
            and not self.uncertain_total
            and not self.not_sent
        )


def _resent_by_id(res: UploadResult, plan: UploadPlan) -> None:
    res.resent_by_id = len(plan.resent_by_id)
    res.safe_resend = plan.options.meter_deduplicates and bool(plan.event_id_fields)


def dry_run_result(plan: UploadPlan) -> UploadResult:
    """The result of a dry run: what the plan would send, skip, hold back or reject."""
    res = UploadResult(plan.upload_id, plan.track_id, dry_run=True)
    _resent_by_id(res, plan)
    res.invalid = len(plan.invalid_rows)
    for row in plan.invalid_rows:
        res.row_outcomes[row] = RowUpload(RowOutcome.NOT_SENT, "The row is invalid.")
    for pos, (status, msg) in plan.marks.items():
        item = plan.items[pos]
        if status == EventStatus.SKIPPED:
            res.skipped_duplicates += 1
            res.row_outcomes[item.row] = RowUpload(RowOutcome.SKIPPED, msg)
        elif status == EventStatus.HELD:
            res.held_uncertain += 1
            res.row_outcomes[item.row] = RowUpload(RowOutcome.UNCERTAIN, msg)
        else:
            res.rejected += 1
            res.row_outcomes[item.row] = RowUpload(RowOutcome.REJECTED, msg)
    for item in plan.to_send:
        res.row_outcomes[item.row] = RowUpload(RowOutcome.NOT_SENT, "Dry run: would be sent.")
    res.not_sent = len(plan.to_send)
    res.batches = plan.batches_total
    res.message = "Dry run, nothing was sent. " + plan.summary()
    return res


def result_from_events(
    plan: UploadPlan,
    rows: Iterable[EventRow],
    batches: int,
    *,
    retries: int,
    request_ids: Iterable[str],
    error: ZmedError | None,
    cancelled: bool,
) -> tuple[UploadResult, UploadStatus]:
    """The result of a run from the journal's event ``rows`` of the upload (all of them).

    ``batches`` is the number of batches journaled for it. Returns the result and the
    status to record in the journal. The sender builds the same from memory
    (:func:`result_from_statuses`); this reads what a journal says.
    """
    ordered = sorted(rows, key=lambda e: e.pos)
    return result_from_statuses(
        plan,
        [e.status for e in ordered],
        [e.message for e in ordered],
        [e.batch_seq for e in ordered],
        {e.batch_seq: e.request_id for e in ordered if e.batch_seq is not None},
        batches,
        retries=retries,
        request_ids=request_ids,
        error=error,
        cancelled=cancelled,
        rows=[e.row for e in ordered],
    )


_KEPT = "Kept by the meter."
EMULATOR = "the local emulator"


def destination(base_url: str) -> str:
    """Who an upload to ``base_url`` goes to, in words: "the local emulator" for this
    computer's own address (the demo and the emulator; plain http goes nowhere else),
    else "Zuora"."""
    try:
        host = urlsplit(base_url.strip()).hostname or ""
    except ValueError:
        host = ""
    return EMULATOR if host and is_loopback_host(host) else "Zuora"


def _received(service: str) -> str:
    return f"Received by {service}."


def _no_answer(service: str) -> str:
    return f"Sent, but {service}'s answer never came; check the meter before sending it again."


def result_from_statuses(
    plan: UploadPlan,
    statuses: Sequence[EventStatus],
    messages: Sequence[str],
    batch_of: Sequence[int | None],
    batch_requests: Mapping[int, str | None],
    batches: int,
    *,
    retries: int,
    request_ids: Iterable[str],
    error: ZmedError | None,
    cancelled: bool,
    rows: Sequence[int] | None = None,
) -> tuple[UploadResult, UploadStatus]:
    """The result of a run from every event's status, message and batch, by position in
    ``plan.items`` (``rows``: their data rows, default the items'); ``batch_requests`` maps
    a batch to its Zuora-Request-Id. Returns the result and the status to record.

    Rows with the same outcome share one :class:`RowUpload` (nothing changes them).
    """
    res = UploadResult(plan.upload_id, plan.track_id, retries=retries, cancelled=cancelled)
    res.service = service = destination(plan.target.base_url)
    res.resent_uncertain = len(plan.uncertain) if plan.options.resend_uncertain else 0
    _resent_by_id(res, plan)
    res.request_ids = list(request_ids)
    res.invalid = len(plan.invalid_rows)
    outcomes = res.row_outcomes
    invalid = RowUpload(RowOutcome.NOT_SENT, INVALID_NOT_SENT)
    for row in plan.invalid_rows:
        outcomes[row] = invalid
    res.batches = batches
    if rows is None:
        rows = [row for row, _ in row_pairs(plan.items)]  # no item made per row
    accepted = EventStatus.ACCEPTED
    received: dict[int | None, RowUpload] = {}  # the common case, one per batch
    shared: dict[tuple[RowOutcome, str, str | None], RowUpload] = {}
    for pos, st in enumerate(statuses):
        if st is accepted:
            seq = batch_of[pos]
            out = received.get(seq)
            if out is None:
                rid = None if seq is None else batch_requests.get(seq)
                out = received[seq] = RowUpload(RowOutcome.ACCEPTED, _received(service), rid)
            outcomes[rows[pos]] = out
            continue
        seq = batch_of[pos]
        rid = None if seq is None else batch_requests.get(seq)
        if st is EventStatus.KEPT:
            key = (RowOutcome.ACCEPTED, _KEPT, rid)
        elif st is EventStatus.REJECTED_AFTER_RECEIPT or st is EventStatus.REJECTED:
            key = (RowOutcome.REJECTED, messages[pos], rid)
        elif st is EventStatus.UNCERTAIN or st is EventStatus.SENDING:
            key = (RowOutcome.UNCERTAIN, messages[pos] or _no_answer(service), rid)
        elif st is EventStatus.HELD:
            key = (RowOutcome.UNCERTAIN, messages[pos], None)
        elif st is EventStatus.SKIPPED:
            key = (RowOutcome.SKIPPED, messages[pos], None)
        else:
            key = (RowOutcome.NOT_SENT, messages[pos] or STOPPED_FIRST, None)
        out = shared.get(key)
        if out is None:
            out = shared[key] = RowUpload(*key)
        outcomes[rows[pos]] = out
    # A slice at a time, not Counter(statuses): one native call over every event held
    # the GIL ~90 ms for a million, and the window waited for it.
    counts: Counter[EventStatus] = Counter()
    for start in range(0, len(statuses), SHARE_STEP):
        counts.update(statuses[start : start + SHARE_STEP])
    res.accepted = counts[EventStatus.ACCEPTED] + counts[EventStatus.KEPT]
    res.rejected = counts[EventStatus.REJECTED_AFTER_RECEIPT] + counts[EventStatus.REJECTED]
    res.uncertain = counts[EventStatus.UNCERTAIN] + counts[EventStatus.SENDING]
    res.held_uncertain = counts[EventStatus.HELD]
    res.skipped_duplicates = counts[EventStatus.SKIPPED]
    res.not_sent = len(statuses) - sum(
        counts[s]
        for s in (
            EventStatus.ACCEPTED,
            EventStatus.KEPT,
            EventStatus.REJECTED_AFTER_RECEIPT,
            EventStatus.REJECTED,
            EventStatus.UNCERTAIN,
            EventStatus.SENDING,
            EventStatus.HELD,
            EventStatus.SKIPPED,
        )
    )
    res.error = error
    res.interrupted = cancelled or error is not None or res.not_sent > 0
    status = (
        UploadStatus.FAILED
        if error is not None
        else UploadStatus.INTERRUPTED
        if res.interrupted
        else UploadStatus.COMPLETED
    )
    res.message = summary_sentence(res)
    return res, status


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def summary_sentence(res: UploadResult) -> str:
    """What happened, first things first; never more than is known.

    "Complete" only when every event to send was received. Received is not kept: the
    meter validates after answering, so the sentence says "received by Zuora" (by
    ``res.service``: the local emulator for the demo).
    """
    sent = res.accepted + res.rejected + res.uncertain
    who = res.service
    parts: list[str] = []
    if res.error is not None:
        parts.append(str(res.error))
    elif res.cancelled:
        parts.append("The upload was stopped before the end.")
    if res.complete:
        if res.accepted:
            parts.append(f"The upload is complete: {who} received all {_n(res.accepted, 'event')}.")
        else:
            parts.append("The upload is complete: there was nothing new to send.")
    elif res.accepted == 0 and res.uncertain and not res.rejected:
        parts.append(
            f"Nothing was confirmed: {_n(res.uncertain, 'event is', 'events are')} uncertain "
            f"(sent, but {who} did not answer)."
        )
    elif sent or res.accepted:
        head = f"{who[0].upper()}{who[1:]} received {_n(res.accepted, 'event')}"
        parts.append(head + (f" and rejected {res.rejected:,}." if res.rejected else "."))
        if res.uncertain:
            parts.append(
                f"{_n(res.uncertain, 'event was', 'events were')} sent without an answer "
                "(uncertain)."
            )
    if res.not_sent:
        again = "run the same upload again to send them" if res.interrupted else "see the report"
        parts.append(f"{_n(res.not_sent, 'event was', 'events were')} not sent; {again}.")
    if res.skipped_duplicates:
        parts.append(
            f"{_n(res.skipped_duplicates, 'event was', 'events were')} skipped because an "
            "earlier upload already delivered them to this meter."
        )
    if res.held_uncertain:
        parts.append(
            f"{_n(res.held_uncertain, 'event was', 'events were')} held back: an earlier upload "
            "sent them without an answer (check the meter, then choose to resend them)."
        )
    if res.resent_uncertain:
        parts.append(
            f"{_n(res.resent_uncertain, 'event')} sent earlier without an answer "
            f"{'was' if res.resent_uncertain == 1 else 'were'} sent again, as chosen."
        )
    if res.resent_by_id:
        parts.append(
            f"{_n(res.resent_by_id, 'event')} sent earlier without an answer "
            f"{'was' if res.resent_by_id == 1 else 'were'} sent again: the meter drops "
            "repeats of the same event ID."
        )
    if res.uncertain and res.safe_resend:
        parts.append(
            "Run the same upload again to resend the uncertain events: the meter drops "
            "repeats of the same event ID."
        )
    elif res.uncertain:
        parts.append(
            "Check the uncertain events in Zuora and resend them only if they are missing."
        )
    if res.invalid:
        parts.append(f"{_n(res.invalid, 'invalid row was', 'invalid rows were')} not sent.")
    return " ".join(parts)
