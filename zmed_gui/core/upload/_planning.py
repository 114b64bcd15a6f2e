"""Planning an upload before anything is sent: batches, duplicate guard, uncertain, resume.

:func:`plan_upload` (read-only; the session has recovered dead uploads) looks at the journal:
events already accepted for the same meter (by event hash, from any earlier upload) are
duplicates and skipped unless ``allow_duplicates``; events of earlier *uncertain* batches
are held back unless ``resend_uncertain``; with ``resume_id`` only what that upload has not
finished is sent.

``meter_deduplicates``: the user says the meter drops repeats of an event ID (a
Deduplicator on that field, or an Event Store upserting by it). Then uncertain events that
carry a filled event-ID field (``event_id_fields``, e.g. the generated row ID) are sent
again without asking: a repeat is dropped by the meter, a lost one arrives. Set without
any event-ID field, the plan is refused (the option would promise a safety that is not
there); an uncertain event whose ID is empty is held back as usual.

The :class:`UploadPlan` it returns is what :class:`zmed_gui.core.sender.Sender` runs.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zmed_gui.core.connections import Target, TenantLimits, limits_preset
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal import EventRow, EventStatus, UploadStatus, hash_key
from zmed_gui.core.upload._batches import canonical_json, event_digest, make_batches
from zmed_gui.core.upload._input import MAX_CONCURRENCY, SourceInfo, UploadItem, UploadOptions
from zmed_gui.core.upload._outcomes import ProgressFn, UploadPhase, UploadProgress
from zmed_gui.core.zuora import check_track_id, new_track_id

if TYPE_CHECKING:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.progress import CancelToken

_STEP = 5_000  # events between cancel checks and progress reports while planning


@dataclass(frozen=True)
class DuplicateFinding:
    """An item whose event was already accepted for this meter by ``upload_ids``."""

    item: UploadItem
    upload_ids: tuple[str, ...]


@dataclass
class UploadPlan:
    """What :func:`run_upload` will do; built by :func:`plan_upload`, nothing sent yet.

    ``to_send`` is what goes out. The other lists say what the journal found:
    ``duplicates`` (already accepted for this meter earlier: skipped, or also in ``to_send``
    when ``allow_duplicates``), ``uncertain`` (sent earlier without an answer: held back, or
    also in ``to_send`` when ``resend_uncertain``), ``resent_by_id`` (sent earlier without
    an answer, but carrying an event ID the meter deduplicates on: also in ``to_send``; see
    ``meter_deduplicates``), ``already_done`` (resume: accepted or rejected in this upload
    before), ``too_large`` (one event alone is over the payload limit; never sent).
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
    resent_by_id: list[UploadItem] = field(default_factory=list)
    event_id_fields: tuple[str, ...] = ()
    already_done: list[UploadItem] = field(default_factory=list)
    too_large: list[UploadItem] = field(default_factory=list)
    invalid_rows: list[int] = field(default_factory=list)
    batches_total: int = 0
    track_id: str = ""

    connection: str = ""
    # Each event encoded and hashed once, by position in ``items``: ``encoded`` are the bytes
    # sent, ``hashes`` their sha256 digests (what the duplicate guard keeps);
    # ``send_positions`` what goes out; ``marks`` the statuses to record for the others;
    # ``resend_hashes`` earlier uncertain events sent again (hash -> count);
    # ``accepted_before`` accepted in earlier runs (resume).
    encoded: list[bytes] = field(default_factory=list, repr=False)
    hashes: list[bytes] = field(default_factory=list, repr=False)
    send_positions: list[int] = field(default_factory=list, repr=False)
    marks: dict[int, tuple[EventStatus, str]] = field(default_factory=dict, repr=False)
    resend_hashes: dict[bytes, int] = field(default_factory=dict, repr=False)
    accepted_before: int = field(default=0, repr=False)
    # The batches to send (positions in ``items``), cut once here; and, for a resume, the
    # upload's events as the journal had them (the sender starts from them).
    batches: list[list[int]] = field(default_factory=list, repr=False)
    prior_events: list[EventRow] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """Sentences for the user before sending."""
        n = len(self.to_send)
        parts = [
            f"{n:,} events will be sent to {self.target.url} in {self.batches_total:,} "
            f"calls of at most {self.batch_size:,} events."
        ]
        if self.resuming:
            parts.append(
                f"This continues upload {self.upload_id}: {len(self.already_done):,} events "
                "were already answered."
            )
        if self.duplicates:
            verb = "will be sent anyway" if self.options.allow_duplicates else "will be skipped"
            rows = _rows_text([d.item.excel_row for d in self.duplicates])
            parts.append(
                f"{len(self.duplicates):,} events ({rows}) were already accepted for this meter "
                f"by an earlier upload and {verb}."
            )
        if self.uncertain:
            verb = (
                "will be sent again as you chose"
                if self.options.resend_uncertain
                else "will not be sent again (choose 'resend uncertain' after checking the meter)"
            )
            rows = _rows_text([it.excel_row for it in self.uncertain])
            parts.append(
                f"{len(self.uncertain):,} events ({rows}) were sent before without an answer "
                f"from Zuora and {verb}."
            )
        if self.resent_by_id:
            rows = _rows_text([it.excel_row for it in self.resent_by_id])
            ids = " and ".join(self.event_id_fields)
            parts.append(
                f"{len(self.resent_by_id):,} events ({rows}) were sent before without an answer "
                f"from Zuora and will be sent again: the meter drops repeats of the same event "
                f"ID ({ids})."
            )
        if self.too_large:
            parts.append(
                f"{len(self.too_large):,} events are each larger than one call may be and will "
                "not be sent."
            )
        if self.invalid_rows:
            parts.append(f"{len(self.invalid_rows):,} invalid rows will not be sent.")
        return " ".join(parts)


