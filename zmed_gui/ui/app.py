"""Entry point of the desktop app: ``zmed-gui [--demo] [--debug] [FILE]``."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from zmed_gui import __version__

log = logging.getLogger("zmed_gui.app")


def immortalise_singletons() -> None:
    """Work around PySide6 6.12 on Python 3.11: never let None/True/False be freed.

    PySide6 6.12's bindings return ``None`` (every void method) and ``True``/``False``
    without taking a reference. Python 3.12+ makes these objects immortal, so nothing
    happens there; on 3.11 each call drops their count by one, and after enough calls
    Python aborts ("Fatal Python error: none_dealloc"), at the latest when it exits.
    Giving them a huge reference count makes them immortal on 3.11 too. Harmless, and a
    no-op on other Pythons.
    """
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    import PySide6

    # pyproject pins PySide6 below 6.12; this only guards an installation that ignored it.
    if tuple(PySide6.__version_info__[:2]) < (6, 12):
        return
    import ctypes

    for obj in (None, True, False):
        # ob_refcnt is the first field of every object in a CPython 3.11 release build.
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40


# Qt's standard command-line options (QApplication, QGuiApplication and the X11/xcb
# plugin), with one dash or two, "-style fusion" or "-style=fusion".
_QT_WITH_VALUE = frozenset(
    {
        "style",
        "stylesheet",
        "platform",
        "platformpluginpath",
        "platformtheme",
        "plugin",
        "qwindowgeometry",
        "qwindowicon",
        "qwindowtitle",
        "display",
        "geometry",
        "title",
        "session",
        "qmljsdebugger",
        "graphicssystem",
        "font",
        "fn",
        "background",
        "bg",
        "foreground",
        "fg",
        "button",
        "btn",
        "visual",
        "ncols",
        "cmap",
        "im",
        "inputstyle",
    }
)
_QT_FLAGS = frozenset({"reverse", "widgetcount", "nograb", "dograb", "sync", "testability"})


def split_qt_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(ours, qt)``: the arguments for our parser, and Qt's standard options (``-style
    fusion``, ``-platform offscreen``, ``-reverse`` ...) to hand to QApplication."""
    ours: list[str] = []
    qt: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.lstrip("-").split("=", 1)[0]
        if arg == "--" or not arg.startswith("-") or arg.startswith("---"):
            ours.append(arg)
        elif name in _QT_FLAGS and "=" not in arg:
            qt.append(arg)
        elif name in _QT_WITH_VALUE:
            qt.append(arg)
            if "=" not in arg and i + 1 < len(args):
                i += 1
                qt.append(args[i])
        else:
            ours.append(arg)
        if arg == "--":
            ours.extend(args[i + 1 :])
            break
        i += 1
    return ours, qt


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zmed-gui",
        description="Upload usage data from spreadsheets to Zuora Mediation.",
        epilog="Qt's standard options are accepted too: -style fusion, -platform offscreen, "
        "-reverse, -stylesheet FILE ...",
    )
    parser.add_argument("file", nargs="?", help="a spreadsheet to open")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="try the app against a local Zuora emulator with a sample spreadsheet",
    )
    parser.add_argument("--self-test", action="store_true", help="check this installation and exit")
    parser.add_argument("--debug", action="store_true", help="detailed log, also on stderr")
    parser.add_argument("--version", action="version", version=f"zmed-gui {__version__}")
    return parser


def install_excepthook() -> None:
    """Log an uncaught exception and show the error dialog instead of crashing."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception:\n%s", details)
        try:
            from PySide6.QtWidgets import QApplication

            from zmed_gui.ui.dialogs import show_exception

            if QApplication.instance() is not None:
                show_exception(QApplication.activeWindow(), exc.with_traceback(tb))
                return
        except Exception:  # the dialog itself failed: at least the log has it
            log.exception("cannot show the error dialog")
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = hook


def create_application(argv: Sequence[str]) -> object:
    """The QApplication with names, version and icon set (reuses an existing one)."""
    from PySide6.QtWidgets import QApplication

    from zmed_gui.ui.icons import app_icon

    app = QApplication.instance() or QApplication(list(argv))
    QApplication.setOrganizationName("zmed-gui")
    QApplication.setApplicationName("zmed-gui")
    QApplication.setApplicationDisplayName("zmed-gui")
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName("zmed-gui")
    QApplication.setWindowIcon(app_icon())
    # High DPI scaling is on by default in Qt 6; style and palette stay the system's
    # (light or dark), so every colour comes from palette roles.
    return app


def apply_saved_theme() -> None:
    """The theme chosen in View > Theme (read once, before the window exists)."""
    from zmed_gui.ui import settings_store
    from zmed_gui.ui.theme import apply_theme

    try:
        theme = settings_store.load().theme  # the one read; the window reuses it
    except Exception:  # the settings are not needed to start
        log.exception("cannot read the theme from the settings")
        theme = ""
    apply_theme(theme)


def main(argv: Sequence[str] | None = None) -> int:
    immortalise_singletons()
    raw = list(sys.argv[1:] if argv is None else argv)
    if "--self-test" in raw:
        # The self-test has options of its own (--startup-probe, --output ...): hand it all.
        from zmed_gui import selftest  # written by packaging; imported only when asked

        return int(selftest.main(raw) or 0)
    raw, qt_options = split_qt_options(raw)
    args = build_parser().parse_args(raw)

    from zmed_gui.core.logs import setup_logging

    log_path = setup_logging(logging.DEBUG if args.debug else logging.INFO, console=args.debug)
    log.info("zmed-gui %s starting (log: %s)", __version__, log_path)
    install_excepthook()

    app = create_application([sys.argv[0] if sys.argv else "zmed-gui", *qt_options])
    from PySide6.QtWidgets import QApplication

    apply_saved_theme()

    from zmed_gui.ui.main_window import MainWindow

    # Process-wide: the GUI thread gets the GIL back quickly from busy workers. The main
    # window imports review_step anyway, so importing it here costs nothing extra; like
    # the window, a broken Review step must not stop the app from starting.
    try:
        from zmed_gui.ui.review_step import keep_gui_thread_responsive
    except Exception:
        log.exception("cannot shorten the thread switch interval")
    else:
        keep_gui_thread_responsive()

    window = MainWindow()
    session = None
    if args.demo:
        from zmed_gui.ui.demo import start_demo

        session = start_demo(window)  # stopped below, when the event loop ends
    if args.file:
        window.open_path(args.file)
    window.show()
    try:
        assert isinstance(app, QApplication)
        return int(app.exec())
    finally:
        from zmed_gui.ui import settings_store
        from zmed_gui.ui.jobs import wait_for_jobs

        settings_store.flush()  # the last settings written, off this thread
        wait_for_jobs()
        if session is not None:
            session.stop()
        log.info("zmed-gui stopped")
