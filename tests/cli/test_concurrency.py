"""At most one upload per tenant and meter at a time, across `zmed-upload` processes.

Two sends of the same file to the same meter started together: one sends, the other
exits 4 (BUSY) naming the running upload and its process, or with ``--wait`` waits for it
and then sends nothing new. A send killed with SIGKILL, then rerun twice at once: exactly
one rerun continues the interrupted upload. In every case the emulator gets each event
once, except events the journal reports as uncertain (in flight at the kill).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli._proc import (
    Ran,
    all_ids,
    at,
    calls,
    cli,
    finish,
    finish_all,
    run,
    says_skipped_as_accepted,
    send,
    started,
    uncertain_ids,
    upload_id_of,
    upload_ids_untouched,
    uploads,
    usage_csv,
    wait_until,
)
from tests.core._upload_helpers import received_ids
from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan

EXIT_BUSY = 4
ROWS = 3_000
BATCH = ["--batch-size", "250", "--concurrency", "2"]  # 12 calls, about 2 s in slow mode


@pytest.fixture
def slow_emu() -> Iterator[Emulator]:
    # every call recorded at once and answered 0.3 s later: a send takes a few seconds
    with Emulator(EmulatorConfig(faults=FaultPlan.parse("slow=1.0:0.3"))) as emu:
        yield emu


def assert_busy_names(loser: Ran, winner: Ran) -> None:
    """Exit 4 with one sentence naming the running upload, when it started, its process."""
    assert loser.code == EXIT_BUSY, str(loser)
    lines = loser.error_lines()
    assert len(lines) == 1, str(loser)
    line = lines[0]
    assert f"process {winner.pid}" in line, line
    assert upload_id_of(winner) in line or "usage.csv" in line, line  # names that upload
    assert re.search(r"\d{1,2}:\d{2}", line), line  # and when it started
    assert "received by Zuora:" not in loser.out, loser  # it did not run an upload of its own


@pytest.mark.slow
def test_two_sends_at_once_one_runs_the_other_is_busy(slow_emu: Emulator, tmp_path: Path) -> None:
    data = usage_csv(tmp_path / "usage.csv", ROWS)
    args = send(data, at(slow_emu.base_url), *BATCH)
    with started(args) as a, started(args) as b:
        first, second = finish_all([a, b], timeout=90)
    codes = sorted([first.code, second.code])
    assert codes == [0, EXIT_BUSY], f"{first}\n{second}"
    winner, loser = (first, second) if first.code == 0 else (second, first)
    assert winner.summary_count("received by Zuora") == ROWS, str(winner)
    assert_busy_names(loser, winner)
    got = received_ids(slow_emu)
    assert set(got) == all_ids(ROWS) and max(got.values()) == 1  # each event exactly once
    assert calls(slow_emu) == ROWS // 250  # the refused run sent nothing at all


@pytest.mark.slow
def test_two_sends_at_once_with_wait_the_second_sends_nothing_new(
    slow_emu: Emulator, tmp_path: Path
) -> None:
    data = usage_csv(tmp_path / "usage.csv", ROWS)
    args = send(data, at(slow_emu.base_url), *BATCH, "--wait")
    with started(args) as a, started(args) as b:
        first, second = finish_all([a, b], timeout=120)
    assert (first.code, second.code) == (0, 0), f"{first}\n{second}"
    by_accepted = sorted([first, second], key=lambda r: r.summary_count("received by Zuora"))
    waiter, winner = by_accepted
    assert winner.summary_count("received by Zuora") == ROWS, str(winner)
    assert waiter.summary_count("received by Zuora") == 0, str(waiter)
    # it waited for the running upload, then found every event already accepted
    assert says_skipped_as_accepted(waiter, ROWS), str(waiter)
    assert waiter.ended >= winner.ended
    got = received_ids(slow_emu)
    assert set(got) == all_ids(ROWS) and max(got.values()) == 1
    assert calls(slow_emu) == ROWS // 250


def history_uncertain(upload_id: str) -> int:
    """The uncertain count `zmed-upload history` shows for ``upload_id``."""
    ran = run(cli("history"), timeout=30)
    assert ran.code == 0, str(ran)
    lines = ran.out.splitlines()
    for i, line in enumerate(lines):
        if upload_id in line and i + 1 < len(lines):
            m = re.search(r"([\d,]+) uncertain", lines[i + 1])
            assert m, str(ran)
            return int(m.group(1).replace(",", ""))
    raise AssertionError(f"upload {upload_id} is not in the history\n{ran}")


@pytest.mark.slow
def test_sigkill_then_two_reruns_at_once_exactly_one_continues(
    slow_emu: Emulator, tmp_path: Path
) -> None:
    rows = 6_000
    data = usage_csv(tmp_path / "usage.csv", rows)
    args = send(data, at(slow_emu.base_url), "--batch-size", "250", "--concurrency", "3")
    with started(args) as proc:
        # six calls recorded with three at a time: about three answered, three in flight
        wait_until(lambda: calls(slow_emu) >= 6, 30, "the upload to get going", proc)
        proc.send_signal(signal.SIGKILL)
        finish(proc, 10, "after SIGKILL")
    before = received_ids(slow_emu)
    assert 0 < sum(before.values()) < rows
    (killed,) = upload_ids_untouched()

    with started(args) as a, started(args) as b:
        first, second = finish_all([a, b], timeout=120)
    codes = sorted([first.code, second.code])
    assert EXIT_BUSY in codes and codes != [EXIT_BUSY, EXIT_BUSY], f"{first}\n{second}"
    rerun, loser = (first, second) if second.code == EXIT_BUSY else (second, first)
    assert rerun.code in (0, 1), str(rerun)
    assert f"Continuing upload {killed}" in rerun.out, str(rerun)
    assert_busy_names(loser, rerun)
    assert [u.upload_id for u in uploads()] == [killed]  # the refused rerun made no upload

    uncertain = uncertain_ids(killed)
    reported = rerun.summary_count("uncertain")
    assert reported == len(uncertain) == history_uncertain(killed)
    assert rerun.code == (1 if uncertain else 0), str(rerun)
    got = received_ids(slow_emu)
    # every event arrived at least once, except maybe those in flight at the kill
    assert all_ids(rows) - set(got) <= uncertain
    # and none twice beyond the uncertain ones
    doubled = {k for k, n in got.items() if n > 1}
    assert doubled <= uncertain
    assert sum(got.values()) - len(got) <= reported


def app_request(emu: Emulator, path: Path) -> Any:
    """What the app's Upload step asks core for: the same file, validated, to the meter."""
    from zmed_gui.core.connections import CUSTOM, Connection, make_target
    from zmed_gui.core.convert import ConversionOptions
    from zmed_gui.core.mapping import auto_match_table
    from zmed_gui.core.read import load_table
    from zmed_gui.core.schema import default_schema
    from zmed_gui.core.upload import UploadOptions, UploadRequest
    from zmed_gui.core.validate import validate
    from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_METER_ID

    table = load_table(path)
    schema = default_schema()
    result = validate(table, schema, auto_match_table(table, schema), ConversionOptions())
    return UploadRequest(
        target=make_target(emu.base_url, DEMO_METER_ID),
        connection=Connection("App", CUSTOM, DEMO_CLIENT_ID, custom_base_url=emu.base_url),
        options=UploadOptions(batch_size=250, concurrency=2),
        validation=result,
        path=path,
        program="zmed-gui",
    )


