"""The Upload step's jobs, run in workers: plan (secret, rows, fingerprint) and send.

No widget is touched here: the step reads its fields on the GUI thread and passes plain
values in. The fingerprint is core's :meth:`SourceInfo.for_validation`, the one the CLI
uses, so either face resumes the other's interrupted upload of the same file to the same
meter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zmed_gui.core.connections import Connection, Target, get_secret
from zmed_gui.core.errors import CredentialsError
from zmed_gui.core.journal import Journal
from zmed_gui.core.upload import (
    SourceInfo,
    items_from_validation,
    mapping_json,
    plan_upload,
    run_upload,
)
from zmed_gui.core.zuora import ZuoraClient

RESEND_STATUSES = frozenset({"rejected", "uncertain"})


@dataclass
class Prepared:
    """What the planning worker hands back: everything run_upload needs."""

    plan: Any
    connection: Connection
    secret: str
    journal: Any
    earlier: dict[str, Any]


def failed_rows(result: Any) -> dict[int, str]:
    """Rows Zuora rejected or never answered for: what "Resend" offers (call off-thread)."""
    out = {}
    for row, outcome in (result.row_outcomes or {}).items():
        status = str(getattr(outcome, "status", "")).lower()
        if status in RESEND_STATUSES:
            out[row] = status
    return out


def source_info(
    path: Path | None, result: Any, edits: Sequence[tuple[int, int, str]] = ()
) -> SourceInfo:
    """The source's fingerprint, as the CLI computes it (hashes the file: call off-thread).

    ``edits`` are the cells typed in Review as (row, column, repr of the value). They are
    not in the file, so the CLI could not send those events: with edits the fingerprint
    differs from the CLI's (neither face takes the other's upload for its own) but stays
    the same for the same edits. A table that did not come from a file on disk gets a
    fingerprint of its name, sheet, size and mapping, so it can still be resumed.
    """
    table = result.table
    if path is not None and Path(path).is_file():
        base = SourceInfo.for_validation(Path(path), result)
    else:
        h = hashlib.sha256(f"{table.source}\0{table.sheet}\0{len(table)}\0".encode())
        h.update(mapping_json(result).encode())
        base = SourceInfo(table.source, table.sheet, h.hexdigest())
    if not edits:
        return base
    h = hashlib.sha256(base.fingerprint.encode())
    for row, col, value in sorted(edits):
        h.update(f"\0edit\0{row}\0{col}\0{value}".encode())
    return SourceInfo(base.file_name, base.sheet, h.hexdigest())


def cell_edits(table: Any, cells: Iterable[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The cells typed in Review with their values, for :func:`source_info` (GUI thread)."""
    return sorted((row, col, repr(table.columns[col][row])) for row, col in cells)


def prepare_upload(
    *,
    conn: Connection,
    target: Target,
    options: Any,
    result: Any,
    path: Path | None,
    edits: Sequence[tuple[int, int, str]] = (),
    secret: str | None,
    rows: set[int] | None,
    resume_id: str | None,
    resume_candidates: list[Any],
    progress: Callable[[int, int, str], Any],
    cancel: Any,
) -> Prepared:
    """Plan an upload of ``result``'s valid rows (or only ``rows``) to ``target``.

    ``secret`` is the demo's or one typed this session; else the keyring's is read.
    Without ``resume_id``, an interrupted upload among ``resume_candidates`` (the user
    chose to resume at start) of the same fingerprint to the same meter is continued.
    The returned journal is open; the caller closes it.
    """
    if not secret and not options.dry_run:
        secret = get_secret(conn.name)
        if not secret:
            raise CredentialsError(
                f"No client secret is stored for '{conn.name}'; enter it in Connections."
            )
    progress(0, 0, "Reading the rows to send…")
    items, invalid = items_from_validation(result)
    if rows is not None:
        items = [i for i in items if i.row in rows]
    cancel.raise_if_cancelled()
    progress(0, 0, "Fingerprinting the file…")
    source = source_info(path, result, edits)
    cancel.raise_if_cancelled()
    resume = resume_id
    if resume is None:
        for rec in resume_candidates:
            if rec.fingerprint == source.fingerprint and rec.meter_key == target.meter_key:
                resume = rec.upload_id
                break
    progress(0, 0, "Checking what was sent before…")
    journal = Journal()
    try:
        plan = plan_upload(
            journal,
            target,
            items,
            source,
            options,
            resume,
            limits=conn.limits,
            invalid_rows=invalid,
            connection=conn.name,
        )
        earlier = {}
        if plan.duplicates or plan.uncertain:
            earlier = {r.upload_id: r for r in journal.list_uploads(200)}
    except BaseException:
        journal.close()
        raise
    return Prepared(plan, conn, secret or "", journal, earlier)


def send_upload(
    prepared: Prepared,
    *,
    pause: Any,
    post: Callable[[Any], None],
    progress: Callable[[int, int, str], Any],
    cancel: Any,
) -> tuple[Any, dict[int, str]]:
    """Run the plan; ``post`` gets every progress snapshot. Closes the journal.

    Returns the result and the rows "Resend" offers (walked here, not on the GUI thread).
    """
    plan = prepared.plan

    def on_progress(p: Any) -> None:
        post(p)
        done = p.accepted + p.rejected + p.uncertain
        progress(done, max(p.events_total, 1), p.message)

    client = None
    try:
        if not plan.options.dry_run:
            client = ZuoraClient.for_connection(prepared.connection, prepared.secret)
        result = run_upload(
            plan, client, prepared.journal, progress=on_progress, cancel=cancel, pause=pause
        )
        return result, failed_rows(result)
    finally:
        if client is not None:
            client.close()
        prepared.journal.close()
