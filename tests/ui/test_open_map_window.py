"""Issue 11, Open and Map in the whole window: a second file, stale screens, keyboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolBar,
)

from tests.factories import write_xlsx
from tests.ui._helpers import demo_app_state
from zmed_gui.emulator import Emulator
from zmed_gui.ui import settings_store
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.main_window import MAP, OPEN, REVIEW, MainWindow

immortalise_singletons()

FIVE = ["Account Number", "Product", "Usage Date", "Units", "Region", "Notes"]
FIVE_DATA = [
    ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5, "EU", "x"],
    ["A-2", "SMS", dt.datetime(2026, 11, 2, 9, 30), 7, "US", None],
    ["A-3", "API", dt.datetime(2026, 11, 3, 10, 0), 2, "EU", "y"],
]
FOUR = ["Units", "Account Number", "Product", "Usage Date"]
FOUR_DATA = [
    [5, "B-1", "API", dt.datetime(2026, 12, 1, 9, 0)],
    [6, "B-2", "SMS", dt.datetime(2026, 12, 2, 9, 0)],
]


@pytest.fixture(autouse=True)
def _wait_for_jobs() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


@pytest.fixture(autouse=True)
def _restore_look(qapp: QApplication) -> Iterator[None]:
    """A theme a test applies (style, palette, focus ring) ends with the test."""
    sheet, palette, style = qapp.styleSheet(), QPalette(qapp.palette()), qapp.style().name()
    yield
    qapp.setStyleSheet(sheet)
    if style:
        qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setProperty("zmed_theme", None)


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    w.state.options.timezone = "UTC"
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


def open_and_load(qtbot: Any, window: MainWindow, path: Path) -> None:
    window.open_path(path)
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    assert window.current_step() == MAP


def test_a_second_file_with_fewer_columns_is_mapped_afresh(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    first = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    second = write_xlsx(tmp_path / "four.xlsx", [FOUR, *FOUR_DATA], sheet="Usage")
    open_and_load(qtbot, window, first)
    # The user maps a field to the last column (F - Notes), then checks the data.
    window.map_step.set_source_column("UsageIdentifier", 5)
    assert window.state.mapping.sources["UsageIdentifier"].column == 5
    window.map_step.check_button.click()
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)

    open_and_load(qtbot, window, second)  # pytest-qt fails the test on any slot exception
    table = window.state.table
    assert table is not None and table.column_count == 4
    for src in window.state.mapping.sources.values():
        for col in (src.column, src.time_column):
            assert col is None or col < 4, window.state.mapping
    # Kept by header name where the header is still there; re-matched otherwise.
    assert window.state.mapping.sources["Quantity"].column == 0
    assert window.state.mapping.sources["CustomerId"].column == 1
    unused = window.map_step.unused_label.text()
    assert "Notes" not in unused and "F -" not in unused
    for row in window.map_step.rows:
        src = window.state.mapping.sources.get(row.field.name)
        shown = row.source_combo.currentData()
        if src is None or not src.is_mapped:
            assert row.source_combo.currentText() == "(not mapped)"
        elif src.column is not None:
            assert shown == src.column, row.field.name
    # The field whose column is gone is named.
    note = window.map_step.column_note.text()
    assert "UsageIdentifier" in note and "Notes" in note, note
    # Check data works again on the new table.
    assert window.map_step.check_button.isEnabled() or window.map_step.problem_label.text()
    window.map_step.set_source_column("UsageIdentifier", 2)
    assert window.map_step.check_button.isEnabled()
    window.map_step.check_button.click()
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    assert "2 rows" in window.rows_status.text()


def test_a_newly_previewed_file_is_what_the_status_bar_and_next_step_show(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    first = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    second = write_xlsx(tmp_path / "four.xlsx", [FOUR, *FOUR_DATA], sheet="Usage")
    open_and_load(qtbot, window, first)
    window.open_path(second)
    idle(qtbot, window)
    assert window.current_step() == OPEN
    status = window.file_status.text()
    assert "four.xlsx" in status and "Continue" in status, status
    # Next step (and the step bar) go on with the file on screen, not the old one.
    assert window.next_action.isEnabled()
    window.next_action.trigger()
    idle(qtbot, window)
    assert window.current_step() == MAP
    assert window.state.path == second
    assert "four.xlsx" in window.file_status.text()
    assert "2 rows" in window.rows_status.text()


def test_a_new_heading_row_is_loaded_before_map_shows_it(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    title = ["Usage export, November"]
    path = write_xlsx(tmp_path / "t.xlsx", [title, FIVE, *FIVE_DATA], sheet="Usage")
    open_and_load(qtbot, window, path)
    assert window.state.header_row == 2
    assert window.map_step.row_for("Quantity").match_label.text().startswith(("auto", "exact"))
    window.go_to(OPEN)
    window.open_step.set_header_row(3)  # a data row: nothing matches by name any more
    assert "row 3" in window.file_status.text() or "Continue" in window.file_status.text()
    window.step_bar.buttons[MAP].click()
    idle(qtbot, window)
    assert window.current_step() == MAP
    assert window.state.header_row == 3
    for row in window.map_step.rows:
        src = window.state.mapping.sources.get(row.field.name)
        label = row.match_label.text()
        if label.startswith("auto"):
            assert src is not None and src.confidence is not None, row.field.name
            assert label == f"auto {round(src.confidence * 100)}%"


def test_busy_never_covers_the_file_in_the_status_bar(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.show()
    window.state.busy_changed.emit(True)
    assert window.statusBar().currentMessage() == ""
    assert window.file_status.isVisible()
    assert window.file_status.text() == "No spreadsheet open"
    assert window.busy_status.isVisible() and window.busy_status.text()
    window.state.busy_changed.emit(False)
    assert not window.busy_status.isVisible()


def _mnemonic(text: str) -> str | None:
    text = text.replace("&&", "")
    at = text.find("&")
    return text[at + 1].lower() if 0 <= at < len(text) - 1 else None


def _visible_mnemonics(window: MainWindow) -> list[tuple[str, str]]:
    """(letter, where) for every Alt+letter the user can press on the current page."""
    found: list[tuple[str, str]] = []
    for action in window.menuBar().actions():
        letter = _mnemonic(action.text())
        if action.isVisible() and letter:
            found.append((letter, f"menu {action.text()!r}"))
    for widget in window.findChildren(QAbstractButton):
        letter = _mnemonic(widget.text())
        if letter and widget.isVisible() and not isinstance(widget.parent(), QToolBar):
            found.append((letter, f"button {widget.text()!r}"))
    for label in window.findChildren(QLabel):
        letter = _mnemonic(label.text())
        if letter and label.isVisible() and label.buddy() is not None:
            found.append((letter, f"label {label.text()!r}"))
    return found


def _assert_unique(window: MainWindow, page: str) -> None:
    by_letter: dict[str, list[str]] = {}
    for letter, where in _visible_mnemonics(window):
        by_letter.setdefault(letter, []).append(where)
    clashes = {k: v for k, v in by_letter.items() if len(v) > 1}
    assert not clashes, f"{page}: {clashes}"


def test_every_page_has_unique_mnemonics(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    window.resize(1366, 800)
    window.show()
    qtbot.waitExposed(window)
    _assert_unique(window, "welcome")
    path = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    window.open_path(path)
    idle(qtbot, window)
    window.open_step.header_spin.setEnabled(True)
    _assert_unique(window, "open")
    window.open_step.continue_button.click()
    idle(qtbot, window)
    window.map_step.date_order_prompt.setVisible(True)  # its buttons count when it asks
    window.map_step.banner.setVisible(True)  # so do the saved mapping's Undo
    _assert_unique(window, "map")
    window.map_step.date_order_prompt.setVisible(False)
    window.map_step.banner.setVisible(False)
    window.map_step.check_button.click()
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    _assert_unique(window, "review")
    assert window.go_to(3)
    idle(qtbot, window)
    _assert_unique(window, "upload")
    names = [a.text() for a in window.menuBar().actions()]
    assert "&View" in names


def test_the_check_action_is_called_check_data(window: MainWindow) -> None:
    assert window.validate_action.text().replace("&", "") == "Check data"
    assert window.map_step.check_button.text().replace("&", "") == "Check data"


def test_enter_presses_the_pages_default_button(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.show()
    qtbot.waitExposed(window)
    path = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    window.open_path(path)
    idle(qtbot, window)
    window.open_step.header_spin.setFocus()
    qtbot.keyClick(window.open_step.header_spin, Qt.Key.Key_Return)  # Continue
    idle(qtbot, window)
    assert window.current_step() == MAP
    combo = window.map_step.rows[0].source_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Return)  # Check data
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)


def test_focus_never_falls_to_a_step_button_when_the_pages_button_greys_out(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    """The walk: after Check data (and after an upload) the focus sat on "1 Open", so the
    next Enter went back to step 1."""
    window.show()
    qtbot.waitExposed(window)
    QApplication.setActiveWindow(window)
    path = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    open_and_load(qtbot, window, path)
    assert window.current_step() == MAP
    button = window.map_step.check_button
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus)
    qtbot.keyClick(button, Qt.Key.Key_Return)  # Check data: Map's button is gone with Map
    qtbot.waitUntil(lambda: window.current_step() == REVIEW, timeout=15_000)
    idle(qtbot, window)
    qtbot.wait(50)
    assert QApplication.focusWidget() not in window.step_bar.buttons
    # a page's focused button greyed out while it works (Upload while sending): Qt hands
    # the focus on along the tab chain, which wraps round to the step buttons
    page = window.stack.currentWidget()
    buttons = [b for b in page.findChildren(QPushButton) if b.isVisible() and b.isEnabled()]
    last = buttons[-1]
    last.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(last.hasFocus)
    for b in buttons:
        b.setEnabled(False)
    qtbot.wait(50)
    focus = QApplication.focusWidget()
    assert focus not in window.step_bar.buttons, focus
    for b in buttons:
        b.setEnabled(True)


def test_the_focused_button_has_a_visible_ring(qtbot: Any, window: MainWindow) -> None:
    from zmed_gui.ui.theme import apply_theme

    apply_theme("system")
    from zmed_gui.ui.theme import ThemeStyle

    assert isinstance(QApplication.style(), ThemeStyle)
    window.show()
    qtbot.waitExposed(window)
    button = window.open_step.open_button
    unfocused = button.grab().toImage()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus)
    focused = button.grab().toImage()
    highlight = button.palette().color(QPalette.ColorRole.Highlight)
    edge = [focused.pixelColor(x, focused.height() // 2) for x in range(3)]
    assert any(abs(c.hue() - highlight.hue()) < 20 and c.saturation() > 60 for c in edge), edge
    assert focused != unfocused


def test_dark_theme_focused_button_edit_and_combo_have_a_visible_ring(
    qtbot: Any, window: MainWindow
) -> None:
    """The walk: in Dark, after Tab, nothing showed where the focus was (a combo had no
    mark; Fusion's 1-pixel outline is blue-grey on dark grey)."""
    from zmed_gui.ui.theme import apply_theme

    apply_theme("dark")
    window.show()
    qtbot.waitExposed(window)
    edit, combo = QLineEdit("SMS", window), QComboBox(window)
    combo.addItems(["A - Account", "B - Units"])
    edit.setGeometry(10, 300, 200, 28)
    combo.setGeometry(10, 340, 200, 28)
    edit.show()
    combo.show()
    highlight = window.palette().color(QPalette.ColorRole.Highlight)
    for widget in (window.open_step.open_button, edit, combo):
        unfocused = widget.grab().toImage()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(widget.hasFocus)
        focused = widget.grab().toImage()
        y = focused.height() // 2
        edge = [focused.pixelColor(x, y) for x in range(4)]
        assert any(
            # the highlight's hue, light enough to stand out from the dark grey (58)
            abs(c.hue() - highlight.hue()) < 20 and c.saturation() > 60 and c.lightness() > 160
            for c in edge
        ), (widget, [c.name() for c in edge])
        assert focused != unfocused, widget


def test_view_theme_dark_applies_live_and_is_remembered(qtbot: Any, window: MainWindow) -> None:
    from zmed_gui.core.settings import load_settings
    from zmed_gui.ui.theme import apply_theme, current_style

    before = window.open_action.icon().cacheKey()
    try:
        window.theme_actions["dark"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert current_style() == "fusion"
        assert window.theme_actions["dark"].isChecked()
        assert window.open_action.icon().cacheKey() != before  # tinted for the dark
        assert settings_store.current().theme == "dark"
        qtbot.waitUntil(lambda: load_settings().theme == "dark", timeout=5_000)  # in a job
        window.theme_actions["light"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 180
        qtbot.waitUntil(lambda: load_settings().theme == "light", timeout=5_000)
    finally:
        apply_theme("system")


def test_counts_agree_with_their_number(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "one.xlsx", [FIVE, FIVE_DATA[0]], sheet="Usage")
    open_and_load(qtbot, window, path)
    assert window.rows_status.text() == "1 row"
    assert "Loaded 1 data row from" in window.open_step.message.text()


def test_a_new_theme_keeps_the_current_step_in_bold(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    from zmed_gui.ui.theme import apply_theme

    apply_theme("system")
    open_and_load(qtbot, window, write_xlsx(tmp_path / "a.xlsx", [FIVE, *FIVE_DATA]))
    try:
        window.theme_actions["dark"].trigger()
        fonts = [b.font().bold() for b in window.step_bar.buttons]
        assert fonts == [False, True, False, False]
    finally:
        apply_theme("system")
        qtbot.waitUntil(lambda: running_jobs() == 0, timeout=5_000)


def test_enter_in_a_text_field_on_upload_never_sends(
    qtbot: Any, emulator: Emulator, tmp_path: Path
) -> None:
    window = MainWindow(demo_app_state(emulator))
    qtbot.addWidget(window)
    window.state.options.timezone = "UTC"
    window.show()
    qtbot.waitExposed(window)
    open_and_load(qtbot, window, write_xlsx(tmp_path / "a.xlsx", [FIVE, *FIVE_DATA]))
    window.map_step.check_button.click()
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    assert window.go_to(3)
    step: Any = window.upload_step
    qtbot.waitUntil(lambda: step.start_button.isEnabled(), timeout=10_000)
    pressed: list[bool] = []
    step.start_button.clicked.connect(lambda: pressed.append(True))
    edit = step.findChildren(QLineEdit)[0]
    assert edit.isVisible()
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert not pressed
    idle(qtbot, window)