@pytest.mark.slow
def test_the_cli_and_the_apps_engine_never_send_at_once(slow_emu: Emulator, tmp_path: Path) -> None:
    from zmed_gui.core.journal import MeterBusy
    from zmed_gui.core.upload import UploadSession
    from zmed_gui.emulator import DEMO_CLIENT_SECRET

    data = usage_csv(tmp_path / "usage.csv", ROWS)
    request = app_request(slow_emu, data)
    # the CLI is sending: the app's engine is refused, naming the CLI's process
    with started(send(data, at(slow_emu.base_url), *BATCH)) as proc:
        wait_until(lambda: calls(slow_emu) > 0, 30, "the CLI to start sending")
        with pytest.raises(MeterBusy) as busy:
            UploadSession(request, secret=DEMO_CLIENT_SECRET).prepare()
        assert f"zmed-upload (process {proc.pid})" in str(busy.value)
        cli_run = finish(proc, 90)
    assert cli_run.code == 0, str(cli_run)
    # the app holds the meter (its duplicate guard dialog is open): the CLI is refused
    session = UploadSession(request, secret=DEMO_CLIENT_SECRET)
    plan = session.prepare()
    assert len(plan.duplicates) == ROWS  # the CLI's upload of the same file counts
    try:
        refused = run(send(data, at(slow_emu.base_url), *BATCH), timeout=60)
        assert refused.code == EXIT_BUSY and "zmed-gui" in refused.err, str(refused)
    finally:
        session.close()
    got = received_ids(slow_emu)
    assert set(got) == all_ids(ROWS) and max(got.values()) == 1  # 0 events twice
