"""One upload per meter at a time, across real processes: races, kills, waits, stale clocks."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from zmed_gui.core.errors import Cancelled
from zmed_gui.core.journal import Journal, LeaseLost, MeterBusy
from zmed_gui.core.journal import _lease as lease_module
from zmed_gui.core.progress import CancelToken

KEY = "https://rest.zuora.com|8a1b"

# A holder in its own process: takes the lease, says so, then sleeps until killed.
HOLDER = """
import sys, time
from itertools import pairwise
from pathlib import Path
from zmed_gui.core.journal import Journal
skew = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
if skew:  # this process's clock is off (a clock jump): its heartbeats look stale
    real = time.time
    time.time = lambda: real() + skew
j = Journal(Path(sys.argv[1]))
lease = j.acquire_lease(sys.argv[2], upload_desc="usage.xlsx, sheet 'May'", program="zmed-upload")
lease.start(interval=0.2)
print("held", flush=True)
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 120)
lease.release()
print("released", flush=True)
"""


def start_holder(path: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), KEY, *args], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_busy_names_the_running_upload_then_free_after_release(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    proc = start_holder(path)
    try:
        with Journal(path) as j:
            with pytest.raises(MeterBusy) as info:
                j.acquire_lease(KEY, upload_desc="other.xlsx")
            text = str(info.value)
            assert text.startswith(
                "Another upload to this meter is running: usage.xlsx, sheet 'May' started at "
            )
            assert f"by zmed-upload (process {proc.pid}) on this computer." in text
            assert "Wait for it to finish (or use --wait)" in text
            assert (info.value.pid, info.value.program) == (proc.pid, "zmed-upload")
            assert info.value.upload_desc == "usage.xlsx, sheet 'May'"
            # another meter is not held
            j.acquire_lease(KEY + "x", upload_desc="other.xlsx").release()
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    proc = start_holder(path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Journal(path) as j:
        t0 = time.monotonic()
        with j.acquire_lease(KEY, upload_desc="next.xlsx") as lease:
            assert time.monotonic() - t0 < 2
            assert lease.meter_key == KEY


def test_a_killed_holder_not_yet_reaped_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    proc = start_holder(path)
    os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.3)  # a zombie now: kill(pid, 0) still succeeds
    try:
        with Journal(path) as j:
            j.acquire_lease(KEY, upload_desc="next.xlsx").release()
    finally:
        proc.wait()


def test_wait_gets_it_after_release(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    proc = start_holder(path, "0", "1.5")  # holds 1.5 s, then releases
    try:
        with Journal(path) as j:
            t0 = time.monotonic()
            with j.acquire_lease(KEY, upload_desc="next.xlsx", wait=True):
                waited = time.monotonic() - t0
        assert proc.stdout is not None and proc.stdout.readline() == "released\n"
        assert 0.5 < waited < 10
    finally:
        proc.kill()
        proc.wait()


def test_wait_honours_cancel(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    proc = start_holder(path)
    cancel = CancelToken()
    timer = threading.Timer(0.4, cancel.cancel)
    try:
        with Journal(path) as j:
            timer.start()
            t0 = time.monotonic()
            with pytest.raises(Cancelled):
                j.acquire_lease(KEY, upload_desc="next.xlsx", wait=True, cancel=cancel)
            assert time.monotonic() - t0 < 2
    finally:
        timer.join()
        proc.kill()
        proc.wait()


def test_two_processes_racing_never_hold_it_together(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    log = tmp_path / "holds.log"
    Journal(path).close()
    racer = """
import os, random, sys, time
from itertools import pairwise
from pathlib import Path
from zmed_gui.core.journal import Journal, MeterBusy
j = Journal(Path(sys.argv[1]))
go = float(sys.argv[3])
while time.time() < go:
    pass
held = 0
with open(sys.argv[2], "a", buffering=1) as out:
    while held < 25:
        try:
            lease = j.acquire_lease("m|race", upload_desc="race")
        except MeterBusy:
            time.sleep(0.001)
            continue
        out.write(f"S {os.getpid()} {time.monotonic_ns()}\\n")
        time.sleep(0.005)
        out.write(f"E {os.getpid()} {time.monotonic_ns()}\\n")
        lease.release()
        held += 1
        time.sleep(random.random() * 0.004)  # let the other one in now and then
