"""The main window: step bar, the four steps, menus, toolbar and status bar."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.mapping import unmapped_required
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import app_icon, icon, warning_background
from zmed_gui.ui.map_step import MapStep
from zmed_gui.ui.open_step import OpenStep, recent_files, supported_extensions
from zmed_gui.ui.state import AppState
from zmed_gui.ui.step_bar import STEP_TITLES, StepBar

log = logging.getLogger(__name__)

OPEN, MAP, REVIEW, UPLOAD = range(4)
DEMO_BANNER = "Demo mode: uploads go to a local Zuora emulator on this computer, not to Zuora."


def status_count(result: Any, status: RowStatus) -> int:
    counts = getattr(result, "counts", None) or {}
    return int(counts.get(status, counts.get(status.value, 0)))


def sendable_rows(result: Any) -> int:
    if result is None:
        return 0
    return status_count(result, RowStatus.VALID) + status_count(result, RowStatus.WARNING)


def _placeholder(text: str) -> QWidget:
    widget = QWidget()
    layout = QVBoxLayout(widget)
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    layout.addWidget(label)
    return widget


def _make_step(module: str, cls: str, state: AppState, title: str) -> QWidget:
    """The colleague's step widget, or a placeholder while it does not exist yet."""
    try:
        mod = __import__(f"zmed_gui.ui.{module}", fromlist=[cls])
        widget: QWidget = getattr(mod, cls)(state)
        return widget
    except Exception:  # an unfinished step must not stop the other three from working
        log.exception("the %s step is not available", title)
        return _placeholder(f"The {title} step is not available in this build.")


