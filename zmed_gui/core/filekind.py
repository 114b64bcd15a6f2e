"""Only regular files are inputs: a folder, device, pipe or socket named where a file is
expected gets a sentence saying what it is, and opening never blocks (a FIFO without a
writer would hang a plain ``open``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def not_a_file(mode: int) -> str | None:
    """What a non-regular file is ("a folder", "a device", ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def kind_sentence(name: str, what: str, choose: str) -> str:
    """The sentence for a path that is ``what`` (from :func:`not_a_file`)."""
    if what == "a folder":
        return f"{name} is a folder, not a file; {choose} inside it."
    return f"{name} is {what}, not a file; {choose} itself."


def open_regular(path: Path) -> tuple[BinaryIO, os.stat_result] | tuple[None, str]:
    """Opens ``path`` for reading without blocking and checks what it is.

    Returns (file, stat) for a regular file, or (None, what) for anything else.

    Raises:
        OSError: it cannot be opened (missing, no permission, ...).
    """
    try:
        st = os.stat(path)
    except OSError:
        raise
    what = not_a_file(st.st_mode)
    if what is not None:
        return None, what
    # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open still returns.
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    try:
        st = os.fstat(fd)
        what = not_a_file(st.st_mode)
        if what is not None:
            os.close(fd)
            return None, what
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        try:
            os.close(fd)
        except OSError:
            pass
        raise


def _umask() -> int:
    """The process's umask, read without changing it where the system tells it."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc (macOS): set and put back at once
    os.umask(mask)
    return mask


def give_user_file_mode(path: Path) -> None:
    """Give a file made by ``tempfile.mkstemp`` (owner-only 0600) the mode a file the user
    saves normally gets (0666 less the umask): for reports the user opens and shares, not
    for the journal or secrets, which stay 0600. Does nothing on Windows."""
    if os.name == "nt":
        return
    os.chmod(path, 0o666 & ~_umask())