j.close()
"""
    go = str(time.time() + 1.5)
    procs = [
        subprocess.Popen([sys.executable, "-c", racer, str(path), str(log), go]) for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == 2 * 2 * 25
    holder = None
    last_end = 0
    for kind, pid, ns in lines:
        if kind == "S":
            assert holder is None, "two processes held the meter at once"
            assert int(ns) >= last_end  # intervals do not overlap
            holder = pid
        else:
            assert holder == pid
            holder, last_end = None, int(ns)
    assert {pid for _, pid, _ in lines} == {str(p.pid) for p in procs}
    starts = [pid for kind, pid, _ in lines if kind == "S"]
    assert sum(a != b for a, b in pairwise(starts)) >= 3  # they did race


def test_a_stale_lease_of_a_live_pid_is_taken_over_after_watching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder died and its pid now belongs to another program: staleness decides."""
    monkeypatch.setattr(lease_module, "CONFIRM_SECONDS", 1.0)
    path = tmp_path / "journal.sqlite3"
    Journal(path).close()
    other = subprocess.Popen(["sleep", "60"])  # the program that got the pid
    try:
        with sqlite3.connect(path) as db:
            old = time.time() - 3600
            db.execute(
                "INSERT INTO leases VALUES(?, 'dead', ?, ?, 'zmed-upload', ?, ?, 'old', NULL)",
                (KEY, other.pid, socket.gethostname(), old, old),
            )
        db.close()
        with Journal(path) as j:
            t0 = time.monotonic()
            j.acquire_lease(KEY, upload_desc="next.xlsx").release()
            assert 0.9 < time.monotonic() - t0 < 5
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize("skew", ["-3600", "3600"])
def test_a_beating_holder_with_a_jumped_clock_is_not_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skew: str
) -> None:
    monkeypatch.setattr(lease_module, "CONFIRM_SECONDS", 1.5)
    path = tmp_path / "journal.sqlite3"
    proc = start_holder(path, skew)
    try:
        with Journal(path) as j, pytest.raises(MeterBusy):
            j.acquire_lease(KEY, upload_desc="next.xlsx")
    finally:
        proc.kill()
        proc.wait()


def test_beat_release_and_a_lease_lost(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as a, Journal(path) as b:
        lease = a.acquire_lease(KEY, upload_desc="a.xlsx", program="zmed-gui")
        lease.attach_upload("u-123", "a.xlsx, sheet 'June'")
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT upload_id, upload_desc, program FROM leases").fetchone()
            assert row == ("u-123", "a.xlsx, sheet 'June'", "zmed-gui")
            before = db.execute("SELECT heartbeat FROM leases").fetchone()[0]
            lease.start(interval=0.05)
            time.sleep(0.3)
            lease.stop()
            assert db.execute("SELECT heartbeat FROM leases").fetchone()[0] > before
            # make our lease look dead (a pid that has exited), so b takes it over
            exited = subprocess.Popen([sys.executable, "-c", "pass"])
            exited.wait()
            db.execute("UPDATE leases SET pid=?", (exited.pid,))
        db.close()
        taken = b.acquire_lease(KEY, upload_desc="b.xlsx")
        with pytest.raises(LeaseLost, match="lost its hold on the meter"):
            lease.beat()
        lease.release()  # deletes only its own row: b still holds the meter
        with pytest.raises(MeterBusy, match=r"b\.xlsx"):
            a.acquire_lease(KEY, upload_desc="a again")
        taken.release()
        a.acquire_lease(KEY, upload_desc="a again").release()


def test_background_beat_notices_a_takeover(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        lease = j.acquire_lease(KEY, upload_desc="a.xlsx").start(interval=0.05)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE leases SET token='someone else'")
        db.close()
        time.sleep(0.3)
        with pytest.raises(LeaseLost):
            lease.check()
        lease.release()


def test_closing_the_journal_releases_its_leases(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.acquire_lease(KEY, upload_desc="a.xlsx").start(interval=0.05)
    assert not [t for t in threading.enumerate() if t.name == "zmed-lease-beat"]
    with Journal(path) as j:
        j.acquire_lease(KEY, upload_desc="b.xlsx").release()
