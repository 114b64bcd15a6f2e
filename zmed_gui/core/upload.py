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

import dataclasses
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zmed_gui.core import journal as jn
from zmed_gui.core.batches import canonical_json, encode_array, event_hash, make_batches
from zmed_gui.core.connections import Target, TenantLimits, limits_preset
from zmed_gui.core.errors import ConnectionProblem, OptionsError, ZmedError
from zmed_gui.core.progress import CancelToken, PauseToken
from zmed_gui.core.report import RowUpload
from zmed_gui.core.zuora import (
    NoAnswer,
    NotSent,
    RateLimiter,
    ZuoraClient,
    backoff_delay,
    check_track_id,
    new_track_id,
)

if TYPE_CHECKING:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.validate import ValidationResult

log = logging.getLogger(__name__)

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

    @classmethod
    def for_validation(cls, path: Path, result: ValidationResult) -> SourceInfo:
        """The fingerprint of a validated file: its bytes, sheet, header row, mapping,
        conversion options and event fields (everything that decides the events)."""
        return cls.from_file(path, result.table.sheet, mapping_json(result))


def mapping_json(result: ValidationResult) -> str:
    """What decides the events besides the file's bytes, as canonical JSON."""
    data: dict[str, Any] = {
        "fields": result.schema.names,
        "header_row": result.table.header_row,
        "mapping": {
            name: {k: v for k, v in dataclasses.asdict(src).items() if k != "confidence"}
            for name, src in sorted(result.mapping.sources.items())
            if src.is_mapped
        },
        "options": {k: str(v) for k, v in sorted(dataclasses.asdict(result.options).items())},
        "excluded": sorted(result.excluded),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def items_from_validation(result: ValidationResult) -> tuple[list[UploadItem], list[int]]:
    """Rows to send (VALID or WARNING) as upload items, and the invalid rows (0-based).

    Invalid rows are never sent (the report lists them); rows the user excluded are
    neither sent nor counted as invalid.
    """
    row_numbers = result.table.row_numbers
    items: list[UploadItem] = []
    for i in result.valid_rows():
        event = result.events[i]
        if event is not None:
            items.append(UploadItem(i, row_numbers[i], event))
    sent = {it.row for it in items}
    invalid = [i for i in range(len(row_numbers)) if i not in sent and i not in result.excluded]
    return items, invalid


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
    also in ``to_send`` when ``resend_uncertain``), ``already_done`` (resume: accepted or
    rejected in this upload before), ``too_large`` (one event alone is over the payload
    limit; never sent).
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

    connection: str = ""
    # Private: serialised events by position in ``items`` and what to mark in the journal.
    _parts: list[bytes] = field(default_factory=list, repr=False)
    _hashes: list[str] = field(default_factory=list, repr=False)
    _send_pos: list[int] = field(default_factory=list, repr=False)
    _status: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)
    _resend_hashes: dict[str, int] = field(default_factory=dict, repr=False)
    _accepted_before: int = field(default=0, repr=False)

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
    if options.max_attempts < 1:
        raise OptionsError("The number of attempts must be at least 1.")


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
) -> UploadPlan:
    """Decide what to send, without sending or writing anything (but recovering dead uploads).

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

    Raises:
        OptionsError: bad options, unknown ``resume_id`` or a resume of another file/meter.
    """
    _check_options(options)
    lim = limits or limits_preset("production")
    batch_size = options.batch_size or lim.max_events
    max_bytes = options.max_payload_bytes or lim.max_payload_bytes
    cpm = options.calls_per_minute or lim.calls_per_minute
    journal.recover()
    parts = [canonical_json(it.event) for it in items]
    hashes = [event_hash(p) for p in parts]
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
        _parts=parts,
        _hashes=hashes,
    )
    candidates: list[int] = list(range(len(items)))
    if resume_id is not None:
        candidates = _resume_candidates(journal, plan, resume_id)
    else:
        plan.track_id = check_track_id(options.track_id) if options.track_id else new_track_id()

    prior = journal.prior_statuses(
        target.meter_key, (hashes[p] for p in candidates), exclude_upload=resume_id
    )
    accepted_left: dict[str, list[str]] = {}
    uncertain_left: dict[str, list[str]] = {}
    for h, found in prior.items():
        accepted_left[h] = [uid for st, uid in found if st == jn.ACCEPTED]
        uncertain_left[h] = [uid for st, uid in found if st == jn.UNCERTAIN]
    resend: Counter[str] = Counter()
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
                plan._status[pos] = (jn.SKIPPED, f"Already accepted by upload {uid}.")
        elif unc:
            uid = unc.pop(0)
            plan.uncertain.append(items[pos])
            if options.resend_uncertain:
                resend[h] += 1
                send.append(pos)
            else:
                plan._status[pos] = (
                    jn.HELD,
                    f"Not sent again: upload {uid} sent this event without an answer.",
                )
        else:
            send.append(pos)
    sizes = [len(parts[p]) for p in send]
    batches, too_large = make_batches(sizes, batch_size, max_bytes)
    big = {send[i] for i in too_large}
    for pos in sorted(big):
        plan.too_large.append(items[pos])
        plan._status[pos] = (
            jn.REJECTED,
            f"This event alone is {len(parts[pos]):,} bytes, more than one call may carry "
            f"({max_bytes:,} bytes); shorten its values.",
        )
    plan._send_pos = [p for p in send if p not in big]
    plan.to_send = [items[p] for p in plan._send_pos]
    plan.batches_total = len(batches)
    plan._resend_hashes = dict(resend)
    return plan


