"""The sending engine: runs an :class:`~zmed_gui.core.planning.UploadPlan` against Zuora.

:class:`Sender` cuts the plan's events into batches, sends them from ``concurrency``
worker threads under the rate limit, and writes the journal before and after each
request. Per batch: 429/5xx/connection errors before sending are retried with backoff
(``Retry-After`` when given); a 413 splits the batch in halves; a 400 isolates the events
Zuora named (or halves the batch when it named none); 403/404 stop the upload; no answer,
or a gateway timeout (504), makes the batch *uncertain*, never resent by itself (Zuora has
no idempotency key). Cancel and pause take effect between batches. Progress snapshots are
reported from the caller's thread. Call it through :func:`zmed_gui.core.upload.run_upload`.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from zmed_gui.core.errors import ConnectionProblem, OptionsError, ZmedError
from zmed_gui.core.journal import BatchStatus, EventStatus
from zmed_gui.core.upload._batches import encode_array, make_batches
from zmed_gui.core.upload._outcomes import (
    ProgressFn,
    UploadProgress,
    UploadResult,
    result_from_journal,
)
from zmed_gui.core.zuora import NoAnswer, NotSent, RateLimiter, ZuoraClient, backoff_delay

if TYPE_CHECKING:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.progress import CancelToken, PauseToken
    from zmed_gui.core.upload._planning import UploadPlan

# The upload's logger, as before the split: zuora.py puts the redacting filter on it.
log = logging.getLogger("zmed_gui.core.upload._run")

_RETRY_STATUSES = {408, 425, 429, 500, 502, 503}


def _reason_text(reason: dict[str, Any]) -> str:
    fld = reason.get("field")
    msg = str(reason.get("message") or reason.get("code") or "invalid")
    return f"{fld}: {msg}" if fld else msg


class Sender:
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
            updates += [(p, EventStatus.PENDING, "") for p in plan._send_pos]
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
                        *plan._status.get(pos, (EventStatus.PENDING, "")),
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
        # Anything still "sending" here had an unexpected failure mid-request: uncertain.
        rows = self.journal.events(self.uid)
        stuck = [
            (e.pos, EventStatus.UNCERTAIN, "Sent, but the answer was lost.")
            for e in rows
            if e.status == EventStatus.SENDING
        ]
        if stuck:
            self.journal.set_event_statuses(self.uid, stuck)
            rows = self.journal.events(self.uid)
        batches = {b.seq for b in self.journal.batches(self.uid)}
        res, status, counts = result_from_journal(
            self.plan,
            rows,
            len(batches),
            retries=self.retries,
            request_ids=self.request_ids,
            error=self.error,
            cancelled=cancelled,
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
                j.end_batch(
                    uid, seq, BatchStatus.PENDING, message="Not sent: the upload stopped first."
                )
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
                    BatchStatus.UNCERTAIN,
                    message=f"Sent, but no answer came ({exc}); not resent automatically.",
                )
                with self.lock:
                    self.uncertain += n
                return
            except NotSent as exc:
                reason = str(exc)
            except ZmedError as exc:
                j.end_batch(uid, seq, BatchStatus.PENDING, message=str(exc))
                self._fatal(exc)
                return
            else:
                if res.request_id:
                    with self.lock:
                        self.request_ids.append(res.request_id)
                if res.ok:
                    j.end_batch(
                        uid,
                        seq,
                        BatchStatus.ACCEPTED,
                        request_id=res.request_id,
                        track_echo=res.track_id,
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
                j.end_batch(uid, seq, BatchStatus.PENDING, message=msg)
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
            j.end_batch(uid, seq, BatchStatus.PENDING, message=f"Retrying after {reason}.")
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
            j.end_batch(
                uid, seq, BatchStatus.PENDING, message=f"HTTP 404{said}", request_id=request_id
            )
            self._fatal(
                ConnectionProblem(
                    f"Zuora found no meter at {self.url} (HTTP 404); check the meter ID or "
                    "paste the meter's Unique Upload URL."
                )
            )
            return
        if status == 403:
            j.end_batch(
                uid, seq, BatchStatus.PENDING, message=f"HTTP 403{said}", request_id=request_id
            )
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
                BatchStatus.UNCERTAIN,
                message="Zuora's gateway timed out (HTTP 504); the events may have arrived.",
                request_id=request_id,
            )
            with self.lock:
                self.uncertain += n
            return
        if status == 413 and n > 1:
            j.end_batch(
                uid, seq, BatchStatus.SPLIT, message=f"HTTP 413{said}", request_id=request_id
            )
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
                    (
                        positions[i],
                        EventStatus.REJECTED,
                        "Zuora rejected the event: " + "; ".join(m),
                    )
                    for i, m in sorted(per_event.items())
                ]
                j.set_event_statuses(uid, bad)
                j.end_batch(
                    uid, seq, BatchStatus.SPLIT, message=f"HTTP 400{said}", request_id=request_id
                )
                with self.lock:
                    self.rejected += len(bad)
                self._send_group([p for i, p in enumerate(positions) if i not in per_event])
                return
            if n > 1 and not per_event:
                j.end_batch(
                    uid, seq, BatchStatus.SPLIT, message=f"HTTP 400{said}", request_id=request_id
                )
                for half in (positions[: n // 2], positions[n // 2 :]):
                    self._send_group(half)
                return
            if per_event:
                bad = [
                    (
                        positions[i],
                        EventStatus.REJECTED,
                        "Zuora rejected the event: " + "; ".join(m),
                    )
                    for i, m in sorted(per_event.items())
                ]
                j.set_event_statuses(uid, bad)
                j.end_batch(
                    uid, seq, BatchStatus.REJECTED, message=f"HTTP 400{said}", request_id=request_id
                )
                with self.lock:
                    self.rejected += n
                return
        if status == 413:
            text = "This event alone is larger than Zuora takes in one call (HTTP 413)."
        else:
            text = f"Zuora rejected the event (HTTP {status}){said}."
        j.end_batch(uid, seq, BatchStatus.REJECTED, message=text, request_id=request_id)
        with self.lock:
            self.rejected += n
