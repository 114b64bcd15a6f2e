"""The Upload step's jobs, run in workers: prepare an :class:`UploadSession`, then send it.

No widget is touched here: the step reads its fields on the GUI thread and passes plain
values in. Everything about the upload itself (fingerprint, lease, resume policy,
duplicate guard, sending) is core's :class:`~zmed_gui.core.upload.UploadSession`, the one
the CLI runs, so either face resumes the other's interrupted upload of the same file to
the same meter. The session holds the meter's lease from :func:`prepare_upload` until it is
sent or closed: while the duplicate guard waits for the user, no other upload can start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zmed_gui.core.connections import Connection, Target, get_secret
from zmed_gui.core.errors import CredentialsError
from zmed_gui.core.journal import UploadRecord
from zmed_gui.core.progress import CancelToken, PauseToken
from zmed_gui.core.table import Table
from zmed_gui.core.upload import (
    UploadOptions,
    UploadPlan,
    UploadProgress,
    UploadRequest,
    UploadResult,
    UploadSession,
)
from zmed_gui.core.validate import RowStatus, ValidationResult
from zmed_gui.ui.upload_confirm import LastLook, last_look

RESEND_STATUSES = frozenset({"rejected", "uncertain"})
PlainProgress = Callable[[int, int, str], Any]


@dataclass
class Prepared:
    """A prepared session (holding the meter) and what the guard dialog shows."""

    session: UploadSession
    plan: UploadPlan
    earlier: dict[str, UploadRecord] = field(default_factory=dict)
    look: LastLook = field(default_factory=LastLook)  # what the last look before sending shows
    validation: ValidationResult | None = None  # the rows this upload was planned from

    def close(self) -> None:
        """Let the meter go without sending (the user said no)."""
        self.session.close()


def failed_rows(result: UploadResult) -> dict[int, str]:
    """Rows Zuora rejected or never answered for: what "Resend" offers (call off-thread)."""
    out = {}
    for row, outcome in (result.row_outcomes or {}).items():
        status = str(outcome.status).lower()
        if status in RESEND_STATUSES:
            out[row] = status
    return out


def cell_edits(table: Table, cells: Iterable[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The cells typed in Review with their values, for the fingerprint (GUI thread)."""
    return sorted((row, col, repr(table.columns[col][row])) for row, col in cells)


def _fan_out(
    post: Callable[[UploadProgress], None] | None, progress: PlainProgress
) -> Callable[[UploadProgress], None]:
    """Core reports one typed snapshot; the panel takes it whole, the job bar its counts."""

    def on_progress(p: UploadProgress) -> None:
        if post is not None:
            post(p)
        progress(p.done, p.total, p.message)

    return on_progress


def prepare_upload(
    *,
    conn: Connection,
    target: Target,
    options: UploadOptions,
    result: ValidationResult,
    path: Path | None,
    edits: Sequence[tuple[int, int, str]] = (),
    secret: str | None,
    rows: set[int] | None,
    resume_id: str | None,
    progress: PlainProgress,
    cancel: CancelToken,
    journal_path: Path | None = None,
) -> Prepared:
    """Prepare an upload of ``result``'s valid rows (or only ``rows``) to ``target``.

    ``secret`` is the demo's or one typed this session; else the keyring's is read (here,
    off the GUI thread, so a missing secret is said before anything else happens).
    """
    if not secret and not options.dry_run:
        secret = get_secret(conn.name)
        if not secret:
            raise CredentialsError(
                f"No client secret is stored for '{conn.name}'; enter it in Connections."
            )
    request = UploadRequest(
        target=target,
        connection=conn,
        options=options,
        validation=result,
        path=path,
        edits=edits,
        rows=rows,
        resume_id=resume_id,
        program="zmed-gui",
    )
    session = UploadSession(request, secret=secret or "", journal_path=journal_path)
    plan = session.prepare(_fan_out(None, progress), cancel)
    earlier: dict[str, UploadRecord] = {}
    if plan.duplicates or plan.uncertain:
        earlier = {r.upload_id: r for r in session.uploads(200)}
    statuses = list(result.statuses)
    look = last_look(
        plan.to_send,
        statuses,
        result.schema,
        excluded=sum(1 for s in statuses if s is RowStatus.EXCLUDED),
        invalid=len(plan.invalid_rows),
        skipped=0 if options.allow_duplicates else len(plan.duplicates),
    )
    look.refused_before = len(plan.refused_before)
    return Prepared(session, plan, earlier, look, result)


def send_upload(
    prepared: Prepared,
    *,
    pause: PauseToken,
    post: Callable[[UploadProgress], None],
    progress: PlainProgress,
    cancel: CancelToken,
) -> tuple[UploadResult, dict[int, str]]:
    """Send the prepared session; ``post`` gets every progress snapshot.

    Returns the result and the rows "Resend" offers (walked here, not on the GUI thread).
    """
    result = prepared.session.send(_fan_out(post, progress), cancel, pause)
    return result, failed_rows(result)
