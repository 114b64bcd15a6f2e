"""The window's look: the theme (System, Light, Dark) and a focus ring that can be seen.

``System`` keeps the platform's style and palette (or the ``-style`` given on the command
line). ``Light`` and ``Dark`` use Qt's Fusion style with a light or a dark palette, the same
on every platform. Every colour in the app comes from palette roles, so a theme applies
live: :func:`apply_theme` changes the application's style, palette and style sheet, and
every widget repaints.

The focus ring: Qt styles mark the focused button faintly (or only after a key press), so
a finance user cannot see where Enter or Space would go. A proxy style draws a
highlight-coloured ring inside the edge of the focused push button, combo box and line
edit, in every theme (on a dark palette a lighter one: the highlight itself, or Fusion's
1-pixel outline on a combo, could not be told from the dark grey). It is drawn over the
style's own widget, not by a style sheet: a ``:focus`` rule with a border and
padding made the focused button's text room smaller than its size hint (laid out
unfocused), and "Continue to upload" lost its last letters.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QProxyStyle,
    QPushButton,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionFrame,
    QWidget,
)

log = logging.getLogger(__name__)

SYSTEM, LIGHT, DARK = "system", "light", "dark"
THEMES: tuple[tuple[str, str], ...] = ((SYSTEM, "&System"), (LIGHT, "&Light"), (DARK, "&Dark"))


class ThemeStyle(QProxyStyle):
    """The theme's style, with a highlight-coloured ring on the focused push button, combo
    box and line edit and, on a dark palette, a visible edge on check boxes.

    The ring is painted inside the widget's rectangle after the style's own drawing, so
    the widget's size and the room for its text are the style's, focused or not."""

    def drawControl(
        self,
        element: QStyle.ControlElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawControl(element, option, painter, widget)
        if (
            element == QStyle.ControlElement.CE_PushButton
            and isinstance(widget, QPushButton)
            and _focused(option)
        ):
            _draw_ring(painter, option.rect, option.palette)

    def drawComplexControl(
        self,
        control: QStyle.ComplexControl,
        option: QStyleOptionComplex,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawComplexControl(control, option, painter, widget)
        # An editable combo's own line edit has the focus then: the combo says it has too.
        if (
            control == QStyle.ComplexControl.CC_ComboBox
            and isinstance(widget, QComboBox)
            and _focused(option)
        ):
            _draw_ring(painter, option.rect, option.palette)

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        # Fusion edges a check box with the window colour darkened: on a dark window an
        # unchecked box (Review's Send column, the filters, the Upload options) vanished.
        # Item views' check boxes come here too (QCommonStyle draws them as check boxes).
        if element == QStyle.PrimitiveElement.PE_IndicatorCheckBox and is_dark(option.palette):
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QPen(check_edge_colour(option.palette), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
            painter.restore()
        # A line edit with a frame of its own (an editable combo's has none: the combo's
        # ring above marks it).
        if (
            element == QStyle.PrimitiveElement.PE_PanelLineEdit
            and isinstance(widget, QLineEdit)
            and isinstance(option, QStyleOptionFrame)
            and option.lineWidth > 0
            and _focused(option)
        ):
            _draw_ring(painter, option.rect, option.palette)


def _focused(option: QStyleOption) -> bool:
    state = option.state
    return bool(state & QStyle.StateFlag.State_HasFocus and state & QStyle.StateFlag.State_Enabled)


def _draw_ring(painter: QPainter, rect: QRect, palette: QPalette) -> None:
    """The focus ring, 2 pixels wide, inside the edge of ``rect``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(ring_colour(palette), 2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), 4, 4)
    painter.restore()


def ring_colour(palette: QPalette) -> QColor:
    """The focus ring's colour: the highlight, lighter on a dark palette so that it stands
    out from the dark grey buttons and fields."""
    highlight = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
    return highlight.lighter(140) if is_dark(palette) else highlight


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark one (light text on a dark window)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def check_edge_colour(palette: QPalette) -> QColor:
    """The edge of a check box on a dark palette: halfway between the base and the text."""
    group = (
        QPalette.ColorGroup.Disabled
        if palette.currentColorGroup() == QPalette.ColorGroup.Disabled
        else QPalette.ColorGroup.Active
    )
    base = palette.color(group, QPalette.ColorRole.Base)
    text = palette.color(group, QPalette.ColorRole.Text)
    return QColor(
        (base.red() + text.red() * 2) // 3,
        (base.green() + text.green() * 2) // 3,
        (base.blue() + text.blue() * 2) // 3,
    )


_system: dict[str, object] = {}


def theme_name(value: str) -> str:
    """A known theme name for a setting's value (anything else is the system's)."""
    return value if value in (LIGHT, DARK) else SYSTEM


def dark_palette() -> QPalette:
    """A dark palette for Fusion: light text on dark grey, a clear blue highlight."""
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    disabled = QColor(130, 130, 130)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(40, 40, 43),
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64),
        QPalette.ColorRole.ToolTipText: text,
        # grey enough not to pass for a typed value (230 is the text)
        QPalette.ColorRole.PlaceholderText: QColor(125, 125, 130),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(58, 58, 62),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 120, 120),
        QPalette.ColorRole.Light: QColor(80, 80, 85),
        QPalette.ColorRole.Midlight: QColor(66, 66, 70),
        QPalette.ColorRole.Mid: QColor(40, 40, 43),
        QPalette.ColorRole.Dark: QColor(25, 25, 27),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
        QPalette.ColorRole.Highlight: QColor(64, 140, 230),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 170, 255),
        QPalette.ColorRole.LinkVisited: QColor(180, 140, 255),
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.PlaceholderText, QColor(95, 95, 100)
    )
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(80, 80, 85))
    return p


def _remember_system(app: QApplication) -> None:
    """The platform's (or the command line's) style and palette, before any theme."""
    if not _system:
        # Once a style sheet is set, app.style() is Qt's style-sheet wrapper, nameless.
        _system["style"] = app.style().name() or "Fusion"
        _system["palette"] = QPalette(app.palette())


def current_style() -> str:
    """The name of the style the theme applied ("fusion", "windows11" ...)."""
    app = QApplication.instance()
    value = app.property("zmed_style") if isinstance(app, QApplication) else None
    return value if isinstance(value, str) else ""


def current_theme() -> str:
    app = QApplication.instance()
    value = app.property("zmed_theme") if isinstance(app, QApplication) else None
    return value if isinstance(value, str) else SYSTEM


def apply_theme(name: str) -> None:
    """Apply theme ``name`` (system, light or dark) to the running application, live."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    _remember_system(app)
    name = theme_name(name)
    if name == SYSTEM:
        style = QStyleFactory.create(str(_system["style"]))
        palette = _system["palette"]
    else:
        style = QStyleFactory.create("Fusion")
        palette = dark_palette() if name == DARK or style is None else style.standardPalette()
    if style is not None:
        app.setProperty("zmed_style", style.name())
        app.setStyle(ThemeStyle(style))
    assert isinstance(palette, QPalette)
    app.setPalette(palette)
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+: native dialogs follow too
        scheme = {
            SYSTEM: Qt.ColorScheme.Unknown,
            LIGHT: Qt.ColorScheme.Light,
            DARK: Qt.ColorScheme.Dark,
        }[name]
        try:
            hints.setColorScheme(scheme)
        except Exception:  # a platform that cannot: the palette above is enough
            log.debug("cannot set the colour scheme", exc_info=True)
    app.setProperty("zmed_theme", name)
    log.info("theme: %s (style %s)", name, current_style())
