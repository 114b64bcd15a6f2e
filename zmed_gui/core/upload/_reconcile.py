"""Reconciliation: which received events the meter kept, and which it rejected afterwards.

A 200 only says Zuora *received* a batch; Mediation validates the events afterwards and
lists the ones it rejects in the meter's audit trail (error code 70000000
STREAM_API_VALIDATION and others). :func:`reconcile` reads that trail for the upload's time
window (with a margin), matches each entry's payload to the journal's events by the
canonical hash, and records the outcome:

- matched: ``rejected after receipt`` with Zuora's code and message; such an event is no
  longer "already sent" to the duplicate guard, so the fixed row can be sent again;
- not matched, and the meter's processing window has passed: ``kept``;
- not matched yet, inside the window: still "received", not yet known.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zmed_gui.core.connections import tenant_key
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal import EventStatus, Journal, hash_key
from zmed_gui.core.upload._batches import canonical_json, event_hash
from zmed_gui.core.upload._outcomes import destination
from zmed_gui.core.zuora import TokenClient, check_meter_number, fetch_audit_errors

if TYPE_CHECKING:
    from pathlib import Path

    from zmed_gui.core.connections import Connection
    from zmed_gui.core.journal import UploadRecord
    from zmed_gui.core.progress import CancelToken

log = logging.getLogger("zmed_gui.core.upload")

MARGIN = dt.timedelta(minutes=5)  # clocks differ; events are processed a little later
PROCESSING_WINDOW = dt.timedelta(minutes=15)  # after this, no error entry means kept


@dataclass
class ReconcileResult:
    """What the audit trail said of one upload's received events."""

    upload_id: str
    kept: int = 0
    rejected: int = 0
    unknown: int = 0
    entries_read: int = 0
    # the meter's reasons in plain words (Zuora's error codes go to the log only)
    reasons: Counter[str] = field(default_factory=Counter)
    # 0-based row -> the reason, without "Rejected by the meter after receipt: " (a face
    # says that once, in its own words)
    rejected_rows: dict[int, str] = field(default_factory=dict)
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # excel row, status, why
    settled: bool = False  # the processing window has passed

    @property
    def message(self) -> str:
        """What the meter said, and what to do: the sentence every face shows."""
        parts = [
            f"The meter kept {self.kept:,} event{'' if self.kept == 1 else 's'}, {self.rejected:,} "
            f"{'was' if self.rejected == 1 else 'were'} rejected after receipt, and "
            f"{self.unknown:,} {'is' if self.unknown == 1 else 'are'} not known yet."
        ]
        if self.rejected:
            top = "; ".join(
                f"{why}: {n:,} event{'' if n == 1 else 's'}"
                for why, n in self.reasons.most_common(3)
            )
            parts.append(f"Why: {top}.")
            parts.append(
                "Fix those rows (or the accounts in Zuora) and upload the file again: only they go."
            )
        if self.unknown:
            parts.append("The meter may still report on the others: check again in a few minutes.")
        return " ".join(parts)


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def latest_upload(journal: Journal, base_url: str, meter_key: str | None = None) -> UploadRecord:
    """The newest upload to the tenant (to ``meter_key`` when given) that Zuora received
    events of."""
    tenant = tenant_key(base_url) + "|"
    for rec in journal.list_uploads(500):
        mine = rec.meter_key == meter_key if meter_key else rec.meter_key.startswith(tenant)
        if mine and rec.accepted + rec.kept + rec.rejected_after_receipt:
            return rec
    raise OptionsError(
        f"There is no upload to {base_url} in the journal that Zuora received events of; "
        "give the upload ID (see 'history')."
    )


