"""The sending engine: runs an :class:`~zmed_gui.core.upload.UploadPlan` against Zuora.

:class:`Sender` cuts the plan's events into batches and sends them from up to
``concurrency`` worker threads under the rate limit, writing the journal before and after
each request. Per batch: 429/5xx/connection errors before sending are retried with
backoff (``Retry-After``, or ``ratelimit-reset`` when that is all a 429 says), bounded by
time, and the ``ratelimit-*`` headers of every answer pace the calls before a 429 comes; a
413 splits the batch and lowers the batch size for the rest of the upload; a 400 (or a 200
whose body says ``success: false``) rejects the events Zuora named, and when it names none
:meth:`Sender._isolate` finds out in two calls whether the meter refuses everything (the
upload then stops with Zuora's message) before it halves within a small budget; a first
404 tries the meter's other path style once; 403, 3xx and a second 404 stop the upload; no
answer, or a gateway timeout (504), makes the batch *uncertain*, never resent by itself
(Zuora has no idempotency key).

What the journal is told is also kept in memory, event by event (:class:`_Ledger`), and
the result is built from that: nothing is read back from the journal to make it.

Stop means stop: on cancel (or when the server has answered nothing for
``stall_seconds``) the coordinator does not wait for requests in flight. It records their
batches as uncertain and returns; the workers are daemon threads whose late answers are
dropped (nothing they do reaches the journal after that), so a process can end at once.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zmed_gui.core.connections import LIMIT_PRESETS
from zmed_gui.core.errors import (
    ConnectionProblem,
    MeterRefuses,
    OptionsError,
    ZmedError,
    ZuoraUnreachable,
)
from zmed_gui.core.journal import BatchStatus, EventStatus
from zmed_gui.core.upload._batches import encode_array, pick
from zmed_gui.core.upload._input import excel_rows_of, row_columns
from zmed_gui.core.upload._outcomes import (
    ProgressFn,
    UploadPhase,
    UploadProgress,
    UploadResult,
    result_from_statuses,
)
from zmed_gui.core.zuora import (
    NoAnswer,
    NotSent,
    PostResult,
    RateLimiter,
    ZuoraClient,
    backoff_delay,
)

if TYPE_CHECKING:
    from zmed_gui.core.connections import PathStyle
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.progress import CancelToken, PauseToken
    from zmed_gui.core.upload._planning import UploadPlan

log = logging.getLogger("zmed_gui.core.upload")

_RETRY_STATUSES = {408, 425, 429, 500, 502, 503}


WAITING = "Waiting: "  # a batch waits to be tried again; the progress line adds how long


def status_words(status: int) -> str:
    """A retried HTTP status in words for the progress line and the result (the number
    goes to the log): the walk saw "Retrying after HTTP 500"."""
    if status == 429:
        return "Zuora asked for fewer calls at a time"
    if status in (408, 504):
        return "Zuora took too long to answer"
    if status in (502, 503):
        return "Zuora was briefly unavailable"
    if status == 425:
        return "Zuora asked to try again a moment later"
    return "Zuora had a problem of its own"


ABANDONED = "Sent when the upload was stopped; Zuora's answer is unknown."


class _Abandoned(Exception):
    """Raised in a worker whose upload was stopped: it must not write anything more."""


def _reason_text(reason: dict[str, Any]) -> str:
    fld = reason.get("field")
    msg = str(reason.get("message") or reason.get("code") or "invalid")
    return f"{fld}: {msg}" if fld else msg


_OPEN = (EventStatus.SENDING, EventStatus.PENDING)


class _Ledger:
    """The upload's events as the journal has them, kept in memory by the same rules.

    Each journal write of the engine is applied here too, in the same order, under the
    same gate (see :meth:`Sender._j`), so the result needs no read of the journal.
    """

    def __init__(self, plan: UploadPlan) -> None:
        n = len(plan.items)
        self.status: list[EventStatus] = [EventStatus.PENDING] * n
        self.message: list[str] = [""] * n
        self.seq: list[int | None] = [None] * n
        self.members: dict[int, list[int]] = {}  # batch seq -> its positions
        self.request_id: dict[int, str | None] = {}  # batch seq -> Zuora-Request-Id
        for e in plan.prior_events:  # a resume starts from what the journal had
            self.status[e.pos], self.message[e.pos], self.seq[e.pos] = (
                e.status,
                e.message,
                e.batch_seq,
            )
            if e.batch_seq is not None:
                self.request_id[e.batch_seq] = e.request_id

    def set(self, updates: list[tuple[int, EventStatus, str]]) -> None:
        for pos, st, msg in updates:
            self.status[pos], self.message[pos] = EventStatus(st), msg

    def begin(self, seq: int, positions: list[int], sending: bool = False) -> None:
        """A new batch of ``positions``: pending, or at once sending (what the journal's
        ``begin_batch(sending=True)`` records: :meth:`attempt` in the same pass)."""
        self.members[seq] = positions
        self.request_id.setdefault(seq, None)
        st = EventStatus.SENDING if sending else EventStatus.PENDING
        status, seqs, message = self.status, self.seq, self.message
        for p in positions:
            status[p], seqs[p], message[p] = st, seq, ""

    def attempt(self, seq: int) -> None:
        for p in self.members.get(seq, ()):
            if self.seq[p] == seq and self.status[p] is EventStatus.PENDING:
                self.status[p] = EventStatus.SENDING

    def end(self, seq: int, ev: EventStatus, message: str, request_id: str | None) -> None:
        if request_id is not None:
            self.request_id[seq] = request_id
        text = message if ev not in (EventStatus.ACCEPTED, EventStatus.PENDING) else ""
        for p in self.members.get(seq, ()):
            if self.seq[p] == seq and self.status[p] in _OPEN:
                self.status[p], self.message[p] = ev, text


class Sender:
    """Runs one plan: a coordinator (the caller's thread) and daemon worker threads."""

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
        self.lock = threading.Lock()  # counters and messages
        self.gate = threading.Lock()  # journal writes of workers vs. abandoning them
        self.abandoned = False
        self.stop = threading.Event()
        self.done: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        self.error: ZmedError | None = None
        self.retries = 0
        self.accepted = 0
        self.rejected = 0
        self.uncertain = 0
        self.request_ids: list[str] = []
        self.last_message = ""
        self.retry_until: float | None = None
        self.answered = False  # any HTTP answer at all in this run
        self.in_flight = 0  # requests on their way now (held by a pause: not counted)
        self.last_answer = time.monotonic()
        self.batch_cap = plan.batch_size
        self.limiter = RateLimiter(plan.calls_per_minute, burst=self.opts.concurrency)
        self.received_once = False  # a 2xx at the current URL: a 404 now is not the path
        self.other_path_tried = False
        self.style: PathStyle = plan.target.style
        self.ledger = _Ledger(plan)
        plan.prior_events = []  # the ledger has them now; one EventRow per event

    # ---------------------------------------------------------------- journal gate

    def _j(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A journal write from a worker, unless the upload was abandoned meanwhile; the
        ledger learns it too once it is committed."""
        with self.gate:
            if self.abandoned:
                raise _Abandoned
            done = getattr(self.journal, name)(*args, **kwargs)
            ledger = self.ledger
            if name == "begin_batch":
                ledger.begin(int(done), list(args[1]), bool(kwargs.get("sending")))
            elif name == "batch_attempt":
                ledger.attempt(args[1])
            elif name == "end_batch":
                status = BatchStatus(args[2])
                ev = EventStatus.PENDING if status is BatchStatus.SPLIT else None
                ev = ev or EventStatus(kwargs.get("event_status") or status.value)
                ledger.end(args[1], ev, kwargs.get("message", ""), kwargs.get("request_id"))
            elif name == "set_event_statuses":
                ledger.set(list(args[1]))
            return done

    # ---------------------------------------------------------------- coordinator

    def start_journal(self) -> None:
        """Record the upload (or claim the resumed one) before anything is sent."""
        plan, items = self.plan, self.plan.items
        if not plan.resuming and self.journal.get_upload(self.uid) is not None:
            raise OptionsError("This upload plan was already used; plan the upload again.")
        if plan.resuming:
            self.journal.claim_upload(self.uid)
            updates = [(p, st, msg) for p, (st, msg) in plan.marks.items()]
            updates += [(p, EventStatus.PENDING, "") for p in plan.send_positions]
            self.journal.set_event_statuses(self.uid, updates)
            self.ledger.set(updates)
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
                columns=(*row_columns(items), plan.hashes),
                marks=plan.marks,
            )
            self.ledger.set([(p, st, msg) for p, (st, msg) in plan.marks.items()])
        if plan.resend_hashes:
            self.journal.mark_resent(plan.target.meter_key, plan.resend_hashes, self.uid)

    def run(self, still_ours: Callable[[], None] | None = None) -> UploadResult:
        """Send everything; ``still_ours`` raises (a ZmedError) if the meter's lease was lost."""
        plan = self.plan
        self.start_journal()
        pending = [list(group) for group in plan.batches]  # cut once, by the plan
        pending.reverse()  # pop() from the end keeps file order
        total_batches = len(pending)
        done_batches = 0
        to_send = len(plan.send_positions)
        start = time.monotonic()
        last_beat = start
        idle_since = start
        inflight = 0
        cancelled = False
        try:
            while pending or inflight:
                now = time.monotonic()
                if self.cancel is not None and self.cancel.cancelled:
                    cancelled = True
                    break
                if self.stop.is_set() and not inflight:
                    break
                silent = now - max(self.last_answer, idle_since)
                if inflight and not self.answered and silent > self.opts.stall_seconds:
                    self._fatal(self._stall_error())
                    break
                paused = self.pause is not None and self.pause.paused
                if paused and not self.in_flight:
                    idle_since = now  # workers held by the pause are not waiting on Zuora
                while pending and not self.stop.is_set() and not paused:
                    if inflight >= self.opts.concurrency:
                        break
                    group = pending.pop()
                    if len(group) > self.batch_cap:  # a 413 lowered the size meanwhile
                        pieces = [
                            group[i : i + self.batch_cap]
                            for i in range(0, len(group), self.batch_cap)
                        ]
                        total_batches += len(pieces) - 1
                        pending.extend(reversed(pieces[1:]))
                        group = pieces[0]
                    threading.Thread(
                        target=self._worker, args=(group,), name="zmed-upload", daemon=True
                    ).start()
                    inflight += 1
                if now - last_beat > 10:  # tells other computers this upload is alive
                    self.journal.heartbeat(self.uid)
                    last_beat = now
                    if still_ours is not None:
                        try:
                            still_ours()
                        except ZmedError as exc:  # another process took the meter over
                            self._fatal(exc)
                if not inflight:
                    idle_since = time.monotonic()
                    if paused:
                        self._emit(start, to_send, done_batches, total_batches, "Paused.")
                        time.sleep(0.1)
                        continue
                try:
                    failure = self.done.get(timeout=0.25)
                except queue.Empty:
                    pass
                else:
                    inflight -= 1
                    done_batches += 1
                    if failure is not None:
                        raise failure  # a bug in a worker: stop (the journal stays sane)
                self._emit(start, to_send, done_batches, total_batches, self._message())
        finally:
            self._abandon()
            result = self._finish(cancelled)
        self._emit(start, to_send, done_batches, total_batches, result.message)
        return result

    def _stall_error(self) -> ZuoraUnreachable:
        host = self.plan.target.base_url
        secs = f"{self.opts.stall_seconds:,.0f}"
        if self.last_message.startswith(WAITING):
            return ZuoraUnreachable(
                f"{host} could not be reached for {secs} s ({self.last_message.lower()}); "
                "check the network, proxy and address, then run the upload again."
            )
        return ZuoraUnreachable(
            f"{host} accepted the connection but answered nothing for {secs} s; check the "
            "address and your network or proxy, then run the upload again (the batches in "
            "flight are uncertain)."
        )

    def _message(self) -> str:
        with self.lock:
            msg = self.last_message
            until = self.retry_until
        if until is not None and msg:
            left = until - time.monotonic()
            if left > 0.5:
                return f"{msg} Trying again in {left:,.0f} s."
        return msg

    def _abandon(self) -> None:
        """Workers still running are cut off: nothing they do reaches the journal now."""
        with self.gate:
            self.abandoned = True
        self.stop.set()

    def _emit(self, start: float, to_send: int, done: int, total: int, message: str) -> None:
        if self.progress is None:
            return
        elapsed = max(time.monotonic() - start, 1e-6)
        with self.lock:
            handled = self.accepted + self.rejected + self.uncertain
            snap = UploadProgress(
                events_total=len(self.plan.items),
                phase=UploadPhase.SENDING,
                done=handled,
                total=to_send,
                accepted=self.accepted + self.plan.accepted_before,
                rejected=self.rejected,
                uncertain=self.uncertain,
                skipped_duplicates=self._skipped,
                retries=self.retries,
                batches_done=done,
                batches_total=total,
                message=message,
                paused=self.pause is not None and self.pause.paused,
                in_flight=self.in_flight,
                waiting=self.last_message.startswith(WAITING)
                or (self.retry_until is not None and self.retry_until > time.monotonic()),
            )
        eps = handled / elapsed
        snap.events_per_second = eps
        left = to_send - handled
        if snap.paused or (snap.waiting and left > 0):
            snap.eta_seconds = None
        else:
            snap.eta_seconds = left / eps if eps > 0 and left > 0 else (0.0 if left <= 0 else None)
        self.progress(snap)

    @property
    def _skipped(self) -> int:
        return 0 if self.opts.allow_duplicates else len(self.plan.duplicates)

    def _finish(self, cancelled: bool) -> UploadResult:
        # Anything still "sending" was in flight when the upload stopped: uncertain. The
        # workers are cut off (abandoned), so the ledger holds what the journal holds.
        ledger = self.ledger
        sending = EventStatus.SENDING
        stuck = [
            (p, EventStatus.UNCERTAIN, ABANDONED)
            for p, st in enumerate(ledger.status)
            if st is sending
        ]
        if stuck:
            self.journal.set_event_statuses(self.uid, stuck)
            ledger.set(stuck)
        batches = len(ledger.members)
        if self.plan.resuming:  # the batches of the earlier runs count too
            batches = len(self.journal.batches(self.uid))
        res, status = result_from_statuses(
            self.plan,
            ledger.status,
            ledger.message,
            ledger.seq,
            ledger.request_id,
            batches,
            retries=self.retries,
            request_ids=self.request_ids,
            error=self.error,
            cancelled=cancelled,
        )
        if self.batch_cap < self.plan.batch_size:
            res.learned_batch_size = self.batch_cap
        moved = self.style != self.plan.target.style and self.received_once
        if moved:
            res.path_style_used = self.style
        self.journal.finish_upload(self.uid, status, res.message, self.url if moved else None)
        log.info("upload %s %s: %s", self.uid, status, res.message)
        return res

    # ---------------------------------------------------------------- workers

    def _worker(self, positions: list[int]) -> None:
        failure: BaseException | None = None
        try:
            self._send_group(positions)
        except _Abandoned:
            log.info("a batch of upload %s was abandoned in flight", self.uid)
        except ZmedError as exc:  # the journal cannot be written, for example
            self._fatal(exc)
        except BaseException as exc:  # a bug: the coordinator re-raises it
            failure = exc
        self.done.put(failure)

    def _fatal(self, exc: ZmedError) -> None:
        with self.lock:
            if self.error is None:
                self.error = exc
                self.last_message = str(exc)
        self.stop.set()

    def _answered(self) -> None:
        with self.lock:
            self.answered = True
            self.last_answer = time.monotonic()

    def _send_group(self, positions: list[int]) -> None:
        """Send events in batches of the size known now; a 413 lowers it and gives its
        batch back, to be cut again with the events after it (no fragments left over)."""
        rest = positions
        while rest and not self.stop.is_set():  # stopped: the events stay pending
            cap = self.batch_cap
            back = self._send_batch(rest[:cap])
            rest = back + rest[cap:]

    def _send_batch(self, positions: list[int]) -> list[int]:
        """One batch, retried as needed; returns its events if a 413 gave them back."""
        plan, uid = self.plan, self.uid
        xrows = excel_rows_of(plan.items, positions)
        body = encode_array(pick(plan.encoded, positions))
        n = len(positions)
        attempt = 0
        t0 = time.monotonic()
        seq: int | None = None  # journaled at its first attempt
        while True:
            self._hold_while_paused()  # a retry or a 413's smaller batch waits too
            if self.stop.is_set() or not self.limiter.acquire(self.stop):
                if seq is not None:
                    msg = "Not sent: the upload stopped."
                    self._j("end_batch", uid, seq, "pending", message=msg)
                return []  # never begun: its events stay pending
            # committed as "sending" before the request leaves (the first time together
            # with the batch itself: one commit, not two)
            if seq is None:
                seq = int(self._j("begin_batch", uid, positions, xrows, sending=True))
            else:
                self._j("batch_attempt", uid, seq)
            retry_after: float | None = None
            url = self.url
            try:
                res = self._post(url, body)
            except NoAnswer as exc:
                self._no_answer(seq, n, exc)
                return []
            except NotSent as exc:
                reason = str(exc)
            except ZmedError as exc:
                self._j("end_batch", uid, seq, "pending", message=str(exc))
                self._fatal(exc)
                return []
            else:
                self._answered()
                self._pace(res)
                if res.request_id:
                    with self.lock:
                        self.request_ids.append(res.request_id)
                if res.ok:
                    self._j(
                        "end_batch",
                        uid,
                        seq,
                        BatchStatus.ACCEPTED,
                        request_id=_ids(res),
                        track_echo=res.track_id,
                    )
                    with self.lock:
                        self.accepted += n
                        self.received_once = True
                        if self.last_message.startswith(WAITING):
                            self.last_message, self.retry_until = "", None
                    return []
                if res.status == 404 and self._other_path(url):
                    self._j("end_batch", uid, seq, "pending", message="HTTP 404; other path.")
                    continue  # the same batch at the other path style, not a retry
                if res.status not in _RETRY_STATUSES and not (
                    res.status >= 500 and res.status != 504
                ):
                    return self._answer(seq, positions, res)
                reason = status_words(res.status)
                log.info("batch %s of %s: HTTP %s", seq, uid, res.status)
                retry_after = res.retry_after
                if retry_after is None and res.status == 429:
                    retry_after = res.ratelimit_reset  # Zuora's own 429 sample has only this
            attempt += 1
            with self.lock:
                self.retries += 1
            delay = (
                retry_after
                if retry_after is not None
                else backoff_delay(attempt - 1, self.opts.backoff_base, self.opts.backoff_cap)
            )
            spent = time.monotonic() - t0
            too_many = self.opts.max_attempts is not None and attempt >= self.opts.max_attempts
            if too_many or spent + min(delay, 1.0) > self.opts.max_retry_seconds:
                msg = f"Not sent: {reason}, {attempt} attempts in {spent:,.0f} s."
                self._j("end_batch", uid, seq, "pending", message=msg)
                self._fatal(
                    ZuoraUnreachable(
                        f"Zuora did not take the events after {attempt} attempts (last: "
                        f"{reason}) in {spent:,.0f} s; check the network or Zuora's status "
                        "and run the upload again to send the rest."
                    )
                )
                return []
            delay = min(delay, max(0.0, self.opts.max_retry_seconds - spent))
            log.info("batch %s of %s: %s, retry %d in %.1f s", seq, uid, reason, attempt, delay)
            with self.lock:
                self.last_message = f"{WAITING}{reason}."
                self.retry_until = time.monotonic() + delay
            self._j("end_batch", uid, seq, "pending", message=f"{WAITING}{reason}.")
            if self.stop.wait(delay):
                return []

    def _hold_while_paused(self) -> None:
        """Paused: no new request leaves, not even a retry or a split batch (what is in
        flight finishes). Cancel resumes the token; a stop ends the wait."""
        pause = self.pause
        while pause is not None and pause.paused and not self.stop.wait(0.05):
            pass
        if self.cancel is not None and self.cancel.cancelled:
            self.stop.set()  # Cancel while paused: the held request never leaves

    def _post(self, url: str, body: bytes) -> PostResult:
        """One request, counted while it is on its way (the progress says how many)."""
        with self.lock:
            self.in_flight += 1
        try:
            return self.client.post_events(
                url, body, track_id=self.plan.track_id, gzip_body=self.opts.gzip
            )
        finally:
            with self.lock:
                self.in_flight -= 1

    def _no_answer(self, seq: int, n: int, exc: NoAnswer) -> None:
        """The body left but no answer came: the batch is uncertain, never resent by itself."""
        self._j(
            "end_batch",
            self.uid,
            seq,
            BatchStatus.UNCERTAIN,
            message=f"Sent, but {exc}; not resent automatically.",
        )
        with self.lock:
            self.uncertain += n

    def _pace(self, res: PostResult) -> None:
        """Slow down before Zuora says 429: ``ratelimit-remaining`` calls in ``-reset`` s."""
        left, reset = res.ratelimit_remaining, res.ratelimit_reset
        if left is None or reset is None or left > 2 * self.opts.concurrency:
            return
        spacing = reset if left == 0 else reset / max(left, 1)
        self.limiter.hold(min(spacing, self.opts.max_retry_seconds))
        if left == 0:
            with self.lock:
                self.last_message = "Zuora's rate limit is reached; waiting for it to reset."
                self.retry_until = time.monotonic() + min(reset, self.opts.max_retry_seconds)

    def _other_path(self, url: str) -> bool:
        """After a 404, try the meter's other path style once (see the module docstring)."""
        with self.lock:
            if url != self.url:
                return True  # another worker switched already: go again at the new path
            if self.other_path_tried or self.received_once:
                return False
            self.other_path_tried = True
            other: PathStyle = "streaming" if self.style == "bulk" else "bulk"
            self.url = self.plan.target.with_style(other).url
            self.style = other
            log.info("HTTP 404 at %s: trying the %s path %s", url, other, self.url)
            return True

    def _answer(self, seq: int, positions: list[int], res: PostResult) -> list[int]:
        """A final answer that is not a success: 400, 413, 404, 403, 3xx, 504, other 4xx,
        or a 2xx that says ``success: false``. Returns the events a 413 gives back."""
        uid, n, status = self.uid, len(positions), res.status
        said = f" ({res.message})" if res.message else ""

        def end(st: str, text: str) -> None:
            self._j("end_batch", uid, seq, st, message=text, request_id=_ids(res))

        if status == 404:
            end("pending", f"HTTP 404{said}")
            tried = " at either path" if self.other_path_tried else ""
            self._fatal(
                ConnectionProblem(
                    f"Zuora found no meter at {self.url}{tried} (HTTP 404){said}; check the "
                    "meter ID or paste the meter's Unique Upload URL."
                )
            )
            return []
        if status == 403:
            end("pending", f"HTTP 403{said}")
            self._fatal(
                ConnectionProblem(
                    f"Zuora refused access to {self.url} (HTTP 403){said}: the OAuth client's "
                    "user needs permission to run meters (Standard User, or an API user with "
                    "Run Meters), and Mediation must be enabled on the tenant; check also the "
                    "entity and org IDs of the connection."
                )
            )
            return []
        if 300 <= status < 400:
            end("pending", f"HTTP {status}")
            where = f" to {res.location}" if res.location else ""
            self._fatal(
                ConnectionProblem(
                    f"The address {self.url} moved{where} (HTTP {status}); nothing was sent "
                    "there. Update the connection's environment or the meter's Upload URL."
                )
            )
            return []
        if status == 504:
            # The gateway gave up waiting; the meter may still have taken the events.
            end(
                BatchStatus.UNCERTAIN,
                "Zuora's gateway timed out (HTTP 504); the events may have arrived.",
            )
            with self.lock:
                self.uncertain += n
            return []
        if status == 413 and n > 1:
            end(BatchStatus.SPLIT, f"HTTP 413{said}")
            # The rest of the upload goes in batches no larger than this: the limit the
            # 413 states when it states one below n (one step), else half or so.
            size = stated_limit(res.message, n) or smaller_batch(n)
            with self.lock:
                self.batch_cap = max(1, min(self.batch_cap, size))
            return positions  # cut again to the (perhaps even lower) size now known
        if status == 400 or 200 <= status < 300:  # a 2xx here said success: false
            what = f"HTTP {status}" + (" with success: false" if status < 300 else "")
            per_event = _per_event(res.reasons, n)
            if per_event:
                lead = "Zuora rejected the event: "
                said_of = {i: lead + "; ".join(m) for i, m in per_event.items()}
                bad = [(positions[i], EventStatus.REJECTED, said_of[i]) for i in sorted(said_of)]
                self._j("set_event_statuses", uid, bad)
                with self.lock:
                    self.rejected += len(bad)
                rest = [p for i, p in enumerate(positions) if i not in per_event]
                end(BatchStatus.SPLIT if rest else BatchStatus.REJECTED, f"{what}{said}")
                if rest:
                    self._send_group(rest)
                return []
            if n > 1:
                end(BatchStatus.SPLIT, f"{what}{said}")
                self._isolate(positions, what, res.message)
                return []
        if status == 413:
            text = "This event alone is larger than Zuora takes in one call (HTTP 413)."
        else:
            text = f"Zuora rejected the event (HTTP {status}){said}."
        end(BatchStatus.REJECTED, text)
        with self.lock:
            self.rejected += n
        return []

    def _isolate(self, positions: list[int], what: str, message: str) -> None:
        """A refusal that names no event: is it the batch, or some events in it?

        Zuora's published error shapes carry no event index. One event alone answers it:
        if the first and the last event each fail alone, the meter refuses everything (a
        field the file lacks, say): the upload stops at once with Zuora's message, at the
        cost of two calls. Otherwise the failing part is halved, within a budget of a few
        percent of the batch's events; what the budget leaves unresolved is rejected with
        the reason, so nothing is bisected down to single events call after call.
        """
        n = len(positions)
        budget = [max(2 * n.bit_length() + 4, n // 20)]  # one bad event found; a few % else
        first = self._probe([positions[0]], budget)
        if first is False:
            last = self._probe([positions[-1]], budget)
            if last is False:
                self._refuse_all(positions, what, message)
                return
            rest, rejected = positions[1:-1], [positions[0]]
        else:
            rest, rejected = positions[1:], []
        pending = [rest] if rest else []
        while pending:
            group = pending.pop()
            if budget[0] <= 0 or self.stop.is_set():
                rejected += group if budget[0] <= 0 else []
                continue
            verdict = self._probe(group, budget)
            if verdict is False:
                if len(group) == 1:
                    rejected += group
                else:
                    pending += [group[len(group) // 2 :], group[: len(group) // 2]]
        if rejected:
            said = f" ({message})" if message else ""
            self._j(
                "set_event_statuses",
                self.uid,
                [
                    (
                        p,
                        EventStatus.REJECTED,
                        f"Zuora refused a batch holding this event ({what}){said}; fix the "
                        "row and send it again.",
                    )
                    for p in rejected
                ],
            )
            with self.lock:
                self.rejected += len(rejected)

    def _probe(self, group: list[int], budget: list[int]) -> bool | None:
        """Send ``group`` as one batch: True received, False refused (400 / success false),
        None for anything else (handled as any batch is: retried, uncertain, fatal)."""
        budget[0] -= 1
        uid = self.uid
        self._hold_while_paused()
        if self.stop.is_set() or not self.limiter.acquire(self.stop):
            return None  # never begun: its events stay pending
        xrows = excel_rows_of(self.plan.items, group)
        seq = self._j("begin_batch", uid, group, xrows, sending=True)
        body = encode_array(pick(self.plan.encoded, group))
        try:
            res = self._post(self.url, body)
        except NoAnswer as exc:
            self._no_answer(seq, len(group), exc)
            return None
        except NotSent:
            self._j("end_batch", uid, seq, "pending", message="Not sent; trying again.")
            self._send_group(group)  # the ordinary way: retries, backoff, time limit
            return None
        except ZmedError as exc:
            self._j("end_batch", uid, seq, "pending", message=str(exc))
            self._fatal(exc)
            return None
        self._answered()
        if res.ok:
            self._j("end_batch", uid, seq, BatchStatus.ACCEPTED, request_id=_ids(res))
            with self.lock:
                self.accepted += len(group)
            return True
        if res.status == 400 or 200 <= res.status < 300:
            self._j("end_batch", uid, seq, BatchStatus.SPLIT, message=f"HTTP {res.status}")
            return False
        back = self._answer(seq, group, res)
        if back:  # a 413: the ordinary way, at the lowered size
            self._send_group(back)
        return None

    def _refuse_all(self, positions: list[int], what: str, message: str) -> None:
        """The meter refuses every event: stop now, say Zuora's words and what to check."""
        said = f": {message}" if message else ""
        error = MeterRefuses(
            f"Zuora refuses every event of this upload ({what}{said}). Nothing more is "
            "sent: check the meter's event fields in Zuora against the file's columns and "
            "the mapping (a field the meter requires may be missing, or of another type), "
            "then run the upload again."
        )
        # The rows say it too (report, app), and stay "not sent": fixed, they can go.
        self._j(
            "set_event_statuses",
            self.uid,
            [(p, EventStatus.PENDING, str(error)) for p in positions],
        )
        self._fatal(error)


# The events a call that Zuora documents for its tenant types (1,000, 5,000, 10,000).
_DOCUMENTED_SIZES = sorted({lim.max_events for _, lim in LIMIT_PRESETS.values()})


def smaller_batch(n: int) -> int:
    """The batch size to try after a 413 for ``n`` events: half of it, or a documented
    tenant limit between half and ``n`` (1,250 -> 1,000, not 625: an API Sandbox's limit is
    not undershot). Never less than half, so a tenant of its own is found as quickly."""
    half = n // 2
    between = [m for m in _DOCUMENTED_SIZES if half < m < n]
    return max(between) if between else half


# "at most 1,000 events", "maximum of 1000 records", "limit is 1000", "up to 1000 ...": a
# number of events, never one of bytes, calls or seconds
_STATED = re.compile(
    r"(?:at most|maximum(?: of| is)?|max(?:imum)?(?: of| is)?|limit(?: of| is)?|up to|no more"
    r" than)\s+(\d[\d,]*)(?![\d,])(?!\s*(?:bytes?|[kKmM]i?B|B\b|characters|calls|requests|"
    r"seconds|minutes))",
    re.IGNORECASE,
)


def stated_limit(message: str, n: int) -> int | None:
    """The events a call may hold, as a 413's message states it (the emulator's "at most
    1000 are allowed per call" or a similar phrase), when that is fewer than the ``n`` the
    refused call held; None when the message says no such number (a byte limit, say)."""
    for match in _STATED.finditer(message or ""):
        try:
            limit = int(match.group(1).replace(",", ""))
        except ValueError:
            continue
        if 1 <= limit < n:
            return limit
    return None


def _ids(res: PostResult) -> str | None:
    """Zuora-Request-Id, with Zuora's processId beside it when the body had one."""
    if res.process_id and res.request_id:
        return f"{res.request_id} (processId {res.process_id})"
    return res.request_id or (f"processId {res.process_id}" if res.process_id else None)


def _per_event(reasons: list[dict[str, Any]], n: int) -> dict[int, list[str]]:
    per_event: dict[int, list[str]] = {}
    for r in reasons:
        i = r.get("index")
        if isinstance(i, int) and 0 <= i < n:
            per_event.setdefault(i, []).append(_reason_text(r))
    return per_event
