"""The one entry point for sending: :class:`UploadSession`.

Every face (``zmed-upload send``, the app's Upload step, ``--self-test``) builds an
:class:`UploadRequest` and runs a session; nothing else in the program plans or sends.

A session owns, in this order:

1. the events: made from the validation result (only ``rows`` when given), each encoded
   and hashed once later by the plan;
2. the source's fingerprint (file bytes, sheet, mapping, options, edits), so a resume is
   of exactly the same events;
3. the journal (a damaged one stops everything with a sentence; it is never replaced);
4. the meter's lease: at most one upload per tenant and meter at a time across the user's
   processes (another one refuses, or waits when asked, and never sends);
5. the resume policy: an explicit upload ID, else the newest interrupted upload of the
   same fingerprint to the same meter, whichever face started it;
6. the plan (duplicate guard, uncertain events held back, batches) - :meth:`prepare`
   returns it so a face can show it before anything is sent;
7. sending, pause and cancel, progress (one :class:`UploadProgress` type for every phase),
   the result, a backup of the journal, and releasing the lease - :meth:`send`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zmed_gui.core.errors import OptionsError, ZmedError
from zmed_gui.core.journal import Journal
from zmed_gui.core.memory import collector_paused
from zmed_gui.core.upload._input import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    event_id_fields_of,
    lazy_items,
)
from zmed_gui.core.upload._outcomes import (
    ProgressFn,
    UploadPhase,
    UploadProgress,
    UploadResult,
    dry_run_result,
)
from zmed_gui.core.upload._planning import UploadPlan, plan_upload
from zmed_gui.core.upload._sender import Sender
from zmed_gui.core.zuora import ZuoraClient

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection, Target
    from zmed_gui.core.journal import MeterLease, UploadRecord
    from zmed_gui.core.progress import CancelToken, PauseToken
    from zmed_gui.core.validate import ValidationResult

log = logging.getLogger("zmed_gui.core.upload")

SecretSource = str | Callable[[], str] | None


@dataclass
class UploadRequest:
    """What to send, where, and how.

    Give either ``validation`` (with the file's ``path`` and the cells edited in the app as
    ``edits``; ``rows`` limits the upload to those 0-based rows) or ready ``items`` with
    their ``source`` (tests and benchmarks). ``program`` names the face in the lease, so a
    second upload can say who holds the meter. ``wait``: wait for another upload to the
    same meter to end instead of refusing. ``event_id_fields``: the fields that give each
    event its own ID (None: those of the validation's mapping).
    """

    target: Target
    connection: Connection
    options: UploadOptions = field(default_factory=UploadOptions)
    validation: ValidationResult | None = None
    path: Path | None = None
    edits: Sequence[tuple[int, int, str]] = ()
    rows: Collection[int] | None = None
    items: list[UploadItem] | None = None
    source: SourceInfo | None = None
    invalid_rows: Sequence[int] = ()
    resume_id: str | None = None
    program: str = "zmed-upload"
    wait: bool = False
    event_id_fields: Sequence[str] | None = None


class UploadSession:
    """One upload, from the validated rows to the result. Use once; close it (or ``with``).

    Args:
        request: what to send, where and how.
        secret: the client secret, or a function that fetches it (called in :meth:`send`,
            off the GUI thread); not needed for a dry run.
        journal: an open journal to use (the caller closes it); default: open the one at
            ``journal_path`` (default: the user's) and close it with the session.
        client: a ZuoraClient to use (the caller closes it); default: one made for the
            connection with a pool as large as the concurrency.
    """

    def __init__(
        self,
        request: UploadRequest,
        *,
        secret: SecretSource = None,
        journal: Journal | None = None,
        journal_path: Path | None = None,
        client: ZuoraClient | None = None,
    ) -> None:
        self.request = request
        self._secret = secret
        self._journal = journal
        self._own_journal = journal is None
        self._journal_path = journal_path
        self._client = client
        self._lease: MeterLease | None = None
        self.plan: UploadPlan | None = None
        self.result: UploadResult | None = None
        self._closed = False

    # ---------------------------------------------------------------- lifetime

    def __enter__(self) -> UploadSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the meter's lease and close what the session opened (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._lease is not None:
            try:
                self._lease.release()
            except ZmedError as exc:  # the journal went away; a dead holder is taken over
                log.warning("could not release the lease of %s: %s", self._meter_key, exc)
            self._lease = None
        if self._own_journal and self._journal is not None:
            self._journal.close()
            self._journal = None

    @property
    def _meter_key(self) -> str:
        return self.request.target.meter_key

    # ---------------------------------------------------------------- phases

    def prepare(
        self, progress: ProgressFn | None = None, cancel: CancelToken | None = None
    ) -> UploadPlan:
        """Events, fingerprint, journal, lease, resume policy and plan; nothing is sent.

        Raises:
            OptionsError, JournalError (a ZmedError), MeterBusy: with a sentence.
            Cancelled: the user cancelled.
        """
        if self.plan is not None:
            return self.plan
        with collector_paused():  # see zmed_gui.core.memory: no full passes over the table
            return self._prepare(progress, cancel)

    def _prepare(self, progress: ProgressFn | None, cancel: CancelToken | None) -> UploadPlan:
        req = self.request
        try:
            items, invalid, source = self._events(progress, cancel)
            if self._journal is None:
                self._journal = Journal(self._journal_path)
            journal = self._journal
            _report(progress, UploadPhase.WAITING, len(items), "Checking the meter is free…")
            self._lease = journal.acquire_lease(
                self._meter_key,
                upload_desc=f"the upload of {source.file_name} (sheet '{source.sheet}')",
                program=req.program,
                wait=req.wait,
                cancel=cancel,
            )
            self._lease.start()
            resume = req.resume_id
            journal.recover()  # once: dead uploads' "sending" events become uncertain
            if resume is None and not req.options.dry_run:
                earlier = journal.find_resumable(source.fingerprint, self._meter_key, recover=False)
                resume = earlier.upload_id if earlier is not None else None
            self.plan = plan_upload(
                journal,
                req.target,
                items,
                source,
                req.options,
                resume,
                limits=req.connection.limits,
                invalid_rows=invalid,
                connection=req.connection.name,
                progress=progress,
                cancel=cancel,
                event_id_fields=event_id_fields_of(req.validation, req.event_id_fields),
            )
            if self._lease is not None:
                self._lease.attach_upload(self.plan.upload_id)
        except BaseException:
            self.close()
            raise
        return self.plan

    def _events(
        self, progress: ProgressFn | None, cancel: CancelToken | None
    ) -> tuple[Sequence[UploadItem], list[int], SourceInfo]:
        req = self.request
        if req.items is not None:
            if req.source is None:
                raise OptionsError("An upload of ready events needs their source.")
            return req.items, list(req.invalid_rows), req.source
        if req.validation is None:
            raise OptionsError("There is nothing to upload: validate a file first.")
        _report(progress, UploadPhase.PREPARING, 0, "Reading the rows to send…")
        items, invalid = lazy_items(req.validation)  # no event dict kept per row
        if req.rows is not None:
            items = items.where(set(req.rows))
        if cancel is not None:
            cancel.raise_if_cancelled()
        _report(progress, UploadPhase.FINGERPRINTING, len(items), "Checking the file…")
        source = SourceInfo.for_validation(req.path, req.validation, req.edits, cancel)
        return items, invalid, source

    def send(
        self,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        pause: PauseToken | None = None,
    ) -> UploadResult:
        """Send the plan (preparing it first if needed), then release the meter.

        Never raises for what Zuora answers: the result says it. The summary is in the
        journal before this returns; a journal backup that fails is a warning.
        """
        with collector_paused():
            return self._send(progress, cancel, pause)

    def _send(
        self, progress: ProgressFn | None, cancel: CancelToken | None, pause: PauseToken | None
    ) -> UploadResult:
        try:
            plan = self.prepare(progress, cancel)
            assert self._journal is not None
            if plan.options.dry_run:
                self.result = dry_run_result(plan)
                return self.result
            client = self._client
            if client is None:
                secret = self._secret() if callable(self._secret) else self._secret
                client = ZuoraClient.for_connection(
                    self.request.connection,
                    secret or "",
                    timeout=plan.options.timeout,
                    max_connections=plan.options.concurrency + 1,  # +1: the token request
                )
            try:
                lease = self._lease
                sender = Sender(plan, client, self._journal, progress, cancel, pause)
                result = sender.run(lease.check if lease is not None else None)
            finally:
                if self._client is None:
                    client.close()
            try:
                result.journal_backup = str(self._journal.backup())
            except ZmedError as exc:
                result.warnings.append(f"The journal could not be backed up: {exc}")
            self.result = result
            return result
        finally:
            self.close()

    def uploads(self, limit: int = 200) -> list[UploadRecord]:
        """The latest uploads in the session's journal (for a face's duplicate guard)."""
        if self._journal is None:
            return []
        return self._journal.list_uploads(limit)

    def run(
        self,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        pause: PauseToken | None = None,
    ) -> UploadResult:
        """:meth:`prepare` and :meth:`send` in one go (the CLI and the self-test)."""
        self.prepare(progress, cancel)
        return self.send(progress, cancel, pause)


def _report(progress: ProgressFn | None, phase: UploadPhase, total: int, message: str) -> None:
    if progress is not None:
        progress(UploadProgress(total, phase, 0, 0, message=message))