class MainWindow(QMainWindow):
    step_changed = Signal(int)

    def __init__(self, state: AppState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or AppState(self)
        self.setWindowTitle("zmed-gui: upload usage to Zuora")
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
        self.review_step = _make_step("review_step", "ReviewStep", self.state, "Review")
        self.upload_step = _make_step("upload_step", "UploadStep", self.state, "Upload")
        self.steps: list[QWidget] = [
            self.open_step,
            self.map_step,
            self.review_step,
            self.upload_step,
        ]
        for i, step in enumerate(self.steps):
            step.setAccessibleName(f"Step {i + 1}: {STEP_TITLES[i]}")
            self.stack.addWidget(step)
            signal = getattr(step, "advance_requested", None)
            if signal is not None:
                signal.connect(lambda i=i: self._on_step_advance_requested(i))

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        self.step_bar.step_clicked.connect(self._on_step_bar_step_clicked)
        for signal in (
            self.state.table_changed,
            self.state.mapping_changed,
            self.state.schema_changed,
            self.state.validation_changed,
            self.state.file_changed,
            self.state.connection_changed,
            self.state.options_changed,
        ):
            signal.connect(self._on_state_changed)
        self.state.busy_changed.connect(self._on_state_busy_changed)
        self.open_step.file_opened.connect(self._on_open_step_file_opened)
        self._closing_after_upload = False
        self._close_timer = QTimer(self)
        self._close_timer.setInterval(200)
        self._close_timer.timeout.connect(self._on_close_timer_timeout)
        self.restore_window()
        self.update_steps()
        self.go_to(OPEN)

    # --- building ---------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.open_action = QAction(icon("open"), "&Open spreadsheet...", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setToolTip("Open a spreadsheet (Ctrl+O)")
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.quit_action = QAction(icon("quit"), "&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.back_action = QAction(icon("back"), "&Previous step", self)
        self.back_action.setShortcut(QKeySequence("Alt+Left"))
        self.back_action.triggered.connect(self._on_back_action_triggered)
        self.next_action = QAction(icon("next"), "&Next step", self)
        self.next_action.setShortcut(QKeySequence("Alt+Right"))
        self.next_action.triggered.connect(self._on_next_action_triggered)
        self.step_actions: list[QAction] = []
        for i, title in enumerate(STEP_TITLES):
            action = QAction(f"&{i + 1} {title}", self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _checked=False, i=i: self.go_to(i))
            self.step_actions.append(action)
        self.log_action = QAction(icon("log"), "Show &log", self)
        self.log_action.triggered.connect(self._on_log_action_triggered)
        self.about_action = QAction(icon("about"), "&About zmed-gui", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._on_about_action_triggered)
        self.export_action: QAction | None = getattr(self.review_step, "export_action", None)
        # The steps' own Validate and Upload actions act at once. The window's versions go
        # to the step first, so a shortcut pressed elsewhere never sends anything unseen.
        self.review_validate = getattr(self.review_step, "validate_action", None)
        self.upload_start = getattr(self.upload_step, "start_action", None)
        self.validate_action = QAction(icon("validate"), "&Validate", self)
        self._validate_key = QKeySequence(Qt.Key.Key_F5)
        self._upload_key = QKeySequence("Ctrl+Return")
        self.validate_action.setShortcut(self._validate_key)
        self.validate_action.setToolTip("Check every row (F5)")
        self.validate_action.triggered.connect(self._on_validate_action_triggered)
        self.upload_action = QAction(icon("upload"), "&Upload", self)
        self.upload_action.setShortcut(self._upload_key)
        self.upload_action.setToolTip(
            "Go to the Upload step; there, send the valid rows (Ctrl+Enter)"
        )
        self.upload_action.triggered.connect(self._on_upload_action_triggered)
        for inner in (self.review_validate, self.upload_start):
            if inner is not None:
                inner.changed.connect(self._on_step_action_changed)
        found: QAction | None = getattr(self.upload_step, "connections_action", None)
        if found is None:
            found = QAction(icon("connections"), "&Connections...", self)
            found.triggered.connect(self._on_connections_action_triggered)
        self.connections_action: QAction = found

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = QMenu("Open &recent", self)
        self.recent_menu.setIcon(icon("recent"))
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.map_step.save_action)
        file_menu.addAction(self.map_step.load_action)
        if self.export_action is not None:
            file_menu.addSeparator()
            file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.map_step.schema_action)
        edit_menu.addAction(self.map_step.import_schema_action)
        known = {
            id(a)
            for a in (
                self.map_step.save_action,
                self.map_step.load_action,
                self.map_step.schema_action,
                self.map_step.import_schema_action,
                self.export_action,
                self.connections_action,
                self.review_validate,
                self.upload_start,
            )
            if a is not None
        }

        step_menu = bar.addMenu("&Step")
        for action in self.step_actions:
            step_menu.addAction(action)
        step_menu.addSeparator()
        step_menu.addAction(self.back_action)
        step_menu.addAction(self.next_action)
        step_menu.addSeparator()
        step_menu.addAction(self.validate_action)
        step_menu.addAction(self.upload_action)
        for step in self.steps:
            extra = [a for a in self._actions_of(step) if id(a) not in known]
            if extra:
                step_menu.addSeparator()
                for action in extra:
                    step_menu.addAction(action)

        connections_menu = bar.addMenu("&Connections")
        connections_menu.addAction(self.connections_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.log_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setIconSize(QSize(22, 22))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.map_step.save_action)
        toolbar.addSeparator()
        toolbar.addAction(self.back_action)
        toolbar.addAction(self.next_action)
        toolbar.addSeparator()
        for action in (self.validate_action, self.upload_action, self.connections_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.file_status = QLabel()
        self.rows_status = QLabel()
        self.connection_status = QLabel()
        for label, name in (
            (self.file_status, "Open file"),
            (self.rows_status, "Row counts"),
            (self.connection_status, "Connection"),
        ):
            label.setAccessibleName(name)
            label.setContentsMargins(8, 0, 8, 0)
        bar.addWidget(self.file_status, 1)
        bar.addPermanentWidget(self.rows_status)
        bar.addPermanentWidget(self.connection_status)

    @staticmethod
    def _actions_of(step: QWidget) -> list[QAction]:
        get = getattr(step, "step_actions", None)
        if get is None:
            return []
        try:
            return list(get())
        except Exception:
            log.exception("step_actions() failed")
            return []

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
        if not 0 <= index < len(self.steps) or not self.reachable()[index]:
            self.step_bar.set_current(self.current_step())
            return False
        changed = index != self.stack.currentIndex()
        self.stack.setCurrentIndex(index)
        self.step_bar.set_current(index)
        self.update_steps()
        activate = getattr(self.steps[index], "activate", None)
        if activate is not None:
            try:
                activate()
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
        self.next_action.setEnabled(current + 1 < len(reachable) and reachable[current + 1])
        self.update_status()

    def update_status(self) -> None:
        state = self.state
        app_part = "zmed-gui (demo)" if state.demo else "zmed-gui"
        if state.path:
            self.setWindowTitle(f"{Path(state.path).name} \u2013 {app_part}")
        else:
            self.setWindowTitle(f"{app_part}: upload usage to Zuora")
        if state.path is None:
            previewed = self.open_step.path
            self.file_status.setText(
                f"Previewing {previewed.name} (press Continue to load it)"
                if previewed is not None and self.open_step.grid is not None
                else "No spreadsheet open"
            )
        else:
            text = Path(state.path).name
            if state.sheet:
                text += f"  \u2022  sheet '{state.sheet}'"
            if state.header_row:
                text += f"  \u2022  headings in row {state.header_row}"
            self.file_status.setText(text)
            self.file_status.setToolTip(str(state.path))
        if state.table is None:
            self.rows_status.setText("")
        else:
            text = f"{len(state.table):,} rows"
            result = state.validation
            if result is not None:
                valid = status_count(result, RowStatus.VALID)
                warn = status_count(result, RowStatus.WARNING)
                invalid = status_count(result, RowStatus.INVALID)
                excluded = status_count(result, RowStatus.EXCLUDED)
                text += f"  \u2022  {valid + warn:,} ready to send, {invalid:,} invalid"
                if excluded:
                    text += f", {excluded:,} left out"
            self.rows_status.setText(text)
        if state.demo:
            self.connection_status.setText("Connection: demo emulator")
        elif state.connection_name:
            self.connection_status.setText(f"Connection: {state.connection_name}")
        else:
            self.connection_status.setText("No connection chosen")

    # --- files --------------------------------------------------------------------------------

    def upload_running(self) -> bool:
        return bool(getattr(self.upload_step, "busy", False))

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
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.suffix.lower() in supported_extensions() or path.is_file():
                    return path
        return None

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
        """Window size, toolbar layout and the conversion defaults from the settings."""
        try:
            from zmed_gui.core.settings import load_settings

            settings = load_settings()
        except Exception:
            log.exception("cannot read settings")
            self.resize(1200, 760)
            return
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
        try:
            from zmed_gui.core.settings import load_settings, save_settings

            settings = load_settings()
            settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
            settings.window_state = bytes(self.saveState().toBase64().data()).decode()
            save_settings(settings)
        except Exception:  # a read-only config folder must not stop the app from closing
            log.exception("cannot save the window geometry")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.upload_running() and not self._closing_after_upload:
            from zmed_gui.ui.dialogs import ask_yes_no

            if not ask_yes_no(
                self,
                "Upload in progress",
                "An upload is running. Stop it and close zmed-gui?\n\nRequests already on "
                "their way are finished and recorded; you can resume the rest later.",
            ):
                event.ignore()
                return
            # Stop cleanly: close once the upload step has recorded what was sent.
            self._closing_after_upload = True
            self.statusBar().showMessage("Stopping the upload before closing...")
            self.upload_step.cancel()  # type: ignore[attr-defined]
            self._close_timer.start()
            event.ignore()
            return
        if self.upload_running():
            event.ignore()  # still stopping; the timer closes the window when it is done
            return
        for step in self.steps:
            cancel = getattr(step, "cancel", None)
            if callable(cancel) and getattr(step, "busy", False):
                cancel()
        self.save_window()
        super().closeEvent(event)

    def _on_close_timer_timeout(self) -> None:
        if not self.upload_running():
            self._close_timer.stop()
            self.close()

    # --- slots ------------------------------------------------------------------------------

    def _on_state_changed(self) -> None:
        self.update_steps()

    def _on_state_busy_changed(self, busy: bool) -> None:
        if busy:
            self.statusBar().showMessage("Working...")
        else:
            self.statusBar().clearMessage()

    def _on_step_bar_step_clicked(self, index: int) -> None:
        self.go_to(index)

    def _on_step_advance_requested(self, index: int) -> None:
        self.go_to(index + 1)

    def _on_open_action_triggered(self) -> None:
        self.go_to(OPEN)
        self.open_step.choose_file()

    def _on_validate_action_triggered(self) -> None:
        if self.current_step() != REVIEW:
            self.go_to(REVIEW)  # entering Review validates when nothing is validated yet
        elif self.review_validate is not None and self.review_validate.isEnabled():
            self.review_validate.trigger()

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
        self.recent_menu.clear()
        files = recent_files()
        if not files:
            empty = self.recent_menu.addAction("(no recent files)")
            empty.setEnabled(False)
            return
        for i, name in enumerate(files, start=1):
            action = self.recent_menu.addAction(f"&{i % 10} {Path(name).name}")
            action.setToolTip(name)
            action.setStatusTip(name)
            action.triggered.connect(lambda _checked=False, n=name: self.open_path(n))

    def _on_open_step_file_opened(self, _path: str) -> None:
        self.update_status()

    def _on_log_action_triggered(self) -> None:
        from zmed_gui.ui.log_viewer import LogViewer

        viewer = LogViewer(self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.open()

    def _on_about_action_triggered(self) -> None:
        from zmed_gui.ui.about import show_about

        show_about(self)

    def _on_connections_action_triggered(self) -> None:
        try:
            from zmed_gui.ui.connections_dialog import ConnectionsDialog
        except ImportError:
            show_error(self, "Connections cannot be edited in this build.")
            return
        dialog = ConnectionsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connections_changed.connect(self.state.connection_changed)
        dialog.open()
