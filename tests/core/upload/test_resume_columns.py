"""A resume plans from the journal's events as columns (a few bytes each, not an EventRow
each), and a plan keeps its positions without an int object per event; what is sent,
skipped and held stays as it was."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.core.upload.test_upload import SOURCE, Rig, items, rig  # noqa: F401
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal import EventColumns, EventStatus, Journal, UploadStatus
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.upload import UploadProgress, UploadResult, event_hash


def _interrupted(rig: Rig, n: int = 600) -> UploadResult:  # noqa: F811
    cancel = CancelToken()

    def progress(p: UploadProgress) -> None:
        if p.batches_done >= 2:
            cancel.cancel()

    res = rig.send(items(n), batch_size=50, concurrency=2, progress=progress, cancel=cancel)
    assert res.interrupted and 0 < res.accepted < n
    return res


def test_event_columns_are_the_events(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from zmed_gui.core.journal import _reads

    res = _interrupted(rig)
    rows = rig.journal.events(res.upload_id)
    assert {e.status for e in rows} >= {EventStatus.ACCEPTED, EventStatus.PENDING}
    assert any(e.request_id for e in rows)
    cols = rig.journal.event_columns(res.upload_id)
    assert isinstance(cols, EventColumns) and len(cols) == len(rows)
    assert list(cols) == rows and cols.in_order() and not cols.odd_keys
    assert [cols.status(i) for i in range(len(rows))] == [e.status for e in rows]
    monkeypatch.setattr(_reads, "EVENTS_STEP", 7)  # slices that end mid-batch
    assert list(rig.journal.event_columns(res.upload_id)) == rows
    assert len(rig.journal.event_columns("nope")) == 0


def test_event_columns_keep_an_older_journals_hash_text(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        digest = event_hash({"n": 1})
        journal.create_upload(
            upload_id="up",
            file_name="f.csv",
            sheet="",
            fingerprint="fp",
            connection="c",
            meter_url="u",
            meter_key="m",
            track_id="t",
            events=[
                (0, 0, 2, digest, EventStatus.PENDING, ""),
                (1, 1, 3, "abc", EventStatus.REJECTED, "bad"),
            ],
        )
        cols = journal.event_columns("up")
        assert list(cols) == journal.events("up")
        assert cols.odd_keys  # "abc" is no digest: a resume over it is refused
        assert cols.key(0) == bytes.fromhex(digest)[:16]


def test_a_resume_plans_from_columns(rig: Rig) -> None:  # noqa: F811
    res = _interrupted(rig)
    plan = rig.plan(items(600), resume=res.upload_id)
    assert isinstance(plan.prior_events, EventColumns)  # not an EventRow per event
    assert not isinstance(plan.send_positions, list)
    assert len(plan.already_done) == res.accepted and len(plan.uncertain) == res.uncertain
    assert len(plan.to_send) == res.not_sent and plan.accepted_before == res.accepted
    rows = rig.journal.events(res.upload_id)
    answered = (EventStatus.ACCEPTED, EventStatus.REJECTED)
    assert [it.row for it in plan.already_done] == [e.row for e in rows if e.status in answered]
    assert list(plan.send_positions) == [e.pos for e in rows if e.status is EventStatus.PENDING]
    done = rig.run(plan)
    assert not done.interrupted and done.accepted == 600 - res.uncertain
    assert set(rig.received().values()) == {1}


def _kept(make: object) -> tuple[object, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = make()  # type: ignore[operator]
        return held, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_the_columns_are_small(rig: Rig) -> None:  # noqa: F811
    res = _interrupted(rig, 3000)
    rig.journal.event_columns(res.upload_id)  # the statements compiled once
    rows, rows_kept = _kept(lambda: rig.journal.events(res.upload_id))
    cols, cols_kept = _kept(lambda: rig.journal.event_columns(res.upload_id))
    assert list(cols) == rows  # type: ignore[call-overload]
    print(f"rows {rows_kept / 3000:.0f} B/event, columns {cols_kept / 3000:.0f} B/event")
    assert cols_kept * 3 < rows_kept  # 1,048,575 EventRows were 269 MiB


def test_a_resume_of_other_events_is_refused_in_any_slice(
    rig: Rig,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zmed_gui.core.upload import _planning

    res = _interrupted(rig)
    monkeypatch.setattr(_planning, "_ENCODE_STEP", 7)
    changed = items(600)
    changed[450] = items(1, start=5000)[0]
    changed[450] = type(changed[450])(450, 452, changed[450].event)
    with pytest.raises(OptionsError, match="differ"):
        rig.plan(changed, resume=res.upload_id)
    assert rig.plan(items(600), resume=res.upload_id).resuming


def test_a_plan_keeps_positions_without_an_int_each(rig: Rig) -> None:  # noqa: F811
    plan = rig.plan(items(230), batch_size=50)
    assert all(isinstance(b, range) for b in plan.batches)
    assert [list(b) for b in plan.batches] == [
        list(range(i, min(i + 50, 230))) for i in range(0, 230, 50)
    ]
    assert not isinstance(plan.send_positions, list)
    assert list(plan.send_positions) == list(range(230))
    done = rig.run(plan)
    assert done.accepted == 230 and set(rig.received().values()) == {1}
    again = rig.plan(items(240), batch_size=50, allow_duplicates=False)
    assert len(again.duplicates) == 230 and list(again.send_positions) == list(range(230, 240))
    assert [list(b) for b in again.batches] == [list(range(230, 240))]


def _earlier(rig: Rig, uid: str, events: list[tuple[dict[str, object], EventStatus]]) -> None:  # noqa: F811
    rig.journal.create_upload(
        upload_id=uid,
        file_name="old.xlsx",
        sheet="",
        fingerprint=f"fp-{uid}",
        connection="c",
        meter_url=rig.target.url,
        meter_key=rig.target.meter_key,
        track_id="t",
        events=[(i, i, i + 2, event_hash(e), st, "") for i, (e, st) in enumerate(events)],
    )
    rig.journal.finish_upload(uid, UploadStatus.COMPLETED, "done")


@pytest.mark.parametrize(("step", "encode"), [(2, 20_000), (5_000, 20_000), (2, 3), (3, 3), (4, 3)])
def test_repeated_events_use_up_earlier_uploads_across_slices(
    rig: Rig,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    step: int,
    encode: int,
) -> None:
    from tests.core._upload_helpers import event
    from zmed_gui.core.upload import UploadItem, _planning

    monkeypatch.setattr(_planning, "_STEP", step)  # a slice of candidates at a time
    # slices of keys within one encoded slice, and across two (the keys cut in C, or not)
    monkeypatch.setattr(_planning, "_ENCODE_STEP", encode)
    a, b, c = event(1), event(2), event(3)
    ok, unsure = EventStatus.ACCEPTED, EventStatus.UNCERTAIN
    _earlier(rig, "up0", [(a, ok), (b, ok)])
    _earlier(rig, "up1", [(a, ok), (a, ok), (c, unsure)])
    file = [a, b, a, c, a, b, c]
    plan = rig.plan([UploadItem(i, i + 2, e) for i, e in enumerate(file)])
    assert [(d.item.row, d.upload_ids) for d in plan.duplicates] == [
        (0, ("up0",)),
        (1, ("up0",)),
        (2, ("up1",)),
        (4, ("up1",)),
    ]
    assert [it.row for it in plan.uncertain] == [3]
    # b is here twice but was accepted once: its second copy is held back as a copy of an
    # event Zuora has (a repeated row left out last time), not sent as new
    assert [(d.item.row, d.upload_ids) for d in plan.copies] == [(5, ("up0",))]
    assert list(plan.send_positions) == [6]
    assert plan.marks[3][0] is EventStatus.HELD and plan.marks[4][0] is EventStatus.SKIPPED
    assert plan.marks[5][0] is EventStatus.SKIPPED and "more copies" in plan.marks[5][1]
    every = rig.plan(
        [UploadItem(i, i + 2, e) for i, e in enumerate(file)],
        allow_duplicates=True,
        resend_uncertain=True,
    )
    assert list(every.send_positions) == list(range(7)) and len(every.duplicates) == 4
    assert len(every.copies) == 1
    assert list(every.resend_hashes.values()) == [1]
