"""The main window: step bar, the four steps, navigation, files, window state.

Actions, menus and toolbar are built in ``main_menus``; the title and status bar are
written by ``main_status``. At its first show the window offers to resume an upload
that was interrupted (not in demo mode).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.mapping import unmapped_required
from zmed_gui.core.settings import Settings
from zmed_gui.ui import jobs, main_menus, main_status, settings_store
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.gui_thread import DispatchesHoldingGil
from zmed_gui.ui.icons import app_icon, warning_background
from zmed_gui.ui.main_status import sendable_rows, status_count
from zmed_gui.ui.map_step import MapStep
from zmed_gui.ui.open_files import dropped_file
from zmed_gui.ui.open_step import OpenStep
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState
from zmed_gui.ui.step_bar import STEP_TITLES, StepBar
from zmed_gui.ui.upload_step import UploadStep

__all__ = [
    "DEMO_BANNER",
    "MAP",
    "OPEN",
    "REVIEW",
    "UPLOAD",
    "MainWindow",
    "Step",
    "sendable_rows",
    "status_count",
]

log = logging.getLogger(__name__)

OPEN, MAP, REVIEW, UPLOAD = range(4)
DEMO_BANNER = "Demo mode: uploads go to a local Zuora emulator on this computer, not to Zuora."


@runtime_checkable
class Step(Protocol):
    """What the window asks of every step widget (and all it asks: no probing).

    The window shows a step with ``activate()`` once it is current, puts its
    ``step_actions()`` in the Step menu, follows ``advance_requested`` to the next step,
    and, while the step is ``busy``, may ``cancel()`` its work (at quit, for one).
    """

    @property
    def advance_requested(self) -> SignalInstance:
        """The user finished this step (its Continue button)."""
        ...

    @property
    def busy(self) -> bool:
        """Background work of this step is running."""
        ...

    def activate(self) -> None:
        """The step has just become the current one: refresh and take the focus."""
        ...

    def step_actions(self) -> list[QAction]:
        """The step's own actions, for the Step menu."""
        ...

    def cancel(self) -> None:
        """Ask the step's background work to stop (it reports how it ended)."""
        ...


