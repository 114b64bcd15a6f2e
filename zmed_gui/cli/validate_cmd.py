"""`zmed-upload validate`: check a spreadsheet and say exactly what is wrong, where."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from zmed_gui.cli.common import Prepared, add_input_options, prepare
from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.cli.progressbar import ProgressPrinter
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.printable import printable
from zmed_gui.core.validate import RowStatus, ValidationResult, event_lines


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check a spreadsheet against the meter's event fields",
        description="Read FILE, map its columns to the event fields and report every problem. "
        "Exit 0: all rows valid; 1: some rows invalid; 2: the file or options cannot be used.",
    )
    add_input_options(p)
    p.add_argument(
        "--events-out",
        metavar="EVENTS.ndjson",
        type=Path,
        help="write one JSON event per valid row, exactly as it would be sent",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for flag, path in (("--report", args.report), ("--events-out", args.events_out)):
        if path is not None and not path.parent.exists():
            raise OptionsError(f"{flag}: the folder {path.parent} does not exist.")
    prepared = prepare(args, sys.stdout)
    return finish(prepared, args, sys.stdout)


def finish(prepared: Prepared, args: argparse.Namespace, out: TextIO) -> int:
    result = prepared.result
    print_summary(result, out)
    if args.events_out is not None:
        count = write_events(result, args.events_out)
        print(f"Wrote {count:,} events to {printable(str(args.events_out))}.", file=out)
    if args.report is not None:
        from zmed_gui.core.report import write_report  # openpyxl: loaded only for a report

        bar = ProgressPrinter("Writing report", stream=sys.stderr)
        write_report(args.report, result, progress=bar)
        bar.done()
        print(f"Wrote the report to {printable(str(args.report))}.", file=out)
    if result.mapping_problems or result.counts.get(RowStatus.INVALID, 0):
        return ExitCode.ROWS
    return ExitCode.OK


def write_events(result: ValidationResult, path: Path) -> int:
    count = 0
    try:
        with path.open("wb") as fh:
            for lines, n in event_lines(result, _canonical_lines):  # the bytes sent
                fh.write(lines)
                count += n
    except OSError as exc:
        raise OptionsError(f"Cannot write the events file {path}: {exc.strerror or exc}.") from exc
    return count


def _canonical_lines(events: list[dict[str, Any]]) -> bytes:
    """The canonical encoder, for the events event_lines does not write itself (loading
    the upload package only then)."""
    from zmed_gui.core.upload import canonical_lines

    return canonical_lines(events)


def print_summary(result: ValidationResult, out: TextIO) -> None:
    counts = result.counts
    total = len(result.statuses)
    print(
        f"Rows read: {total:,}; valid: {counts.get(RowStatus.VALID, 0):,}; "
        f"with warnings: {counts.get(RowStatus.WARNING, 0):,}; "
        f"invalid: {counts.get(RowStatus.INVALID, 0):,}"
        + (
            f"; excluded: {counts[RowStatus.EXCLUDED]:,}"
            if counts.get(RowStatus.EXCLUDED, 0)
            else ""
        )
        + ".",
        file=out,
    )
    for problem in result.mapping_problems:
        print(f"Mapping problem: {printable(str(problem))}", file=out)
    if result.mapping_problems:
        print("No row can be sent until the mapping is complete (see --map).", file=out)
    groups = result.summary(10)
    if groups:
        print("Top problems:", file=out)
        for g in groups:
            rows = ", ".join(str(r) for r in g.rows[:10])
            more = ", ..." if g.count > len(g.rows[:10]) else ""
            field = f"{g.field}: " if g.field else ""
            what = g.headline() if g.mixed else str(g.example)
            print(
                f"  {g.severity.value:<7} {g.count:>7,} x {printable(field + what)}  "
                f"(rows {rows}{more})",
                file=out,
            )
            if g.mixed:  # different problems under one code: an example of each
                for example in g.examples:
                    print(f"{'':19}e.g. {printable(example)}", file=out)
