"""Helpers for the tests that run ``zmed-upload`` as real processes (a module, not a conftest).

The emulator runs in the test process (:class:`~zmed_gui.emulator.Emulator`), so the tests
can count what it received; every ``zmed-upload`` under test is a separate process started
with ``python -m zmed_gui.cli`` and the demo secret in ``ZMED_CLIENT_SECRET``. It inherits
the test's isolated user folders (conftest sets XDG_* in ``os.environ``), so
:func:`~zmed_gui.core.paths.default_journal_path` here is the journal it uses.

Every wait is bounded: a process still running after its limit is killed and the test fails
with what it printed so far.
"""

from __future__ import annotations

import errno
import os
import re
import selectors
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import write_csv
from zmed_gui.core.journal import EventStatus, Journal, UploadRecord
from zmed_gui.core.paths import default_journal_path
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator

HEADER = ["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"]


# --------------------------------------------------------------------------- input


def customer(i: int) -> str:
    """The CustomerId of data row ``i`` (0-based) in :func:`usage_csv`."""
    return f"C{i:06d}"


def usage_csv(path: Path, rows: int, first: int = 0) -> Path:
    """A CSV of ``rows`` valid usage rows, customers ``C{first:06d}`` on, one event each."""
    data = [[customer(i), "api-calls", "2026-11-01T10:00:00Z", i % 100 + 1]
            for i in range(first, first + rows)]  # fmt: skip
    return write_csv(path, [HEADER, *data])


def all_ids(rows: int, first: int = 0) -> set[str]:
    return {customer(i) for i in range(first, first + rows)}


# --------------------------------------------------------------------------- commands


def cli(*args: str) -> list[str]:
    """``zmed-upload ARGS`` as this interpreter runs it."""
    return [sys.executable, "-m", "zmed_gui.cli", *args]


def at(base_url: str, meter: str = DEMO_METER_ID) -> list[str]:
    """Where to send: ``--base-url``, ``--meter`` and the demo client ID."""
    return ["--base-url", base_url, "--meter", meter, "--client-id", DEMO_CLIENT_ID]


def send(csv_path: Path, where: Sequence[str], *extra: str) -> list[str]:
    """``zmed-upload send CSV WHERE EXTRA`` (``where`` as :func:`at` gives it)."""
    return cli("send", str(csv_path), *where, *extra)


