"""The Upload step's result panel: what happened, in counts and one sentence, and what next.

Its buttons ask what they need (where to save the report, whether to resend) and then
emit a signal; the step, which owns the workers, does the work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.ui.icons import icon
from zmed_gui.ui.upload_dialogs import GuardChoice, choice_of, n, resend_question


def is_complete(result: Any) -> bool:
    """Everything was sent and accepted (or was already there): nothing is left to send."""
    return bool(
        not result.dry_run
        and result.error is None
        and not result.interrupted
        and not result.rejected
        and not result.uncertain_total
        and not result.not_sent
        and (result.accepted or result.skipped_duplicates)
    )


def default_result_path(source: Path | None) -> Path:
    """Next to the spreadsheet (else in the home folder), stamped with the time."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if source is not None:
        return Path(source).with_name(f"{Path(source).stem}-uploaded-{stamp}.xlsx")
    return Path.home() / f"zmed-upload-{stamp}.xlsx"


def result_title(result: Any, service: str = "Zuora") -> str:
    """The sentence over the counts; ``service`` is "Zuora" or "the local emulator"."""
    if result.dry_run:
        title = "Dry run finished: nothing was sent."
    elif result.error is not None:
        title = f"The upload stopped: {result.error}"
    elif result.interrupted:
        title = (
            f"The upload was stopped after {service} received {n(result.accepted)} events. "
            "Press Resume upload to send the rest; nothing is sent twice."
        )
    elif result.rejected or result.uncertain:
        title = (
            f"Finished with problems: {n(result.accepted)} events received, "
            f"{n(result.rejected)} rejected, {n(result.uncertain)} without an answer. "
            "The result report shows which rows and why."
        )
    else:
        title = f"Done: all {n(result.accepted)} events were received by {service}."
    if result.message and (result.uncertain or result.held_uncertain or result.error):
        # Core's sentence adds what to do about uncertain events; counts are below.
        title += f"\n{result.message}"
    title += f"\nUpload {result.upload_id[:8]}, track ID {result.track_id}."
    return title


def _count_names(service: str) -> list[tuple[str, str]]:
    return [
        ("accepted", f"Received by {service}"),
        ("rejected", f"Rejected by {service}"),
        ("invalid", "Invalid, not sent"),
        ("skipped_duplicates", "Duplicates skipped"),
        ("uncertain", "No answer (uncertain)"),
        ("not_sent", "Not sent yet"),
    ]


