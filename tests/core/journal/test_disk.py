"""A full disk, a read-only folder and a locked database: each its own sentence, nothing half-done.

Real file systems: tmpfs mounts of a fixed size, and read-only mounts (root ignores chmod).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.core.journal._helpers import new_upload
from zmed_gui.core.journal import (
    BatchStatus,
    EventStatus,
    Journal,
    JournalFull,
    JournalLocked,
    JournalReadOnly,
    set_aside_journal,
)


def _mount(*args: str) -> None:
    try:
        done = subprocess.run(["mount", *args], capture_output=True, text=True)
    except OSError as exc:  # no mount(8) at all
        pytest.skip(f"cannot mount here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (needs root in a machine that allows it): {done.stderr}")


@contextmanager
def mounted(*args: str, target: Path) -> Iterator[Path]:
    target.mkdir(exist_ok=True)
    _mount(*args, str(target))
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


def fill(folder: Path) -> Path:
    """Write a file until the disk has no byte left; returns it (delete it to free space)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def test_full_disk(tmp_path: Path) -> None:
    with mounted("-t", "tmpfs", "-o", "size=256k", "tmpfs", target=tmp_path / "disk") as disk:
        path = disk / "journal.sqlite3"
        with Journal(path) as j:
            hashes = [f"{i:064x}" for i in range(200)]
            new_upload(j, "u1", hashes)
            sent = j.begin_batch("u1", [0, 1], [2, 3])
            filler = fill(disk)

            with pytest.raises(JournalFull) as info:
                j.begin_batch("u1", list(range(2, 200)), list(range(4, 202)))
            assert str(info.value) == (
                f"The upload journal {path} cannot be written: the disk is full. Free some "
                "space and try again; nothing was sent that the journal did not record."
            )
            with pytest.raises(JournalFull):
                j.batch_attempt("u1", sent)  # the engine sends nothing when this raises
            with pytest.raises(JournalFull):
                j.acquire_lease("m|1", upload_desc="f.xlsx")

            # nothing half-written: the journal reads as before the failed writes
            assert [(b.seq, b.status, b.attempts) for b in j.batches("u1")] == [
                (1, BatchStatus.PENDING, 0)
            ]
            events = j.events("u1")
            assert {e.status for e in events} == {EventStatus.PENDING}
            assert [e.batch_seq for e in events[:3]] == [1, 1, None]

            filler.unlink()
            j.batch_attempt("u1", sent)  # space again: it goes on
            assert j.batches("u1")[0].status == BatchStatus.SENDING
        with Journal(path) as j:  # and what is on disk is whole
            assert j.batches("u1")[0].status == BatchStatus.SENDING


def test_no_journal_is_left_behind_when_the_disk_is_full(tmp_path: Path) -> None:
    with mounted("-t", "tmpfs", "-o", "size=256k", "tmpfs", target=tmp_path / "disk") as disk:
        filler = fill(disk)
        path = disk / "journal.sqlite3"
        with pytest.raises(JournalFull, match="the disk is full"):
            Journal(path)
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]  # no 0-byte journal
        filler.unlink()
        with Journal(path) as j:  # a later start makes a proper one
            assert j.list_uploads() == []


def test_read_only_folder_without_a_journal(tmp_path: Path) -> None:
    with mounted("-t", "tmpfs", "-o", "ro", "tmpfs", target=tmp_path / "ro") as folder:
        path = folder / "journal.sqlite3"
        with pytest.raises(JournalReadOnly) as info:
            Journal(path)
        assert str(info.value) == (
            f"The upload journal {path} cannot be written: the folder {folder} is read-only. "
            "Make it writable (or ask IT) and try again; nothing was sent that the journal "
            "did not record."
        )


def test_read_only_folder_with_a_journal(tmp_path: Path) -> None:
    src = tmp_path / "data"
    src.mkdir()
    with Journal(src / "journal.sqlite3") as j:
        new_upload(j, "u1", ["a"])
    view = tmp_path / "view"
    with mounted("--bind", str(src), target=view):
        _mount("-o", "remount,ro,bind", str(view))
        path = view / "journal.sqlite3"
        with pytest.raises(JournalReadOnly, match=f"the folder {view} is read-only"):
            Journal(path)
        with pytest.raises(JournalReadOnly):
            set_aside_journal(path)
        assert path.exists()


def test_locked_by_another_program(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path, busy_timeout=0.2) as j:
        new_upload(j, "u1", ["a", "b"])
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(JournalLocked) as info:
                j.begin_batch("u1", [0, 1], [2, 3])
            assert str(info.value) == (
                f"The upload journal {path} is locked by another program. Close other "
                "zmed-gui windows and zmed-upload commands using it (or wait for a backup or "
                "virus scan to finish) and try again; nothing was sent that the journal did "
                "not record."
            )
            with pytest.raises(JournalLocked):
                j.acquire_lease("m|1", upload_desc="f.xlsx")
            # reading still works (WAL), so history can be shown while another writes
            assert [e.status for e in j.events("u1")] == ["pending", "pending"]
            with Journal(path, busy_timeout=0.2) as second:
                assert [u.upload_id for u in second.list_uploads()] == ["u1"]
        finally:
            other.execute("ROLLBACK")
            other.close()
        j.begin_batch("u1", [0, 1], [2, 3])  # the lock is gone: it goes on
        assert [e.batch_seq for e in j.events("u1")] == [1, 1]


def test_a_closed_journal_says_so_in_a_sentence(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite3")
    j.close()
    with pytest.raises(Exception) as info:
        j.events("u1")
    assert type(info.value).__module__.startswith("zmed_gui.core.journal")
    assert "cannot be used" in str(info.value) and os.fspath(j.path) in str(info.value)
