"""An upload in the app lets go of everything it planned once it ends: the session and the
plan are freed (reference counting alone), the worker hands the free heap back, and the
cycle collector is on again afterwards, as it was."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from tests.ui._helpers import demo_app_state, load_and_map, make_upload_step
from tests.ui.test_upload_step import rows, upload, write_workbook
from zmed_gui.core.validate import validate
from zmed_gui.emulator import Emulator
from zmed_gui.ui import jobs, upload_step

pytestmark = pytest.mark.usefixtures("wait_for_pool")


def test_a_finished_upload_releases_its_session_and_plan(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = demo_app_state(emulator)
    table = load_and_map(state, write_workbook(tmp_path / "usage.xlsx", rows(30)))
    state.set_validation(validate(table, state.schema, state.mapping, state.options))
    step = make_upload_step(qtbot, state)
    step.batch_spin.setValue(10)

    refs: list[weakref.ref[Any]] = []
    real_prepare = upload_step.prepare_upload

    def prepare(**kwargs: Any) -> Any:
        prepared = real_prepare(**kwargs)
        refs.extend([weakref.ref(prepared), weakref.ref(prepared.session)])
        refs.append(weakref.ref(prepared.plan))
        return prepared

    trims: list[bool] = []
    real_trim = jobs.give_back_memory

    def trim() -> bool:
        trims.append(True)
        return real_trim()

    monkeypatch.setattr(upload_step, "prepare_upload", prepare)
    monkeypatch.setattr(jobs, "give_back_memory", trim)
    collecting = gc.isenabled()

    result = upload(qtbot, step)
    assert result.accepted == 30
    qtbot.waitUntil(lambda: not step.busy and jobs.running_jobs() == 0, timeout=10_000)
    QApplication.processEvents()
    assert len(refs) == 3
    assert [r() for r in refs] == [None, None, None]  # no cycle keeps them: no gc.collect
    assert len(trims) >= 2  # after planning and after sending
    assert gc.isenabled() is collecting
    assert step.last_result is result  # the result stays, for the report


def test_the_step_keeps_one_outcomes_dict_per_upload_not_a_copy(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million rows' outcomes are one dict (and a million int keys): the step shares the
    result's own, after the first upload and after "send all again", and the heap is
    handed back once the step has let the previous one go."""
    state = demo_app_state(emulator)
    table = load_and_map(state, write_workbook(tmp_path / "usage.xlsx", rows(30)))
    state.set_validation(validate(table, state.schema, state.mapping, state.options))
    step = make_upload_step(qtbot, state)
    step.batch_spin.setValue(10)
    trims: list[bool] = []
    real_trim = jobs.give_back_memory

    def trim() -> bool:
        trims.append(True)
        return real_trim()

    monkeypatch.setattr(jobs, "give_back_memory", trim)

    first = upload(qtbot, step)
    assert first.accepted == 30
    assert step._outcomes is first.row_outcomes
    qtbot.waitUntil(lambda: jobs.running_jobs() == 0, timeout=10_000)
    after_first = len(trims)
    assert after_first >= 3  # planning, sending, and the step's own after the swap

    emulator.reset()
    with qtbot.waitSignal(step.upload_finished, timeout=20_000) as blocker:
        step.start_upload(allow_duplicates=True, resend_uncertain=True)
    again = blocker.args[0]
    assert again.accepted == 30
    assert step._outcomes is again.row_outcomes
    qtbot.waitUntil(lambda: jobs.running_jobs() == 0, timeout=10_000)
    assert len(trims) >= after_first + 3


def test_outcomes_after_shares_or_merges() -> None:
    from zmed_gui.core.report import RowOutcome, RowUpload
    from zmed_gui.ui.upload_step import outcomes_after

    ok = RowUpload(RowOutcome.ACCEPTED, "Received.")
    bad = RowUpload(RowOutcome.REJECTED, "No.")
    later = {0: ok, 1: ok}
    assert outcomes_after({}, later) is later
    assert outcomes_after({0: bad, 1: bad}, later) is later  # says something of every row
    # A later upload of some rows only: the others keep what the earlier one said.
    merged = outcomes_after({0: bad, 1: bad, 2: ok}, later)
    assert merged == {0: ok, 1: ok, 2: ok} and merged is not later
    # "Not sent" by the later one says nothing new: the earlier outcome stays.
    stopped = {0: ok, 1: RowUpload(RowOutcome.NOT_SENT, "Stopped first.")}
    assert outcomes_after({0: bad, 1: bad}, stopped) == {0: ok, 1: bad}