class UploadResultPanel(QGroupBox):
    """Counts, a sentence, and what can be done next.

    ``source_path`` gives the spreadsheet's path when asked (the report goes next to it).
    """

    resume_requested = Signal()
    check_requested = Signal()  # "Check with Zuora": reconcile with the meter's audit trail
    resend_confirmed = Signal(object)  # the 0-based rows to send again (a set)
    report_requested = Signal(object, bool)  # the report's Path, open it afterwards

    def __init__(
        self, source_path: Callable[[], Path | None], parent: QWidget | None = None
    ) -> None:
        super().__init__("Result", parent)
        self._source_path = source_path
        self._shown: Any = None  # the UploadResult shown
        self.failed: dict[int, str] = {}  # rows Resend offers -> "rejected" / "uncertain"
        self.service = "Zuora"
        self.resend_box: QMessageBox | None = None
        self._resend_rows: set[int] = set()
        self.result_title = QLabel()
        self.result_title.setWordWrap(True)
        self.result_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_labels: dict[str, QLabel] = {}
        self.count_names: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        for i, (key, label) in enumerate(_count_names("Zuora")):
            value = QLabel("0")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            font = value.font()
            font.setBold(True)
            value.setFont(font)
            self.count_labels[key] = value
            self.count_names[key] = caption = QLabel(label + ":")
            grid.addWidget(caption, i % 3, (i // 3) * 2)
            grid.addWidget(value, i % 3, (i // 3) * 2 + 1)
        grid.setColumnStretch(4, 1)
        self.report_button = QPushButton(icon("export"), "Open result report")
        self.report_button.setToolTip(
            "Every row with what happened to it, saved next to your spreadsheet"
        )
        self.report_button.clicked.connect(self._on_report_button_clicked)
        self.report_as_button = QPushButton("Save result report as…")
        self.report_as_button.clicked.connect(self._on_report_as_button_clicked)
        self.resume_button = QPushButton("Resume upload")
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.resend_button = QPushButton("Resend failed/uncertain events…")
        self.resend_button.clicked.connect(self._on_resend_button_clicked)
        self.check_button = QPushButton("Check with the meter")
        self.check_button.setToolTip(
            "Zuora checks events after receiving them: ask the meter which it kept and which "
            "it rejected afterwards"
        )
        self.check_button.clicked.connect(self.check_requested.emit)
        self.auto_check_box = QCheckBox("Check by itself when the meter has reported")
        self.auto_check_box.setChecked(True)
        self.auto_check_box.setToolTip(
            "The meter reports the events it rejects within about 15 minutes of receiving "
            "them; the check then runs by itself"
        )
        buttons = QHBoxLayout()
        for b in (
            self.report_button,
            self.report_as_button,
            self.resume_button,
            self.resend_button,
            self.check_button,
            self.auto_check_box,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_label.hide()
        rl = QVBoxLayout(self)
        rl.addWidget(self.result_title)
        rl.addLayout(grid)
        rl.addWidget(self.check_label)
        rl.addLayout(buttons)
        self.hide()

    def show_result(self, result: Any, failed: dict[int, str], service: str = "Zuora") -> None:
        """The counts and sentence of ``result``; Resend when ``failed`` has rows."""
        self._shown, self.failed, self.service = result, failed, service
        for key, name in _count_names(service):
            self.count_names[key].setText(name + ":")
        for key, label in self.count_labels.items():
            # "uncertain" includes events an earlier upload sent without an answer and this
            # one held back: the user must look at both before resending.
            attr = "uncertain_total" if key == "uncertain" else key
            label.setText(n(int(getattr(result, attr, getattr(result, key, 0)) or 0)))
        self.result_title.setText(result_title(result, service))
        self.resume_button.setVisible(bool(result.interrupted))
        self.resend_button.setVisible(bool(failed) and not result.interrupted)
        self.check_button.setVisible(not result.dry_run and result.accepted > 0)
        self.auto_check_box.setVisible(self.check_button.isVisibleTo(self))
        self.check_button.setEnabled(True)
        self.check_button.setText("Check with the meter")
        self.resend_button.setText("Resend failed/uncertain events…")
        self.check_label.hide()
        self.show()

    def show_check(self, checked: Any) -> None:
        """What the meter's audit trail said (core's sentence): kept, rejected, not known.

        Rows the meter rejected after receipt join the rows Resend offers, and the counts
        and headline say it too, so nothing on the panel contradicts the check.
        """
        self.check_label.setText(checked.message)
        self.check_label.show()
        if checked.rejected and self._shown is not None:
            self.failed.update({row: "rejected" for row in checked.rejected_rows})
            self.resend_button.setText("Send the rejected rows again…")
            self.resend_button.setVisible(True)
            rejected = int(self._shown.rejected) + int(checked.rejected)
            self.count_labels["rejected"].setText(n(rejected))
            first, _, rest = self.result_title.text().partition("\n")
            if first.startswith("Done:"):
                first = (
                    f"{n(self._shown.accepted)} events were received; the meter rejected "
                    f"{n(checked.rejected)} of them afterwards (see below)."
                )
                self.result_title.setText(first + ("\n" + rest if rest else ""))
        self.check_button.setEnabled(True)
        self.check_button.setText(f"Check again (last: {dt.datetime.now():%H:%M})")

    def show_stopped(self) -> None:
        """Cancelled while sending, before any result came back."""
        self.result_title.setText(
            "The upload was stopped. Press Resume upload to send the rest; nothing is sent twice."
        )
        self.resume_button.show()
        self.resend_button.hide()
        self.show()

    def add_note(self, text: str) -> None:
        self.result_title.setText(self.result_title.text() + f"\n{text}")

    def _on_resume_button_clicked(self) -> None:
        self.resume_requested.emit()

    def _on_resend_button_clicked(self) -> None:
        if self._shown is None:
            return
        failed = self.failed
        uncertain = sum(1 for s in failed.values() if s == "uncertain")
        box = resend_question(self, len(failed) - uncertain, uncertain, service=self.service)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self._resend_rows = set(failed)
        box.finished.connect(self._on_resend_box_finished)
        self.resend_box = box
        box.open()

    def _on_resend_box_finished(self, _code: int) -> None:
        box, self.resend_box = self.resend_box, None
        if box is None:
            return
        choice = choice_of(box)
        box.deleteLater()
        if choice is GuardChoice.SEND_ALL:
            self.resend_confirmed.emit(self._resend_rows)

    def default_path(self) -> Path:
        return default_result_path(self._source_path())

    def _on_report_button_clicked(self) -> None:
        self.report_requested.emit(self.default_path(), True)

    def _on_report_as_button_clicked(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Save result report",
            str(self.default_path()),
            "Excel workbook (*.xlsx);;CSV file (*.csv)",
        )
        if path:
            p = Path(path)
            if not p.suffix:
                p = p.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
            self.report_requested.emit(p, True)
