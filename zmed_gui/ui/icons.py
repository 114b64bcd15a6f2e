"""Action icons and the few fixed colours (validation red and amber).

Action icons: SVG files in ``resources/icons`` tinted with the palette's text colour.

The SVGs draw with ``currentColor``; we substitute the current palette's ``WindowText``
colour before rendering, so the same files read well in light and dark mode.
Resources are found through :mod:`importlib.resources`, which also works in a frozen app.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QObject, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

log = logging.getLogger(__name__)

APP_ICON = "zmed-gui"
_SIZES = (16, 24, 32, 48, 64)


def _svg_bytes(name: str) -> bytes | None:
    try:
        return (resources.files("zmed_gui.resources") / "icons" / f"{name}.svg").read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        log.debug("icon %s not found", name)
        return None


def _text_colour() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#333333"
    colour: QColor = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
    return colour.name()


def _render(data: bytes, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(data))
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


@cache
def _cached_icon(name: str, colour: str) -> QIcon:
    data = _svg_bytes(name)
    if data is None:
        return QIcon()
    data = data.replace(b"currentColor", colour.encode("ascii"))
    icon = QIcon()
    for size in _SIZES:
        icon.addPixmap(_render(data, size))
    # A greyed version for disabled actions, drawn from the palette's disabled text colour.
    disabled = QGuiApplication.palette().color(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText
    )
    faded = _svg_bytes(name) or b""
    faded = faded.replace(b"currentColor", disabled.name().encode("ascii"))
    for size in _SIZES:
        icon.addPixmap(_render(faded, size), QIcon.Mode.Disabled)
    return icon


_names: dict[int, str] = {}  # QIcon.cacheKey() -> icon name, for retint_icons


def icon(name: str) -> QIcon:
    """The action icon ``resources/icons/<name>.svg``, or an empty icon if it is missing."""
    result = _cached_icon(name, _text_colour())
    _names[result.cacheKey()] = name
    return result


def retint_icons(roots: list[QObject]) -> int:
    """Give every action and button under ``roots`` its icon in the current palette's
    colour (after a theme change); returns how many were changed."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QAbstractButton

    changed = 0
    for root in roots:
        for obj in [root, *root.findChildren(QObject)]:
            if isinstance(obj, (QAction, QAbstractButton)):
                name = _names.get(obj.icon().cacheKey())
                if name is not None:
                    obj.setIcon(icon(name))
                    changed += 1
    return changed


def app_icon() -> QIcon:
    """The application icon (owned by packaging); empty if the file is not there yet."""
    data = _svg_bytes(APP_ICON)
    if data is None:
        return QIcon()
    result = QIcon()
    for size in (*_SIZES, 128, 256):
        result.addPixmap(_render(data, size))
    return result


def _is_dark() -> bool:
    if QGuiApplication.instance() is None:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def error_colour() -> QColor:
    """Validation red, readable on the current window background (light or dark)."""
    return QColor("#ff6b6b") if _is_dark() else QColor("#b00020")


def warning_background() -> QColor:
    return QColor("#5a4312") if _is_dark() else QColor("#fff1cc")