def _resume_candidates(journal: Journal, plan: UploadPlan, resume_id: str) -> list[int]:
    rec = journal.get_upload(resume_id)
    if rec is None:
        raise OptionsError(f"There is no upload {resume_id} in the journal; see 'history'.")
    if rec.status == "running":
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
            f"Upload {resume_id} went to {rec.meter_url}; resume it to that same meter."
        )
    events = journal.events(resume_id)
    if len(events) != len(plan.items) or any(
        e.hash != plan._hashes[e.pos] for e in events if e.pos < len(plan._hashes)
    ):
        raise OptionsError(
            f"The events of upload {resume_id} differ from the file's now (another time zone "
            "or date format?); resume with the same options as the first time."
        )
    plan.track_id = rec.track_id
    candidates: list[int] = []
    for e in events:
        if e.status in (jn.ACCEPTED, jn.REJECTED):
            plan.already_done.append(plan.items[e.pos])
            plan._accepted_before += e.status == jn.ACCEPTED
        elif e.status in (jn.UNCERTAIN, jn.SENDING):
            plan.uncertain.append(plan.items[e.pos])
            if plan.options.resend_uncertain:
                candidates.append(e.pos)
        else:  # pending, skipped, held, resent: look at them again
            candidates.append(e.pos)
    return candidates


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
    if plan.options.dry_run:
        return _dry_run(plan)
    if client is None:
        raise ValueError("run_upload needs a ZuoraClient unless options.dry_run is set")
    return _Sender(plan, client, journal, progress, cancel, pause).run()


def _dry_run(plan: UploadPlan) -> UploadResult:
    res = UploadResult(plan.upload_id, plan.track_id, dry_run=True)
    res.invalid = len(plan.invalid_rows)
    for row in plan.invalid_rows:
        res.row_outcomes[row] = RowUpload("not sent", "The row is invalid.")
    for pos, (status, msg) in plan._status.items():
        item = plan.items[pos]
        if status == jn.SKIPPED:
            res.skipped_duplicates += 1
            res.row_outcomes[item.row] = RowUpload("skipped (already sent)", msg)
        elif status == jn.HELD:
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


_RETRY_STATUSES = {408, 425, 429, 500, 502, 503}


def _reason_text(reason: dict[str, Any]) -> str:
    fld = reason.get("field")
    msg = str(reason.get("message") or reason.get("code") or "invalid")
    return f"{fld}: {msg}" if fld else msg


