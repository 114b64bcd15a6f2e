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
from zmed_gui.core.journal import MeterBusy
from zmed_gui.core.printable import printable

log = logging.getLogger("zmed_gui.cli")


# The module of each sub-command: a command line names one, and only that one is imported
# (all of them cost ~0.4 s of imports; `send` needs none of the others').
_MODULES = {
    "validate": "validate_cmd",
    "send": "send_cmd",
    "history": "send_cmd",
    "journal": "journal_cmd",
    "reconcile": "reconcile_cmd",
    "emulator": "emulator_cmd",
}
_ORDER = ("validate_cmd", "send_cmd", "journal_cmd", "reconcile_cmd", "emulator_cmd")


def _command_modules(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The sub-command modules to load: the one ``argv`` names, else all (help, errors)."""
    if argv is not None:
        for arg in argv:
            if arg in ("--help", "-h", "--version"):
                break
            if not arg.startswith("-"):
                module = _MODULES.get(arg)
                return (module,) if module else _ORDER
    return _ORDER


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the sub-command it names is loaded."""
    parser = argparse.ArgumentParser(
        prog="zmed-upload",
        description="Validate spreadsheets of usage data and upload them to Zuora Mediation.",
    )
    parser.add_argument("--version", action="version", version=f"zmed-upload {__version__}")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="also print log messages to stderr"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _command_modules(argv):
        importlib.import_module(f"zmed_gui.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        from zmed_gui.core.logs import setup_logging

        log_path = setup_logging(console=bool(args.verbose))
    except Exception:  # logging must never stop the command itself
        log_path = None
    try:
        code: int = args.func(args)
        return code
    except MeterBusy as exc:
        log.info("busy: %s", exc)
        print(f"zmed-upload: {printable(str(exc))}", file=sys.stderr)
        return ExitCode.BUSY
    except ZmedError as exc:
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
