"""One upload per meter at a time, across the user's processes: the ``leases`` table.

A lease is taken inside ``BEGIN IMMEDIATE``, so two processes can never both see the meter
free. A holder beats (refreshes its heartbeat); a lease is taken over only from a holder
that is surely gone:

- same computer and its process is not running: at once;
- otherwise a heartbeat older than :data:`HEARTBEAT_STALE_SECONDS` (or as far in the future:
  a clock jump) is only a suspicion. The taker watches the row for
  :data:`CONFIRM_SECONDS` (a few beats, on the monotonic clock): a holder that beats in
  that time is alive whatever the clocks say; a silent one is dead, or its pid was reused
  by another program. The takeover checks the row is unchanged, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from enum import Enum, auto
from pathlib import Path
from types import TracebackType
from typing import Self

from zmed_gui.core.journal._database import _Database
from zmed_gui.core.journal._errors import JournalError, LeaseLost, MeterBusy
from zmed_gui.core.journal._records import HEARTBEAT_STALE_SECONDS
from zmed_gui.core.journal._recovery import pid_alive
from zmed_gui.core.progress import CancelToken

log = logging.getLogger(__name__)

BEAT_SECONDS = 5.0
CONFIRM_SECONDS = 2.5 * BEAT_SECONDS
POLL_SECONDS = 0.5

_COLS = "token, pid, host, program, started, heartbeat, upload_desc"


def program_name() -> str:
    """The running program as a user knows it: ``zmed-upload``, ``zmed-gui``..."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name and name not in ("-c", "-m") else "python"


@dataclass(frozen=True)
class _Holder:
    token: str
    pid: int
    host: str
    program: str
    started: float
    heartbeat: float
    upload_desc: str

    def busy(self, my_host: str) -> MeterBusy:
        local = dt.datetime.fromtimestamp(self.started).astimezone()
        where = "this computer" if self.host == my_host else self.host
        return MeterBusy(
            f"Another upload to this meter is running: {self.upload_desc} started at "
            f"{local:%Y-%m-%d %H:%M} by {self.program} (process {self.pid}) on {where}. "
            "Wait for it to finish (or use --wait), then start this one again; nothing was "
            "sent.",
            upload_desc=self.upload_desc,
            program=self.program,
            pid=self.pid,
            host=self.host,
        )


class _Verdict(Enum):
    LIVE = auto()
    DEAD = auto()
    DOUBTFUL = auto()


class _Watch:
    """What a taker saw of doubtful holders: token -> (heartbeat, monotonic time first seen)."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[float, float]] = {}

    def judge(self, h: _Holder, my_host: str) -> _Verdict:
        if h.host == my_host and not pid_alive(h.pid):
            return _Verdict.DEAD
        if abs(time.time() - h.heartbeat) <= HEARTBEAT_STALE_SECONDS:
            return _Verdict.LIVE
        now = time.monotonic()
        first = self.seen.get(h.token)
        if first is None or first[0] != h.heartbeat:
            self.seen[h.token] = (h.heartbeat, now)
            # It beat while we watched: alive, only the clocks disagree.
            return _Verdict.DOUBTFUL if first is None else _Verdict.LIVE
        return _Verdict.DEAD if now - first[1] >= CONFIRM_SECONDS else _Verdict.DOUBTFUL


class MeterLease:
    """This process's right to send to one meter; :meth:`release` (or ``with``) gives it up.

    :meth:`start` beats from a daemon thread, so a long dialog or a blocked loop never lets
    the lease go stale; :meth:`check` raises :class:`LeaseLost` if it was taken over anyway.
    """

    def __init__(self, db: _Database, meter_key: str, token: str, upload_desc: str) -> None:
        self.meter_key = meter_key
        self.upload_desc = upload_desc
        self._db = db
        self._token = token
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost: LeaseLost | None = None
        self.released = False

    def beat(self) -> None:
        """Refresh the heartbeat; raises :class:`LeaseLost` if the row is not ours any more."""
        with self._db.tx() as c:
            n = c.execute(
                "UPDATE leases SET heartbeat=? WHERE meter_key=? AND token=?",
                (time.time(), self.meter_key, self._token),
            ).rowcount
        if n == 0:
            self._lost = LeaseLost(
                f"This upload ({self.upload_desc}) lost its hold on the meter: another "
                "upload took it over because this one gave no sign of life for a minute. "
                "It stopped; check the history, then resume it."
            )
            raise self._lost

    def attach_upload(self, upload_id: str, upload_desc: str | None = None) -> None:
        """Record the upload id (known only once planned) and, optionally, a better desc."""
        if upload_desc is not None:
            self.upload_desc = upload_desc
        with self._db.tx() as c:
            c.execute(
                "UPDATE leases SET upload_id=?, upload_desc=? WHERE meter_key=? AND token=?",
                (upload_id, self.upload_desc, self.meter_key, self._token),
            )

    def check(self) -> None:
        """Raise :class:`LeaseLost` if the background beat found the lease taken over."""
        if self._lost is not None:
            raise self._lost

    def start(self, interval: float = BEAT_SECONDS) -> Self:
        """Beat every ``interval`` seconds from a daemon thread until :meth:`stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(interval,), name="zmed-lease-beat", daemon=True
            )
            self._thread.start()
        return self

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.beat()
            except LeaseLost:
                log.warning("meter lease %s was taken over", self.meter_key)
                return
            except JournalError as exc:  # locked or full for a moment: try next beat
                log.warning("meter lease %s: %s", self.meter_key, exc)

    def stop(self) -> None:
        """Stop the background beat (the lease stays held)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def release(self) -> None:
        """Give the meter up; deletes only our own row (a taken-over lease is left alone)."""
        self.stop()
        if self.released:
            return
        with self._db.tx() as c:
            c.execute(
                "DELETE FROM leases WHERE meter_key=? AND token=?", (self.meter_key, self._token)
            )
        self.released = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def acquire(
    db: _Database,
    my_host: str,
    meter_key: str,
    *,
    upload_desc: str,
    program: str | None,
    wait: bool,
    cancel: CancelToken | None,
) -> MeterLease:
    """Take the meter's lease (see :meth:`Journal.acquire_lease`)."""
    watch = _Watch()
    token = secrets.token_hex(16)
    prog = program or program_name()
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        with db.tx() as c:
            row = c.execute(f"SELECT {_COLS} FROM leases WHERE meter_key=?", (meter_key,))
            found = row.fetchone()
            holder = None if found is None else _Holder(*found)
            verdict = _Verdict.DEAD if holder is None else watch.judge(holder, my_host)
            if verdict is _Verdict.DEAD:
                if holder is not None:
                    log.warning(
                        "taking over the lease on %s from %s (process %s on %s)",
                        meter_key,
                        holder.program,
                        holder.pid,
                        holder.host,
                    )
                    c.execute(
                        "DELETE FROM leases WHERE meter_key=? AND token=?",
                        (meter_key, holder.token),
                    )
                now = time.time()
                c.execute(
                    "INSERT INTO leases(meter_key, token, pid, host, program, started,"
                    " heartbeat, upload_desc) VALUES(?,?,?,?,?,?,?,?)",
                    (meter_key, token, os.getpid(), my_host, prog, now, now, upload_desc),
                )
        if verdict is _Verdict.DEAD:
            return MeterLease(db, meter_key, token, upload_desc)
        if verdict is _Verdict.LIVE and not wait and holder is not None:
            raise holder.busy(my_host)
        deadline = time.monotonic() + POLL_SECONDS
        while time.monotonic() < deadline:
            if cancel is not None:
                cancel.raise_if_cancelled()
            time.sleep(0.05)
