"""What an upload keeps in memory, and for how long: a finished upload lets go of its
session and plan; the plan holds no item (with its event dict) per row; the cycle
collector is paused while a session works and restored after, as it was; the journal
says no more per event than planning can use."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.upload.test_upload_session import connection, validated_csv
from zmed_gui.core.connections import make_target
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal import EventStatus, Journal
from zmed_gui.core.memory import collector_paused, give_back_memory
from zmed_gui.core.upload import (
    UploadOptions,
    UploadProgress,
    UploadRequest,
    UploadSession,
    event_hash,
    items_from_validation,
)
from zmed_gui.emulator import DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def session_for(
    emu: Emulator, result: Any, path: Path, journal: Path, **opts: Any
) -> UploadSession:
    request = UploadRequest(
        target=make_target(emu.base_url, DEMO_METER_ID),
        connection=connection(emu.base_url),
        options=UploadOptions(**(FAST | opts)),
        validation=result,
        path=path,
    )
    return UploadSession(request, secret=DEMO_CLIENT_SECRET, journal_path=journal)


def test_collector_paused_restores_what_was_there(collector_on: None) -> None:
    made = []
    with collector_paused():
        assert not gc.isenabled()
        made.append([[] for _ in range(100)])
        with collector_paused():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= 100  # what was made is not walked by the next pass
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # the program's own choice is kept
    finally:
        gc.enable()


def test_collector_paused_overlapping_threads(collector_on: None) -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=other)
    with collector_paused():
        t.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread still works: it stays off
    leave.set()
    t.join(5)
    assert gc.isenabled()


def test_give_back_memory_runs() -> None:
    import sys

    assert give_back_memory() is sys.platform.startswith("linux")


def test_session_pauses_the_collector_and_restores_it(
    emu: Emulator, tmp_path: Path, collector_on: None
) -> None:
    path, result = validated_csv(tmp_path, 30)
    seen: list[bool] = []

    def progress(p: UploadProgress) -> None:
        seen.append(gc.isenabled())

    session = session_for(emu, result, path, tmp_path / "j.sqlite3", batch_size=10)
    res = session.run(progress)
    assert res.accepted == 30
    assert seen and not any(seen)  # off while planning and sending
    assert gc.isenabled()
    # and after a failure too
    bad = session_for(emu, result, path, tmp_path / "j.sqlite3", meter_deduplicates=True)
    with pytest.raises(OptionsError):
        bad.prepare()
    assert gc.isenabled()


def test_a_finished_upload_releases_its_session_and_plan(emu: Emulator, tmp_path: Path) -> None:
    path, result = validated_csv(tmp_path, 40)
    session = session_for(emu, result, path, tmp_path / "j.sqlite3", batch_size=10)
    plan = session.prepare()
    plan_ref, session_ref = weakref.ref(plan), weakref.ref(session)
    del plan
    outcome = session.send()
    assert outcome.accepted == 40
    was = gc.isenabled()
    gc.disable()  # reference counting alone must free them: no cycle holds them
    try:
        del session
        assert session_ref() is None
        assert plan_ref() is None
    finally:
        if was:
            gc.enable()
    assert outcome.row_outcomes  # the result stays, without the plan


def test_the_plan_keeps_rows_not_items(emu: Emulator, tmp_path: Path) -> None:
    path, result = validated_csv(tmp_path, 25)
    journal = tmp_path / "j.sqlite3"
    first = session_for(emu, result, path, journal, batch_size=10).run()
    assert first.accepted == 25
    again = session_for(emu, result, path, journal, batch_size=10)
    plan = again.prepare()
    try:
        expected, _ = items_from_validation(result)
        assert not isinstance(plan.items, list)  # made on access from the validation
        assert plan.items == expected and list(plan.items) == expected
        assert plan.items[3] == expected[3] and plan.items[-1] == expected[-1]
        assert plan.items[2:5] == expected[2:5]
        assert len(plan.duplicates) == 25 and plan.to_send == []
        assert [d.item for d in plan.duplicates] == expected
        assert {d.upload_ids for d in plan.duplicates} == {(first.upload_id,)}
        assert plan.duplicates[:2] == list(plan.duplicates)[:2]
        assert plan.duplicates[7].item == expected[7]
        assert plan.duplicates_by_upload() == {first.upload_id: 25}
        # one mark (and one message string) per earlier upload, not per event
        assert len({id(m) for m in plan.marks.values()}) == 1
    finally:
        again.close()


def test_prior_statuses_says_at_most_what_is_asked(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        events = [{"n": i} for i in range(3)]
        hashes = [bytes.fromhex(event_hash(e)) for e in events]
        for k in range(3):  # three earlier uploads of the same events
            uid = f"up{k}"
            journal.create_upload(
                upload_id=uid,
                file_name="f.csv",
                sheet="",
                fingerprint="fp",
                connection="c",
                meter_url="u",
                meter_key="m",
                track_id="t",
                events=[(i, i, i + 2, h, EventStatus.ACCEPTED, "") for i, h in enumerate(hashes)],
            )
        every = journal.prior_statuses("m", hashes)
        assert [uid for _, uid in every[hashes[0]]] == ["up0", "up1", "up2"]
        capped = journal.prior_statuses("m", hashes, most=2)
        assert capped == {h: every[h][:2] for h in hashes}
        one = journal.prior_statuses("m", hashes, most=1)
        assert one == {h: [(EventStatus.ACCEPTED, "up0")] for h in hashes}
        assert journal.prior_statuses("m", hashes, exclude_upload="up0", most=1) == {
            h: [(EventStatus.ACCEPTED, "up1")] for h in hashes
        }


def test_packed_bytes_is_a_list_of_bytes() -> None:
    from zmed_gui.core.upload._batches import PackedBytes, pick

    parts = [f"event {i}".encode() * (i % 4) for i in range(23)]  # some empty
    packed = PackedBytes()
    for start in range(0, 23, 5):
        packed.extend(parts[start : start + 5])
    packed.extend([])
    assert len(packed) == 23 and packed == parts and list(packed) == parts
    assert [packed[i] for i in range(-23, 23)] == parts + parts
    assert [packed.size(i) for i in range(23)] == [len(p) for p in parts]
    assert packed[3:9] == parts[3:9]
    positions = [0, 1, 2, 7, 4, 22, 9, 10, 11, 5]
    assert pick(packed, positions) == [parts[p] for p in positions]
    assert pick(parts, positions) == [parts[p] for p in positions]
    with pytest.raises(IndexError):
        packed[23]


def test_the_plan_packs_its_bytes(emu: Emulator, tmp_path: Path) -> None:
    from zmed_gui.core.upload import canonical_json
    from zmed_gui.core.upload._batches import PackedBytes, event_digest

    path, result = validated_csv(tmp_path, 12)
    session = session_for(emu, result, path, tmp_path / "j.sqlite3")
    plan = session.prepare()
    try:
        assert isinstance(plan.encoded, PackedBytes) and isinstance(plan.hashes, PackedBytes)
        expected, _ = items_from_validation(result)
        assert list(plan.encoded) == [canonical_json(it.event) for it in expected]
        assert list(plan.hashes) == [event_digest(canonical_json(it.event)) for it in expected]
        assert list(plan.to_send) == expected and plan.to_send[2:4] == expected[2:4]
        assert [plan.to_send[i] for i in range(12)] == expected
    finally:
        session.close()


def test_events_are_read_a_slice_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zmed_gui.core.journal import _reads

    with Journal(tmp_path / "j.sqlite3") as journal:
        hashes = [bytes.fromhex(event_hash({"n": i})) for i in range(23)]
        journal.create_upload(
            upload_id="up",
            file_name="f.csv",
            sheet="",
            fingerprint="fp",
            connection="c",
            meter_url="u",
            meter_key="m",
            track_id="t",
            events=[(i, i, i + 2, h, EventStatus.PENDING, "left") for i, h in enumerate(hashes)],
        )
        whole = journal.events("up")
        monkeypatch.setattr(_reads, "EVENTS_STEP", 5)
        sliced = journal.events("up")
        assert sliced == whole and [e.pos for e in sliced] == list(range(23))
        assert len({id(e.message) for e in sliced}) == 1  # one shared text
