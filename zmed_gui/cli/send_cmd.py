"""`zmed-upload send` and `zmed-upload history`: upload a spreadsheet's usage to a meter.

The client secret comes from the keyring (``--connection``), ``ZMED_CLIENT_SECRET`` or a
hidden prompt on a terminal, never from the command line. A plain rerun after an
interruption continues the interrupted upload of the same file to the same meter and sends
only what was not accepted; events already accepted for the meter are skipped.

Exit codes: 0 every valid row accepted and none invalid; 1 rows invalid, rejected or
uncertain; 2 file/option/connection/credential problem; 3 interrupted (resumable).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from typing import TextIO

from zmed_gui.cli.common import Prepared, add_input_options, prepare
from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.cli.progressbar import ProgressPrinter
from zmed_gui.cli.stopping import run_stoppable
from zmed_gui.cli.where import add_where_options, resolve_where
from zmed_gui.core.connections import (
    PATH_STYLES,
    remember_batch_size,
    remember_path_style,
    resolve_secret,
)
from zmed_gui.core.errors import Cancelled, OptionsError, ZmedError, ZuoraUnreachable
from zmed_gui.core.journal import Journal
from zmed_gui.core.printable import printable
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.upload import (
    MAX_CONCURRENCY,
    UploadOptions,
    UploadProgress,
    UploadRequest,
    UploadResult,
    UploadSession,
)
from zmed_gui.core.zuora import check_track_id


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``send`` and ``history``."""
    p = subparsers.add_parser(
        "send",
        help="validate a spreadsheet and upload its valid rows to a meter",
        description="Read FILE, validate it and send the valid rows to a Zuora Mediation meter. "
        "The client secret comes from the keyring (--connection), ZMED_CLIENT_SECRET or a "
        "hidden prompt. Exit 0: all valid rows accepted and none invalid; 1: rows invalid, "
        "rejected or uncertain; 2: file, options, connection or credentials unusable; "
        "3: interrupted (run the same command again to continue).",
    )
    add_input_options(p)
    add_where_options(p, "where to send")
    how = p.add_argument_group("how to send")
    how.add_argument("--track-id", metavar="ID", help="Zuora-Track-Id (default: generated)")
    how.add_argument("--batch-size", metavar="N", type=int, help="events per call")
    how.add_argument(
        "--max-payload-bytes", metavar="N", type=int, help="bytes per call (uncompressed JSON)"
    )
    how.add_argument("--concurrency", metavar="N", type=int, default=4, help="calls at once (4)")
    how.add_argument("--calls-per-minute", metavar="N", type=int, help="client-side rate limit")
    how.add_argument("--no-gzip", action="store_true", help="send request bodies uncompressed")
    how.add_argument("--dry-run", action="store_true", help="plan and report, send nothing")
    how.add_argument("--resume", metavar="UPLOAD_ID", help="continue this interrupted upload")
    how.add_argument(
        "--wait",
        action="store_true",
        help="if another upload to the same meter is running, wait for it instead of stopping",
    )
    how.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="also send events already accepted for this meter by an earlier upload",
    )
    how.add_argument(
        "--resend-uncertain",
        action="store_true",
        help="send again events sent earlier without an answer (check the meter first)",
    )
    how.add_argument(
        "--meter-deduplicates",
        action="store_true",
        help="the meter drops repeats of the same event ID (a Deduplicator on the event-ID "
        "field, or an Event Store): events sent earlier without an answer are sent again "
        "by themselves; needs an event-ID field (--event-id-field)",
    )
    p.set_defaults(func=run)

    h = subparsers.add_parser("history", help="list earlier uploads from the journal")
    h.add_argument("--limit", metavar="N", type=int, default=20, help="how many (20)")
    h.set_defaults(func=run_history)


# --------------------------------------------------------------------------- resolving


def _options(args: argparse.Namespace) -> UploadOptions:
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise OptionsError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}.")
    for flag, value, low in (
        ("--batch-size", args.batch_size, 1),
        ("--max-payload-bytes", args.max_payload_bytes, 1024),
        ("--calls-per-minute", args.calls_per_minute, 1),
    ):
        if value is not None and value < low:
            raise OptionsError(f"{flag} must be at least {low}.")
    return UploadOptions(
        batch_size=args.batch_size,
        max_payload_bytes=args.max_payload_bytes,
        concurrency=args.concurrency,
        calls_per_minute=args.calls_per_minute,
        gzip=not args.no_gzip,
        track_id=check_track_id(args.track_id) if args.track_id else None,
        dry_run=args.dry_run,
        allow_duplicates=args.allow_duplicates,
        resend_uncertain=args.resend_uncertain,
        meter_deduplicates=args.meter_deduplicates,
        stall_seconds=_stall_seconds(),
    )


def _stall_seconds() -> float:
    """ZMED_STALL_SECONDS: how long a server that answers nothing is waited for (60 s)."""
    raw = os.environ.get("ZMED_STALL_SECONDS", "").strip()
    if not raw:
        return 60.0
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 1.0 <= value <= 3600.0:
        raise OptionsError(f"ZMED_STALL_SECONDS={raw!r} must be a number of seconds, 1 to 3600.")
    return value


class _ProgressLines:
    def __init__(self, stream: TextIO) -> None:
        self.bar = ProgressPrinter("Sending", stream=stream)

    def __call__(self, p: UploadProgress) -> None:
        done = p.accepted + p.rejected + p.uncertain + p.skipped_duplicates
        eta = f", {p.eta_seconds:,.0f} s left" if p.eta_seconds else ""
        msg = f"{p.events_per_second:,.0f} events/s{eta}"
        if p.retries:
            msg += f", {p.retries} retries"
        if p.message:
            msg += f" - {p.message}"
        self.bar(done, p.events_total, msg)