class _Sender:
    """Runs one plan: a coordinator (the caller's thread) and ``concurrency`` workers."""

    def __init__(
        self,
        plan: UploadPlan,
        client: ZuoraClient,
        journal: Journal,
        progress: ProgressFn | None,
        cancel: CancelToken | None,
        pause: PauseToken | None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.journal = journal
        self.progress = progress
        self.cancel = cancel
        self.pause = pause
        self.uid = plan.upload_id
        self.url = plan.target.url
        self.opts = plan.options
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: ZmedError | None = None
        self.retries = 0
        self.accepted = 0
        self.rejected = 0
        self.uncertain = 0
        self.request_ids: list[str] = []
        self.last_message = ""
        self.limiter = RateLimiter(plan.calls_per_minute, burst=self.opts.concurrency)

    # ---------------------------------------------------------------- coordinator

    def _start_journal(self) -> None:
        plan, items = self.plan, self.plan.items
        if not plan.resuming and self.journal.get_upload(self.uid) is not None:
            raise OptionsError("This upload plan was already used; plan the upload again.")
        if plan.resuming:
            self.journal.claim_upload(self.uid)
            updates = [(p, st, msg) for p, (st, msg) in plan._status.items()]
            updates += [(p, jn.PENDING, "") for p in plan._send_pos]
            self.journal.set_event_statuses(self.uid, updates)
        else:
            self.journal.create_upload(
                upload_id=self.uid,
                file_name=plan.source.file_name,
                sheet=plan.source.sheet,
                fingerprint=plan.source.fingerprint,
                connection=plan.connection,
                meter_url=plan.target.url,
                meter_key=plan.target.meter_key,
                track_id=plan.track_id,
                events=(
                    (
                        pos,
                        it.row,
                        it.excel_row,
                        plan._hashes[pos],
                        *plan._status.get(pos, ("pending", "")),
                    )
                    for pos, it in enumerate(items)
                ),
            )
        if plan._resend_hashes:
            self.journal.mark_resent(plan.target.meter_key, plan._resend_hashes, self.uid)

    def run(self) -> UploadResult:
        plan = self.plan
        self._start_journal()
        sizes = [len(plan._parts[p]) for p in plan._send_pos]
        groups, _ = make_batches(sizes, plan.batch_size, plan.max_payload_bytes)
        queue = [[plan._send_pos[i] for i in g] for g in groups]
        queue.reverse()  # pop() from the end keeps file order
        total_batches = len(queue)
        done_batches = 0
        events_to_send = len(plan._send_pos)
        start = time.monotonic()
        last_beat = start
        cancelled = False
        inflight: set[Future[None]] = set()
        pool = ThreadPoolExecutor(self.opts.concurrency, thread_name_prefix="zmed-upload")
        try:
            while queue or inflight:
                if self.cancel is not None and self.cancel.cancelled and not cancelled:
                    cancelled = True
                    self.stop.set()
                paused = self.pause is not None and self.pause.paused
                while (
                    queue
                    and not self.stop.is_set()
                    and not paused
                    and (len(inflight) < self.opts.concurrency)
                ):
                    inflight.add(pool.submit(self._send_group, queue.pop()))
                now = time.monotonic()
                if now - last_beat > 10:  # tells other processes this upload is alive
                    self.journal.heartbeat(self.uid)
                    last_beat = now
                if not inflight:
                    if self.stop.is_set():
                        break
                    if paused:
                        self._emit(start, events_to_send, done_batches, total_batches, "Paused.")
                        time.sleep(0.1)
                        continue
                finished, inflight = wait(inflight, timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in finished:
                    fut.result()  # a bug in a worker stops the upload (journal stays sane)
                    done_batches += 1
                self._emit(start, events_to_send, done_batches, total_batches, self.last_message)
        except BaseException:
            self.stop.set()
            raise
        finally:
            pool.shutdown(wait=True)
            result = self._finish(cancelled)
        self._emit(start, events_to_send, done_batches, total_batches, result.message)
        return result

    def _emit(self, start: float, to_send: int, done: int, total: int, message: str) -> None:
        if self.progress is None:
            return
        elapsed = max(time.monotonic() - start, 1e-6)
        with self.lock:
            handled = self.accepted + self.rejected + self.uncertain
            snap = UploadProgress(
                events_total=len(self.plan.items),
                accepted=self.accepted + self._accepted_before,
                rejected=self.rejected,
                uncertain=self.uncertain,
                skipped_duplicates=self._skipped,
                retries=self.retries,
                batches_done=done,
                batches_total=total,
                message=message,
                paused=self.pause is not None and self.pause.paused,
            )
        eps = handled / elapsed
        snap.events_per_second = eps
        left = to_send - handled
        snap.eta_seconds = left / eps if eps > 0 and left > 0 else (0.0 if left <= 0 else None)
        self.progress(snap)

    @property
    def _accepted_before(self) -> int:
        return self.plan._accepted_before

    @property
    def _skipped(self) -> int:
        return 0 if self.opts.allow_duplicates else len(self.plan.duplicates)

    def _finish(self, cancelled: bool) -> UploadResult:
        plan = self.plan
        # Anything still "sending" here had an unexpected failure mid-request: uncertain.
        rows = self.journal.events(self.uid)
        stuck = [
            (e.pos, jn.UNCERTAIN, "Sent, but the answer was lost.")
            for e in rows
            if e.status == jn.SENDING
        ]
        if stuck:
            self.journal.set_event_statuses(self.uid, stuck)
            rows = self.journal.events(self.uid)
        res = UploadResult(self.uid, plan.track_id, retries=self.retries)
        res.resent_uncertain = len(plan.uncertain) if self.opts.resend_uncertain else 0
        res.request_ids = list(self.request_ids)
        res.invalid = len(plan.invalid_rows)
        for row in plan.invalid_rows:
            res.row_outcomes[row] = RowUpload("not sent", "The row is invalid, so it was not sent.")
        batches = {b.seq for b in self.journal.batches(self.uid)}
        res.batches = len(batches)
        for e in rows:
            st = e.status
            if st == jn.ACCEPTED:
                res.accepted += 1
                out = RowUpload("accepted", "", e.request_id)
            elif st == jn.REJECTED:
                res.rejected += 1
                out = RowUpload("rejected", e.message, e.request_id)
            elif st in (jn.UNCERTAIN, jn.SENDING):
                res.uncertain += 1
                out = RowUpload(
                    "uncertain",
                    e.message
                    or "Sent, but Zuora's answer never came; check the meter before "
                    "sending it again.",
                    e.request_id,
                )
            elif st == jn.HELD:
                res.held_uncertain += 1
                out = RowUpload("uncertain", e.message)
            elif st == jn.SKIPPED:
                res.skipped_duplicates += 1
                out = RowUpload("skipped (already sent)", e.message)
            else:
                res.not_sent += 1
                out = RowUpload(
                    "not sent", e.message or "Not sent: the upload stopped first; resume it."
                )
            res.row_outcomes[e.row] = out
        res.error = self.error
        res.interrupted = cancelled or self.error is not None or res.not_sent > 0
        if self.error is not None:
            status, lead = "failed", str(self.error)
        elif cancelled:
            status, lead = "interrupted", "The upload was cancelled; resume it to send the rest."
        elif res.not_sent:
            status, lead = "interrupted", "The upload stopped before the end; resume it."
        else:
            status, lead = "completed", "The upload is complete."
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
        self.journal.finish_upload(self.uid, status, res.message)
        log.info("upload %s %s: %s", self.uid, status, counts)
        return res

    # ---------------------------------------------------------------- workers

    def _fatal(self, exc: ZmedError) -> None:
        with self.lock:
            if self.error is None:
                self.error = exc
                self.last_message = str(exc)
        self.stop.set()

    def _send_group(self, positions: list[int]) -> None:
        if self.stop.is_set():
            return  # never begun: the events stay pending
        plan, j, uid = self.plan, self.journal, self.uid
        xrows = [plan.items[p].excel_row for p in positions]
        seq = j.begin_batch(uid, positions, xrows)
        body = encode_array([plan._parts[p] for p in positions])
        n = len(positions)
        attempt = 0
        t0 = time.monotonic()
        while True:
            if self.stop.is_set() or not self.limiter.acquire(self.stop):
                j.end_batch(uid, seq, jn.PENDING, message="Not sent: the upload stopped first.")
                return
            j.batch_attempt(uid, seq)  # committed before the request leaves
            retry_after: float | None = None
            try:
                res = self.client.post_events(
                    self.url, body, track_id=plan.track_id, gzip_body=self.opts.gzip
                )
            except NoAnswer as exc:
                j.end_batch(
                    uid,
                    seq,
                    jn.UNCERTAIN,
                    message=f"Sent, but no answer came ({exc}); not resent automatically.",
                )
                with self.lock:
                    self.uncertain += n
                return
            except NotSent as exc:
                reason = str(exc)
            except ZmedError as exc:
                j.end_batch(uid, seq, jn.PENDING, message=str(exc))
                self._fatal(exc)
                return
            else:
                if res.request_id:
                    with self.lock:
                        self.request_ids.append(res.request_id)
                if res.ok:
                    j.end_batch(
                        uid, seq, jn.ACCEPTED, request_id=res.request_id, track_echo=res.track_id
                    )
                    with self.lock:
                        self.accepted += n
                    return
                if res.status not in _RETRY_STATUSES and not (
                    res.status >= 500 and res.status != 504
                ):
                    self._answer(
                        seq, positions, res.status, res.message, res.reasons, res.request_id
                    )
                    return
                reason = f"HTTP {res.status}"
                retry_after = res.retry_after
            attempt += 1
            with self.lock:
                self.retries += 1
            delay = (
                retry_after
                if retry_after is not None
                else backoff_delay(attempt - 1, self.opts.backoff_base, self.opts.backoff_cap)
            )
            spent = time.monotonic() - t0
            if attempt >= self.opts.max_attempts or spent + delay > self.opts.max_retry_seconds:
                msg = f"Not sent: {reason} after {attempt} attempts."
                j.end_batch(uid, seq, jn.PENDING, message=msg)
                self._fatal(
                    ConnectionProblem(
                        f"Zuora did not take the events after {attempt} attempts (last: "
                        f"{reason}); check the network or Zuora's status and resume the upload."
                    )
                )
                return
            log.info("batch %s of %s: %s, retry %d in %.1f s", seq, uid, reason, attempt, delay)
            with self.lock:
                self.last_message = f"Retrying after {reason}."
            j.end_batch(uid, seq, jn.PENDING, message=f"Retrying after {reason}.")
            if self.stop.wait(delay):
                return

    def _answer(
        self,
        seq: int,
        positions: list[int],
        status: int,
        message: str,
        reasons: list[dict[str, Any]],
        request_id: str | None,
    ) -> None:
        """A final answer that is not a success: 400, 413, 404, 403, 504, other 4xx."""
        j, uid, n = self.journal, self.uid, len(positions)
        said = f" ({message})" if message else ""
        if status == 404:
            j.end_batch(uid, seq, jn.PENDING, message=f"HTTP 404{said}", request_id=request_id)
            self._fatal(
                ConnectionProblem(
                    f"Zuora found no meter at {self.url} (HTTP 404); check the meter ID or "
                    "paste the meter's Unique Upload URL."
                )
            )
            return
        if status == 403:
            j.end_batch(uid, seq, jn.PENDING, message=f"HTTP 403{said}", request_id=request_id)
            self._fatal(
                ConnectionProblem(
                    f"Zuora refused access to {self.url} (HTTP 403); check the OAuth client's "
                    "permissions and the entity and org IDs of the connection."
                )
            )
            return
        if status == 504:
            # The gateway gave up waiting; the meter may still have taken the events.
            j.end_batch(
                uid,
                seq,
                jn.UNCERTAIN,
                message="Zuora's gateway timed out (HTTP 504); the events may have arrived.",
                request_id=request_id,
            )
            with self.lock:
                self.uncertain += n
            return
        if status == 413 and n > 1:
            j.end_batch(uid, seq, "split", message=f"HTTP 413{said}", request_id=request_id)
            for half in (positions[: n // 2], positions[n // 2 :]):
                self._send_group(half)
            return
        if status == 400:
            per_event: dict[int, list[str]] = {}
            for r in reasons:
                i = r.get("index")
                if isinstance(i, int) and 0 <= i < n:
                    per_event.setdefault(i, []).append(_reason_text(r))
            if per_event and len(per_event) < n:
                bad = [
                    (positions[i], jn.REJECTED, "Zuora rejected the event: " + "; ".join(m))
                    for i, m in sorted(per_event.items())
                ]
                j.set_event_statuses(uid, bad)
                j.end_batch(uid, seq, "split", message=f"HTTP 400{said}", request_id=request_id)
                with self.lock:
                    self.rejected += len(bad)
                self._send_group([p for i, p in enumerate(positions) if i not in per_event])
                return
            if n > 1 and not per_event:
                j.end_batch(uid, seq, "split", message=f"HTTP 400{said}", request_id=request_id)
                for half in (positions[: n // 2], positions[n // 2 :]):
                    self._send_group(half)
                return
            if per_event:
                bad = [
                    (positions[i], jn.REJECTED, "Zuora rejected the event: " + "; ".join(m))
                    for i, m in sorted(per_event.items())
                ]
                j.set_event_statuses(uid, bad)
                j.end_batch(uid, seq, jn.REJECTED, message=f"HTTP 400{said}", request_id=request_id)
                with self.lock:
                    self.rejected += n
                return
        if status == 413:
            text = "This event alone is larger than Zuora takes in one call (HTTP 413)."
        else:
            text = f"Zuora rejected the event (HTTP {status}){said}."
        j.end_batch(uid, seq, jn.REJECTED, message=text, request_id=request_id)
        with self.lock:
            self.rejected += n