def reconcile(
    journal: Journal,
    client: TokenClient,
    meter_number: str | int,
    upload_id: str,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[int, str], None] | None = None,
    cancel: CancelToken | None = None,
) -> ReconcileResult:
    """Match the meter's audit trail to ``upload_id``'s received events and record it.

    Raises:
        OptionsError: unknown upload or bad meter number.
        ConnectionProblem, ZuoraUnreachable: the audit trail could not be read.
    """
    number = check_meter_number(meter_number)
    rec = journal.get_upload(upload_id)
    if rec is None:
        raise OptionsError(f"There is no upload {upload_id} in the journal; see 'history'.")
    started = _when(rec.started) or dt.datetime.now(dt.UTC)
    ended = _when(rec.ended) or dt.datetime.now(dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    # the journal keeps whole seconds, and queryToTime is exclusive: a second more each way
    until = min(now, ended + PROCESSING_WINDOW + MARGIN) + dt.timedelta(seconds=1)
    entries = fetch_audit_errors(
        client, number, started - MARGIN, until, progress=progress, cancel=cancel
    )
    result = ReconcileResult(upload_id, entries_read=len(entries))
    result.settled = now >= ended + PROCESSING_WINDOW
    # Each error entry covers one occurrence of an event (the same event may be twice).
    # Entries already matched to an event (of this or an earlier upload to the meter: the
    # window's margin reaches back) are used up first, oldest first.
    wanted: dict[bytes, list[str]] = {}
    for entry in sorted(
        entries, key=lambda en: en.error_time or dt.datetime.min.replace(tzinfo=dt.UTC)
    ):
        if entry.payload is None:
            continue
        why = entry.message.strip().rstrip(".") or _CODE_WORDS.get(entry.code, _NO_REASON)
        if entry.code:  # for support: the code stays out of what the user reads
            log.info("audit trail: Zuora error %s for an event of upload %s", entry.code, upload_id)
        key = hash_key(event_hash(canonical_json(entry.payload)))
        wanted.setdefault(key, []).append(why)
    used = journal.count_with_status(
        rec.meter_key, list(wanted), EventStatus.REJECTED_AFTER_RECEIPT
    )
    for h, n in used.items():
        del wanted[h][:n]
    updates: list[tuple[int, EventStatus, str]] = []
    service = destination(getattr(client, "base_url", ""))
    for e in journal.events(upload_id):
        status, why = e.status, e.message
        if status in (EventStatus.ACCEPTED, EventStatus.KEPT):
            reasons = wanted.get(hash_key(e.hash))
            if reasons:
                status, why = EventStatus.REJECTED_AFTER_RECEIPT, _LEAD + reasons.pop(0)
                updates.append((e.pos, status, why))
            elif result.settled and status != EventStatus.KEPT:
                status, why = EventStatus.KEPT, "Kept by the meter."
                updates.append((e.pos, status, why))
        if status == EventStatus.REJECTED_AFTER_RECEIPT:
            result.rejected += 1
            why = why.removeprefix(_LEAD)  # the status says it already
            result.reasons[why] += 1
            result.rejected_rows[e.row] = why
        elif status == EventStatus.KEPT:
            result.kept += 1
        elif status == EventStatus.ACCEPTED:
            result.unknown += 1
            why = f"Received by {service}; the meter has not reported on it yet."
        result.rows.append((e.excel_row, _WORDS.get(status, str(status)), why))
    if updates:
        journal.set_event_statuses(upload_id, updates)
    return result


def check_upload(
    connection: Connection,
    secret: str,
    meter_number: str | int,
    upload_id: str,
    *,
    journal_path: Path | None = None,
    settled_now: bool = False,
    cancel: CancelToken | None = None,
) -> ReconcileResult:
    """:func:`reconcile` for a face: opens the journal and a client for ``connection``.

    ``settled_now``: the tenant reports at once (the demo's emulator), so events without an
    error are kept now rather than after the processing window.
    """
    number = check_meter_number(meter_number)
    now = dt.datetime.now(dt.UTC) + (PROCESSING_WINDOW if settled_now else dt.timedelta())
    with (
        Journal(journal_path) as journal,
        TokenClient.for_connection(connection, secret, timeout=60.0, max_connections=2) as client,
    ):
        return reconcile(journal, client, number, upload_id, now=now, cancel=cancel)


_LEAD = "Rejected by the meter after receipt: "
_NO_REASON = "the meter gave no reason"
# Zuora's codes in the audit trail, in words for an entry without a message
_CODE_WORDS = {
    "70000000": "the event does not match the meter's event definition (a field is missing, "
    "or a value has the wrong type or form)",
}
_WORDS = {
    EventStatus.KEPT: "kept",
    EventStatus.REJECTED_AFTER_RECEIPT: "rejected after receipt",
    EventStatus.ACCEPTED: "received, not yet known",
    EventStatus.REJECTED: "rejected",
    EventStatus.UNCERTAIN: "uncertain",
    EventStatus.SENDING: "uncertain",
    EventStatus.PENDING: "not sent",
    EventStatus.SKIPPED: "skipped (already sent)",
    EventStatus.HELD: "uncertain",
    EventStatus.RESENT: "sent again later",
}
