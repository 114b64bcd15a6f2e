"""The theme's looks: whole button texts, visible checkboxes and placeholders in the dark."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from zmed_gui.ui.theme import apply_theme

TEXTS = ["Continue to upload", "Continue to mapping", "Upload 300,000 events", "Open result report"]


@pytest.fixture
def restore_theme() -> Any:
    yield
    apply_theme("system")


@pytest.mark.parametrize("theme", ["system", "light", "dark"])
def test_a_focused_default_button_shows_its_whole_text(
    qtbot: Any, restore_theme: Any, theme: str
) -> None:
    """The focus ring's style sheet added a border and padding on focus only: the button
    kept its unfocused size and "Continue to upload" lost its last letters."""
    apply_theme(theme)
    page = QWidget()
    qtbot.addWidget(page)
    layout = QHBoxLayout(page)
    other = QPushButton("Back")
    layout.addWidget(other)
    buttons = []
    for text in TEXTS:
        button = QPushButton(text)
        button.setDefault(True)
        layout.addWidget(button)
        buttons.append(button)
    layout.addStretch()
    page.show()
    qtbot.waitExposed(page)
    for button in buttons:
        other.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(other.hasFocus)
        button.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(button.hasFocus)
        QApplication.processEvents()
        option = QStyleOptionButton()
        button.initStyleOption(option)
        assert option.state & QStyle.StateFlag.State_HasFocus
        for size in (button.size(), button.sizeHint()):
            option.rect = button.rect()
            option.rect.setSize(size)
            room = button.style().subElementRect(
                QStyle.SubElement.SE_PushButtonContents, option, button
            )
            needed = button.fontMetrics().horizontalAdvance(button.text())
            assert room.width() >= needed, (theme, button.text(), room.width(), needed)


def test_the_focus_ring_is_highlight_coloured_in_every_theme(
    qtbot: Any, restore_theme: Any
) -> None:
    for theme in ("system", "light", "dark"):
        apply_theme(theme)
        button = QPushButton("Continue to upload")
        qtbot.addWidget(button)
        button.show()
        qtbot.waitExposed(button)
        unfocused = button.grab().toImage()
        button.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(button.hasFocus)
        focused = button.grab().toImage()
        highlight = button.palette().color(QPalette.ColorRole.Highlight)
        edge = [focused.pixelColor(x, focused.height() // 2) for x in range(3)]
        assert any(abs(c.hue() - highlight.hue()) < 20 and c.saturation() > 60 for c in edge)
        assert focused != unfocused


def _edge_contrast(image: Any, rect: Any, background: Any) -> int:
    """The largest lightness difference from ``background`` along ``rect``'s edge."""
    points = [(x, rect.top()) for x in range(rect.left(), rect.right() + 1)]
    points += [(rect.left(), y) for y in range(rect.top(), rect.bottom() + 1)]
    return max(abs(image.pixelColor(x, y).lightness() - background.lightness()) for x, y in points)


def test_an_unchecked_check_box_is_visible_in_the_dark(qtbot: Any, restore_theme: Any) -> None:
    """Fusion edges the box with the window colour darkened: on the dark palette an
    unchecked box was a dark square on a dark window."""
    from PySide6.QtWidgets import QCheckBox

    apply_theme("dark")
    box = QCheckBox("Send")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    image = box.grab().toImage()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    window = box.palette().color(QPalette.ColorRole.Window)
    assert _edge_contrast(image, rect, window) >= 80


def test_an_unchecked_item_check_box_is_visible_in_the_dark(qtbot: Any, restore_theme: Any) -> None:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

    apply_theme("dark")
    model = QStandardItemModel(1, 1)
    item = QStandardItem("")
    item.setCheckable(True)
    item.setCheckState(Qt.CheckState.Unchecked)
    model.setItem(0, 0, item)
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    viewport = view.viewport()
    image = viewport.grab().toImage()
    cell = view.visualRect(model.index(0, 0))
    option = QStyleOptionViewItem()
    option.rect = cell
    option.features = QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    rect = view.style().subElementRect(
        QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view
    )
    base = view.palette().color(QPalette.ColorRole.Base)
    assert _edge_contrast(image, rect, base) >= 80


def test_the_dark_placeholder_is_greyer_than_a_typed_value(restore_theme: Any) -> None:
    """The Track ID's placeholder looked like a real value: it sits nearer the field's
    background than its text."""
    from zmed_gui.ui.theme import dark_palette

    p = dark_palette()
    base = p.color(QPalette.ColorRole.Base).lightness()
    text = p.color(QPalette.ColorRole.Text).lightness()
    placeholder = p.color(QPalette.ColorRole.PlaceholderText).lightness()
    assert placeholder < (base + text) / 2
