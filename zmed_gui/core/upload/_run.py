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

This module is the public face; the work is done in :mod:`zmed_gui.core.upload._input`
(items, source fingerprint, options), :mod:`zmed_gui.core.upload._planning` (the plan and the
duplicate guard), :mod:`zmed_gui.core.upload._sender` (the sending engine) and
:mod:`zmed_gui.core.upload._outcomes` (progress and results). Import from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zmed_gui.core.upload._outcomes import ProgressFn, UploadResult, dry_run_result
from zmed_gui.core.upload._planning import UploadPlan
from zmed_gui.core.upload._sender import Sender

if TYPE_CHECKING:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.progress import CancelToken, PauseToken
    from zmed_gui.core.zuora import ZuoraClient


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
        return dry_run_result(plan)
    if client is None:
        raise ValueError("run_upload needs a ZuoraClient unless options.dry_run is set")
    return Sender(plan, client, journal, progress, cancel, pause).run()