def _rows_text(rows: list[int], show: int = 5) -> str:
    shown = ", ".join(f"{r:,}" for r in rows[:show])
    more = f" and {len(rows) - show:,} more" if len(rows) > show else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _check_options(options: UploadOptions) -> None:
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise OptionsError(
            f"Concurrency {options.concurrency} is out of range; use 1 to {MAX_CONCURRENCY}."
        )
    if options.batch_size is not None and options.batch_size < 1:
        raise OptionsError("The batch size must be at least 1 event.")
    if options.max_payload_bytes is not None and options.max_payload_bytes < 1024:
        raise OptionsError("The maximum payload must be at least 1024 bytes.")
    if options.calls_per_minute is not None and options.calls_per_minute < 1:
        raise OptionsError("The calls per minute must be at least 1.")
    if options.max_attempts is not None and options.max_attempts < 1:
        raise OptionsError("The number of attempts must be at least 1.")


def _check_event_ids(options: UploadOptions, event_id_fields: Sequence[str]) -> None:
    if options.meter_deduplicates and not event_id_fields:
        raise OptionsError(
            "'The meter deduplicates' is chosen, but no field of the events carries an event "
            "ID: map the meter's event-ID field to the generated row ID (or to a column of "
            "unique IDs), or clear the option; without an ID a resend could bill twice."
        )


