"""Recovery of dead uploads: a ``running`` upload whose process is gone becomes interrupted.

A batch is committed as ``sending`` *before* its request leaves and updated after the
answer. If the process dies in between, :meth:`JournalRecovery.recover` turns ``sending``
into ``uncertain`` (the request may have arrived): such events are never resent silently.
"""

from __future__ import annotations

import os
import sys
import time

from zmed_gui.core.journal._schema import (
    HEARTBEAT_STALE_SECONDS,
    SENDING,
    UNCERTAIN,
    JournalStore,
    UploadRecord,
    utc_now,
)


def _pid_alive(pid: int) -> bool:
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
    return True


class JournalRecovery(JournalStore):
    """Finding uploads that stopped before finishing, and marking them so."""

    def recover(self) -> int:
        """Mark uploads whose process died as interrupted; their ``sending`` -> ``uncertain``.

        Returns how many uploads were recovered.
        """
        rows = self._query("SELECT id, pid, host, heartbeat FROM uploads WHERE status='running'")
        dead: list[str] = []
        for uid, pid, host, beat in rows:
            if host == self._host and isinstance(pid, int):
                alive = _pid_alive(pid)
            else:
                alive = isinstance(beat, float) and time.time() - beat < HEARTBEAT_STALE_SECONDS
            if not alive:
                dead.append(str(uid))
        for uid in dead:
            with self._tx() as db:
                n = db.execute(
                    "UPDATE events SET status=?, message=? WHERE upload_id=? AND status=?",
                    (
                        UNCERTAIN,
                        "Sent when the program stopped; Zuora's answer is unknown.",
                        uid,
                        SENDING,
                    ),
                ).rowcount
                db.execute(
                    "UPDATE batches SET status=?, message=? WHERE upload_id=? AND status=?",
                    (UNCERTAIN, "The program stopped before Zuora answered.", uid, SENDING),
                )
                msg = "The program stopped before the upload finished"
                msg += f"; {n} events were being sent and are uncertain." if n else "."
                db.execute(
                    "UPDATE uploads SET status='interrupted', message=?, ended=?, pid=NULL"
                    " WHERE id=? AND status='running'",
                    (msg, utc_now(), uid),
                )
        return len(dead)

    def find_interrupted_uploads(self) -> list[UploadRecord]:
        """Uploads that stopped before finishing (cancel, crash, power or network loss)."""
        self.recover()
        rows = self._query(
            f"SELECT {self._COLS} FROM uploads WHERE status IN ('interrupted', 'failed')"
            " ORDER BY started DESC, rowid DESC"
        )
        return [r for r in (self._record(row) for row in rows) if r.pending or r.uncertain]

    def find_resumable(self, fingerprint: str, meter_key: str) -> UploadRecord | None:
        """The newest interrupted upload of the same file/sheet/mapping to the same meter."""
        for rec in self.find_interrupted_uploads():
            if rec.fingerprint == fingerprint and rec.meter_key == meter_key:
                return rec
        return None