class MainWindow(DispatchesHoldingGil, QMainWindow):
    step_changed = Signal(int)
    # Set by main_menus.build_actions / build_menus / build_toolbar:
    open_action: QAction
    quit_action: QAction
    back_action: QAction
    next_action: QAction
    step_actions: list[QAction]
    log_action: QAction
    about_action: QAction
    export_action: QAction | None
    review_validate: QAction | None
    upload_start: QAction | None
    validate_action: QAction
    upload_action: QAction
    connections_action: QAction
    recent_menu: QMenu
    theme_actions: dict[str, QAction]
    toolbar: QToolBar
    _validate_key: QKeySequence
    _upload_key: QKeySequence
    # Set by main_status.build_status_bar:
    file_status: QLabel
    rows_status: QLabel
    connection_status: QLabel
    busy_status: QLabel

    def __init__(self, state: AppState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or AppState(self)
        self.setWindowTitle("Upload usage to Zuora")  # Qt adds " — zmed-gui"
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(720, 480))

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.demo_banner = QLabel(DEMO_BANNER)
        self.demo_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_banner.setWordWrap(True)
        self.demo_banner.setAccessibleName("Demo mode")
        self.demo_banner.setStyleSheet(
            f"background: {warning_background().name()}; color: palette(window-text);"
            " padding: 6px; font-weight: bold;"
        )
        self.demo_banner.setVisible(False)
        layout.addWidget(self.demo_banner)
        self.step_bar = StepBar()
        layout.addWidget(self.step_bar)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.open_step = OpenStep(self.state)
        self.map_step = MapStep(self.state)
        self.review_step = ReviewStep(self.state)
        self.upload_step = UploadStep(self.state)
        widgets: list[QWidget] = [self.open_step, self.map_step, self.review_step, self.upload_step]
        # The same four, as the window sees them (mypy checks each against Step).
        self.steps: list[Step] = [self.open_step, self.map_step, self.review_step, self.upload_step]
        for i, (widget, step) in enumerate(zip(widgets, self.steps, strict=True)):
            widget.setAccessibleName(f"Step {i + 1}: {STEP_TITLES[i]}")
            self.stack.addWidget(widget)
            step.advance_requested.connect(lambda i=i: self._on_step_advance_requested(i))

        # Upload <-> Review (issue 11): fixed rows read back in go through Review's one
        # undoable command once it has it; "Review the rows with warnings" opens Review.
        apply_edits = getattr(self.review_step, "apply_edits", None)
        if apply_edits is not None:
            self.upload_step.apply_edits = apply_edits
        self.upload_step.review_warnings_requested.connect(
            self._on_upload_step_review_warnings_requested
        )
        # While an upload runs or is paused, Review's rows are read-only (it says why).
        self.upload_step.rows_locked.connect(self.review_step.set_rows_locked)
        # The status bar's "ready to send" follows what the uploads delivered, and so does
        # Review's line (the walk: "247 rows are ready to send" there, "0" in the bar).
        self.review_step.left_to_send = self.upload_step.left_to_send
        for done in (
            self.upload_step.upload_finished,
            self.upload_step.upload_checked,
            self.upload_step.fixes_read,
        ):
            done.connect(self._on_state_changed)
            done.connect(self.review_step.refresh_ready_line)

        main_menus.build_actions(self)
        main_menus.build_menus(self)
        main_menus.build_toolbar(self)
        main_status.build_status_bar(self)

        self.step_bar.step_clicked.connect(self._on_step_bar_step_clicked)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)
        for signal in (
            self.state.table_changed,
            self.state.mapping_changed,
            self.state.schema_changed,
            self.state.validation_changed,
            self.state.file_changed,
            self.state.connection_changed,
            self.state.connection_chosen,
            self.state.options_changed,
        ):
            signal.connect(self._on_state_changed)
        self.state.busy_changed.connect(self._on_state_busy_changed)
        # Rows left out or cells fixed: the Review step recounts right after the state says
        # so, so the window follows one event-loop turn later (and once for a burst).
        self._recount_timer = QTimer(self)
        self._recount_timer.setSingleShot(True)
        self._recount_timer.setInterval(0)
        self._recount_timer.timeout.connect(self._on_state_changed)
        self.state.excluded_changed.connect(self._recount_timer.start)
        self.state.edits_changed.connect(self._recount_timer.start)
        # A table or a validation replaced lets go of hundreds of MiB (the sheet as read,
        # the last check's columns): the heap keeps them unless asked to give them back.
        # Asked once per burst of changes, in a job (the trim walks the heap).
        self._trim_timer = QTimer(self)
        self._trim_timer.setSingleShot(True)
        self._trim_timer.setInterval(0)
        self._trim_timer.timeout.connect(self._on_trim_timer_timeout)
        self.state.table_changed.connect(self._trim_timer.start)
        self.state.validation_changed.connect(self._trim_timer.start)
        self.open_step.file_opened.connect(self._on_open_step_file_opened)
        self.open_step.preview_changed.connect(self._on_state_changed)
        self._closing_after_upload = False
        self._close_timer = QTimer(self)
        self._close_timer.setInterval(200)
        self._close_timer.timeout.connect(self._on_close_timer_timeout)
        self._resume_offered = False
        self.restore_window()
        self.update_steps()
        self.go_to(OPEN)

    # --- navigation -------------------------------------------------------------------------

    def current_step(self) -> int:
        return self.stack.currentIndex()

    def reachable(self) -> list[bool]:
        table = self.state.table
        has_table = table is not None
        mapped = (
            has_table
            and not self.map_step.preparing
            and not unmapped_required(self.state.schema, self.state.mapping)
            and self.map_step.mapping_ready()  # an empty constant is no mapping either
        )
        validated = mapped and sendable_rows(self.state.validation) > 0
        return [True, has_table, mapped, validated]

    def why_not(self, index: int) -> str:
        if index == MAP:
            return "open a spreadsheet first."
        if index == REVIEW:
            return "map every required field first."
        if index == UPLOAD:
            return "check your data first; at least one row must be valid."
        return ""

    def go_to(self, index: int) -> bool:
        """Show step ``index`` if it is reachable; returns whether it is now shown."""
        if index > OPEN and self.current_step() == OPEN and self.open_step.pending():
            # What Open shows goes on, not the table loaded before: load it first (the
            # Open step advances by itself when it has loaded).
            self.step_bar.set_current(OPEN)
            self.open_step.continue_to_map()
            return False
        if not 0 <= index < len(self.steps) or not self.reachable()[index]:
            self.step_bar.set_current(self.current_step())
            return False
        changed = index != self.stack.currentIndex()
        self.stack.setCurrentIndex(index)
        self.step_bar.set_current(index)
        self.update_steps()
        try:
            self.steps[index].activate()
        except Exception as exc:  # a step's bug must not close the window
            log.exception("activating step %s failed", index)
            from zmed_gui.ui.dialogs import show_exception

            show_exception(self, exc)
        if changed:
            self.step_changed.emit(index)
        return True

    def update_steps(self) -> None:
        reachable = self.reachable()
        current = self.current_step()
        for i, ok in enumerate(reachable):
            self.step_bar.set_reachable(i, ok or i == current, self.why_not(i))
            self.step_actions[i].setEnabled(ok)
        validate = self.review_validate
        start = self.upload_start
        # On its own step, the step's action owns the key: two actions on one shortcut
        # would be ambiguous and Qt would trigger neither.
        self.validate_action.setShortcut(
            QKeySequence() if current == REVIEW and validate is not None else self._validate_key
        )
        self.upload_action.setShortcut(
            QKeySequence() if current == UPLOAD and start is not None else self._upload_key
        )
        self.validate_action.setEnabled(
            reachable[REVIEW] and (current != REVIEW or validate is None or validate.isEnabled())
        )
        self.upload_action.setEnabled(
            reachable[UPLOAD] and (current != UPLOAD or start is None or start.isEnabled())
        )
        self.back_action.setEnabled(current > 0)
        self.next_action.setEnabled(
            (current + 1 < len(reachable) and reachable[current + 1])
            or (current == OPEN and self.open_step.pending())
        )
        self.update_status()

    def update_status(self) -> None:
        main_status.update_status(self)

    # --- files --------------------------------------------------------------------------------

    def upload_running(self) -> bool:
        return self.upload_step.busy

    def open_path(self, path: Path | str) -> bool:
        """Open ``path`` in the Open step (from the command line, a drop or Open recent)."""
        if self.upload_running():
            show_error(
                self,
                f"An upload is running, so {Path(path).name} was not opened. Wait for the "
                "upload to finish (or stop it on the Upload step), then open the file again.",
                title="Upload in progress",
                warning=True,
            )
            return False
        self.go_to(OPEN)
        self.open_step.open_path(Path(path))
        return True

    @staticmethod
    def _dropped_file(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> Path | None:
        return dropped_file(event.mimeData())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        # Leave the drop handler first: the drag source waits for it to return.
        QTimer.singleShot(0, lambda: self.open_path(path))

    # --- window state -------------------------------------------------------------------------

    def restore_window(self) -> None:
        """Window size, toolbar layout and the conversion defaults from the settings.

        The settings file is read here, once, while the window is built and not yet shown;
        from now on the window reads them from memory and writes them in jobs.
        """
        settings = settings_store.load()
        self.state.set_options(settings.conversion_options())
        restored = False
        if settings.window_geometry:
            restored = self.restoreGeometry(
                QByteArray.fromBase64(settings.window_geometry.encode("ascii"))
            )
        if not restored:
            self.resize(1200, 760)
        if settings.window_state:
            self.restoreState(QByteArray.fromBase64(settings.window_state.encode("ascii")))

    def save_window(self) -> None:
        """Remember the window's size and layout; written at once, in a job."""
        geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        layout = bytes(self.saveState().toBase64().data()).decode()

        def change(settings: Settings) -> None:
            settings.window_geometry = geometry
            settings.window_state = layout

        settings_store.update(change)
        settings_store.flush()  # the app waits for it at quit, with the other jobs

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not main_menus.press_default_button(self, event):  # Enter: the page's button
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        question = "" if self._closing_after_upload else self.upload_step.quit_question()
        if question and not self.upload_running():
            # Stopped (or cancelled) with events not sent: say so, and that Resume waits.
            from zmed_gui.ui.dialogs import ask_yes_no

            if not ask_yes_no(self, "Events not sent", question):
                event.ignore()
                return
        elif self.upload_running() and not self._closing_after_upload:
            from zmed_gui.ui.dialogs import ask_yes_no

            question = question or (
                "An upload is running. Stop it and close zmed-gui?\n\nRequests already on "
                "their way are finished and recorded; you can resume the rest later."
            )
            if not ask_yes_no(self, "Upload in progress", question):
                event.ignore()
                return
            # Stop cleanly: close once the upload step has recorded what was sent.
            self._closing_after_upload = True
            self.statusBar().showMessage("Stopping the upload before closing...")
            self.upload_step.cancel()
            self._close_timer.start()
            event.ignore()
            return
        if self.upload_running():
            event.ignore()  # still stopping; the timer closes the window when it is done
            return
        for step in self.steps:
            if step.busy:
                step.cancel()
        self.save_window()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._resume_offered:
            self._resume_offered = True
            # After the first paint: start-up is never held up by the question.
            QTimer.singleShot(0, self._on_first_show)

    def _on_first_show(self) -> None:
        """Offer to resume an interrupted upload (the journal is read in a worker).

        Not in demo mode: the demo can only send to its own fresh emulator, so it could
        neither resume a real upload nor an earlier demo's; the offer waits for a real start.
        """
        if self.state.demo:
            return
        from zmed_gui.ui.upload_dialogs import offer_resume

        offer_resume(self, self.state)

    def _on_trim_timer_timeout(self) -> None:
        jobs.run(jobs.give_back_freed_memory, context=self)

    def _on_close_timer_timeout(self) -> None:
        if not self.upload_running():
            self._close_timer.stop()
            self.close()

    # --- slots ------------------------------------------------------------------------------

    def _on_state_changed(self) -> None:
        self.update_steps()

    def _on_state_busy_changed(self, busy: bool) -> None:
        main_status.show_busy(self, busy)

    def _on_app_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        """A page's focused button greyed out while it works (Check data, Upload) hands
        the focus on to the next widget: a step button, where Enter meant "go back to
        step 1". The focus goes to the page instead, so Enter presses its default button
        once it is enabled again."""
        if new is None or new not in self.step_bar.buttons or old is None:
            return
        if old.isEnabled() and old.isVisible():
            return  # the user moved it (Tab, a click): theirs
        page = self.stack.currentWidget()
        if page is not None and old.window() is self:
            QTimer.singleShot(0, page, lambda: self._focus_page(page))

    def _focus_page(self, page: QWidget) -> None:
        if page is not self.stack.currentWidget():
            return
        focus = QApplication.focusWidget()
        if focus is not None and focus not in self.step_bar.buttons:
            return
        for button in page.findChildren(QPushButton):
            if button.isDefault() and button.isVisible() and button.isEnabled():
                button.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        page.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_step_bar_step_clicked(self, index: int) -> None:
        self.go_to(index)

    def _on_step_advance_requested(self, index: int) -> None:
        self.go_to(index + 1)

    def _on_open_action_triggered(self) -> None:
        # The dialog first: cancelling it leaves the step and the loaded work as they were.
        path = self.open_step.ask_for_file()
        if path is not None:
            self.open_path(path)

    def _on_validate_action_triggered(self) -> None:
        if self.current_step() != REVIEW:
            checked = self.state.validation is not None
            # Entering Review validates when nothing is validated yet; else "Check data"
            # checks again (from the Upload step too: it never does nothing).
            if not self.go_to(REVIEW) or not checked:
                return
        if self.review_validate is not None and self.review_validate.isEnabled():
            self.review_validate.trigger()

    def _on_upload_step_review_warnings_requested(self) -> None:
        """The last look's "Review the rows with warnings": Review, those rows only."""
        if not self.go_to(REVIEW):
            return
        # Review's own "warnings only" filter (the problems filters beside "rows with
        # problems"): ticked, the rows with warnings alone are shown.
        self.review_step.warnings_check.setChecked(True)

    def _on_upload_action_triggered(self) -> None:
        if self.current_step() != UPLOAD:
            self.go_to(UPLOAD)  # show where and what first; sending takes a second press
        elif self.upload_start is not None and self.upload_start.isEnabled():
            self.upload_start.trigger()

    def _on_step_action_changed(self) -> None:
        self.update_steps()

    def _on_back_action_triggered(self) -> None:
        self.go_to(self.current_step() - 1)

    def _on_next_action_triggered(self) -> None:
        self.go_to(self.current_step() + 1)

    def _on_recent_menu_about_to_show(self) -> None:
        main_menus.fill_recent_menu(self.recent_menu, self.open_path)

    def _on_open_step_file_opened(self, _path: str) -> None:
        self.update_status()

    def _on_log_action_triggered(self) -> None:
        main_menus.show_log(self)

    def _on_about_action_triggered(self) -> None:
        from zmed_gui.ui.about import show_about

        show_about(self)