def _has_id(item: UploadItem, event_id_fields: Sequence[str]) -> bool:
    """True when the event carries a filled value in one of its event-ID fields."""
    event = item.event
    return any(event.get(name) not in (None, "") for name in event_id_fields)


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
    connection: str = "",
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    event_id_fields: Sequence[str] = (),
) -> UploadPlan:
    """Decide what to send, without sending or writing anything.

    Called by :class:`~zmed_gui.core.upload.UploadSession` while it holds the meter's lease,
    after it has recovered the uploads of dead processes (:meth:`Journal.recover`).

    Args:
        journal: where earlier uploads are recorded.
        target: the meter and its upload URL.
        items: the valid events (see :func:`items_from_validation`).
        source: the file's fingerprint; a resume must be of the same file, sheet and mapping.
        options: batch size, duplicates and uncertain choices...
        resume_id: continue that upload (only what it has not finished is sent).
        limits: the tenant limits of the connection (default: Production).
        invalid_rows: 0-based rows that are not sent because they are invalid (reported).
        connection: the connection's name, for the journal and history.
        progress, cancel: reported and checked every few thousand events.
        event_id_fields: the fields that give each event its own ID (see
            :func:`zmed_gui.core.mapping.event_id_fields`); used with ``meter_deduplicates``.

    Raises:
        OptionsError: bad options, unknown ``resume_id`` or a resume of another file/meter.
        Cancelled: the user cancelled.
    """
    _check_options(options)
    _check_event_ids(options, event_id_fields)
    lim = limits or limits_preset("production")
    batch_size = options.batch_size or lim.max_events
    max_bytes = options.max_payload_bytes or lim.max_payload_bytes
    cpm = options.calls_per_minute or lim.calls_per_minute

    def step(done: int, total: int, message: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(UploadProgress(len(items), UploadPhase.CHECKING, done, total, message=message))

    parts: list[bytes] = []
    hashes: list[bytes] = []
    for start in range(0, len(items), _STEP):
        step(start, len(items), "Preparing the events…")
        chunk = [canonical_json(it.event) for it in items[start : start + _STEP]]
        parts += chunk
        hashes += [event_digest(c) for c in chunk]
    plan = UploadPlan(
        upload_id=resume_id or uuid.uuid4().hex,
        resuming=resume_id is not None,
        target=target,
        source=source,
        options=options,
        batch_size=batch_size,
        max_payload_bytes=max_bytes,
        calls_per_minute=cpm,
        items=items,
        to_send=[],
        invalid_rows=list(invalid_rows),
        connection=connection,
        encoded=parts,
        hashes=hashes,
        event_id_fields=tuple(event_id_fields),
    )
    candidates: list[int] = list(range(len(items)))
    if resume_id is not None:
        candidates = _resume_candidates(journal, plan, resume_id)
    else:
        plan.track_id = check_track_id(options.track_id) if options.track_id else new_track_id()

    prior: dict[bytes, list[tuple[EventStatus, str]]] = {}
    wanted = list(dict.fromkeys(hashes[p] for p in candidates))  # each hash asked once
    for start in range(0, len(wanted), _STEP):
        step(start, len(wanted), "Checking what was sent before…")
        prior.update(
            journal.prior_statuses(
                target.meter_key, wanted[start : start + _STEP], exclude_upload=resume_id
            )
        )
    step(len(wanted), len(wanted), "Checking what was sent before…")
    accepted_left: dict[bytes, list[str]] = {}
    uncertain_left: dict[bytes, list[str]] = {}
    for h, found in prior.items():
        accepted_left[h] = [uid for st, uid in found if st == EventStatus.ACCEPTED]
        uncertain_left[h] = [uid for st, uid in found if st == EventStatus.UNCERTAIN]
    resend: Counter[bytes] = Counter()
    send: list[int] = []
    for pos in candidates:
        h = hashes[pos]
        acc = accepted_left.get(h)
        unc = uncertain_left.get(h)
        if acc:
            # Multiset: each earlier acceptance covers one occurrence of the event.
            uid = acc.pop(0)
            plan.duplicates.append(DuplicateFinding(items[pos], (uid,)))
            if options.allow_duplicates:
                send.append(pos)
            else:
                plan.marks[pos] = (EventStatus.SKIPPED, f"Already received by upload {uid}.")
        elif unc:
            uid = unc.pop(0)
            if _safe_to_resend(plan, items[pos]):
                plan.resent_by_id.append(items[pos])
                resend[h] += 1
                send.append(pos)
                continue
            plan.uncertain.append(items[pos])
            if options.resend_uncertain:
                resend[h] += 1
                send.append(pos)
            else:
                plan.marks[pos] = (
                    EventStatus.HELD,
                    f"Not sent again: upload {uid} sent this event without an answer.",
                )
        else:
            send.append(pos)
    sizes = [len(parts[p]) for p in send]
    batches, too_large = make_batches(sizes, batch_size, max_bytes)
    big = {send[i] for i in too_large}
    for pos in sorted(big):
        plan.too_large.append(items[pos])
        plan.marks[pos] = (
            EventStatus.REJECTED,
            f"This event alone is {len(parts[pos]):,} bytes, more than one call may carry "
            f"({max_bytes:,} bytes); shorten its values.",
        )
    plan.send_positions = [p for p in send if p not in big]
    plan.to_send = [items[p] for p in plan.send_positions]
    plan.batches = [[send[i] for i in group] for group in batches]
    plan.batches_total = len(batches)
    plan.resend_hashes = dict(resend)
    return plan


def _safe_to_resend(plan: UploadPlan, item: UploadItem) -> bool:
    """An uncertain event the meter will drop if it already has it (and that the user did
    not ask to resend anyway): ``meter_deduplicates`` and a filled event ID."""
    options = plan.options
    return (
        options.meter_deduplicates
        and not options.resend_uncertain
        and _has_id(item, plan.event_id_fields)
    )


_DONE = (
    EventStatus.ACCEPTED,
    EventStatus.KEPT,
    EventStatus.REJECTED,
    EventStatus.REJECTED_AFTER_RECEIPT,
)


def _resume_candidates(journal: Journal, plan: UploadPlan, resume_id: str) -> list[int]:
    rec = journal.get_upload(resume_id)
    if rec is None:
        raise OptionsError(f"There is no upload {resume_id} in the journal; see 'history'.")
    if rec.status == UploadStatus.RUNNING:
        raise OptionsError(
            f"Upload {resume_id} is still running in another window or process; wait for it "
            "to finish or stop it first."
        )
    if rec.fingerprint != plan.source.fingerprint:
        raise OptionsError(
            f"Upload {resume_id} was of another file, sheet or mapping ({rec.file_name}, "
            f"sheet '{rec.sheet}'); resume it with exactly the same file and options."
        )
    if rec.meter_key != plan.target.meter_key:
        raise OptionsError(
            f"Upload {resume_id} went to {rec.meter_url}, not to {plan.target.url}; it can "
            "only be continued to that meter."
        )
    events = journal.events(resume_id)
    plan.prior_events = events
    if len(events) != len(plan.items) or any(
        hash_key(e.hash) != hash_key(plan.hashes[e.pos]) for e in events if e.pos < len(plan.hashes)
    ):
        raise OptionsError(
            f"The events of upload {resume_id} differ from the file's now (another time zone "
            "or date format?); resume with the same options as the first time."
        )
    plan.track_id = rec.track_id
    candidates: list[int] = []
    for e in events:
        if e.status in _DONE:
            plan.already_done.append(plan.items[e.pos])
            plan.accepted_before += e.status in (EventStatus.ACCEPTED, EventStatus.KEPT)
        elif e.status in (EventStatus.UNCERTAIN, EventStatus.SENDING):
            if _safe_to_resend(plan, plan.items[e.pos]):
                plan.resent_by_id.append(plan.items[e.pos])
                candidates.append(e.pos)
                continue
            plan.uncertain.append(plan.items[e.pos])
            if plan.options.resend_uncertain:
                candidates.append(e.pos)
        else:  # pending, skipped, held, resent: look at them again
            candidates.append(e.pos)
    return candidates
