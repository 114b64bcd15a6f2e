"""The main window: which steps can be reached when, drag and drop, geometry, no keyring."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.factories import write_xlsx
from zmed_gui.core import settings as core_settings
from zmed_gui.core.connections import CUSTOM, Connection
from zmed_gui.core.settings import Settings
from zmed_gui.ui import settings_store
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.main_window import MAP, OPEN, REVIEW, UPLOAD, MainWindow, Step
from zmed_gui.ui.map_options import remember_options
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN

# PySide6 6.12 on Python 3.11 under-counts None/True/False (see app.py); until
# tests/conftest.py does this for the whole run, these tests must not abort at exit.
immortalise_singletons()

HEADERS = ["Account Number", "Product", "Usage Date", "Units"]
DATA = [
    ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5],
    ["A-2", "SMS", dt.datetime(2026, 11, 2, 9, 30), 7],
]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    return w


def idle(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: (
            running_jobs() == 0
            and not window.open_step.busy
            and not window.map_step.preparing
            and not window.review_step.busy
        ),
        timeout=15_000,
    )


def workbook(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "usage.xlsx", [HEADERS, *DATA], sheet="Usage")


def test_every_step_is_a_step_and_the_window_probes_none(window: MainWindow) -> None:
    assert len(window.steps) == 4
    for step in window.steps:
        assert isinstance(step, Step)
        assert isinstance(step.busy, bool) and isinstance(step.step_actions(), list)
    # What the window wants of a step is the protocol: no getattr/hasattr on a step.
    ui = Path(__file__).resolve().parents[2] / "zmed_gui" / "ui"
    for name in ("main_window.py", "main_menus.py"):
        text = (ui / name).read_text(encoding="utf-8")
        assert "hasattr(" not in text
        assert "getattr(w.review_step" not in text and "getattr(step" not in text
        assert "getattr(self.steps" not in text and "getattr(self.upload_step" not in text


def test_steps_open_up_as_the_work_progresses(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    assert window.reachable() == [True, False, False, False]
    assert not window.go_to(MAP)
    assert window.current_step() == OPEN
    assert not window.step_bar.is_reachable(MAP)

    window.open_path(workbook(tmp_path))
    idle(qtbot, window)
    assert window.reachable() == [True, False, False, False]  # previewed, not loaded yet
    window.open_step.continue_button.click()
    idle(qtbot, window)
    assert window.current_step() == MAP  # Continue advanced by itself
    assert window.reachable()[:3] == [True, True, True]
    assert "2 rows" in window.rows_status.text()
    assert "usage.xlsx" in window.file_status.text()

    window.map_step.set_source_column("Quantity", None)
    assert window.reachable()[REVIEW] is False
    assert not window.step_bar.is_reachable(REVIEW)
    window.map_step.set_source_column("Quantity", 3)
    assert window.reachable()[REVIEW] is True
    window.map_step.set_constant("UsageIdentifier", "")  # required: an empty fixed value
    assert window.reachable()[REVIEW] is False
    assert not window.validate_action.isEnabled()
    window.map_step.set_source_column("UsageIdentifier", 1)
    assert window.reachable()[REVIEW] is True

    window.map_step.check_button.click()
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    assert window.reachable()[UPLOAD] is True
    assert "2 ready to send, 0 invalid" in window.rows_status.text()

    # Back and forth loses nothing.
    assert window.go_to(OPEN)
    assert window.go_to(MAP)
    assert window.state.mapping.sources["Quantity"].column == 3
    assert window.go_to(UPLOAD)
    assert window.step_bar.current() == UPLOAD

    # A change in the mapping invalidates the validation and closes Upload again.
    window.go_to(MAP)
    window.map_step.set_source_column("UsageIdentifier", 0)
    assert window.state.validation is None
    assert window.reachable()[UPLOAD] is False


def test_validate_and_upload_shortcuts_go_to_their_step_first(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    assert not window.validate_action.isEnabled() and not window.upload_action.isEnabled()
    window.open_path(workbook(tmp_path))
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    assert window.current_step() == MAP
    window.validate_action.trigger()  # F5 on Map: go to Review, which validates
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    sent: list[object] = []
    if window.upload_start is not None:
        window.upload_start.triggered.connect(lambda: sent.append(True))
    window.upload_action.trigger()  # Ctrl+Return on Review: only shows the Upload step
    assert window.current_step() == UPLOAD
    assert not sent


def drop_event(mime: QMimeData) -> QDropEvent:
    """``mime`` dropped (copied) with the left button, at (10, 10)."""
    return QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )


def test_dropping_a_file_opens_it(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    path = workbook(tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = drop_event(mime)
    window.dropEvent(event)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: window.open_step.grid is not None, timeout=10_000)
    idle(qtbot, window)
    assert window.open_step.path == path


def test_dropping_something_else_is_ignored(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("not a file")
    event = drop_event(mime)
    window.dropEvent(event)
    assert window.open_step.path is None


def test_window_geometry_is_saved_and_restored(qtbot: Any) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(790, 570)  # fits the offscreen 800x600 screen
    first.show()
    qtbot.waitExposed(first)
    first.close()  # closeEvent saves geometry and state in the settings
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (790, 570)


def test_every_menu_action_has_text_and_the_key_shortcuts_exist(window: MainWindow) -> None:
    shortcuts = {
        a.shortcut().toString()
        for menu in window.menuBar().findChildren(type(window.recent_menu))
        for a in menu.actions()
    }
    assert {"Ctrl+O", "Ctrl+S", "Ctrl+Q", "F5"} <= shortcuts
    for button in window.step_bar.buttons:
        assert button.accessibleName()


def test_start_without_a_keyring_does_not_crash(
    qtbot: Any, no_keyring: None, tmp_path: Path
) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.open_path(workbook(tmp_path))
    idle(qtbot, w)
    w.open_step.continue_button.click()
    idle(qtbot, w)
    assert w.current_step() == MAP
    w.close()


def test_no_file_is_opened_while_an_upload_runs(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(MainWindow, "upload_running", lambda self: True)
    assert not window.open_path(workbook(tmp_path))
    assert window.open_step.path is None
    box = window.findChildren(QMessageBox)[-1]
    assert "An upload is running" in box.text()
    box.close()
    monkeypatch.undo()  # before pytest-qt closes the window (closing asks during an upload)


def test_closing_during_an_upload_asks_then_stops_it_first(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zmed_gui.ui.dialogs as dialogs

    running = [True]
    cancelled: list[bool] = []
    answers = [False, True]
    monkeypatch.setattr(MainWindow, "upload_running", lambda self: running[0])
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *a: answers.pop(0))
    monkeypatch.setattr(window.upload_step, "cancel", lambda: cancelled.append(True))
    window.show()
    qtbot.waitExposed(window)
    assert not window.close()  # the user said no: nothing stops
    assert window.isVisible() and not cancelled
    window.close()  # yes: the upload is asked to stop, the window waits for it
    assert cancelled and window.isVisible()
    running[0] = False
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    monkeypatch.undo()


def test_log_viewer_shows_the_log(qtbot: Any, window: MainWindow) -> None:
    import logging

    from zmed_gui.core.logs import setup_logging, shutdown_logging
    from zmed_gui.ui.log_viewer import LogViewer

    setup_logging()
    try:
        logging.getLogger("zmed_gui.test").info("a line for the viewer")
        viewer = LogViewer(window)
        qtbot.addWidget(viewer)
        qtbot.waitUntil(lambda: not viewer.loading, timeout=5_000)
        assert "a line for the viewer" in viewer.text.toPlainText()
    finally:
        shutdown_logging()


def test_f5_works_on_every_step_without_an_ambiguous_shortcut(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    from PySide6.QtTest import QTest

    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.open_path(workbook(tmp_path))
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_F5)  # on Map: the window's action goes to Review
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    first = window.state.validation
    QTest.keyClick(window, Qt.Key.Key_F5)  # on Review: the step's own action validates again
    qtbot.waitUntil(lambda: window.state.validation is not first, timeout=15_000)
    idle(qtbot, window)


def test_open_recent_menu_lists_and_reopens_files(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = workbook(tmp_path)
    window.open_path(path)
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    assert window.windowTitle().startswith("usage.xlsx")
    window.recent_menu.aboutToShow.emit()
    actions = [a for a in window.recent_menu.actions() if a.isEnabled()]
    assert [a.toolTip() for a in actions] == [str(path.resolve())]
    actions[0].trigger()
    assert window.current_step() == OPEN
    idle(qtbot, window)
    assert window.open_step.grid is not None


def journal_interrupted_upload(file_name: str = "usage.xlsx") -> None:
    """An upload stopped after 2 of its 4 events, as core's journal records it."""
    from zmed_gui.core.journal import BatchStatus, EventStatus, Journal, UploadStatus

    with Journal() as j:  # the default journal, in this test's own data folder
        j.create_upload(
            upload_id="u1",
            file_name=file_name,
            sheet="Usage",
            fingerprint="fp",
            connection="Prod",
            meter_url="https://x/usage/bulk/1",
            meter_key="m|1",
            track_id="t-1",
            events=[(i, i, i + 2, f"h{i}", EventStatus.PENDING, "") for i in range(4)],
        )
        seq = j.begin_batch("u1", [0, 1], [2, 3])
        j.batch_attempt("u1", seq)
        j.end_batch("u1", seq, BatchStatus.ACCEPTED, request_id="rq-1", track_echo="t-1")
        j.finish_upload("u1", UploadStatus.INTERRUPTED, "cancelled")


