"""Walk the demo through Open -> Map -> Review -> Upload -> Check with Zuora, then open
Connections, and save a screenshot of each.

Usage (a real display, e.g. Xvfb, gives native fonts and window decorations are not needed
because each shot is the window's own rendering)::

    Xvfb :99 -screen 0 1366x800x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python docs/make_screenshots.py

Without a display it falls back to the offscreen platform. User directories (settings,
journal, log) go to a temporary folder so the shots never show the author's files.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "screenshots"


def _isolate_user_dirs() -> None:
    home = Path(tempfile.mkdtemp(prefix="zmed-shots-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        (home / var.lower()).mkdir()
        os.environ[var] = str(home / var.lower())
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    _isolate_user_dirs()
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # demo mode must not need a keyring

    from PySide6.QtWidgets import QApplication

    from zmed_gui.ui.app import create_application, immortalise_singletons

    immortalise_singletons()
    from zmed_gui.ui.demo import start_demo
    from zmed_gui.ui.jobs import wait_for_jobs
    from zmed_gui.ui.main_window import MAP, REVIEW, UPLOAD, MainWindow

    app = create_application(sys.argv[:1])
    assert isinstance(app, QApplication)

    def wait(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            app.processEvents()
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            time.sleep(0.02)
        for _ in range(20):  # let layouts and repaints settle
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str, widget: object = None) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / name
        (widget or window).grab().save(str(path))  # type: ignore[attr-defined]
        print(f"saved {path}")

    window = MainWindow()
    window.resize(1280, 780)
    session = start_demo(window)
    window.show()
    try:
        wait(lambda: window.open_step.grid is not None and not window.open_step.busy, "preview")
        shot("1-open.png")

        window.open_step.continue_to_map()
        wait(
            lambda: window.current_step() == MAP and not window.map_step.preparing,
            "the Map step",
        )
        shot("2-map.png")

        window.go_to(REVIEW)
        review = window.review_step
        wait(
            lambda: window.state.validation is not None and not getattr(review, "busy", False),
            "validation",
        )
        shot("3-review.png")
        review_screenshots(app, window, shot, wait)

        if not window.go_to(UPLOAD):
            print("Upload step not reachable (no valid rows?)")
            return 1
        wait(lambda: True, "the Upload step")
        shot("4-upload.png")

        upload = window.upload_step
        start = getattr(upload, "start_action", None)
        if start is not None and start.isEnabled():
            finished: list[object] = []
            upload.upload_finished.connect(finished.append)  # type: ignore[attr-defined]
            start.trigger()
            wait(lambda: bool(finished) and not upload.busy, "the upload", timeout=60)  # type: ignore[attr-defined]
            shot("5-upload-done.png")

            check = upload.result_box.check_button  # type: ignore[attr-defined]
            if check.isVisible() and check.isEnabled():
                checked: list[object] = []
                upload.upload_checked.connect(checked.append)  # type: ignore[attr-defined]
                check.click()
                wait(lambda: bool(checked) and check.isEnabled(), "Check with Zuora")
                shot("6-checked.png")
            else:
                print("Check with Zuora not available; 6-checked.png not made")
        else:
            print("Upload action not available; 5-upload-done.png not made")

        window.connections_action.trigger()
        dialogs = lambda: [  # noqa: E731
            w for w in app.topLevelWidgets() if w.isVisible() and w.windowTitle() == "Connections"
        ]
        wait(lambda: bool(dialogs()), "the Connections dialog")
        dialog = dialogs()[0]
        wait(lambda: not dialog._store.busy, "the saved connections")  # type: ignore[attr-defined]
        shot("7-connections.png", dialog)
        dialog.reject()  # type: ignore[attr-defined]
        upload_ui_shots(window, app, wait, shot)
    finally:
        window.close()
        wait_for_jobs(10_000)
        session.stop()
    return 0


def upload_ui_shots(window: Any, app: Any, wait: Any, shot: Any) -> None:
    """The last look before sending (to a sandbox), and "Open result report" when no
    program opens .xlsx files."""
    from PySide6.QtGui import QDesktopServices

    from zmed_gui.core.connections import Connection, make_target
    from zmed_gui.core.upload import items_from_validation
    from zmed_gui.core.validate import RowStatus
    from zmed_gui.ui.dialogs import open_file
    from zmed_gui.ui.upload_confirm import last_look, last_look_box

    result, state = window.state.validation, window.state
    if result is not None:
        items, invalid = items_from_validation(result)
        statuses = list(result.statuses)
        look = last_look(
            items,
            statuses,
            state.schema,
            excluded=sum(1 for st in statuses if st is RowStatus.EXCLUDED),
            invalid=len(invalid),
        )
        conn = Connection(name="Finance sandbox", meter_number="1042", client_id="x")
        target = make_target(conn.base_url, "8a1f0c2e9b7d4e6fa3c5b9d1e2f40718")
        box = last_look_box(window, look, conn, target, state.schema)
        box.open()
        wait(box.isVisible, "the last look")
        shot("8-last-look.png", box)
        box.done(0)

    saved = window.upload_step.last_report or Path.home() / "Documents" / "usage-uploaded.xlsx"
    real_open = QDesktopServices.openUrl
    QDesktopServices.openUrl = lambda url: False  # type: ignore[method-assign]
    try:
        box = open_file(window, Path(saved), "The result report")
    finally:
        QDesktopServices.openUrl = real_open  # type: ignore[method-assign]
    if box is not None:
        wait(box.isVisible, "the could-not-open dialog")
        shot("9-open-failed.png", box)
        box.done(0)


def review_screenshots(app: Any, window: Any, shot: Any, wait: Any) -> None:
    """Review's bulk fixes: a sorted, searched view with an edited cell, and the find and
    replace dialog (left as it was: the flow goes on to upload the same rows)."""
    from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN as first

    review = window.review_step
    model = review.model
    shown: list[object] = []
    review.rows_shown.connect(lambda: shown.append(True))
    review.view.horizontalHeader().sectionClicked.emit(first + 3)  # sort by the 4th column
    wait(lambda: bool(shown), "the sorted rows")
    revalidated: list[object] = []
    review.revalidated.connect(lambda: revalidated.append(True))
    text = model.data(model.index(0, first + 3))
    model.setData(model.index(0, first + 3), text)  # the same value: nothing changes
    model.setData(model.index(1, first + 3), "1")
    wait(lambda: bool(revalidated), "the edit")
    review.view.setCurrentIndex(model.index(1, first + 3))
    shot("3b-review-sorted-edited.png")
    review.view.setCurrentIndex(model.index(0, first))
    dialog = review.replace_dialog()
    dialog.find_edit.setText(str(model.data(model.index(0, first)))[:3])
    dialog.replace_edit.setText("ACME")
    dialog.update_count()
    dialog.show()
    wait(lambda: dialog.isVisible(), "the find and replace dialog")
    shot("3c-find-and-replace.png", dialog)
    dialog.reject()
    revalidated.clear()
    review.undo_action.trigger()  # leave the rows as the demo had them
    wait(lambda: bool(revalidated), "the undo")
    shown.clear()
    review.problems.show_all_button.click()
    review.view.horizontalHeader().sectionClicked.emit(0)  # back to the sheet's order
    wait(lambda: bool(shown), "every row")
    app.processEvents()


if __name__ == "__main__":
    raise SystemExit(main())
