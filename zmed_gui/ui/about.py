"""Help > About: version, Qt version and where the log is."""

from __future__ import annotations

import platform
from html import escape

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from zmed_gui import __version__
from zmed_gui.ui.icons import app_icon


def log_path_text() -> str:
    try:
        from zmed_gui.core.logs import log_file_path

        return str(log_file_path())
    except Exception:  # the log module may be missing in a broken install; About still opens
        return "(not available)"


def about_html() -> str:
    return (
        f"<h3>zmed-gui {escape(__version__)}</h3>"
        "<p>Uploads usage data from spreadsheets to Zuora Mediation.</p>"
        "<table>"
        f"<tr><td>Qt</td><td>{escape(qVersion())} (PySide6 {escape(pyside_version)})</td></tr>"
        f"<tr><td>Python</td><td>{escape(platform.python_version())}</td></tr>"
        f"<tr><td>System</td><td>{escape(platform.platform(terse=True))}</td></tr>"
        f"<tr><td>Log file&nbsp;</td><td>{escape(log_path_text())}</td></tr>"
        "</table>"
    )


def show_about(parent: QWidget | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("About zmed-gui")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_html())
    icon = app_icon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open()
    return box