def offer_box(window: MainWindow) -> Any:
    return window.state.resume_offer_box


def test_an_interrupted_upload_is_offered_once_the_window_shows(
    qtbot: Any, window: MainWindow
) -> None:
    journal_interrupted_upload()
    window.show()
    assert offer_box(window) is None  # asked after start-up, from the event loop
    qtbot.waitUntil(lambda: offer_box(window) is not None, timeout=5_000)
    box = offer_box(window)
    assert box.isVisible() and box.parent() is window
    assert "did not finish" in box.text() and "usage.xlsx" in box.text()
    [resume] = [b for b in box.buttons() if b.property("choice") == "resume"]
    resume.click()
    assert [r.upload_id for r in window.state.resume_candidates] == ["u1"]

    window.state.set_resume_offer_box(None)
    window.hide()
    window.show()  # showing again does not ask again
    assert wait_for_jobs(5_000)
    qtbot.wait(50)
    assert offer_box(window) is None


def test_no_resume_offer_without_an_interrupted_upload_or_in_demo_mode(
    qtbot: Any, tmp_path: Path
) -> None:
    plain = MainWindow()
    qtbot.addWidget(plain)
    plain.show()
    assert wait_for_jobs(5_000)
    qtbot.wait(50)
    assert offer_box(plain) is None  # nothing to resume: nothing asked

    journal_interrupted_upload()
    demo = MainWindow()
    qtbot.addWidget(demo)
    demo.state.set_demo(
        Connection(name="Demo", environment=CUSTOM, custom_base_url="http://127.0.0.1:9"),
        "demo-secret",
        ("http://127.0.0.1:9", "meter"),
    )
    demo.show()
    assert wait_for_jobs(5_000)
    qtbot.wait(50)
    assert offer_box(demo) is None


