"""The SQLite journal: WAL, status before/after each request, recovery of dead uploads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.core.journal._helpers import new_upload
from zmed_gui.core.journal import (
    BatchStatus,
    EventStatus,
    Journal,
    UploadStatus,
    find_interrupted_uploads,
)
from zmed_gui.core.paths import default_journal_path


def test_default_path_is_in_user_data_dir(tmp_path: Path) -> None:
    path = default_journal_path()
    assert path.name == "journal.sqlite3" and "zmed-gui" in str(path)
    with Journal() as j:
        assert j.path == path
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_batch_lifecycle(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        new_upload(j, "u1", ["a", "b", "c"])
        seq = j.begin_batch("u1", [0, 1], [2, 3])
        assert [e.batch_seq for e in j.events("u1")] == [seq, seq, None]
        assert j.batches("u1")[0].status == "pending"
        j.batch_attempt("u1", seq)
        # committed before the request: another connection sees "sending"
        with Journal(tmp_path / "j.db") as other:
            assert [e.status for e in other.events("u1")] == ["sending", "sending", "pending"]
            assert other.batches("u1")[0].status == "sending"
        j.end_batch("u1", seq, BatchStatus.ACCEPTED, request_id="rq-1", track_echo="t-1")
        seq2 = j.begin_batch("u1", [2], [4])
        j.batch_attempt("u1", seq2)
        j.end_batch("u1", seq2, BatchStatus.UNCERTAIN, message="no answer")
        events = j.events("u1")
        assert [e.status for e in events] == ["accepted", "accepted", "uncertain"]
        assert events[0].request_id == "rq-1" and events[2].message == "no answer"
        batches = j.batches("u1")
        assert [(b.seq, b.status, b.events, b.excel_rows, b.attempts) for b in batches] == [
            (1, "accepted", 2, [2, 3], 1),
            (2, "uncertain", 1, [4], 1),
        ]
        j.finish_upload("u1", UploadStatus.COMPLETED, "done")
        rec = j.get_upload("u1")
        assert rec is not None and rec.status == "completed" and rec.accepted == 2
        assert rec.uncertain == 1 and rec.events_total == 3
        assert [r.upload_id for r in j.list_uploads()] == ["u1"]


def test_split_returns_events_to_pending(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        new_upload(j, "u1", ["a", "b"])
        seq = j.begin_batch("u1", [0, 1], [2, 3])
        j.end_batch("u1", seq, BatchStatus.SPLIT, message="HTTP 413")
        assert [e.status for e in j.events("u1")] == ["pending", "pending"]


def test_prior_statuses_and_resent(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        new_upload(j, "u1", ["a", "b", "c"])
        j.end_batch("u1", j.begin_batch("u1", [0, 1], [2, 3]), BatchStatus.ACCEPTED)
        j.end_batch("u1", j.begin_batch("u1", [2], [4]), BatchStatus.UNCERTAIN)
        new_upload(j, "u2", ["a"], meter="m|2")
        j.end_batch("u2", j.begin_batch("u2", [0], [2]), BatchStatus.ACCEPTED)
        found = j.prior_statuses("m|1", ["a", "c", "z"])
        assert found == {"a": [("accepted", "u1")], "c": [("uncertain", "u1")]}
        assert j.prior_statuses("m|1", ["a"], exclude_upload="u1") == {}
        j.mark_resent("m|1", {"c": 1}, by_upload="u3")
        assert j.events("u1")[2].status == EventStatus.RESENT
        assert j.prior_statuses("m|1", ["c"]) == {}


def test_dead_process_upload_is_recovered_as_uncertain(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        new_upload(j, "u1", ["a", "b", "c", "d"])
        seq = j.begin_batch("u1", [0, 1], [2, 3])
        j.batch_attempt("u1", seq)
        j.begin_batch("u1", [3], [5])  # waiting for the rate limit: never left
        # pretend a process that has exited owned the upload
        proc = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        with sqlite3.connect(path) as other:
            other.execute("UPDATE uploads SET pid=? WHERE id='u1'", (int(proc.stdout),))
    with Journal(path) as j:
        interrupted = find_interrupted_uploads(j)
        assert [u.upload_id for u in interrupted] == ["u1"]
        rec = interrupted[0]
        assert rec.status == "interrupted" and rec.uncertain == 2 and rec.pending == 2
        assert "2 events were being sent and are uncertain" in rec.message
        assert [b.status for b in j.batches("u1")] == ["uncertain", "pending"]
        assert j.find_resumable("fp", "m|1") is not None
        assert j.find_resumable("fp", "m|9") is None


def test_live_upload_is_not_recovered(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        new_upload(j, "u1", ["a"])
        j.batch_attempt("u1", j.begin_batch("u1", [0], [2]))
        assert j.recover() == 0
        assert j.find_interrupted_uploads() == []
        assert j.events("u1")[0].status == EventStatus.SENDING


def test_threads_share_one_journal(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        new_upload(j, "u1", [f"h{i}" for i in range(400)])

        def work(start: int) -> None:
            for k in range(start, start + 100, 10):
                seq = j.begin_batch("u1", list(range(k, k + 10)), list(range(k, k + 10)))
                j.batch_attempt("u1", seq)
                j.end_batch("u1", seq, BatchStatus.ACCEPTED)

        threads = [threading.Thread(target=work, args=(s,)) for s in (0, 100, 200, 300)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert {e.status for e in j.events("u1")} == {"accepted"}
        assert sorted(b.seq for b in j.batches("u1")) == list(range(1, 41))


# What every upload created in the column tests below is recorded with.
UPLOAD_META: dict[str, str] = dict(
    file_name="f.csv",
    sheet="s",
    fingerprint="fp",
    connection="",
    meter_url="https://x/usage/bulk/m",
    meter_key="mk",
    track_id="t",
)


def test_events_given_as_columns_are_recorded_as_tuples_are(tmp_path: Path) -> None:
    """create_upload(columns=..., marks=...) (what the sender uses: its loop in C) writes
    the same rows as the tuples of each event."""
    import hashlib

    import pytest

    n = 7
    digests = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
    marks = {2: (EventStatus.SKIPPED, "Already received by upload x."), 5: (EventStatus.HELD, "h")}
    common = UPLOAD_META
    with Journal(tmp_path / "j.sqlite3") as j:
        j.create_upload(
            upload_id="tuples",
            events=[
                (p, 10 + p, 12 + p, digests[p], *marks.get(p, (EventStatus.PENDING, "")))
                for p in range(n)
            ],
            **common,
        )
        j.create_upload(
            upload_id="columns",
            columns=([10 + p for p in range(n)], [12 + p for p in range(n)], digests),
            marks=marks,
            **common,
        )
        a, b = j.events("tuples"), j.events("columns")
        assert [(e.pos, e.row, e.excel_row, e.hash, e.status, e.message) for e in a] == [
            (e.pos, e.row, e.excel_row, e.hash, e.status, e.message) for e in b
        ]
        assert [e.status for e in b].count(EventStatus.PENDING) == n - 2
        with pytest.raises(ValueError):
            j.create_upload(upload_id="short", columns=([1], [2, 3], digests[:1]), **common)
        with pytest.raises(ValueError):
            j.create_upload(
                upload_id="bad", columns=([1], [2], digests[:1]), marks={0: ("nope", "")}, **common
            )
        assert j.get_upload("short") is None and j.get_upload("bad") is None


def test_columns_are_recorded_the_same_in_chunks_and_with_gaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON path of create_upload(columns=...) (Excel row = data row + a constant),
    cut into several statements, and the per-event path (rows with gaps) write the rows
    the tuples of each event write."""
    import hashlib

    from zmed_gui.core.journal import _journal

    monkeypatch.setattr(_journal, "_CHUNK", 3)
    n = 8
    digests = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
    marks = {0: (EventStatus.SKIPPED, "s"), 7: (EventStatus.HELD, "h")}
    common = UPLOAD_META
    shapes = {
        "even": ([10 + p for p in range(n)], [12 + p for p in range(n)]),
        "gaps": ([10 + p for p in range(n)], [12 + p + (p > 4) for p in range(n)]),
    }
    with Journal(tmp_path / "j.sqlite3") as j:
        for name, (rows, xrows) in shapes.items():
            j.create_upload(
                upload_id=f"tuples-{name}",
                events=[
                    (p, rows[p], xrows[p], digests[p], *marks.get(p, (EventStatus.PENDING, "")))
                    for p in range(n)
                ],
                **common,
            )
            j.create_upload(
                upload_id=f"columns-{name}", columns=(rows, xrows, digests), marks=marks, **common
            )
            a, b = j.events(f"tuples-{name}"), j.events(f"columns-{name}")
            assert [(e.pos, e.row, e.excel_row, e.hash, e.status, e.message) for e in a] == [
                (e.pos, e.row, e.excel_row, e.hash, e.status, e.message) for e in b
            ]
            rec = j.get_upload(f"columns-{name}")
            assert rec is not None and rec.events_total == n
        with pytest.raises(ValueError):
            j.create_upload(
                upload_id="outside", columns=([1], [2], digests[:1]), marks=marks, **common
            )
        assert j.get_upload("outside") is None
