"""The Upload step's result panel: what happened, in counts and one sentence, and what next.

Its buttons ask what they need (where to save the report, whether to resend) and then
emit a signal; the step, which owns the workers, does the work.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, Signal
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
from zmed_gui.ui.numbers import counted
from zmed_gui.ui.upload_dialogs import GuardChoice, choice_of, n, plain_words, resend_question


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


def documents_folder() -> Path:
    """The user's Documents folder as the system names it (no disk access here)."""
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(loc) if loc else Path.home()


def _inside_the_app(folder: Path) -> bool:
    """A folder of the installed app (or of a file the app unpacked for itself)."""
    from importlib import resources

    import zmed_gui

    roots = [Path(zmed_gui.__file__).resolve().parent]
    try:  # the app's resources may live elsewhere (an editable install maps them)
        roots.append(Path(str(resources.files("zmed_gui.resources"))).resolve())
    except (ModuleNotFoundError, TypeError, OSError):
        pass
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        roots.append(Path(frozen).resolve())
    try:
        here = folder.resolve()
    except OSError:
        return True
    return any(here == root or root in here.parents for root in roots)


def result_folder(source: Path | None, documents: Path) -> Path:
    """Where result files go: beside the spreadsheet when that folder is writable and is
    not part of the app (the demo's sample is), else the Documents folder, else home.

    Looks at the disk: call it in a worker.
    """
    if source is not None:
        folder = Path(source).parent
        if folder.is_dir() and os.access(folder, os.W_OK) and not _inside_the_app(folder):
            return folder
    for folder in (documents, Path.home()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return Path.home()


def result_name(source: Path | None, what: str = "uploaded") -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = Path(source).stem if source is not None else "zmed-upload"
    return f"{stem}-{what}-{stamp}.xlsx"


def default_result_path(source: Path | None, documents: Path | None = None) -> Path:
    """The result report's path: see :func:`result_folder` (looks at the disk)."""
    folder = result_folder(source, documents if documents is not None else documents_folder())
    return folder / result_name(source)


def result_title(result: Any, service: str = "Zuora") -> str:
    """The sentence over the counts; ``service`` is "Zuora" or "the local emulator"."""
    if result.dry_run:
        title = "Dry run finished: nothing was sent."
    elif result.error is not None:
        title = f"The upload stopped: {plain_words(str(result.error))[0]}"
    elif result.interrupted:
        title = (
            f"The upload was stopped after {service} received {counted(result.accepted, 'event')}. "
            "Press Resume upload to send the rest; nothing is sent twice."
        )
    elif result.rejected or result.uncertain:
        title = (
            f"Finished with problems: {counted(result.accepted, 'event')} received, "
            f"{n(result.rejected)} rejected, {n(result.uncertain)} without an answer. "
            "The result report shows which rows and why."
        )
    else:
        title = (
            f"Done: all {counted(result.accepted, 'event')} were received by {service}."
            if result.accepted != 1
            else f"Done: the event was received by {service}."
        )
    if result.interrupted and not result.error:
        # One next step (Resume); core's sentence ("run the same upload again") is the
        # command line's. Uncertain events: what can and cannot be known of them.
        if result.uncertain:
            title += (
                f"\n{counted(result.uncertain, 'event')} "
                f"{'was' if result.uncertain == 1 else 'were'} sent without an answer: "
                f"{CHECK_WORDS}"
            )
    elif result.message and (result.uncertain or result.held_uncertain or result.error):
        # Core's sentence adds what to do about uncertain events; counts are below.
        words = plain_words(result.message)[0].replace(
            CORE_CHECK_WORDS, CHECK_WORDS[0].upper() + CHECK_WORDS[1:]
        )
        title += f"\n{words}"
    title += f"\nReference {result.track_id} (upload {result.upload_id[:8]})."
    return title


# Core's advice for uncertain events (the command line's), and the app's: its own button.
CORE_CHECK_WORDS = "Check the uncertain events in Zuora and resend them only if they are missing."
# Check with the meter cannot tell: Zuora's audit trail names only the events it rejected,
# so silence is no proof that an unanswered event arrived (the second walk pressed it and
# heard nothing of them).
CHECK_WORDS = (
    "they may have arrived. Zuora reports only the events it rejects, so compare the meter's "
    "total in Zuora before sending them again."
)


def _count_names(service: str) -> list[tuple[str, str]]:
    return [
        ("accepted", f"Received by {service}"),
        ("rejected", f"Refused by {service} when sent"),
        ("invalid", "Invalid, not sent"),
        ("skipped_duplicates", f"Received by {service} before, not sent again"),
        ("uncertain", "No answer (uncertain)"),
        ("not_sent", "Not sent yet"),
        ("left_out", "Left out by you"),
    ]


class UploadResultPanel(QGroupBox):
    """Counts, a sentence, and what can be done next.

    ``source_path`` gives the spreadsheet's path when asked (the report goes next to it).
    """

    resume_requested = Signal()
    check_requested = Signal()  # "Check with Zuora": reconcile with the meter's audit trail
    resend_confirmed = Signal(object)  # the 0-based rows to send again (a set)
    report_requested = Signal(object, bool)  # the report's Path (None: the usual), open it
    discard_requested = Signal()  # forget the stopped upload (it is not offered again)
    fixes_export_requested = Signal(object)  # where to write the rows to fix (None: usual)
    fixes_read_requested = Signal(object)  # the fixed workbook's Path

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
        grid.setColumnStretch(2 * ((len(self.count_labels) + 2) // 3), 1)
        self.report_button = QPushButton(icon("export"), "Open result report")
        self.report_button.setToolTip(
            "Every row with what happened to it, saved next to your spreadsheet (or in "
            "Documents when that folder cannot be written)"
        )
        self.report_button.clicked.connect(self._on_report_button_clicked)
        self.report_as_button = QPushButton("Save result report as…")
        self.report_as_button.clicked.connect(self._on_report_as_button_clicked)
        self.resume_button = QPushButton("Resume upload")
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.resend_button = QPushButton("Resend failed/uncertain events…")
        self.resend_button.clicked.connect(self._on_resend_button_clicked)
        self.discard_button = QPushButton("Discard this upload")
        self.discard_button.setToolTip(
            "Forget this unfinished upload (for example, it went to a wrong meter): it is "
            "no longer offered for resuming. What was received stays recorded, so nothing "
            "is sent twice."
        )
        self.discard_button.clicked.connect(self.discard_requested.emit)
        self.fix_export_button = QPushButton("Export rows to fix…")
        self.fix_export_button.setToolTip(
            "Only the rows that were not sent or not accepted, with the reason and their row "
            "number, as a workbook to fix in Excel"
        )
        self.fix_export_button.clicked.connect(self._on_fix_export_button_clicked)
        self.fix_read_button = QPushButton("Read fixed rows back in…")
        self.fix_read_button.setToolTip(
            "Read the workbook you fixed: its changes go into the rows (by row number), "
            "ready to send what is not yet sent"
        )
        self.fix_read_button.clicked.connect(self._on_fix_read_button_clicked)
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
            self.discard_button,
            self.resend_button,
            self.check_button,
            self.auto_check_box,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        # Nothing moves when the check with the meter finishes (it may add Export rows to
        # fix, change the check button's text and show its sentence): Read fixed rows,
        # always there, comes first; the check button is as wide as its longest text; the
        # sentence goes below the buttons.
        fix_row = QHBoxLayout()
        fix_row.addWidget(self.fix_read_button)
        fix_row.addWidget(self.fix_export_button)
        fix_row.addStretch(1)
        self.check_button.setText(f"Check again (last: {dt.time(23, 59):%H:%M})")
        self.check_button.setMinimumWidth(self.check_button.sizeHint().width())
        self.check_button.setText("Check with the meter")
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_label.hide()
        rl = QVBoxLayout(self)
        rl.addWidget(self.result_title)
        rl.addLayout(grid)
        rl.addLayout(buttons)
        rl.addLayout(fix_row)
        rl.addWidget(self.check_label)
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
        # What the words left out (status codes, request IDs) is one hover away.
        self.result_title.setToolTip(plain_words(str(result.error))[1] if result.error else "")
        self.resume_button.setVisible(bool(result.interrupted))
        self.discard_button.setVisible(bool(result.interrupted))
        self.resend_button.setVisible(bool(failed) and not result.interrupted)
        self.resend_button.setEnabled(True)
        undelivered = int(result.rejected) + int(result.not_sent) + int(result.invalid)
        self.fix_export_button.setVisible(not result.dry_run and undelivered > 0)
        self.check_button.setVisible(not result.dry_run and result.accepted > 0)
        self.auto_check_box.setVisible(self.check_button.isVisibleTo(self))
        self.check_button.setEnabled(True)
        self.check_button.setText("Check with the meter")
        self.resend_button.setText("Resend failed/uncertain events…")
        self.check_label.hide()
        self.show()

    def show_check(self, checked: Any) -> None:
        """What the meter's audit trail said (core's sentence): kept, rejected, not known.

        Rows the meter rejected after receipt are rows to fix, never offered to send again
        as they are (the meter would reject them again: Upload sends them once changed);
        the counts and headline say it too, so nothing on the panel contradicts the check.
        """
        self.check_label.setText(checked.message)
        self.check_label.show()
        if checked.rejected and self._shown is not None:
            for row in checked.rejected_rows:
                self.failed.pop(row, None)
            # disabled, not hidden: the buttons after it stay where they are
            self.resend_button.setEnabled(bool(self.failed))
            self.fix_export_button.show()
            # Every row once: the rejected-after-receipt events are inside "Received", so
            # they are told there, never added to "Rejected" beside them.
            received = int(self._shown.accepted)
            unknown = f", not known yet {n(checked.unknown)}" if checked.unknown else ""
            self.count_labels["accepted"].setText(
                f"{n(received)}, of which kept {n(checked.kept)}, rejected after receipt "
                f"{n(checked.rejected)}{unknown}"
            )
            first, _, rest = self.result_title.text().partition("\n")
            if first.startswith("Done:"):
                first = (
                    f"{n(self._shown.accepted)} events were received; the meter rejected "
                    f"{n(checked.rejected)} of them afterwards (see below)."
                )
                self.result_title.setText(first + ("\n" + rest if rest else ""))
        self.check_button.setEnabled(True)
        self.check_button.setText(f"Check again (last: {dt.datetime.now():%H:%M})")

    def set_left_out(self, count: int) -> None:
        """ "Left out by you": rows excluded in Review that no upload delivered (the step's
        count), so that every row loaded is counted once on the panel."""
        self.count_labels["left_out"].setText(n(count))

    def set_not_sent(self, count: int) -> None:
        """ "Not sent yet": what Upload would send now (the step's count, one source)."""
        self.count_labels["not_sent"].setText(n(count))

    def set_invalid(self, count: int) -> None:
        """ "Invalid, not sent": the rows invalid now (a fixed row is "Not sent yet")."""
        self.count_labels["invalid"].setText(n(count))

    def set_rows_to_fix(self, any_rows: bool) -> None:
        """Export rows to fix… whenever some row is invalid, rejected or not delivered."""
        self.fix_export_button.setVisible(any_rows)

    def clear(self) -> None:
        """Another file was loaded: nothing of the last file's result stays (hidden)."""
        self._shown, self.failed, self._resend_rows = None, {}, set()
        for label in self.count_labels.values():
            label.setText("0")
        self.result_title.setText("")
        self.result_title.setToolTip("")
        self.check_label.setText("")
        self.check_label.hide()
        for b in (
            self.resume_button,
            self.discard_button,
            self.resend_button,
            self.fix_export_button,
            self.check_button,
            self.auto_check_box,
        ):
            b.hide()
        self.hide()

    def show_stopped(self) -> None:
        """Cancelled while sending, before any result came back."""
        self.result_title.setText(
            "The upload was stopped. Press Resume upload to send the rest; nothing is sent twice."
        )
        self.resume_button.show()
        self.discard_button.show()
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
        """Looks at the disk (the step resolves it in a worker; tests call it)."""
        return default_result_path(self._source_path())

    def _start_folder(self) -> str:
        """Where the save dialogs start: beside the spreadsheet, or Documents (no I/O)."""
        source = self._source_path()
        if source is not None and not _inside_the_app(Path(source).parent):
            return str(Path(source).parent)
        return str(documents_folder())

    def _on_report_button_clicked(self) -> None:
        self.report_requested.emit(None, True)

    def _on_fix_export_button_clicked(self) -> None:
        source = self._source_path()
        start = Path(self._start_folder()) / result_name(source, "rows-to-fix")
        path, _chosen = QFileDialog.getSaveFileName(
            self, "Export rows to fix", str(start), "Excel workbook (*.xlsx)"
        )
        if path:
            p = Path(path)
            self.fixes_export_requested.emit(p if p.suffix else p.with_suffix(".xlsx"))

    def _on_fix_read_button_clicked(self) -> None:
        path, _chosen = QFileDialog.getOpenFileName(
            self, "Read fixed rows back in", self._start_folder(), "Excel workbook (*.xlsx)"
        )
        if path:
            self.fixes_read_requested.emit(Path(path))

    def _on_report_as_button_clicked(self) -> None:
        source = self._source_path()
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Save result report",
            str(Path(self._start_folder()) / result_name(source)),
            "Excel workbook (*.xlsx);;CSV file (*.csv)",
        )
        if path:
            p = Path(path)
            if not p.suffix:
                p = p.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
            self.report_requested.emit(p, True)
