"""`zmed-upload journal`: where the upload journal is, its backups, and setting a damaged one aside.

The journal is what makes resuming safe and double-sending hard, so a damaged one is never
replaced by itself: every command stops with a sentence, and only ``--set-aside`` (or the
app's button) moves it out of the way so that a new, empty one is started.
"""

from __future__ import annotations

import argparse
import sys

from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.journal import Journal, list_backups, set_aside_journal
from zmed_gui.core.paths import default_journal_path


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "journal",
        help="show the upload journal and its backups; set a damaged journal aside",
        description="Without options: print where the upload journal is, whether it can be "
        "read, and its backups. --set-aside: rename a damaged journal (kept, never deleted) "
        "so that the next upload starts a new one; earlier uploads are then no longer "
        "recognised as already sent, so check the meter before sending the same file again.",
    )
    p.add_argument(
        "--set-aside", action="store_true", help="move a damaged journal aside and start anew"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    path = default_journal_path()
    if args.set_aside:
        if not path.exists():
            print(f"There is no journal at {path}; nothing to set aside.", file=out)
            return ExitCode.OK
        moved = set_aside_journal(path)
        print(
            f"The journal was set aside as {moved}; the next upload starts a new journal.",
            file=out,
        )
        return ExitCode.OK
    print(f"Journal: {path}", file=out)
    if path.exists():
        try:
            with Journal(path) as journal:
                count = journal.count_uploads()
        except ZmedError as exc:
            print(f"  {exc}", file=out)
            return ExitCode.USAGE
        print(f"  readable; {count:,} uploads recorded", file=out)
    else:
        print("  not created yet (no upload so far)", file=out)
    backups = list_backups(path)
    for b in backups:
        print(f"  backup: {b}", file=out)
    if not backups:
        print("  no backups yet (one is made after each finished upload)", file=out)
    return ExitCode.OK
