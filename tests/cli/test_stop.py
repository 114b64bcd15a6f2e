"""Stop means stop: SIGTERM ends `send` within 5 s whatever the server does, a second
signal ends it at once, and a server that answers nothing ends it after the stall limit.

Two kinds of silent server: :class:`StallServer`, a socket that accepts and reads but never
writes (so even the token request gets no answer), and the emulator with the ``slow`` fault,
which records every upload call at once and answers it late (or, here, not for 30 s).
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._proc import (
    StallServer,
    all_ids,
    at,
    calls,
    env,
    finish,
    run,
    send,
    signal_and_time,
    started,
    uncertain_ids,
    uploads,
    usage_csv,
    wait_until,
)
from tests.core._upload_helpers import received_ids
from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan

EXIT_INTERRUPTED = 3
STOP_WITHIN = 5.0
NO_ANSWER = re.compile(
    r"answered nothing|no answer|not answer|n't answer|nothing back|no response|not respond"
    r"|n't respond|not replied|no reply",
    re.I,
)
ROWS = 3_000
HOW = ["--batch-size", "250", "--concurrency", "2"]


@pytest.fixture
def usage(tmp_path: Path) -> Path:
    return usage_csv(tmp_path / "usage.csv", ROWS)


def slow_emulator(seconds: float) -> Emulator:
    return Emulator(EmulatorConfig(faults=FaultPlan.parse(f"slow=1.0:{seconds}")))


@pytest.fixture
def silent_emu() -> Iterator[Emulator]:
    """Upload calls are recorded at once and answered only after 30 s."""
    with slow_emulator(30) as emu:
        yield emu


@pytest.mark.slow
def test_sigterm_while_the_token_request_gets_no_answer(usage: Path) -> None:
    with StallServer() as srv, started(send(usage, at(srv.base_url), *HOW)) as proc:
        wait_until(lambda: srv.requests >= 1, 30, "the first request to reach the server", proc)
        time.sleep(1.5)
        assert proc.poll() is None
        signal_and_time(proc, signal.SIGTERM)
        ran = finish(proc, STOP_WITHIN, "after SIGTERM")
    assert ran.code == EXIT_INTERRUPTED, str(ran)


@pytest.mark.slow
def test_second_signal_ends_it_at_once(silent_emu: Emulator, usage: Path) -> None:
    with started(send(usage, at(silent_emu.base_url), *HOW)) as proc:
        wait_until(lambda: calls(silent_emu) >= 2, 30, "two calls in flight", proc)
        signal_and_time(proc, signal.SIGTERM)
        time.sleep(0.3)
        signal_and_time(proc, signal.SIGINT)
        ran = finish(proc, 2.0, "after a second signal")
    assert ran.code in (EXIT_INTERRUPTED, 130, -signal.SIGINT, -signal.SIGTERM), str(ran)
    (upload,) = uploads()
    assert upload.accepted == 0  # no call was ever answered
    assert upload.status != "completed"


@pytest.mark.slow
@pytest.mark.parametrize("answer_after", [0.4, 30.0], ids=["answers-in-0.4s", "answers-in-30s"])
def test_sigterm_in_slow_mode_exits_3_within_5s_then_rerun_completes(
    usage: Path, answer_after: float
) -> None:
    with slow_emulator(answer_after) as emu:
        args = send(usage, at(emu.base_url), *HOW)
        with started(args) as proc:
            going = 5 if answer_after < STOP_WITHIN else 2  # two at a time
            wait_until(lambda: calls(emu) >= going, 30, "the upload to get going", proc)
            signal_and_time(proc, signal.SIGTERM)
            stopped = finish(proc, STOP_WITHIN, "after SIGTERM")
        assert stopped.code == EXIT_INTERRUPTED, str(stopped)
        (upload,) = uploads()
        assert upload.status == "interrupted"
        uncertain = uncertain_ids(upload.upload_id)
        before = received_ids(emu)
        if answer_after > STOP_WITHIN:
            # calls the emulator took but never answered: uncertain, never "accepted"
            assert upload.accepted == 0
            assert set(before) <= uncertain, (len(before), len(uncertain))

        emu.config.faults = None
        emu.reset()
        rerun = run(args, timeout=60)
        assert f"Continuing upload {upload.upload_id}" in rerun.out, str(rerun)
        assert rerun.code == (1 if uncertain else 0), str(rerun)
        assert rerun.summary_count("uncertain") == len(uncertain), str(rerun)
        got: Counter[str] = before + received_ids(emu)
    assert all_ids(ROWS) - set(got) <= uncertain  # nothing lost but the uncertain
    doubled = {k for k, n in got.items() if n > 1}
    assert doubled <= uncertain  # nothing twice but the uncertain


@pytest.mark.slow
def test_a_server_that_answers_nothing_ends_send_after_the_stall_limit(usage: Path) -> None:
    with StallServer() as srv:
        t0 = time.monotonic()
        with started(send(usage, at(srv.base_url), *HOW), env(ZMED_STALL_SECONDS="3")) as proc:
            ran = finish(proc, 30, "with ZMED_STALL_SECONDS=3, no signal sent")
        took = time.monotonic() - t0
        assert srv.requests >= 1
    assert ran.code in (2, EXIT_INTERRUPTED), str(ran)
    assert NO_ANSWER.search(ran.text), str(ran)
    assert took >= 3, took  # it did wait the stall limit
