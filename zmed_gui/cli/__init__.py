"""`zmed-upload`: the headless face of the core.

Sub-commands: ``validate`` (check a spreadsheet), ``send`` and ``history`` (upload to Zuora
and list earlier uploads), ``emulator`` (run the local Zuora Mediation stand-in).
Exit codes (:class:`~zmed_gui.cli.exitcodes.ExitCode`): 0 all good, 1 some rows invalid,
rejected or uncertain, 2 the file, options, connection, credentials or journal cannot be used
(one clear line on stderr), 3 interrupted (resumable), 4 another upload to the same meter is
running.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from zmed_gui import __version__
from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.printable import printable

log = logging.getLogger("zmed_gui.cli")

# Each command's module, in the order --help lists them. A command line that names one
# loads only its module: validate never imports the upload engine, httpx or openpyxl.
COMMANDS = {
    "validate": "validate_cmd",
    "send": "send_cmd",
    "history": "send_cmd",
    "journal": "journal_cmd",
    "reconcile": "reconcile_cmd",
    "emulator": "emulator_cmd",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with ``argv`` naming a command only of that one
    (the modules of the others are not imported then)."""
    parser = argparse.ArgumentParser(
        prog="zmed-upload",
        description="Validate spreadsheets of usage data and upload them to Zuora Mediation.",
    )
    parser.add_argument("--version", action="version", version=f"zmed-upload {__version__}")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="also print log messages to stderr"
    )
    named = _command(argv) if argv is not None else None
    modules = [COMMANDS[named]] if named is not None else list(dict.fromkeys(COMMANDS.values()))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in modules:
        importlib.import_module(f"zmed_gui.cli.{name}").add_parser(sub)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (its first word that is not an option), if known."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _is_busy(exc: ZmedError) -> bool:
    """Whether ``exc`` is the journal's MeterBusy (only raised once the journal is loaded,
    so the journal is not imported here just to name it)."""
    journal = sys.modules.get("zmed_gui.core.journal")
    return journal is not None and isinstance(exc, journal.MeterBusy)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    try:
        from zmed_gui.core.logs import setup_logging

        log_path = setup_logging(console=bool(args.verbose))
    except Exception:  # logging must never stop the command itself
        log_path = None
    try:
        code: int = args.func(args)
        return code
    except ZmedError as exc:
        if _is_busy(exc):
            log.info("busy: %s", exc)
            print(f"zmed-upload: {printable(str(exc))}", file=sys.stderr)
            return ExitCode.BUSY
        log.info("stopped: %s", exc)
        print(f"zmed-upload: {printable(str(exc))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("zmed-upload: interrupted.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception:
        log.exception("unexpected error")
        where = f" Details are in the log file {log_path}." if log_path else ""
        print(f"zmed-upload: something went wrong inside zmed-upload.{where}", file=sys.stderr)
        return ExitCode.USAGE
