"""The exit codes of every ``zmed-upload`` command (one enum, documented in --help and README)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every valid row received (or valid, for validate) and none invalid
    ROWS = 1  # rows invalid, rejected or uncertain
    USAGE = 2  # the file, options, connection, credentials or journal cannot be used
    INTERRUPTED = 3  # stopped before the end: run the same command again to continue
    BUSY = 4  # another upload to the same meter is running
