"""`zmed-upload reconcile`: what the meter kept of an upload, and what it rejected afterwards.

A 200 from Zuora means the events were *received*; Mediation validates them afterwards and
lists what it rejects in the meter's audit trail. This reads that trail for the upload's
time window and marks each received event kept, rejected after receipt (with Zuora's code
and message) or not yet known. Rejected events are no longer "already sent", so after
fixing those rows a plain ``send`` of the file delivers exactly them.

Exit codes: 0 none rejected; 1 some rejected after receipt; 2 unusable input.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.cli.stopping import run_stoppable
from zmed_gui.cli.where import add_where_options, resolve_where
from zmed_gui.core.connections import resolve_secret
from zmed_gui.core.journal import Journal
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.report import write_outcome_rows
from zmed_gui.core.upload import ReconcileResult, latest_upload, reconcile
from zmed_gui.core.zuora import TokenClient, check_meter_number


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "reconcile",
        help="check with Zuora which received events the meter kept or rejected afterwards",
        description="Read the meter's audit trail of errors for an upload's time window and "
        "mark each event Zuora received as kept, rejected after receipt, or not yet known. "
        "UPLOAD_ID defaults to the most recent upload to that tenant (to that meter with "
        "--meter or --upload-url). The secret comes as for send. Exit 0: none rejected; 1: "
        "some rejected after receipt; 2: unusable input.",
    )
    p.add_argument("upload_id", metavar="UPLOAD_ID", nargs="?", help="see 'history'")
    add_where_options(p, "where the meter is")
    p.add_argument(
        "--meter-number",
        metavar="N",
        required=True,
        help="the meter's numeric ID, shown on the meter's page in Zuora Mediation",
    )
    p.add_argument(
        "--report",
        metavar="REPORT.xlsx|REPORT.csv",
        help="write every event's row, status and Zuora's reason",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    number = check_meter_number(args.meter_number)
    where = resolve_where(args, need_meter=False)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    secret = resolve_secret(
        where.connection.name or None, prompt=getpass.getpass if interactive else None
    )

    def work(cancel: CancelToken) -> ReconcileResult:
        with Journal() as journal:
            if args.upload_id:
                upload_id = args.upload_id
            else:
                meter = where.target.meter_key if where.target is not None else None
                upload_id = latest_upload(journal, where.connection.base_url, meter).upload_id
            print(f"Checking upload {upload_id} with the meter's audit trail…", file=out)
            with TokenClient.for_connection(where.connection, secret, timeout=60.0) as client:
                return reconcile(journal, client, number, upload_id, cancel=cancel)

    result = run_stoppable(work)
    print(result.message, file=out)
    print(
        f"  kept: {result.kept:,}\n  rejected after receipt: {result.rejected:,}\n"
        f"  not yet known: {result.unknown:,}\n  audit-trail errors read: "
        f"{result.entries_read:,}",
        file=out,
    )
    if args.report:
        write_outcome_rows(Path(args.report), result.rows)
        print(f"Wrote the report to {args.report}.", file=out)
    return ExitCode.ROWS if result.rejected else ExitCode.OK