# --- settings: read once before the window shows, written in jobs ------------------------------


def test_the_gui_thread_never_touches_the_settings_file_once_the_window_shows(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gui = threading.get_ident()
    shown = False
    calls: list[tuple[str, bool, bool]] = []  # (what, on the GUI thread, window shown)
    real_load, real_save = core_settings.load_settings, core_settings.save_settings

    def load() -> Settings:
        calls.append(("load", threading.get_ident() == gui, shown))
        return real_load()

    def save(settings: Settings) -> None:
        calls.append(("save", threading.get_ident() == gui, shown))
        real_save(settings)

    monkeypatch.setattr(core_settings, "load_settings", load)
    monkeypatch.setattr(core_settings, "save_settings", save)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    shown = True
    assert calls == [("load", True, False)]  # once, while the window was being built

    path = workbook(tmp_path)
    window.open_path(path)  # the recent files and folder are remembered
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    remember_options(window.state.options)  # what the Map step does when options change
    window.resize(700, 500)
    window.close()  # the window's size and layout
    assert wait_for_jobs(10_000)

    after = [c for c in calls if c[2]]
    assert after and all(what == "save" for what, _gui, _shown in after)
    assert not any(on_gui for _what, on_gui, _shown in after)
    saved = real_load()
    assert saved.recent_files[:1] == [str(path.resolve())]
    assert saved.window_geometry  # flushed at close


def test_rapid_settings_changes_are_one_write(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Settings] = []
    real_save = core_settings.save_settings

    def save(settings: Settings) -> None:
        writes.append(settings)
        real_save(settings)

    monkeypatch.setattr(core_settings, "save_settings", save)
    settings_store.load()
    for i in range(200):
        settings_store.update(lambda s, i=i: setattr(s, "batch_size", i + 1))
    qtbot.waitUntil(lambda: bool(writes), timeout=5_000)
    assert wait_for_jobs(5_000)
    qtbot.wait(settings_store.COALESCE_MS + 100)
    assert len(writes) == 1 and writes[0].batch_size == 200
    assert core_settings.load_settings().batch_size == 200


def test_a_settings_folder_that_cannot_be_written_is_not_the_users_problem(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def save(settings: Settings) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(core_settings, "save_settings", save)
    settings_store.update(lambda s: setattr(s, "last_directory", "/tmp"))
    settings_store.flush()
    assert wait_for_jobs(5_000)
    assert settings_store.current().last_directory == "/tmp"  # still remembered this session


def test_the_status_bar_follows_rows_left_out_and_cells_fixed_in_review(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    """Issue 11: "4 invalid" stayed in the status bar while the page said 3."""
    bad = [*DATA, ["A-3", "API", dt.datetime(2026, 11, 3, 9, 0), "twelve"]]
    window.open_path(write_xlsx(tmp_path / "usage.xlsx", [HEADERS, *bad], sheet="Usage"))
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    window.map_step.check_button.click()
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    assert "2 ready to send, 1 invalid" in window.rows_status.text()

    review = window.review_step
    row = review.model.view_row(2)
    assert row is not None
    review.view.selectRow(row)
    review.exclude_action.trigger()
    qtbot.waitUntil(lambda: "0 invalid, 1 left out" in window.rows_status.text(), timeout=2_000)
    review.view.selectRow(row)
    review.include_action.trigger()
    qtbot.waitUntil(lambda: "1 invalid" in window.rows_status.text(), timeout=2_000)
    model = review.model
    assert model.setData(model.index(row, FIRST_SOURCE_COLUMN + 3), "12")  # the fix
    fixed = "3 ready to send, 0 invalid"
    qtbot.waitUntil(lambda: fixed in window.rows_status.text(), timeout=2_000)


def test_the_title_names_the_app_once(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    """Qt adds " — zmed-gui" (the application display name) to the title on Linux and
    Windows: the title read "few.xlsx – zmed-gui (demo) — zmed-gui"."""
    assert "zmed-gui" not in window.windowTitle()
    window.open_path(workbook(tmp_path))
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    assert window.windowTitle().startswith("usage.xlsx")
    assert "zmed-gui" not in window.windowTitle()
    window.state._demo = True  # the title only; the demo's emulator is not needed
    from zmed_gui.ui.main_status import update_status

    update_status(window)
    assert window.windowTitle() == "usage.xlsx (demo)"
    window.state._demo = False


def test_the_offer_counts_what_the_meter_kept_and_says_where_it_went(tmp_path: Path) -> None:
    """The walk: 9,830 events received, then checked with the meter (accepted -> kept);
    the offer said "0 of 60,000 events were handled (0 accepted), 50,170 were not sent"."""
    from zmed_gui.core.journal import BatchStatus, EventStatus, Journal, UploadStatus
    from zmed_gui.ui.upload_dialogs import resume_text

    with Journal(tmp_path / "j.sqlite3") as j:
        j.create_upload(
            upload_id="u2", file_name="usage.xlsx", sheet="Usage", fingerprint="fp",
            connection="Demo", meter_url="http://127.0.0.1:8123/usage/bulk/1", meter_key="m|2",
            track_id="t-2",
            events=[(i, i, i + 2, f"h{i}", EventStatus.PENDING, "") for i in range(6)],
        )  # fmt: skip
        seq = j.begin_batch("u2", [0, 1, 2], [2, 3, 4], sending=True)
        j.end_batch("u2", seq, BatchStatus.ACCEPTED, request_id="rq-2", track_echo="t-2")
        j.set_event_statuses("u2", [(0, EventStatus.KEPT, ""), (1, EventStatus.KEPT, "")])
        j.finish_upload("u2", UploadStatus.INTERRUPTED, "cancelled")
        [record] = j.find_interrupted_uploads()
    text = resume_text(record)
    assert "An upload to the demo's local emulator did not finish" in text
    assert "3 of 6 events were handled (3 received), 3 were not sent yet" in text


def test_the_offer_survives_a_journal_url_that_does_not_parse() -> None:
    from types import SimpleNamespace

    from zmed_gui.ui.upload_dialogs import resume_text

    record = SimpleNamespace(
        file_name="u.xlsx", sheet="S", started=None, events_total=2, accepted=1, kept=0,
        rejected=0, rejected_after_receipt=0, skipped=0, pending=1, uncertain=0,
        meter_url="http://[broken",
    )  # fmt: skip
    assert resume_text(record).startswith("An upload to Zuora did not finish")
