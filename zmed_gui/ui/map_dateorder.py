"""The Map step's question about a date column whose day/month order nothing proves.

When every numeric date of a mapped date column could be read either way (03/04/2026)
and no order is set, the step asks once, in a bar above the options: day first or month
first. The answer sets the date order option (shown in the options below); "Not now"
leaves the cells as errors that say both readings. The column is read off the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from zmed_gui.core.convert import (
    ConversionOptions,
    DateOrder,
    DateOrderGuess,
    asks_date_order,
    count_texts,
    date_order_question,
    infer_date_order,
)
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.schema import FieldType, Schema
from zmed_gui.core.table import Table
from zmed_gui.ui.jobs import WorkFn

DATE_TYPES = (FieldType.DATE, FieldType.DATETIME)


def date_columns(schema: Schema, mapping: Mapping) -> list[int]:
    """The columns feeding the date and date-time fields, in field order, each once."""
    out: list[int] = []
    for f in schema.fields:
        src = mapping.source(f.name)
        if f.type in DATE_TYPES and src is not None and src.column is not None:
            out.append(src.column)
    return list(dict.fromkeys(out))


def order_is_set(options: ConversionOptions) -> bool:
    return options.date_order in (DateOrder.DMY, DateOrder.MDY)


def question_job(
    table: Table, columns: list[int], known: dict[int, DateOrderGuess] | None = None
) -> WorkFn:
    """Find the first of ``columns`` whose order nothing proves; the job returns
    ``(column, sentence)``, column and sentence None when there is none. ``known``: the
    columns' orders already read (no order given): a column they show has no question is
    not read again."""
    known = known or {}

    def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[Any, ...]:
        for column in columns:
            cancel.raise_if_cancelled()
            guess = known.get(column)
            if guess is not None and not asks_date_order(guess):
                continue
            question = date_order_question(table.columns[column])
            if question is not None:
                sentence = question.sentence(f"Column {table.column_label(column)}")
                return column, sentence
        return None, None

    return work


def date_orders_job(table: Table, columns: list[int], given: DateOrder | None) -> WorkFn:
    """Each column's day/month order from every cell, as the validator decides it; the
    job returns ``{(column, given): DateOrderGuess}`` (map_samples.DateOrders)."""

    def work(progress: ProgressCallback, cancel: CancelToken) -> dict[tuple[int, Any], Any]:
        out: dict[tuple[int, Any], Any] = {}
        for column in columns:
            cancel.raise_if_cancelled()
            out[column, given] = infer_date_order(count_texts(table.columns[column]).items(), given)
        return out

    return work


class DateOrderPrompt(QFrame):
    """ "Column C (Date) has 12 dates like '03/04/2026' ...": Day first, Month first, Not now."""

    chosen = Signal(object)  # the DateOrder chosen
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Date order question")
        layout = QHBoxLayout(self)
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.day_first_button = QPushButton("Da&y first")
        self.month_first_button = QPushButton("&Month first")
        self.later_button = QPushButton("Not no&w")
        self.later_button.setToolTip("Leave those dates as errors for now.")
        for button in (self.day_first_button, self.month_first_button, self.later_button):
            layout.addWidget(button)
        self.day_first_button.clicked.connect(lambda: self._choose(DateOrder.DMY))
        self.month_first_button.clicked.connect(lambda: self._choose(DateOrder.MDY))
        self.later_button.clicked.connect(self._on_later_button_clicked)
        self.setVisible(False)

    def ask(self, sentence: str) -> None:
        self.label.setText(sentence)
        self.setVisible(True)

    def _choose(self, order: DateOrder) -> None:
        self.setVisible(False)
        self.chosen.emit(order)

    def _on_later_button_clicked(self) -> None:
        self.setVisible(False)
        self.dismissed.emit()
