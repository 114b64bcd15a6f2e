"""Pause stops new requests at once, also between a 413's smaller batches and between a
retry's attempts (issue 11, walk 63-66): what is in flight finishes, then nothing leaves."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.core.upload.test_upload import items, make_rig  # noqa: F401 (a fixture)
from zmed_gui.core.progress import CancelToken, PauseToken
from zmed_gui.core.upload import UploadProgress, UploadResult
from zmed_gui.emulator import EmulatorConfig, FaultPlan


def wait_for(cond: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def paused_and_settled(seen: list[UploadProgress]) -> bool:
    return bool(seen) and seen[-1].paused and seen[-1].in_flight == 0


def test_pause_holds_the_smaller_batches_a_413_cuts(make_rig: Any) -> None:  # noqa: F811
    # The meter takes 5 events a call, the plan assumed 100: the one worker that got
    # the 413 goes on cutting its batch into 5s. Paused, none of them may leave.
    rig = make_rig(EmulatorConfig(max_events_per_call=5, faults=FaultPlan.parse("slow=1:0.05")))
    pause = PauseToken()
    seen: list[UploadProgress] = []
    result: list[UploadResult] = []
    t = threading.Thread(
        target=lambda: result.append(
            rig.send(items(200), batch_size=100, concurrency=1, pause=pause, progress=seen.append)
        )
    )
    t.start()
    try:
        wait_for(lambda: len(rig.emu.accepted_events()) >= 10)
        pause.pause()
        wait_for(lambda: paused_and_settled(seen))
        calls, received = rig.emu.stats()["calls"], len(rig.emu.accepted_events())
        time.sleep(1.0)  # at 0.05 s a call, the old sender sent ~10 more meanwhile
        assert rig.emu.stats()["calls"] == calls
        assert len(rig.emu.accepted_events()) == received < 200
    finally:
        pause.resume()
        t.join(20)
    assert result[0].accepted == 200 and len(rig.emu.accepted_events()) == 200


def test_pause_holds_a_retry_and_says_what_is_in_flight(make_rig: Any) -> None:  # noqa: F811
    # The second call gets a 503 with Retry-After 1 s; paused during that wait, the
    # retry does not leave until Resume.
    rig = make_rig(
        EmulatorConfig(faults=FaultPlan.parse("slow=1:0.05,call2=503:1")),
    )
    pause = PauseToken()
    seen: list[UploadProgress] = []
    result: list[UploadResult] = []
    t = threading.Thread(
        target=lambda: result.append(
            rig.send(items(40), batch_size=10, concurrency=1, pause=pause, progress=seen.append)
        )
    )
    t.start()
    try:
        wait_for(lambda: rig.emu.stats()["by_status"].get("503", 0) >= 1)
        pause.pause()
        wait_for(lambda: paused_and_settled(seen))  # a retry's wait is not in flight
        calls = rig.emu.stats()["calls"]
        time.sleep(1.5)  # the Retry-After has passed
        assert rig.emu.stats()["calls"] == calls
    finally:
        pause.resume()
        t.join(20)
    assert result[0].accepted == 40


def test_cancel_while_paused_sends_nothing_more(make_rig: Any) -> None:  # noqa: F811
    # The app's Cancel sets the cancel token, then resumes the pause so the sender wakes:
    # the request the pause held must not leave on the way out.
    rig = make_rig(EmulatorConfig(max_events_per_call=5, faults=FaultPlan.parse("slow=1:0.05")))
    pause, cancel = PauseToken(), CancelToken()
    seen: list[UploadProgress] = []
    result: list[UploadResult] = []
    t = threading.Thread(
        target=lambda: result.append(
            rig.send(
                items(200),
                batch_size=100,
                concurrency=1,
                pause=pause,
                cancel=cancel,
                progress=seen.append,
            )
        )
    )
    t.start()
    try:
        wait_for(lambda: len(rig.emu.accepted_events()) >= 10)
        pause.pause()
        wait_for(lambda: paused_and_settled(seen))
        calls = rig.emu.stats()["calls"]
        cancel.cancel()
        pause.resume()
    finally:
        pause.resume()
        t.join(20)
    assert rig.emu.stats()["calls"] == calls
    assert result[0].interrupted and result[0].not_sent > 0
