"""The entry point: --demo end to end, --self-test dispatch, the exception hook."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

import zmed_gui
from zmed_gui.core.logs import log_file_path, shutdown_logging
from zmed_gui.core.settings import load_settings
from zmed_gui.ui import app as app_module
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import wait_for_jobs
from zmed_gui.ui.main_window import MainWindow

# PySide6 6.12 on Python 3.11 under-counts None/True/False (see app.py); until
# tests/conftest.py does this for the whole run, these tests must not abort at exit.
immortalise_singletons()


@pytest.fixture(autouse=True)
def _restore_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    yield
    assert wait_for_jobs(10_000)
    shutdown_logging()


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


def _main_window() -> MainWindow | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None)


def test_demo_starts_the_emulator_loads_the_sample_and_stops_on_quit(
    qapp: QApplication, no_keyring: None
) -> None:
    seen: dict[str, Any] = {}

    def poll() -> None:
        window = _main_window()
        if window is not None and window.open_step.grid is not None and not window.open_step.busy:
            state = window.state
            emulator = state.demo_emulator
            assert emulator is not None
            seen.update(
                demo=state.demo,
                running=emulator.running,
                emulator=emulator,
                target=state.demo_target,
                banner=window.demo_banner.isVisible(),
                sheet=window.open_step.grid.sheet,
                schema=state.schema.names,
                connection=state.connection_name,
                status=window.file_status.text(),
            )
            window.close()  # the last window closing ends the event loop, as for a user
            return
        if timer.remainingTime() >= 0:
            QTimer.singleShot(50, poll)

    timer = QTimer()
    timer.setSingleShot(True)
    timer.start(20_000)
    timer.timeout.connect(qapp.quit)  # never hang the test run
    QTimer.singleShot(50, poll)
    try:
        assert app_module.main(["--demo"]) == 0
    finally:
        timer.stop()  # a second quit() would end the next test's event loops early
    assert seen, "the demo window never finished opening the sample"
    assert seen["demo"] and seen["running"] and seen["banner"]
    assert seen["target"][0].startswith("http://127.0.0.1:")
    assert "Region" in seen["schema"]
    assert seen["connection"]
    assert seen["status"].startswith("Previewing demo-usage.xlsx")  # not "No spreadsheet open"
    assert not seen["emulator"].running  # stopped when the app quit
    assert log_file_path().exists()
    settings = load_settings()
    assert settings.recent_files == [] and settings.last_connection == ""  # demo leaves no trace


def test_self_test_is_dispatched_without_starting_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = types.ModuleType("zmed_gui.selftest")
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 7

    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "zmed_gui.selftest", fake)
    monkeypatch.setattr(zmed_gui, "selftest", fake, raising=False)
    assert app_module.main(["--self-test", "--startup-probe"]) == 7
    assert seen == [["--self-test", "--startup-probe"]]


def test_uncaught_exception_shows_a_dialog_instead_of_crashing(qapp: QApplication) -> None:
    app_module.install_excepthook()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    box = next(b for b in boxes if b.isVisible())
    assert "Something went wrong inside zmed-gui" in box.text()
    assert "boom in a slot" in box.detailedText()
    box.close()


def test_command_line_options() -> None:
    args = app_module.build_parser().parse_args(["--debug", "usage.xlsx"])
    assert args.debug and args.file == "usage.xlsx" and not args.demo


def test_main_shortens_the_thread_switch_interval_before_the_window_exists(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zmed_gui.ui.main_window as main_window
    from zmed_gui.ui.review_step import GUI_SWITCH_INTERVAL

    class Stop(Exception):
        pass

    seen: list[float] = []

    def window_stand_in(*_args: object) -> None:
        seen.append(sys.getswitchinterval())
        raise Stop

    monkeypatch.setattr(main_window, "MainWindow", window_stand_in)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # CPython's default
    try:
        with pytest.raises(Stop):
            app_module.main([])
    finally:
        sys.setswitchinterval(previous)
    assert seen == [GUI_SWITCH_INTERVAL]


def test_qt_options_are_split_from_ours() -> None:
    ours, qt = app_module.split_qt_options(
        ["-style", "fusion", "--debug", "-platform=offscreen", "-reverse", "usage.xlsx"]
    )
    assert ours == ["--debug", "usage.xlsx"]
    assert qt == ["-style", "fusion", "-platform=offscreen", "-reverse"]
    ours, qt = app_module.split_qt_options(["--demo", "--", "-style"])
    assert ours == ["--demo", "--", "-style"] and qt == []


_PROBE = """
import sys
from PySide6.QtCore import QTimer
from zmed_gui.ui import app

made = app.create_application


def create(argv):
    qapp = made(argv)

    def report():
        print("platform", qapp.platformName(), "rtl", qapp.isRightToLeft(), flush=True)
        qapp.quit()

    QTimer.singleShot(0, report)
    return qapp


app.create_application = create
sys.exit(app.main(sys.argv[1:]))
"""


def test_standard_qt_options_are_accepted_by_the_real_program(tmp_path: Any) -> None:
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "-platform", "offscreen", "-style", "fusion", "-reverse"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "platform offscreen rtl True" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "unrecognized arguments" not in done.stderr
