"""The password of a password-protected workbook, for the command line: from the environment
variable ZMED_WORKBOOK_PASSWORD, or asked with a hidden prompt when the command runs in a
terminal; never an argument (other users could read it in the process list and it would
stay in the shell's history). It is passed to core for this read only: never stored,
printed or logged.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from zmed_gui.core.errors import SourceError
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.read import PasswordNeeded, load_table
from zmed_gui.core.table import Table

PASSWORD_ENV = "ZMED_WORKBOOK_PASSWORD"
PROMPT_TRIES = 3


def load_table_with_password(
    path: Path,
    sheet: str | int | None,
    header_row: int | None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    encoding: str | None = None,
) -> Table:
    """:func:`load_table`, asking for the workbook's password when it has one.

    Raises:
        SourceError: no password could be had, or the one given is wrong (saying how to
            give the right one).
    """
    password: str | None = None
    from_env = False
    asked = 0
    while True:
        try:
            return load_table(
                path,
                sheet,
                header_row,
                progress=progress,
                cancel=cancel,
                encoding=encoding,
                password=password,
            )
        except PasswordNeeded as exc:
            name = exc.file_name
            env = os.environ.get(PASSWORD_ENV, "")
            if password is None and env:
                password, from_env = env, True
                continue
            if from_env:
                raise SourceError(
                    f"The password in {PASSWORD_ENV} does not open {name}; set it to the "
                    "workbook's password (capital letters count) and run the command again."
                ) from None
            if not _interactive():
                raise SourceError(
                    f"{name} is protected with a password; set the environment variable "
                    f"{PASSWORD_ENV} to its password, or run the command in a terminal to be "
                    "asked for it."
                ) from None
            if asked == PROMPT_TRIES:
                raise SourceError(
                    f"The password for {name} was wrong {PROMPT_TRIES} times; check it "
                    "(capital letters count) and run the command again."
                ) from None
            if exc.wrong:
                print(f"The password for {name} is wrong; try again.", file=sys.stderr)
            password = _ask(name)
            asked += 1


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _ask(name: str) -> str:
    try:
        return getpass.getpass(f"Password for {name} (not shown): ")
    except EOFError:
        raise SourceError(
            f"No password was entered for {name}; run the command again and type it, or set "
            f"{PASSWORD_ENV}."
        ) from None
