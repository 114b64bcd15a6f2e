"""Bounds on what reading a file may cost, checked before and while the native reader runs.

Before calamine sees a workbook (cheap, from the container alone):

- .xls (OLE2 compound file): parsed with olefile, then every sector chain (DIFAT,
  directory, mini FAT, mini stream and each stream) is walked once: a chain that loops or
  leaves the file, or a workbook stream shorter than it says, is refused. calamine follows
  such a chain for ever (a 1 KB file made it allocate 18 GB).
- .xlsx/.xlsm/.ods (zip): the members' declared sizes and compression ratios; a member
  inflating past :data:`MAX_INFLATED_BYTES`, or a big one inflating more than
  :data:`MAX_RATIO` times, is refused (a zip bomb).
- After the parse, before any row is built: Excel's own limits (1,048,576 rows, 16,384
  columns).

While reading (:class:`ReadGuard`): the memory the process gains and the time spent are
limited (4 GB and 60 s by default, well above Excel's largest real sheet; the environment
variables ZMED_READ_MEMORY_LIMIT (MB) and ZMED_READ_TIME_LIMIT (seconds) change them).
Python-side work (building rows, reading text) checks between chunks and stops with a
:class:`SourceError`. calamine's own parse cannot be interrupted: it runs in a worker thread
while the calling thread watches. Over time, the caller gets the sentence at once and the
parse is abandoned (it finishes in the background and its result is dropped). Over memory,
the process cannot free what the native code holds, so it ends at once with the sentence
on stderr and exit status 2 instead of swapping the machine to a halt or being killed by
the OOM killer without a word. (A separate reader process would survive that too, but
passing a million-row table back in pickled chunks made the 1,048,575-row read 1.5-1.6x as
slow, while these guards cost nothing measurable (0.9-1.0x the unguarded read); see
bench/bench_read_guard.py.)
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import olefile

from zmed_gui.core.errors import SourceError
from zmed_gui.core.progress import CancelToken

log = logging.getLogger(__name__)

T = TypeVar("T")

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767

MAX_INFLATED_BYTES = 2 * 1024**3
# Sheet XML of real data compresses 5-20x; only a run of one byte goes past a few hundred.
MAX_RATIO = 200
_RATIO_FROM_BYTES = 100 * 1024**2

# Excel's largest sheet (1,048,576 rows x 6 columns) peaks at 0.8 GB; a full-width one of
# 20 columns is near 2.5 GB. 4 GB keeps those readable and still stops a runaway parse.
DEFAULT_MEMORY_LIMIT_MB = 4096
DEFAULT_TIME_LIMIT_S = 60.0

_END_OF_CHAIN = 0xFFFFFFFE
_MAX_REGULAR = 0xFFFFFFFA


def _damaged(path: Path, why: str) -> SourceError:
    return SourceError(
        f"{path.name} is damaged or incomplete ({why}); open it in Excel and save it again, "
        "or ask the sender for a fresh copy."
    )


# ---------------------------------------------------------------------------------------
# Compound files (.xls)


def source(path: Path, data: bytes | None) -> str | io.BytesIO:
    """What zipfile and olefile open: the file, or the decrypted bytes of a protected one."""
    return str(path) if data is None else io.BytesIO(data)


def check_cfb(path: Path, data: bytes | None = None) -> None:
    """Refuses an OLE2 compound file whose sector chains loop or break (``data``: the
    decrypted bytes of a password-protected file, else the file is read).

    Raises:
        SourceError: the container is broken, saying so.
    """
    try:
        # olefile's default strictness (fatal defects only): quirks calamine reads past are
        # not refused here; what makes calamine run away is checked below.
        ole = olefile.OleFileIO(source(path, data))
    except Exception as exc:  # olefile raises OSError, OleFileError, struct.error, ...
        log.info("olefile refuses %s: %r", path, exc)
        raise _damaged(path, "its compound-file structure is broken") from None
    try:
        _check_chains(path, ole, data)
    finally:
        ole.close()


def _check_chains(path: Path, ole: olefile.OleFileIO, data: bytes | None) -> None:
    fat: list[int] = list(ole.fat)
    sector = int(ole.sectorsize)

    def walk(start: int, table: list[int], size: int | None, unit: int, what: str) -> None:
        seen: set[int] = set()
        s = start
        while s != _END_OF_CHAIN:
            if s > _MAX_REGULAR or s >= len(table):
                raise _damaged(path, f"the {what} points outside the file")
            if s in seen:
                raise _damaged(path, f"the {what} loops back on itself")
            seen.add(s)
            s = table[s]
        if size is not None and len(seen) * unit < size:
            raise _damaged(path, f"the {what} is shorter than its stream")

    # The DIFAT chain, as stored: each DIFAT sector's last entry is the next one.
    seen_difat: set[int] = set()
    s = int(ole.first_difat_sector)
    per = sector // 4
    data_end = os.path.getsize(path) if data is None else len(data)
    while s < _MAX_REGULAR and len(seen_difat) < int(ole.num_difat_sectors) + 1:
        if s in seen_difat or (s + 1) * sector + sector > data_end:
            raise _damaged(path, "its sector table chain loops or leaves the file")
        seen_difat.add(s)
        at = (s + 1) * sector + (per - 1) * 4
        if data is not None:
            s = int.from_bytes(data[at : at + 4], "little")
            continue
        with open(path, "rb") as f:
            f.seek(at)
            s = int.from_bytes(f.read(4), "little")
    walk(int(ole.first_dir_sector), fat, None, sector, "directory chain")
    if int(ole.num_mini_fat_sectors):
        walk(int(ole.first_mini_fat_sector), fat, None, sector, "mini sector table chain")
    if ole.minifat is None:
        try:
            ole.loadminifat()
        except Exception as exc:
            log.info("olefile cannot load the mini FAT of %s: %r", path, exc)
            raise _damaged(path, "its mini sector table is broken") from None
    minifat: list[int] = list(ole.minifat) if ole.minifat is not None else []
    cutoff = int(ole.minisectorcutoff)
    for i, entry in enumerate(ole.direntries):
        if entry is None:
            continue
        if i == 0:  # the root entry holds the mini stream
            if entry.isectStart != _END_OF_CHAIN:
                walk(entry.isectStart, fat, entry.size, sector, "mini stream chain")
        elif entry.entry_type == olefile.STGTY_STREAM and entry.size:
            # Any chain may loop; only the workbook stream must also be as long as it says.
            size = entry.size if entry.name in ("Workbook", "Book") else None
            if entry.size < cutoff:
                walk(entry.isectStart, minifat, size, int(ole.minisectorsize), "stream")
            else:
                walk(entry.isectStart, fat, size, sector, f"chain of stream {entry.name}")


# ---------------------------------------------------------------------------------------
# Zip packages (.xlsx, .xlsm, .ods)


def check_zip(path: Path, data: bytes | None = None) -> None:
    """Refuses a zip package whose members would inflate beyond what can be read
    (``data``: the decrypted bytes of a password-protected file).

    Raises:
        SourceError: a zip bomb, or a package too damaged to list.
    """
    try:
        with zipfile.ZipFile(source(path, data)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        log.info("cannot list the zip %s: %r", path, exc)
        raise SourceError(
            f"{path.name} is damaged or incomplete (perhaps a download or copy was cut "
            "short); open it in Excel and save it again, or ask the sender for a fresh copy."
        ) from None
    total = 0
    for m in members:
        total += m.file_size
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > MAX_INFLATED_BYTES or total > MAX_INFLATED_BYTES:
            raise SourceError(
                f"{path.name} would unpack to {total / 2**30:.1f} GB or more (its part "
                f"{m.filename} alone is {m.file_size / 2**30:.1f} GB), more than a workbook "
                f"can be read with ({MAX_INFLATED_BYTES // 2**30} GB); save only the data "
                "you need, or split it into smaller workbooks."
            )
        if m.file_size > _RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise SourceError(
                f"{path.name} is not a normal workbook: its part {m.filename} unpacks "
                f"{ratio:,.0f} times larger ({m.file_size / 2**20:,.0f} MB), which only "
                "a deliberately built file (a zip bomb) does; ask the sender for the real file."
            )


# calamine turns a sheet's cells into one dense block from its first to its last cell, about
# 32 bytes a cell: two cells at A1 and XFD1048576 (a 1 KB file) ask for 550 GB at once.
_BYTES_PER_CELL = 32
_SCAN_PART_BYTES = 8 * 1024**2
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br\s*=\s*[\"']([A-Za-z]{1,4})(\d{1,8})[\"']")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br\s*=\s*[\"'](\d{1,8})[\"']")


def check_sheet_extent(
    path: Path, sheet: str, memory_limit: int, data: bytes | None = None
) -> None:
    """For a small .xlsx sheet part (up to 8 MB of XML, scanned in milliseconds): refuses
    one whose cells span past Excel's limits or a block too big for memory, before calamine
    allocates it. A bigger part is left to calamine under the memory guard.

    Raises:
        SourceError: the sheet's extent cannot be read.
    """
    from zmed_gui.core.read._errorscan import sheet_part

    try:
        with zipfile.ZipFile(source(path, data)) as z:
            part = sheet_part(z, sheet)
            if part is None:
                return
            info = z.getinfo(part)
            if info.file_size > _SCAN_PART_BYTES:
                return
            with z.open(info) as fh:
                data = fh.read(_SCAN_PART_BYTES + 1)
    except Exception as exc:  # a broken part: calamine says so in its own words
        log.info("could not scan the extent of %s!%s: %r", path, sheet, exc)
        return
    rows: list[int] = [int(m.group(1)) for m in _ROW_REF.finditer(data)]
    cols: list[int] = []
    for m in _CELL_REF.finditer(data):
        rows.append(int(m.group(2)))
        col = 0
        for ch in m.group(1).upper():
            col = col * 26 + (ch - 64)
        cols.append(col)
    if not rows:
        return
    check_dimensions(path, sheet, max(rows), max(cols, default=1))
    cells = (max(rows) - min(rows) + 1) * (max(cols, default=1) - min(cols, default=1) + 1)
    if cells * _BYTES_PER_CELL > memory_limit:
        raise SourceError(
            f"Sheet '{sheet}' in {path.name} spans {cells:,} cells from its first to its last "
            f"cell, more than fit in memory ({_amount(memory_limit)}); delete the stray "
            "cells far from the data (Ctrl+End in Excel shows the last one) and save it again."
        )


def check_dimensions(path: Path, sheet: str, rows: int, columns: int) -> None:
    """Refuses a sheet reaching beyond Excel's last row or column (no real workbook does)."""
    if rows > EXCEL_MAX_ROWS:
        raise SourceError(
            f"Sheet '{sheet}' in {path.name} has {rows:,} rows, more than Excel's "
            f"{EXCEL_MAX_ROWS:,}; the file was not written by a spreadsheet program, so "
            "ask the sender for a workbook Excel can open."
        )
    if columns > EXCEL_MAX_COLUMNS:
        raise SourceError(
            f"Sheet '{sheet}' in {path.name} has {columns:,} columns, more than "
            f"Excel's {EXCEL_MAX_COLUMNS:,}; the file was not written by a spreadsheet "
            "program, so ask the sender for a workbook Excel can open."
        )