def env(**extra: str) -> dict[str, str]:
    """The test's environment plus the demo secret, unbuffered output and ``extra``."""
    return os.environ | {
        "ZMED_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@dataclass
class Ran:
    """A finished ``zmed-upload`` process: exit code, output, and when it ended."""

    args: list[str]
    code: int
    out: str
    err: str
    pid: int
    ended: float  # time.monotonic() when it was seen to end

    @property
    def text(self) -> str:
        return f"{self.out}\n{self.err}"

    def __str__(self) -> str:
        return (
            f"exit {self.code} (pid {self.pid}) of {' '.join(self.args[2:])}\n"
            f"--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"
        )

    def error_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.startswith("zmed-upload: ")]

    def the_error(self) -> str:
        """The one ``zmed-upload: <sentence>`` line on stderr, and nothing else there."""
        lines = [ln for ln in self.err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("zmed-upload: "), (
            f"expected one 'zmed-upload: <sentence>' line on stderr\n{self}"
        )
        return lines[0]

    def summary_count(self, name: str) -> int:
        """A count from the summary: ``summary_count("uncertain")`` reads ``uncertain: 1,500``."""
        m = re.search(rf"^\s*{re.escape(name)}: ([\d,]+)\s*$", self.out, re.M)
        assert m, f"no '{name}: N' line in the summary\n{self}"
        return int(m.group(1).replace(",", ""))


def run(args: list[str], timeout: float = 60, environ: dict[str, str] | None = None) -> Ran:
    """Run ``args`` to the end (at most ``timeout`` seconds)."""
    with started(args, environ) as proc:
        return finish(proc, timeout, "after it started")


@contextmanager
def started(
    args: list[str], environ: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``args`` running in the background; killed on the way out if still alive."""
    proc = subprocess.Popen(
        args, env=environ if environ is not None else env(), text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass


def finish(proc: subprocess.Popen[str], timeout: float, what: str = "") -> Ran:
    """Wait at most ``timeout`` s for ``proc``; if it is still running, kill it and fail."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        ran = _ran(proc, out, err)
        raise AssertionError(
            f"zmed-upload was still running {timeout:g} s {what}; killed it\n{ran}"
        ) from None
    return _ran(proc, out, err)


def _ran(proc: subprocess.Popen[str], out: str, err: str) -> Ran:
    args = [str(a) for a in proc.args] if isinstance(proc.args, list) else [str(proc.args)]
    return Ran(args, proc.returncode, out, err, proc.pid, time.monotonic())


def finish_all(procs: Sequence[subprocess.Popen[str]], timeout: float) -> list[Ran]:
    """Wait for all of ``procs`` (at most ``timeout`` s in all), noting when each ended."""
    deadline = time.monotonic() + timeout
    ended: dict[int, float] = {}
    while len(ended) < len(procs) and time.monotonic() < deadline:
        for i, p in enumerate(procs):
            if i not in ended and p.poll() is not None:
                ended[i] = time.monotonic()
        time.sleep(0.02)
    results = []
    for i, p in enumerate(procs):
        ran = finish(p, max(0.1, deadline - time.monotonic()), f"after the {len(procs)} started")
        ran.ended = ended.get(i, ran.ended)
        results.append(ran)
    return results


def signal_and_time(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> float:
    """Send ``sig`` to ``proc`` (if it is still alive) and return when it was sent."""
    if proc.poll() is None:
        proc.send_signal(sig)
    return time.monotonic()


def wait_until(
    check: Callable[[], bool],
    limit: float,
    what: str,
    proc: subprocess.Popen[str] | None = None,
) -> None:
    """Poll ``check`` until true; fail after ``limit`` s or as soon as ``proc`` has ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            ran = finish(proc, 10)
            raise AssertionError(f"zmed-upload ended before {what}\n{ran}")
        time.sleep(0.05)
    raise AssertionError(f"gave up after {limit:g} s waiting for {what}")


# --------------------------------------------------------------------------- the emulator


def calls(emu: Emulator) -> int:
    """Upload calls the emulator received (accepted, refused or dropped)."""
    return int(emu.stats()["calls"])


# --------------------------------------------------------------------------- the journal


def uploads() -> list[UploadRecord]:
    """Every upload in the journal, newest first (after the processes have ended)."""
    with Journal() as j:
        return j.list_uploads(1000)


def upload_ids_untouched() -> list[str]:
    """The journal's upload ids, read without recovering anything (a killed upload stays
    "running" for the next zmed-upload to find)."""
    db = sqlite3.connect(f"{default_journal_path().as_uri()}?mode=ro", uri=True)
    try:
        return [str(r[0]) for r in db.execute("SELECT id FROM uploads ORDER BY rowid")]
    finally:
        db.close()


def uncertain_ids(upload_id: str) -> set[str]:
    """Customers whose event the journal holds as uncertain in ``upload_id``."""
    with Journal() as j:
        return {customer(e.row) for e in j.events(upload_id) if e.status == EventStatus.UNCERTAIN}


def upload_id_of(ran: Ran) -> str:
    """The upload id a send printed in its summary."""
    m = re.search(r"^\s*upload id: (\S+)", ran.out, re.M)
    assert m, f"no 'upload id:' in the summary\n{ran}"
    return m.group(1)


def says_skipped_as_accepted(ran: Ran, n: int) -> bool:
    """The output says the ``n`` events were skipped as already accepted (in some words):
    a line counts ``n`` skipped, and the output says why (already accepted)."""
    counted = any(
        re.search(r"skip", ln, re.I) and re.search(rf"(?<![\d,]){n:,}(?![\d,])", ln)
        for ln in ran.out.splitlines()
    )
    return counted and re.search(r"already (been )?accepted", ran.out, re.I) is not None


# --------------------------------------------------------------------------- servers


class StallServer:
    """A socket on 127.0.0.1 that accepts connections and reads, and never writes a byte.

    ``received`` is everything any client sent; ``requests`` counts request heads seen.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port = int(self._listener.getsockname()[1])
        self.received = bytearray()
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="stall-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> int:
        with self._lock:
            return bytes(self.received).count(b"\r\n\r\n")

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        while not self._stop.is_set():
            for key, _ in sel.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    try:
                        conn, _ = self._listener.accept()
                    except BlockingIOError:
                        continue
                    conn.setblocking(False)
                    self._conns.append(conn)
                    with self._lock:
                        self.connections += 1
                    sel.register(conn, selectors.EVENT_READ)
                    continue
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:  # the client hung up; so do we
                    sel.unregister(sock)
                    sock.close()
                    continue
                with self._lock:
                    self.received += data
        sel.close()

    def __enter__(self) -> StallServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self._listener.close()


# --------------------------------------------------------------------------- small disks


def _sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


@contextmanager
def tmpfs(where: Path, size: str = "4m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at ``where`` (skips the test when mount fails)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    where.mkdir(parents=True, exist_ok=True)
    r = _sh("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}")
    try:
        yield where
    finally:
        if _sh("umount", str(where)).returncode != 0:
            _sh("umount", "-l", str(where))


def remount_read_only(where: Path) -> None:
    r = _sh("mount", "-o", "remount,ro", str(where))
    if r.returncode != 0:
        pytest.skip(f"cannot remount {where} read-only: {r.stderr.strip()}")
    probe = where / ".probe"
    try:
        probe.write_bytes(b"x")
    except OSError as exc:
        assert exc.errno == errno.EROFS
    else:  # pragma: no cover - the remount did not take
        probe.unlink()
        pytest.skip(f"{where} is still writable after remount,ro")


def fill_up(folder: Path) -> Path:
    """Write a file in ``folder`` until the file system has not one byte left."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        os.fsync(fd)
    finally:
        os.close(fd)
    return filler
