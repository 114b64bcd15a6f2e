"""Telling a dead process from a live one, and recovering the uploads dead ones left.

A batch is committed as ``sending`` *before* its request leaves and updated after the
answer. If the process dies in between, :func:`recover` turns ``sending`` into
``uncertain`` (the request may have arrived): such events are never resent silently.
"""

from __future__ import annotations

import os
import sys
import time

from zmed_gui.core.journal._database import _Database
from zmed_gui.core.journal._records import (
    HEARTBEAT_STALE_SECONDS,
    BatchStatus,
    EventStatus,
    UploadStatus,
    utc_now,
)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this computer (a zombie counts as dead)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: a killed process not yet reaped by its parent still answers kill(0)
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def recover(db: _Database, host: str) -> int:
    """Mark uploads whose process died as interrupted; their ``sending`` -> ``uncertain``.

    Returns how many uploads were recovered.
    """
    rows = db.query("SELECT id, pid, host, heartbeat FROM uploads WHERE status=?", ("running",))
    dead: list[str] = []
    for uid, pid, their_host, beat in rows:
        if their_host == host and isinstance(pid, int):
            alive = pid_alive(pid)
        else:
            alive = isinstance(beat, float) and time.time() - beat < HEARTBEAT_STALE_SECONDS
        if not alive:
            dead.append(str(uid))
    for uid in dead:
        with db.tx() as c:
            n = c.execute(
                "UPDATE events SET status=?, message=? WHERE upload=(SELECT num FROM"
                " upload_keys WHERE id=?) AND status=?",
                (
                    EventStatus.UNCERTAIN,
                    "Sent when the program stopped; Zuora's answer is unknown.",
                    uid,
                    EventStatus.SENDING,
                ),
            ).rowcount
            c.execute(
                "UPDATE batches SET status=?, message=? WHERE upload_id=? AND status=?",
                (
                    BatchStatus.UNCERTAIN,
                    "The program stopped before Zuora answered.",
                    uid,
                    BatchStatus.SENDING,
                ),
            )
            msg = "The program stopped before the upload finished"
            msg += f"; {n} events were being sent and are uncertain." if n else "."
            c.execute(
                "UPDATE uploads SET status=?, message=?, ended=?, pid=NULL WHERE id=? AND status=?",
                (UploadStatus.INTERRUPTED, msg, utc_now(), uid, UploadStatus.RUNNING),
            )
    return len(dead)