# ---------------------------------------------------------------------------------------
# Memory and time while reading


def _amount(limit: int) -> str:
    return f"{limit / 2**30:.1f} GB" if limit >= 2**30 else f"{limit / 2**20:.0f} MB"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("ignoring %s=%r (not a number)", name, raw)
        return default
    return value if value > 0 else default


def _rss_bytes() -> int:
    """Resident memory of this process now (Linux: /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except (ImportError, OSError):
        return 0


class ReadGuard(CancelToken):
    """Limits the memory gained and time spent reading one file.

    It is a :class:`CancelToken`: readers that check for Cancel between chunks check the
    limits too (and the user's own token, wrapped).
    """

    def __init__(self, path: Path, cancel: CancelToken | None = None) -> None:
        super().__init__()
        self.path = path
        self._user = cancel
        self.memory_limit = int(
            _env_number("ZMED_READ_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT_MB) * 1024 * 1024
        )
        self.time_limit = _env_number("ZMED_READ_TIME_LIMIT", DEFAULT_TIME_LIMIT_S)
        self._start = time.monotonic()
        self._base = _rss_bytes()

    def memory_sentence(self) -> str:
        return (
            f"{self.path.name} needs more than {_amount(self.memory_limit)} of memory "
            "to read, more than any real workbook; save only the sheet you need, or split it "
            "into smaller files."
        )

    def time_sentence(self) -> str:
        return (
            f"Reading {self.path.name} took more than {self.time_limit:g} seconds, much longer "
            "than Excel's largest sheet takes; save only the sheet you need as .xlsx or CSV, "
            "or split it into smaller files."
        )

    def over(self) -> str | None:
        """The sentence for a limit passed, or None."""
        if _rss_bytes() - self._base > self.memory_limit:
            return self.memory_sentence()
        if time.monotonic() - self._start > self.time_limit:
            return self.time_sentence()
        return None

    @property
    def cancelled(self) -> bool:
        return self._user is not None and self._user.cancelled

    def raise_if_cancelled(self) -> None:
        if self._user is not None:
            self._user.raise_if_cancelled()
        sentence = self.over()
        if sentence is not None:
            raise SourceError(sentence)

    def run_native(self, call: Callable[[], T]) -> T:
        """Runs ``call`` (native code that cannot be interrupted) in a worker thread and
        watches it: over time it is abandoned with a SourceError; over memory the process
        ends with the sentence (exit status 2), as nothing else can stop it."""
        box: list[T] = []
        failure: list[BaseException] = []

        def work() -> None:
            try:
                box.append(call())
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=work, name="zmed-native-read", daemon=True)
        worker.start()
        while True:
            worker.join(0.05)
            if not worker.is_alive():
                break
            if self._user is not None and self._user.cancelled:
                log.info("reading %s cancelled; the native parse finishes in background", self.path)
                self._user.raise_if_cancelled()
            if _rss_bytes() - self._base > self.memory_limit:
                _die(self.memory_sentence())
            if time.monotonic() - self._start > self.time_limit:
                log.warning("abandoning the native parse of %s (time limit)", self.path)
                raise SourceError(self.time_sentence())
        if failure:
            raise failure[0]
        return box[0]


def _die(sentence: str) -> None:
    """Ends the process with ``sentence``: native code is holding memory past the limit."""
    log.critical("stopping: %s", sentence)
    try:
        sys.stderr.write(sentence + "\n")
        sys.stderr.flush()
    finally:
        os._exit(2)
