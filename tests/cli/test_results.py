"""The result is never hidden, and the summary never claims more than Zuora confirmed.

- A report that cannot be written at the end (its folder removed, or its path turned into
  a folder, while the upload runs: no up-front check can see that coming): the summary is
  still printed, a warning says the report was not written and why, and the exit code is
  the upload's (0), not 2.
- A server that takes every body and hangs up without answering (emulator ``drop-after``
  on every call): nothing was confirmed, so the summary must not say "complete"; it says
  nothing was confirmed and how many events are uncertain; exit 1 or 3.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli._proc import (
    all_ids,
    at,
    calls,
    finish,
    run,
    send,
    started,
    usage_csv,
    wait_until,
)
from tests.core._upload_helpers import received_ids
from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan


def remove_folder(report: Path) -> None:
    shutil.rmtree(report.parent)


def make_it_a_folder(report: Path) -> None:
    report.mkdir()


BREAKS: dict[str, tuple[Callable[[Path], None], re.Pattern[str]]] = {
    "its folder is removed": (
        remove_folder,
        re.compile(r"does not exist|doesn't exist|no such|not found|missing|removed|gone", re.I),
    ),
    "its path becomes a folder": (make_it_a_folder, re.compile(r"director|folder", re.I)),
}
_NOT = r"(could not|couldn't|cannot|can't|was not|wasn't|not be|failed to)"
NOT_WRITTEN = re.compile(
    rf"report[^\n]*{_NOT} (be )?(written|write|saved|save)|{_NOT} (write|save)[^\n]*report", re.I
)


@pytest.mark.slow
@pytest.mark.parametrize("breaking", list(BREAKS), ids=list(BREAKS))
def test_report_that_cannot_be_written_at_the_end_does_not_hide_the_result(
    tmp_path: Path, breaking: str
) -> None:
    rows = 1_000
    data = usage_csv(tmp_path / "usage.csv", rows)
    (tmp_path / "out").mkdir()
    report = tmp_path / "out" / "report.csv"
    spoil, why = BREAKS[breaking]
    faults = FaultPlan.parse("slow=1.0:0.3")  # ten calls one at a time: about 3 s
    with Emulator(EmulatorConfig(faults=faults)) as emu:
        args = send(data, at(emu.base_url), "--batch-size", "100", "--concurrency", "1",
                    "--report", str(report))  # fmt: skip
        with started(args) as proc:
            wait_until(lambda: calls(emu) >= 2, 30, "the upload to be under way", proc)
            spoil(report)
            ran = finish(proc, 60, "after it started")
        got = received_ids(emu)
    assert ran.code == 0, str(ran)  # the upload's code, not 2
    assert ran.summary_count("received by Zuora") == rows, str(ran)  # the summary is there
    assert set(got) == all_ids(rows) and max(got.values()) == 1
    warnings = [ln for ln in ran.text.splitlines() if NOT_WRITTEN.search(ln)]
    assert warnings, str(ran)
    assert any(why.search(w) for w in warnings), warnings  # says why
    assert not report.is_file()


@pytest.fixture
def hang_up_emu() -> Iterator[Emulator]:
    """Every upload call is processed (events recorded), then the connection is dropped."""
    with Emulator(EmulatorConfig(faults=FaultPlan.parse("drop-after=1.0"))) as emu:
        yield emu


def test_no_answer_to_any_call_is_not_called_complete(
    hang_up_emu: Emulator, tmp_path: Path
) -> None:
    rows = 300
    data = usage_csv(tmp_path / "usage.csv", rows)
    ran = run(send(data, at(hang_up_emu.base_url), "--batch-size", "100", "--concurrency", "1"))
    assert ran.code in (1, 3), str(ran)
    assert not re.search(r"\bcomplete", ran.text, re.I), str(ran)  # complete, completed
    confirmed_nothing = r"(nothing|none|no event\w*|0 events?)[^\n]*confirmed"
    assert re.search(confirmed_nothing, ran.text, re.I), str(ran)
    assert re.search(rf"uncertain\D*{rows}\b|\b{rows}\b[^\n]*uncertain", ran.text), str(ran)
    assert ran.summary_count("received by Zuora") == 0, str(ran)