# --------------------------------------------------------------------------- commands


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    if args.report is not None and not args.report.parent.exists():
        raise OptionsError(f"--report: the folder {args.report.parent} does not exist.")
    where = resolve_where(args, need_client_id=not args.dry_run)
    target = where.target
    assert target is not None  # need_meter
    options = _options(args)
    secret = ""
    if not options.dry_run:
        interactive = sys.stdin is not None and sys.stdin.isatty()
        secret = resolve_secret(
            where.connection.name or None, prompt=getpass.getpass if interactive else None
        )
    t0 = time.monotonic()

    def work(cancel: CancelToken) -> tuple[Prepared, UploadResult]:
        prepared = prepare(args, out, cancel=cancel)
        for problem in prepared.result.mapping_problems:
            print(f"Mapping problem: {printable(str(problem))}", file=out)
        request = UploadRequest(
            target=target,
            connection=where.connection,
            options=options,
            validation=prepared.result,
            path=prepared.file_path,
            resume_id=args.resume,
            program="zmed-upload",
            wait=args.wait,
        )
        bar = _ProgressLines(sys.stderr)
        with UploadSession(request, secret=secret) as session:
            plan = session.prepare(bar, cancel)
            if plan.resuming:
                print(f"Continuing upload {plan.upload_id} of this file.", file=out)
            print(plan.summary(), file=out)
            result = session.send(bar, cancel)
        return prepared, result

    try:
        prepared, result = run_stoppable(work)
    except Cancelled:
        print("zmed-upload: stopped before anything was sent.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    elapsed = time.monotonic() - t0
    # The outcome first (it is in the journal already), then the report: a report that
    # cannot be written is a warning, never the outcome.
    _print_summary(result, elapsed, out)
    if args.report is not None:
        from zmed_gui.core.report import write_report  # openpyxl: only when a report is asked

        try:
            bar = ProgressPrinter("Writing report", stream=sys.stderr)
            write_report(args.report, prepared.result, uploads=result.row_outcomes, progress=bar)
            bar.done()
            print(f"Wrote the report to {printable(str(args.report))}.", file=out)
        except ZmedError as exc:
            result.warnings.append(f"The report was not written: {exc}")
    # A 413 showed what the tenant takes: the next upload starts there, not halving again.
    learned = result.learned_batch_size
    if learned and where.connection.name:
        try:
            if remember_batch_size(where.connection.name, learned):
                print(
                    f"The connection '{where.connection.name}' now sends at most "
                    f"{learned:,} events a call (Zuora refused more).",
                    file=out,
                )
        except (OSError, ZmedError) as exc:
            result.warnings.append(f"The connection's batch size was not saved: {exc}")
    style = result.path_style_used
    if style in PATH_STYLES and where.connection.name:
        try:
            remember_path_style(where.connection.name, style)
            print(f"The connection '{where.connection.name}' now uses the {style} path.", file=out)
        except (OSError, ZmedError) as exc:
            result.warnings.append(f"The connection's upload path was not saved: {exc}")
    for warning in result.warnings:
        print(f"zmed-upload: warning: {warning}", file=sys.stderr)
    return _exit_code(result, bool(prepared.result.mapping_problems))


def _exit_code(result: UploadResult, mapping_problems: bool) -> ExitCode:
    if result.error is not None:
        print(f"zmed-upload: {printable(str(result.error))}", file=sys.stderr)
        if isinstance(result.error, ZuoraUnreachable):
            return ExitCode.INTERRUPTED
        return ExitCode.USAGE
    if result.interrupted:
        return ExitCode.INTERRUPTED
    if result.dry_run:
        return ExitCode.ROWS if result.invalid or mapping_problems else ExitCode.OK
    if result.complete and not result.invalid and not mapping_problems:
        return ExitCode.OK
    return ExitCode.ROWS


def _print_summary(result: UploadResult, elapsed: float, out: TextIO) -> None:
    rate = (result.accepted / elapsed) if elapsed > 0 else 0.0
    head = "Dry run (nothing sent)" if result.dry_run else f"Upload {result.upload_id}"
    print(f"{head}: {result.message}", file=out)
    print(
        f"  received by Zuora: {result.accepted:,}\n  rejected: {result.rejected:,}\n"
        f"  invalid: {result.invalid:,}\n  duplicates skipped: {result.skipped_duplicates:,}\n"
        f"  uncertain: {result.uncertain_total:,}\n  not sent: {result.not_sent:,}\n"
        f"  retries: {result.retries:,}\n  track id: {result.track_id}",
        file=out,
    )
    if not result.dry_run:
        print(f"  upload id: {result.upload_id} ({elapsed:,.1f} s, {rate:,.0f} events/s)", file=out)
    if result.journal_backup:
        print(f"  journal backup: {result.journal_backup}", file=out)


def run_history(args: argparse.Namespace) -> int:
    out = sys.stdout
    with Journal() as journal:
        uploads = journal.list_uploads(max(1, args.limit))
    if not uploads:
        print("No uploads yet.", file=out)
        return ExitCode.OK
    for u in uploads:
        print(
            f"{u.started}  {u.upload_id}  {u.status:<11} {printable(u.file_name)} "
            f"[{printable(u.sheet)}] -> "
            f"{u.meter_url}",
            file=out,
        )
        print(
            f"    {u.accepted + u.kept:,} received ({u.kept:,} known kept, "
            f"{u.rejected_after_receipt:,} rejected after receipt), {u.rejected:,} rejected, "
            f"{u.skipped:,} skipped, {u.uncertain:,} uncertain, {u.pending:,} not sent; "
            f"track id {u.track_id}",
            file=out,
        )
        if u.message:
            print(f"    {printable(u.message)}", file=out)
    return ExitCode.OK
