"""The main window's actions, menus and toolbar, and the dialogs its Help menu opens.

Functions that take the window and set the same attributes it always had
(``window.open_action``, ``window.recent_menu``, ``window.toolbar`` ...), so code and tests
that use those keep working. The slots stay on the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QPushButton, QToolBar, QWidget

from zmed_gui.ui.icons import icon, retint_icons, warning_background
from zmed_gui.ui.open_files import recent_files
from zmed_gui.ui.step_bar import STEP_TITLES
from zmed_gui.ui.theme import THEMES, apply_theme, current_theme

if TYPE_CHECKING:
    from zmed_gui.ui.main_window import MainWindow, Step

log = logging.getLogger(__name__)


def build_actions(window: MainWindow) -> None:
    w = window
    w.open_action = QAction(icon("open"), "&Open spreadsheet...", w)
    w.open_action.setShortcut(QKeySequence.StandardKey.Open)
    w.open_action.setToolTip("Open a spreadsheet (Ctrl+O)")
    w.open_action.triggered.connect(w._on_open_action_triggered)
    w.quit_action = QAction(icon("quit"), "&Quit", w)
    w.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
    w.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    w.quit_action.triggered.connect(w.close)
    w.back_action = QAction(icon("back"), "&Previous step", w)
    w.back_action.setShortcut(QKeySequence("Alt+Left"))
    w.back_action.triggered.connect(w._on_back_action_triggered)
    w.next_action = QAction(icon("next"), "&Next step", w)
    w.next_action.setShortcut(QKeySequence("Alt+Right"))
    w.next_action.triggered.connect(w._on_next_action_triggered)
    w.step_actions = []
    for i, title in enumerate(STEP_TITLES):
        action = QAction(f"&{i + 1} {title}", w)
        action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
        action.triggered.connect(lambda _checked=False, i=i: w.go_to(i))
        w.step_actions.append(action)
    w.log_action = QAction(icon("log"), "Show &log", w)
    w.log_action.triggered.connect(w._on_log_action_triggered)
    w.about_action = QAction(icon("about"), "&About zmed-gui", w)
    w.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    w.about_action.triggered.connect(w._on_about_action_triggered)
    w.export_action = w.review_step.export_action
    # The steps' own Validate and Upload actions act at once. The window's versions go
    # to the step first, so a shortcut pressed elsewhere never sends anything unseen.
    w.review_validate = w.review_step.validate_action
    w.upload_start = w.upload_step.start_action
    w.validate_action = QAction(icon("validate"), "&Check data", w)
    w._validate_key = QKeySequence(Qt.Key.Key_F5)
    w._upload_key = QKeySequence("Ctrl+Return")
    w.validate_action.setShortcut(w._validate_key)
    w.validate_action.setToolTip("Check every row (F5)")
    w.validate_action.triggered.connect(w._on_validate_action_triggered)
    w.upload_action = QAction(icon("upload"), "&Upload", w)
    w.upload_action.setShortcut(w._upload_key)
    w.upload_action.setToolTip("Go to the Upload step; there, send the valid rows (Ctrl+Enter)")
    w.upload_action.triggered.connect(w._on_upload_action_triggered)
    for inner in (w.review_validate, w.upload_start):
        if inner is not None:
            inner.changed.connect(w._on_step_action_changed)
    w.connections_action = w.upload_step.connections_action


def build_menus(window: MainWindow) -> None:
    w = window
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(w.open_action)
    w.recent_menu = QMenu("Open &recent", w)
    w.recent_menu.setIcon(icon("recent"))
    w.recent_menu.aboutToShow.connect(w._on_recent_menu_about_to_show)
    file_menu.addMenu(w.recent_menu)
    file_menu.addSeparator()
    file_menu.addAction(w.map_step.save_action)
    file_menu.addAction(w.map_step.load_action)
    if w.export_action is not None:
        file_menu.addSeparator()
        file_menu.addAction(w.export_action)
    file_menu.addSeparator()
    # After an upload: the rows it left, out to Excel and back in (issue 11).
    file_menu.addAction(w.upload_step.fix_export_action)
    file_menu.addAction(w.upload_step.fix_read_action)
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)

    edit_menu = bar.addMenu("&Edit")
    # Undo, Redo and the bulk fixes of Review (their keys work while Review is shown)
    edit_menu.addActions(w.review_step.edit_actions())
    edit_menu.addSeparator()
    edit_menu.addAction(w.map_step.schema_action)
    edit_menu.addAction(w.map_step.import_schema_action)
    edit_menu.addAction(w.map_step.meter_action)
    known = {
        id(a)
        for a in (
            w.map_step.save_action,
            w.map_step.load_action,
            w.map_step.schema_action,
            w.map_step.import_schema_action,
            w.map_step.meter_action,
            w.export_action,
            w.connections_action,
            w.review_validate,
            w.upload_start,
        )
        if a is not None
    }

    step_menu = bar.addMenu("Ste&p")
    for action in w.step_actions:
        step_menu.addAction(action)
    step_menu.addSeparator()
    step_menu.addAction(w.back_action)
    step_menu.addAction(w.next_action)
    step_menu.addSeparator()
    step_menu.addAction(w.validate_action)
    step_menu.addAction(w.upload_action)
    for step in w.steps:
        extra = [a for a in actions_of(step) if id(a) not in known]
        if extra:
            step_menu.addSeparator()
            for action in extra:
                step_menu.addAction(action)

    view_menu = bar.addMenu("&View")
    theme_menu = view_menu.addMenu("&Theme")
    group = QActionGroup(w)
    group.setExclusive(True)
    w.theme_actions = {}
    for name, text in THEMES:
        action = theme_menu.addAction(text)
        action.setCheckable(True)
        action.setChecked(name == current_theme())
        action.setToolTip(
            {
                "system": "The look of your computer's other programs.",
                "light": "Dark text on light backgrounds.",
                "dark": "Light text on dark backgrounds.",
            }[name]
        )
        group.addAction(action)
        action.triggered.connect(lambda _checked=False, n=name: choose_theme(w, n))
        w.theme_actions[name] = action

    connections_menu = bar.addMenu("Co&nnections")
    connections_menu.addAction(w.connections_action)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(w.log_action)
    help_menu.addSeparator()
    help_menu.addAction(w.about_action)


def build_toolbar(window: MainWindow) -> None:
    w = window
    toolbar = QToolBar("Main toolbar", w)
    toolbar.setObjectName("main_toolbar")
    toolbar.setIconSize(QSize(22, 22))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addAction(w.open_action)
    toolbar.addAction(w.map_step.save_action)
    toolbar.addSeparator()
    toolbar.addAction(w.back_action)
    toolbar.addAction(w.next_action)
    toolbar.addSeparator()
    for action in (w.validate_action, w.upload_action, w.connections_action):
        toolbar.addAction(action)
    w.addToolBar(toolbar)
    w.toolbar = toolbar


def choose_theme(window: MainWindow, name: str) -> None:
    """Apply theme ``name`` at once and remember it (written soon, in a job)."""
    from zmed_gui.core.settings import Settings
    from zmed_gui.ui import settings_store

    apply_theme(name)
    theme_applied(window)

    def change(settings: Settings) -> None:
        settings.theme = "" if name == "system" else name

    settings_store.update(change)


def theme_applied(window: MainWindow) -> None:
    """What a new palette needs beyond repainting: icons tinted anew, fixed colours again."""
    theme = current_theme()
    for name, action in window.theme_actions.items():
        action.setChecked(name == theme)
    retint_icons([window])
    window.step_bar.set_current(window.current_step())  # a new style resets its bold
    window.demo_banner.setStyleSheet(
        f"background: {warning_background().name()}; color: palette(window-text);"
        " padding: 6px; font-weight: bold;"
    )
    if window.current_step() == 1:
        window.map_step.activate()  # the problems' red is chosen for the background
    window.update_steps()


def press_default_button(window: MainWindow, event: QKeyEvent) -> bool:
    """Enter (or Return) that no widget took presses the focused button, else the page's
    default button (Continue, Check data, Upload ...), as in a dialog. True if pressed."""
    if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        return False
    if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        return False  # Ctrl+Enter and friends are shortcuts of their own
    page = window.stack.currentWidget()
    focus = QApplication.focusWidget()
    if isinstance(focus, QAbstractItemView):
        return False  # a list or table used Enter to open its item: nothing more
    if window.current_step() == len(window.steps) - 1 and not isinstance(focus, QPushButton):
        return False  # Enter that ends typing a meter ID or a number never sends data
    if (
        isinstance(focus, QPushButton)
        and focus.isEnabled()
        and focus.isVisible()
        and focus.window() is window
    ):
        focus.click()
        return True
    for button in page.findChildren(QPushButton) if page is not None else []:
        if button.isDefault() and button.isVisible() and button.isEnabled():
            button.click()
            return True
    return False


def actions_of(step: Step) -> list[QAction]:
    """The step's own actions (its ``step_actions()``), for the Step menu."""
    try:
        return list(step.step_actions())
    except Exception:
        log.exception("step_actions() failed")
        return []


def fill_recent_menu(menu: QMenu, open_path: Callable[[str], object]) -> None:
    """List the recent files in ``menu``; choosing one calls ``open_path`` with its path."""
    menu.clear()
    files = recent_files()
    if not files:
        empty = menu.addAction("(no recent files)")
        empty.setEnabled(False)
        return
    for i, name in enumerate(files, start=1):
        action = menu.addAction(f"&{i % 10} {Path(name).name}")
        action.setToolTip(name)
        action.setStatusTip(name)
        action.triggered.connect(lambda _checked=False, n=name: open_path(n))


def show_log(parent: QWidget) -> None:
    from zmed_gui.ui.log_viewer import LogViewer

    viewer = LogViewer(parent)
    viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    viewer.open()
