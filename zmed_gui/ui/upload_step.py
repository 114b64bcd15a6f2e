"""Step 4, Upload: where to send, how, the duplicate guard, progress, and what happened.

Everything slow runs in workers: resolving the connection and its secret, fingerprinting
the file, planning against the journal (:func:`prepare_upload`), sending
(:func:`run_upload`) and writing the result report. The run's :class:`UploadProgress`
snapshots are handed to the GUI thread through the worker's throttled ``progressed`` signal.

The parts: :class:`UploadForm` (connection, meter, options), :class:`UploadProgressPanel`
and :class:`UploadResultPanel`; this module wires them to the workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.connections import get_secret, remember_batch_size, remember_path_style
from zmed_gui.core.errors import CredentialsError, OptionsError, ZmedError
from zmed_gui.core.fixes import (
    export_rows_to_fix,
    merge_outcomes,
    not_yet_sent,
    read_fixed_rows,
    report_outcomes,
    rows_to_fix,
)
from zmed_gui.core.journal import JournalDamaged, abandon_upload
from zmed_gui.core.report import RowOutcome, RowUpload, write_report
from zmed_gui.core.table import CellValue
from zmed_gui.core.upload import check_upload
from zmed_gui.core.validate import RowStatus, revalidate_rows
from zmed_gui.ui import jobs
from zmed_gui.ui.dialogs import open_file, show_error
from zmed_gui.ui.gui_thread import DispatchesHoldingGil
from zmed_gui.ui.icons import icon
from zmed_gui.ui.jobs import Job, give_back_freed_memory
from zmed_gui.ui.journal_dialog import journal_damaged_box
from zmed_gui.ui.numbers import count, counted
from zmed_gui.ui.review_step import (
    keep_gui_thread_responsive,
    row_counts,
    sendable_count,
    settle_long_lived,
)
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_confirm import REVIEW_WARNINGS, SEND, last_look_box, look_choice
from zmed_gui.ui.upload_dialogs import (
    GuardChoice,
    choice_of,
    duplicate_guard,
    n,
    plain_words,
)
from zmed_gui.ui.upload_form import DEMO_NAME, UploadForm
from zmed_gui.ui.upload_jobs import Prepared, cell_edits, prepare_upload, send_upload
from zmed_gui.ui.upload_progress import UploadProgressPanel
from zmed_gui.ui.upload_result import (
    UploadResultPanel,
    default_result_path,
    documents_folder,
    is_complete,
    result_folder,
    result_name,
)

__all__ = ["DEMO_NAME", "EditsSink", "UploadStep"]

# How fixed rows are read back in: the Review step's ``apply_edits(edits, label)`` (one
# undoable command, revalidated off the GUI thread). The window connects it; until the
# Review step has it, :meth:`UploadStep._apply_edits_here` stands in.
EditsSink = Callable[[Sequence[tuple[int, int, CellValue]], str], None]

log = logging.getLogger(__name__)

EMULATOR = "the local emulator"  # where demo uploads go; never say "Zuora" for them


class UploadStep(DispatchesHoldingGil, QWidget):
    """The Upload step (see module docstring)."""

    advance_requested = Signal()  # never emitted: the last step
    upload_finished = Signal(object)  # UploadResult (tests, window status line)
    upload_stopped = Signal(str)  # planning failed or was cancelled (message)
    upload_checked = Signal(object)  # a ReconcileResult: what the meter kept
    guard_shown = Signal(object)  # the QMessageBox of the duplicate guard (tests)
    report_written = Signal(str)
    connections_loaded = Signal()  # the saved connections were read (tests wait for it)
    look_shown = Signal(object)  # the QMessageBox of the last look before sending (tests)
    review_warnings_requested = Signal()  # "Review the rows with warnings": go to Review
    fixes_exported = Signal(str)  # the rows-to-fix workbook was written (its path)
    fixes_read = Signal(object)  # a FixedRows was read back in and applied
    upload_discarded = Signal(str)  # the upload ID the user discarded
    # While an upload runs or is paused, Review's rows are read-only: the sentence to show
    # there ("" once the upload has ended, done or cancelled). The window connects it.
    rows_locked = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        keep_gui_thread_responsive()
        self.state = state
        self._worker: Job | None = None
        self._prepared: Prepared | None = None
        self._sending_prepared: Prepared | None = None
        self._failed_error: object = None
        self.journal_box: QMessageBox | None = None
        self._rows_only: set[int] | None = None  # resend: only these rows
        self.last_result: Any = None
        self.last_check: Any = None  # the last ReconcileResult shown
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.timeout.connect(self._on_check_timer_timeout)
        self._auto_check: Callable[[], None] = lambda: None
        self.check_job: Job | None = None
        self.last_upload_id: str | None = None  # the upload being (or last) sent
        self._sending = False
        self._service = "Zuora"  # where the current/last upload went, in words
        # The connection and meter (and its name in words) a complete upload went to.
        self._complete_for: tuple[Any, str] | None = None
        self._complete_service = "Zuora"
        self.guard_box: QMessageBox | None = None
        self.last_report: Path | None = None
        self._counted: Any = None
        self._counts: dict[RowStatus, int] = row_counts(None)
        self._open_report = False
        self._writing_report = False  # the running job writes the result report
        self.look_box: QMessageBox | None = None
        self.open_box: QMessageBox | None = None  # "could not open the file" (tests)
        # What the uploads of these rows (this table and mapping) to this destination did,
        # row by row, merged over the uploads: after a fix, only the rest is sent.
        self._outcomes: dict[int, RowUpload] = {}
        self._outcomes_key: tuple[Any, Any, Any] | None = None
        self._sending_key: tuple[Any, Any, Any] | None = None
        self._pending: list[int] | None = None  # rows not yet delivered (None: unknown)
        self._counts_version = 0
        self._pending_of: tuple[int, int] | None = None
        self._pending_src: dict[int, RowUpload] | None = None
        # The destination of the upload that stopped unfinished (Resume offers it only there).
        self._stopped_for: tuple[Any, str] | None = None
        self.apply_edits: EditsSink | None = None
        # (row, column) -> the value a sent row had in that cell when it was sent, for the
        # cells that were edited then; a cell not here was sent as the sheet had it.
        self._sent_values: dict[tuple[int, int], CellValue] = {}
        self._changed_after: dict[int, list[tuple[int, CellValue, CellValue]]] = {}
        self._changed_of: tuple[int, int] | None = None
        self._rejected_left = 0  # rejected rows not changed since: never sent by themselves
        self._uncertain_left = 0  # rows sent without an answer (the known outcomes)
        self._locked = ""
        self._job_text = ""  # what the running job does ("Preparing the upload…")

        self.start_action = QAction(icon("upload"), "&Upload", self)
        self.start_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.start_action.setToolTip("Check for duplicates, then send the events (Ctrl+Enter)")
        self.start_action.triggered.connect(self._on_start_action_triggered)
        self.addAction(self.start_action)  # Ctrl+Return while this step is shown

        # Rows to fix, from the File menu too (the result panel's buttons do the same).
        self.fix_export_action = QAction("E&xport rows to fix…", self)
        self.fix_export_action.setToolTip(
            "Only the rows that were not sent or not accepted, with the reason, to fix in Excel"
        )
        self.fix_export_action.setEnabled(False)
        self.fix_read_action = QAction("Read &fixed rows back in…", self)
        self.fix_read_action.setEnabled(False)

        self.form = form = UploadForm(state, self)
        form.connections_loaded.connect(self.connections_loaded)
        self.connections_action = form.connections_action
        self.connections_button = form.connections_button
        self.connection_combo = form.connection_combo
        self.target_edit = form.target_edit
        self.batch_spin = form.batch_spin
        self.concurrency_spin = form.concurrency_spin
        self.gzip_check = form.gzip_check
        self.track_edit = form.track_edit
        self.dry_run_check = form.dry_run_check

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.start_button = QPushButton(self.start_action.icon(), "Upload")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_action.trigger)
        # as wide as its widest text: when it changes (after the check with the meter, say)
        # the button does not move
        widest = 0
        for text in ("Dry run", "Nothing to send", "Upload complete", "Upload 99,999 events"):
            self.start_button.setText(text)
            widest = max(widest, self.start_button.sizeHint().width())
        self.start_button.setMinimumWidth(widest)
        self.start_button.setText("Upload")
        start_row = QHBoxLayout()
        start_row.addWidget(self.summary_label, 1)
        start_row.addWidget(self.start_button)

        self.progress_box = progress = UploadProgressPanel(self)
        progress.cancel_requested.connect(self.cancel)
        self.progress_bar = progress.progress_bar
        self.progress_label = progress.progress_label
        self.pause_button = progress.pause_button
        self.pause_button.clicked.connect(self._announce_lock)  # after the panel's own slot
        self.cancel_button = progress.cancel_button

        self.result_box = results = UploadResultPanel(lambda: state.path, self)
        self.result_title = results.result_title
        self.count_labels = results.count_labels
        self.report_button = results.report_button
        self.report_as_button = results.report_as_button
        self.resume_button = results.resume_button
        self.resend_button = results.resend_button
        results.resume_requested.connect(self.resume)
        results.resend_confirmed.connect(self._on_result_box_resend_confirmed)
        results.report_requested.connect(self._on_result_box_report_requested)
        results.check_requested.connect(self._on_result_box_check_requested)
        results.discard_requested.connect(self.discard_stopped_upload)
        results.fixes_export_requested.connect(self.export_rows_to_fix)
        results.fixes_read_requested.connect(self.read_fixed_rows)
        self.fix_export_action.triggered.connect(results.fix_export_button.click)
        self.fix_read_action.triggered.connect(results.fix_read_button.click)

        layout = QVBoxLayout(self)
        layout.addWidget(form)
        layout.addLayout(start_row)
        layout.addWidget(progress)
        layout.addWidget(results)
        layout.addStretch(1)

        form.changed.connect(self._update_summary)
        state.validation_changed.connect(self._on_state_validation_changed)
        # A cell fixed or a row left out in Review changes what is not yet sent.
        state.edits_changed.connect(self._on_state_rows_changed)
        state.excluded_changed.connect(self._on_state_rows_changed)
        state.table_changed.connect(self._on_state_table_changed)
        self._update_summary()

    # -- step contract -----------------------------------------------------------------------
    def step_actions(self) -> list[QAction]:
        return [self.start_action, self.connections_action]

    def activate(self) -> None:
        self._counted = None  # rows may have been fixed or left out in Review
        self.form.reload_connections()
        self.form.prefill_target()
        self._update_summary()

    @property
    def busy(self) -> bool:
        # The last look waits for the user holding the meter: nothing else starts meanwhile.
        return self._worker is not None or self.look_box is not None

    @property
    def connections_dialog(self) -> Any:
        return self.form.connections_dialog

    @property
    def resend_box(self) -> QMessageBox | None:
        return self.result_box.resend_box

    # -- summary -------------------------------------------------------------------------------
    def _on_state_validation_changed(self) -> None:
        self._counted = None
        self._complete_for = None  # other rows, mapping or values: worth sending
        self._update_summary()

    def _on_state_table_changed(self) -> None:
        """Another file: the last file's result (counts, rows to fix, report) is no longer
        this one's. Open is refused while an upload runs; a running one keeps its panel."""
        if self._sending:
            return
        self.check_timer.stop()
        self._auto_check = lambda: None
        self.last_result = self.last_check = self.last_report = None
        self._outcomes, self._outcomes_key = {}, None
        self._sent_values, self._changed_after, self._changed_of = {}, {}, None
        self._stopped_for = self._complete_for = None
        self._pending_of = self._pending_src = self._pending = None
        self._counted = None
        self.result_box.clear()
        if self._worker is None:
            self.progress_box.hide()  # "Nothing was sent." was the last file's
        self._update_summary()

    def _announce_lock(self) -> None:
        """Tell Review whether rows may change: not while any job of an upload reads them
        (preparing, sending, paused, writing a report or the rows to fix) nor while its
        duplicate guard or last look waits for an answer."""
        if self._sending and self.progress_box.pause.paused:
            text = "An upload is paused: resume or cancel it before changing rows."
        elif self._sending:
            text = "An upload is running: wait for it to end, or cancel it, before changing rows."
        elif self._worker is not None:
            text = f"{self._job_text.rstrip('…. ')}: wait for it to end before changing rows."
        elif self.guard_box is not None or self.look_box is not None:
            text = "An upload waits for your answer: answer it before changing rows."
        else:
            text = ""
        if text != self._locked:
            self._locked = text
            self.rows_locked.emit(text)

    def _on_state_rows_changed(self) -> None:
        self._counted = None  # counted again when next shown (activate), not per edit
        if self.isVisible():
            self._update_summary()

    def _key(self) -> tuple[Any, Any, Any]:
        """Whose outcomes apply: the same table (edits included), mapping and destination."""
        return (self.state.table, self.state.mapping, self.form.destination())

    def _same_key(self, key: tuple[Any, Any, Any] | None) -> bool:
        return _keys_match(key, self._key())

    def _known_outcomes(self) -> dict[int, RowUpload] | None:
        return self._outcomes if self._outcomes and self._same_key(self._outcomes_key) else None

    @staticmethod
    def _not_yet_sent(
        result: Any, known: dict[int, RowUpload] | None, changed: Any = None
    ) -> list[int] | None:
        """Rows fixed or included after an upload, and rows it did not deliver: the next
        upload sends exactly these (never a delivered row again). None: the whole file.

        A row rejected (by Zuora, or by the meter after receipt) is not among them unless
        it was changed since it was sent (``changed``: rows): sent as it is, it would only
        be rejected again."""
        if known is None or result is None:
            return None
        rejected = RowOutcome.REJECTED
        pending = [
            row
            for row in not_yet_sent(result, known)
            if (up := known.get(row)) is None or up.status != rejected or row in (changed or ())
        ]
        if not pending and any(u.status == RowOutcome.UNCERTAIN for u in known.values()):
            # Sent without an answer is not received: Upload offers the file again, and
            # the duplicate guard asks about those events (resend or not).
            return None
        return pending

    def _resumable(self) -> bool:
        return self._stopped_for is not None and self._stopped_for == self.form.destination()

    def _update_summary(self) -> None:
        result = self.state.validation
        if result is not self._counted:
            # Counting a million statuses is quick but not free: once per result (or
            # after Review may have changed rows: activate() forgets the count).
            self._counted, self._counts = result, row_counts(result)
            self._counts_version += 1
        total = sendable_count(result, self._counts)
        dry_run = self.dry_run_check.isChecked()
        known = self._known_outcomes() if result is not None else None
        if self._pending_of != (self._counts_version, id(known)) or (
            self._pending_src is not known
        ):
            # Walking every row (bench/bench_upload_look.py) happens once per change,
            # not on every keystroke in the meter field.
            self._pending_of, self._pending_src = (self._counts_version, id(known)), known
            changed, self._changed_after = changed_after_sent(
                result.table if result is not None else None,
                known or {},
                self.state.edited_cells,
                self.state.edit_originals,
                self._sent_values,
            )
            self._pending = self._not_yet_sent(result, known, changed)
            self._rejected_left = rejected_unchanged(known, changed)
            # Only "nothing left but uncertain" says how many (a walk: ~50 ms at 300k rows).
            self._uncertain_left = uncertain_count(known) if self._pending is None else 0
        shown = self.last_result
        if shown is not None and not shown.dry_run and self._pending is not None:
            # One source: the counts' "Not sent yet" is what Upload would send now.
            self.result_box.set_not_sent(len(self._pending))
        fixable = False
        if shown is not None and not shown.dry_run and result is not None:
            # Every row once: a row fixed since is "Not sent yet", no longer "Invalid"
            # (the status bar's count); rows to fix: whichever upload left them.
            invalid_now = self._counts[RowStatus.INVALID]
            self.result_box.set_invalid(invalid_now)
            # rows not sent yet by a stopped upload are resumed, not fixed
            fixable = bool(invalid_now or self._rejected_left or shown.rejected)
            self.result_box.set_rows_to_fix(fixable)
        elif shown is None and result is not None:
            # before any upload the invalid rows can go to Excel too (the second walk: File >
            # Export rows to fix was greyed out in Review beside 475 invalid rows)
            fixable = bool(self._counts[RowStatus.INVALID])
        self.fix_export_action.setEnabled(fixable and not self.busy)
        self.fix_read_action.setEnabled(shown is not None and not shown.dry_run and not self.busy)
        if shown is not None and result is not None:
            self.result_box.set_left_out(left_out_count(result, known))
        edited_after = len(self._changed_after) if known is not None else 0
        to_send = total if self._pending is None or dry_run else len(self._pending)
        # After a complete upload the same events to the same meter would only meet the
        # duplicate guard: the button says so instead of inviting it.
        done = self._pending == [] or (
            self._pending is None
            and self._complete_for is not None
            and self._complete_for == self.form.destination()
        )
        resumable = self._resumable()
        # Everything delivered but some events went without an answer (known outcomes, no
        # rows pending): nothing is left to send; "Upload again…" meets the duplicate guard.
        again = (
            known is not None
            and result is not None
            and self._pending is None
            and shown is not None
            and not dry_run
            and not resumable
        )
        after = (
            f" {counted(edited_after, 'row')} changed after "
            f"{'it was' if edited_after == 1 else 'they were'} sent; not sent again (the "
            "result report says what was sent)."
            if edited_after
            else ""
        )
        if result is None:
            self.summary_label.setText("Check the rows in Review first.")
        elif done and self._rejected_left:
            self.summary_label.setText(
                f"{counted(self._rejected_left, 'rejected event')} "
                f"{'is' if self._rejected_left == 1 else 'are'} not sent again as "
                f"{'it is' if self._rejected_left == 1 else 'they are'}: fix "
                f"{'it' if self._rejected_left == 1 else 'them'} (Export rows to fix…), "
                "then Upload sends only the changed rows." + after
            )
        elif done:
            self.summary_label.setText(
                f"These events were all received by {self._complete_service}. To send again, "
                "change the rows, the mapping, the connection or the meter." + after
            )
        elif again:
            self.summary_label.setText(
                f"Nothing is left to send: every other event was received by {self._service}. "
                f"{counted(self._uncertain_left, 'event')} went without an answer and may "
                "have arrived: compare the meter's total in Zuora, then Upload again… asks "
                "before sending them again." + after
            )
        elif resumable:
            self.summary_label.setText(
                "The last upload stopped before the end: Resume upload sends the rest, or "
                "Discard this upload forgets it."
            )
        elif getattr(result, "mapping_problems", None):
            self.summary_label.setText(
                "Nothing can be sent until the mapping is complete: "
                + " ".join(str(p) for p in result.mapping_problems)
                + " Go back to Map to fix it."
            )
        else:
            invalid = self._counts[RowStatus.INVALID]
            if self._pending is not None:
                text = (
                    f"{counted(to_send, 'event')} not sent yet (changed, or not delivered "
                    "before); the rows already received are not sent again."
                )
            else:
                text = f"{counted(to_send, 'event')} ready to send."
                warned = min(self._counts[RowStatus.WARNING], to_send)
                if warned:
                    # Said before any last look (the demo has none): the walk sent a
                    # duplicate row and dates months off without a word here.
                    if to_send == 1:
                        which = "it has"
                    else:
                        which = f"{count(warned)} of them {'has' if warned == 1 else 'have'}"
                    text = (
                        f"{counted(to_send, 'event')} ready to send; {which} "
                        "a warning (a duplicate row, a negative number or an odd date, for "
                        "example): look at them in Review before you send."
                    )
            if invalid:
                text += f" {counted(invalid, 'invalid row')} will not be sent."
            left_out = self._counts.get(RowStatus.EXCLUDED, 0)
            if left_out:
                one = left_out == 1
                text += (
                    f" {counted(left_out, 'row')} you left out "
                    f"{'is' if one else 'are'} not sent either."
                )
            self.summary_label.setText(text + after)
        can = to_send > 0 and not self.busy and self.connection_combo.currentData() is not None
        can = can and (dry_run or not done)
        # While Resume is offered the result panel's button is the one way on: never two
        # upload buttons side by side.
        self.start_button.setVisible(not resumable or dry_run)
        self.start_action.setEnabled(can or (resumable and not self.busy))
        self.start_button.setEnabled(can)
        if dry_run:
            self.start_button.setText("Dry run")
        elif done and self._rejected_left:
            self.start_button.setText("Nothing to send")
        elif done:
            self.start_button.setText("Upload complete")
        elif again:
            self.start_button.setText("Upload again…")
        else:
            self.start_button.setText(f"Upload {counted(to_send, 'event')}")

    # -- planning --------------------------------------------------------------------------------
    def _on_start_action_triggered(self) -> None:
        if self._resumable() and not self.dry_run_check.isChecked():
            self.resume()
        elif self._pending and not self.dry_run_check.isChecked():
            self.start_upload(rows=set(self._pending))
        else:
            self.start_upload()

    def start_upload(
        self, *, resume_id: str | None = None, rows: set[int] | None = None, **overrides: Any
    ) -> None:
        """Plan in a worker; then the guard (if needed), then :meth:`_send`."""
        if self.busy or self.state.validation is None:
            return
        form = self.form
        conn = form.selected_connection()
        if conn is None:
            show_error(self, "Choose a connection first, or add one with Connections….")
            return
        demo = form.demo_selected()
        self._service = EMULATOR if demo and self.state.demo else "Zuora"
        secret = form.demo_connection()[1] if demo else form.session_secrets.get(conn.name)
        try:
            target = form.target(conn)
        except OptionsError as exc:
            show_error(self, str(exc), title="Upload", warning=True)
            return
        options = form.options(**overrides)
        state = self.state
        result, path = state.validation, state.path
        if result is None:
            return
        edits = cell_edits(result.table, state.edited_cells) if state.edited_cells else []
        self._rows_only = rows
        self._sending_key = self._key()

        def work(progress: Any, cancel: Any) -> Prepared:
            return prepare_upload(
                conn=conn,
                target=target,
                options=options,
                result=result,
                path=path,
                edits=edits,
                secret=secret,
                rows=rows,
                resume_id=resume_id,
                progress=progress,
                cancel=cancel,
            )

        self._run_worker(
            work, self._on_plan_finished, "Preparing the upload…", title="Preparing the upload"
        )

    def _on_plan_finished(self, prepared: Prepared) -> None:
        self._worker = None
        settle_long_lived()  # the plan lives through the upload
        plan = prepared.plan
        if self.state.resume_candidates and plan.resuming:
            self.state.set_resume_candidates([])
        # Ask only about what would be held back; a plan that already sends them anyway
        # (the user chose "Send all" or "Resend") lists them too.
        held_back = ((plan.duplicates or plan.copies) and not plan.options.allow_duplicates) or (
            plan.uncertain and not plan.options.resend_uncertain
        )
        # Events Zuora refused before, going again unchanged: asked once (a resend the user
        # chose, or "Send all", has said yes already).
        refused = plan.refused_before and not (
            plan.options.allow_duplicates or plan.options.resend_uncertain
        )
        if held_back or refused:
            self._prepared = prepared
            box = duplicate_guard(self, plan, prepared.earlier, service=self._service)
            box.setWindowModality(Qt.WindowModality.WindowModal)
            box.finished.connect(self._on_guard_box_finished)
            self.guard_box = box
            box.open()
            self.guard_shown.emit(box)
            self._set_running(False)
            return
        self._look_then_send(prepared)

    def _on_guard_box_finished(self, _code: int) -> None:
        box, prepared = self.guard_box, self._prepared
        self.guard_box = None
        self._prepared = None
        if box is None or prepared is None:
            return
        choice = choice_of(box)
        box.deleteLater()
        if choice is GuardChoice.SEND_NEW and prepared.plan.to_send:
            self._look_then_send(prepared)
        elif choice is GuardChoice.SEND_ALL:
            prepared.close()
            rows = self._rows_only
            self.start_upload(
                resume_id=prepared.plan.upload_id if prepared.plan.resuming else None,
                rows=rows,
                allow_duplicates=True,
                resend_uncertain=True,
            )
        else:
            prepared.close()
            self._nothing_sent()
        self._announce_lock()  # sending, asking again, or nothing: Review is told

    def _nothing_sent(self) -> None:
        """The duplicate guard or the last look was cancelled: the last result (and its
        report buttons) stays as it was; without one, the line says nothing was sent."""
        if self.last_result is not None:
            self.progress_box.hide()
            self.result_box.show()
        else:
            self.progress_box.start_job("Nothing was sent.")
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("")
        self._update_summary()
        self.upload_stopped.emit("Nothing was sent.")

    # -- the last look ---------------------------------------------------------------------------
    def _look_then_send(self, prepared: Prepared) -> None:
        """Anything but the demo (and a dry run): show where, what and how much; send on yes."""
        conn = self.form.selected_connection()
        if prepared.plan.options.dry_run or self.form.demo_selected() or conn is None:
            self._send(prepared)
            return
        box = last_look_box(self, prepared.look, conn, prepared.plan.target, self.state.schema)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _code: self._on_look_box_finished(box, prepared))
        self.look_box = box
        self._set_running(False)  # Review stays read-only: the box waits for an answer
        box.open()
        self.look_shown.emit(box)

    def _on_look_box_finished(self, box: QMessageBox, prepared: Prepared) -> None:
        self.look_box = None
        choice = look_choice(box)
        box.deleteLater()
        if choice == SEND:
            self._send(prepared)
            return
        prepared.close()
        self._announce_lock()  # nothing is sent: rows may change again
        self._nothing_sent()
        if choice == REVIEW_WARNINGS:
            self.review_warnings_requested.emit()

    # -- sending ---------------------------------------------------------------------------------
    def _send(self, prepared: Prepared) -> None:
        plan = prepared.plan
        total = len(plan.to_send)
        pause = self.progress_box.prepare_sending(total, self._service)
        post = self.progress_box.post

        same = _keys_match(self._sending_key, self._outcomes_key)
        earlier = self._outcomes if same else {}
        validation = prepared.validation
        # The cells edited so far, as they are sent (Review is read-only until the end).
        state = self.state
        table = state.table
        columns = table.columns if table is not None else []
        snap = {(r, c): columns[c][r] for r, c in state.edited_cells}
        originals = dict(state.edit_originals)
        base = dict(self._sent_values) if same else {}
        only = self._rows_only

        def work(progress: Any, cancel: Any) -> Any:
            result, failed = send_upload(
                prepared, pause=pause, post=post, progress=progress, cancel=cancel
            )
            # What every upload of these rows did, and what is still to send: walked here,
            # so the GUI thread only shows it (200k rows: tens of milliseconds saved there).
            merged = outcomes_after(earlier, result.row_outcomes)
            sent_values = record_sent_values(base, snap, result.row_outcomes)
            changed: set[int] = set()
            after: dict[int, list[tuple[int, CellValue, CellValue]]] = {}
            if validation is not None:
                changed, after = changed_after_sent(
                    validation.table, merged, snap, originals, sent_values
                )
            pending = UploadStep._not_yet_sent(validation, merged, changed)
            left = rejected_unchanged(merged, changed)
            uncertain = uncertain_count(merged) if pending is None else 0
            # An upload of some rows only: the file's other rows received before it.
            accepted = RowOutcome.ACCEPTED
            before = (
                sum(1 for r, up in merged.items() if r not in only and up.status == accepted)
                if only is not None and not result.dry_run
                else 0
            )
            counts = (sent_values, after, left, uncertain, before)
            return result, failed, merged, pending, counts

        self.last_upload_id = plan.upload_id
        self._stopped_for = None
        self._sending = True
        # Held until the job ends: a job cancelled before it ran never closes the session
        # itself, and the meter would stay held for this process ("another upload").
        self._sending_prepared = prepared
        self._run_worker(work, self._on_send_finished, f"Sending {n(total)} events…")
        self.pause_button.setEnabled(True)

    def _run_worker(
        self,
        fn: Any,
        on_finished: Any,
        text: str,
        *,
        progressed: Any = None,
        cancelled: Any = None,
        failed: Any = None,
        title: str = "Sending",
    ) -> None:
        self._job_text = text
        self._worker = jobs.run(
            fn,
            min_interval=0.1,
            progressed=progressed or self.progress_box.show_latest,
            finished=on_finished,
            failed_error=self._on_worker_failed_error,
            failed=failed or self._on_worker_failed,
            cancelled=cancelled or self._on_worker_cancelled,
            release_memory=True,  # a plan is let go at the end: give the heap back
        )
        self._set_running(True)
        self.progress_box.start_job(text, title)

    def _job_ended(self) -> None:
        """The worker finished, failed or was cancelled: unlock the form, hide the bar."""
        self._worker = None
        self._set_running(False)
        self.progress_box.hide()

    def _set_running(self, running: bool) -> None:
        self._announce_lock()
        self.progress_box.set_running(running)
        self.form.set_editable(not running)
        if running:
            self.result_box.hide()
        self._update_summary()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            if self._writing_report:
                self.progress_box.stopping("Stopping the result report…")
            else:
                self.progress_box.stopping()

    def _on_worker_failed_error(self, exc: object) -> None:
        self._failed_error = exc

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._let_the_meter_go()
        self._sending = False
        self._job_ended()
        exc, self._failed_error = self._failed_error, None
        # The traceback is for the log; Show Details holds only what a user can act on.
        log.warning("upload job failed: %s\n%s", message, details)
        if isinstance(exc, JournalDamaged):
            self.journal_box = journal_damaged_box(self, message, exc.path)
        else:
            plain, technical = plain_words(message)
            details = "\n\n".join(d for d in (technical, _plain_details(exc)) if d)
            show_error(self, plain, details, "Upload")
        self.upload_stopped.emit(message)

    def _let_the_meter_go(self) -> None:
        prepared, self._sending_prepared = self._sending_prepared, None
        if prepared is not None:
            prepared.close()  # idempotent: a session that ran has closed itself

    def _on_worker_cancelled(self) -> None:
        self._let_the_meter_go()
        # A send job cancelled before it began sent nothing and left no upload to resume.
        sending, self._sending = self._sending and self.progress_box.has_snapshot(), False
        self._job_ended()
        if sending:
            self._stopped_for = self.form.destination()
            self.result_box.show_stopped()
            self._update_summary()
            self.upload_stopped.emit("The upload was stopped.")
        else:
            self.upload_stopped.emit("Cancelled before anything was sent.")

    def _on_send_finished(self, outcome: tuple[Any, dict[int, str], Any, Any, Any]) -> None:
        result, failed, merged, pending, (sent_values, after, left, uncertain, before) = outcome
        settle_long_lived()
        self._sending_prepared = None
        self._sending = False
        if not result.dry_run:
            self._outcomes, self._outcomes_key = merged, self._sending_key
            self._sent_values = sent_values
            if self.state.validation is not None and self._same_key(self._outcomes_key):
                # Worked out in the job; rows fixed meanwhile are counted at activate().
                self._pending_of = (self._counts_version, id(merged))
                self._pending_src, self._pending = merged, pending
                self._rejected_left, self._changed_after = left, after
                self._uncertain_left = uncertain
        if is_complete(result):
            self._complete_for = self.form.destination()
            self._complete_service = self._service
        self._stopped_for = self.form.destination() if result.interrupted else None
        self._job_ended()
        self.last_result = result
        self.result_box.show_result(result, failed, self._service)
        self._update_summary()  # the counts' "Not sent yet" and the line: one source
        if self._pending and not (result.interrupted or result.error or result.not_sent):
            # Every planned row was delivered or answered: what is pending now are rows
            # fixed or included during the upload. (Stopped: Resume is the one next step.)
            self.result_box.add_note(
                f"{counted(len(self._pending), 'row')} changed since this upload started "
                f"{'is' if len(self._pending) == 1 else 'are'} not sent yet: press "
                f"Upload to send {'it' if len(self._pending) == 1 else 'them'} (only "
                f"{'it' if len(self._pending) == 1 else 'those'})."
            )
        rows = self._rows_only
        if rows is not None and before:
            # The totals are this upload's: say it was of some rows only, and what the
            # file's other rows had (the walk read "received before: 0" as the whole file).
            self.result_box.add_note(
                f"This upload was of {counted(len(rows), 'row')} only; "
                f"{counted(before, 'other row')} of the file "
                f"{'was' if before == 1 else 'were'} received by {self._service} in an "
                "earlier upload and not sent again."
            )
        self._remember_findings(result)
        self._schedule_check(result)
        # The last upload's result and outcomes were let go just now, on this thread, after
        # the job had already handed the heap back: hand back what they held too, off it.
        jobs.run(give_back_freed_memory, context=self)
        self.upload_finished.emit(result)

    def left_to_send(self) -> int | None:
        """After an upload of these rows to the chosen meter: the events Upload would still
        send (None: no upload yet, so every valid row is)."""
        shown = self.last_result
        if shown is None or shown.dry_run or self._known_outcomes() is None:
            return None
        return len(self._pending) if self._pending is not None else 0

    def quit_question(self) -> str:
        """What to ask before the window closes: events of an upload that runs, is paused
        or stopped are not sent ("" when nothing is left unsent)."""
        demo = self.form.demo_selected()
        later = (
            "The demo's emulator stops with zmed-gui, so this upload cannot be resumed."
            if demo
            else "zmed-gui offers to resume it the next time it starts"
            + (" (without the demo)" if self.state.demo else "")
            + "; nothing is sent twice."
        )
        if self._sending and self._worker is not None:
            left = self.progress_box.events_left()
            how = "paused" if self.progress_box.pause.paused else "running"
            unsent = (
                f" {counted(left, 'event')} {'is' if left == 1 else 'are'} not sent yet."
                if left
                else ""
            )
            return (
                f"An upload is {how}.{unsent} Stop it and close zmed-gui?\n\nRequests already "
                f"on their way are finished and recorded. {later}"
            )
        if self._stopped_for is None:
            return ""
        shown = self.last_result
        left = shown.not_sent if shown is not None and shown.interrupted else None
        if left is None and self._pending is not None:
            left = len(self._pending)
        what = f"{counted(left, 'event')} not sent" if left else "events not sent"
        return f"The last upload stopped with {what}. Close zmed-gui anyway?\n\n{later}"

    # -- what next ------------------------------------------------------------------------------
    def resume(self) -> None:
        """Continue the upload that was stopped (only what it has not finished is sent).

        Only to where it went: after the meter or connection was changed (a wrong meter
        corrected), Upload starts a new upload instead and the stopped one can be discarded.
        """
        if self.last_upload_id is None:
            return
        if not self._resumable():
            self._stopped_for = None
            self.start_upload()
            return
        self.start_upload(resume_id=self.last_upload_id)

    def discard_stopped_upload(self) -> None:
        """Forget the stopped upload (journal: abandoned): never offered again. What it
        delivered stays recorded, so the duplicate guard still keeps those events out."""
        upload_id = self.last_upload_id
        if upload_id is None or self.busy:
            return

        def work(progress: Any, cancel: Any) -> bool:
            return abandon_upload(upload_id)

        def done(_discarded: bool) -> None:
            self._stopped_for = None
            self.result_box.resume_button.hide()
            self.result_box.discard_button.hide()
            self.result_box.add_note(
                "This upload was discarded: it is no longer offered for resuming."
            )
            self._update_summary()
            self.upload_discarded.emit(upload_id)

        def failed(message: str, details: str) -> None:
            log.warning("could not discard upload %s: %s\n%s", upload_id, message, details)
            show_error(self, message, title="Discard upload")

        jobs.run(work, finished=done, failed=failed, context=self)

    AUTO_CHECK_MS = 16 * 60_000  # after the meter's processing window (core's 15 minutes)
    AUTO_CHECK_DEMO_MS = 5_000  # the demo tenant reports at once

    def _schedule_check(self, result: Any) -> None:
        """Check with Zuora by itself a few minutes after an upload (when it can)."""
        conn = self.form.selected_connection()
        if result.dry_run or not result.accepted or conn is None or not conn.meter_number:
            return
        delay = self.AUTO_CHECK_DEMO_MS if self.form.demo_selected() else self.AUTO_CHECK_MS
        upload_id = result.upload_id

        def check() -> None:
            shown = self.last_result
            wanted = self.result_box.auto_check_box.isChecked() and not self.busy
            if wanted and shown is not None and shown.upload_id == upload_id:
                self._on_result_box_check_requested()

        self.check_timer.start(delay)
        self._auto_check = check

    def _on_check_timer_timeout(self) -> None:
        self._auto_check()

    def _remember_findings(self, result: Any) -> None:
        """What the upload found out (a 413's batch size, the path the meter answers at):
        keep it for the saved connection, in a worker."""
        conn = self.form.selected_connection()
        learned, style = result.learned_batch_size, result.path_style_used
        if (not learned and not style) or conn is None or self.form.demo_selected():
            return

        def work(progress: Any, cancel: Any) -> list[str]:
            notes = []
            if learned and remember_batch_size(conn.name, learned):
                notes.append(
                    f"Zuora refused more than {n(learned)} events a call: the connection "
                    f"'{conn.name}' now sends at most that many."
                )
            if style and remember_path_style(conn.name, style):
                notes.append(f"The meter answers at the {style} path: '{conn.name}' keeps it.")
            return notes

        def done(notes: list[str]) -> None:
            for note in notes:
                self.result_box.add_note(note)
            if notes:
                self.form.reload_connections()

        def failed(message: str, details: str) -> None:
            self.result_box.add_note(f"The connection was not updated: {message}")

        jobs.run(work, finished=done, failed=failed, context=self)

    def _on_result_box_check_requested(self) -> None:
        """Ask the meter's audit trail what it kept of the last upload (in a worker)."""
        result, conn = self.last_result, self.form.selected_connection()
        if result is None or conn is None:
            return
        if not conn.meter_number.strip():
            show_error(
                self,
                "To check with Zuora, enter the meter's number in Connections: it is shown "
                "on the meter's page in Zuora Mediation (not the ID of its Upload URL).",
                title="Check with Zuora",
                warning=True,
            )
            return
        demo = self.form.demo_selected()
        secret = (
            self.form.demo_connection()[1] if demo else self.form.session_secrets.get(conn.name)
        )
        upload_id = result.upload_id

        def work(progress: Any, cancel: Any) -> Any:
            key = secret or get_secret(conn.name)
            if not key:
                raise CredentialsError(
                    f"No client secret is stored for '{conn.name}'; enter it in Connections."
                )
            progress(0, 0, "Reading the meter's audit trail…")
            return check_upload(
                conn, key, conn.meter_number, upload_id, settled_now=demo, cancel=cancel
            )

        self.result_box.check_button.setEnabled(False)
        self.check_job = jobs.run(
            work, finished=self._on_check_finished, failed=self._on_check_failed
        )

    def _on_check_finished(self, checked: Any) -> None:
        self.last_check = checked
        # Rows the meter rejected after receipt were not delivered after all: they join
        # the rows to fix, and Upload offers them (the journal does not hold them back).
        if checked.rejected_rows and self._outcomes:
            self._outcomes = dict(self._outcomes)
            for row, why in checked.rejected_rows.items():
                self._outcomes[row] = RowUpload(
                    RowOutcome.REJECTED, f"Rejected by the meter after receipt: {why}"
                )
            self.result_box.fix_export_button.show()
            self._update_summary()
        self.result_box.show_check(checked)
        self.upload_checked.emit(checked)

    def _on_check_failed(self, message: str, details: str) -> None:
        self.result_box.check_button.setEnabled(True)
        log.warning("check with Zuora failed: %s\n%s", message, details)
        plain, technical = plain_words(message)
        show_error(self, plain, technical, "Check with Zuora")  # the traceback: the log

    def _on_result_box_resend_confirmed(self, rows: set[int]) -> None:
        self.start_upload(rows=rows, allow_duplicates=True, resend_uncertain=True)

    def default_result_path(self) -> Path:
        return self.result_box.default_path()

    def _on_result_box_report_requested(self, path: Path | None, open_after: bool) -> None:
        self.write_result_report(path, open_after=open_after)

    def _row_outcomes(self) -> dict[int, RowUpload]:
        """Every upload of these rows to this destination, merged (else the last one's)."""
        known = self._known_outcomes()
        if known is not None:
            return known
        return dict(self.last_result.row_outcomes) if self.last_result is not None else {}

    def write_result_report(self, path: Path | None = None, *, open_after: bool = False) -> None:
        """Every row with what happened to it (worker); opens the file afterwards if asked.

        ``path`` None: beside the spreadsheet when that folder can be written and is not
        the app's own (the demo's sample is), else in Documents (decided in the worker).
        A row fixed after an upload says so ("not sent yet"), never "invalid".
        """
        result, upload = self.state.validation, self.last_result
        if result is None or upload is None or self.busy:
            return
        outcomes = self._row_outcomes()
        pending = list(self._pending or [])
        source, documents = self.state.path, documents_folder()
        edits = dict(self.state.edit_originals)  # a copy: cell -> value before Review
        after = dict(self._changed_after) if self._known_outcomes() is not None else {}

        def work(progress: Any, cancel: Any) -> Path:
            target = path if path is not None else default_result_path(source, documents)
            # From what this step holds (the merged outcomes), never the journal re-read.
            rows = report_outcomes(result, outcomes, pending, after)
            write_report(
                target, result, uploads=rows, edits=edits, progress=progress, cancel=cancel
            )
            return target

        self._open_report = open_after
        self._writing_report = True
        what = path.name if path is not None else "the result report"
        self._run_worker(
            work,
            self._on_report_finished,
            f"Writing {what}…",
            progressed=self.progress_box.show_rows,
            cancelled=self._on_report_cancelled,
            failed=self._on_report_failed,
            title="Writing the result report",
        )

    def _on_report_cancelled(self) -> None:
        self._writing_report = False
        self._job_ended()
        self.result_box.show()
        self.result_box.add_note("The result report was not written (cancelled).")

    def _on_report_failed(self, message: str, _details: str) -> None:
        self._writing_report = False
        self._job_ended()
        self.result_box.show()
        log.warning("result report failed: %s\n%s", message, _details)
        self._failed_error = None
        show_error(self, plain_words(message)[0], "", "Result report")

    def _on_report_finished(self, path: Path) -> None:
        self._writing_report = False
        self._job_ended()
        self.result_box.show()
        self.last_report = path
        if self._open_report:
            self.open_box = open_file(self, path, "The result report")
        self.result_box.add_note(f"Report saved as {path}.")
        self.report_written.emit(str(path))

    # -- fix and read back in -------------------------------------------------------------------
    def export_rows_to_fix(self, path: Path | None = None) -> None:
        """The rows not delivered (reason, row number, original columns) as an .xlsx."""
        result = self.state.validation
        if result is None or self.busy:
            return
        outcomes = self._row_outcomes()
        source, documents = self.state.path, documents_folder()

        def work(progress: Any, cancel: Any) -> tuple[Path, int]:
            target = path
            if target is None:
                target = result_folder(source, documents) / result_name(source, "rows-to-fix")
            progress(0, 0, "Finding the rows to fix…")
            todo = rows_to_fix(result, outcomes)
            return target, export_rows_to_fix(target, result, todo, cancel=cancel)

        self._run_worker(
            work,
            self._on_fixes_export_finished,
            "Writing the rows to fix…",
            title="Writing the rows to fix",
        )

    def _on_fixes_export_finished(self, written: tuple[Path, int]) -> None:
        path, rows = written
        self._job_ended()
        note = (
            f"{counted(rows, 'row')} to fix saved as {path}. Fix them in Excel, save, then "
            "press Read fixed rows back in."
        )
        if self.last_result is not None:
            self.result_box.show()
            self.result_box.add_note(note)
        else:  # before any upload there is no result panel: the line says it
            self.progress_box.start_job(note, "Rows to fix")
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(1)
            self.progress_bar.setFormat("")
        self.fixes_exported.emit(str(path))

    def read_fixed_rows(self, path: Path) -> None:
        """Read a fixed rows-to-fix workbook (worker), then apply it as edits."""
        table = self.state.table
        if table is None or self.busy:
            return

        def work(progress: Any, cancel: Any) -> Any:
            progress(0, 0, f"Reading {path.name}…")
            return read_fixed_rows(path, table, cancel=cancel)

        self._run_worker(
            work, self._on_fixes_read_finished, f"Reading {path.name}…", title="Reading fixed rows"
        )

    def _on_fixes_read_finished(self, fixed: Any) -> None:
        self._job_ended()
        self.result_box.show()
        if not fixed.edits:
            self.result_box.add_note(
                f"Nothing was changed in the {counted(len(fixed.rows), 'row')} read back in."
            )
        else:
            label = f"Read {counted(len(fixed.changed_rows), 'fixed row')} back in"
            sink = self.apply_edits or self._apply_edits_here
            sink(fixed.edits, label)
            self.result_box.add_note(
                f"{counted(len(fixed.changed_rows), 'row')} changed "
                f"({counted(len(fixed.edits), 'cell')}). Press Upload to send what is not "
                "sent yet; rows already received are not sent again."
            )
        self._counted = None
        self._update_summary()
        self.fixes_read.emit(fixed)

    def _apply_edits_here(self, edits: Sequence[tuple[int, int, CellValue]], label: str) -> None:
        """Stand-in for ``ReviewStep.apply_edits`` until the window connects it: write the
        cells and revalidate those rows (a few rows read back in: quick on this thread)."""
        state = self.state
        if state.table is None:
            return
        for row, col, value in edits:
            state.table.columns[col][row] = value
        state.mark_edited((row, col) for row, col, _v in edits)
        if state.validation is not None:
            revalidate_rows(state.validation, sorted({row for row, _c, _v in edits}))
        log.info("%s (%d cells)", label, len(edits))


SENT = frozenset({RowOutcome.ACCEPTED, RowOutcome.UNCERTAIN, RowOutcome.REJECTED})


def _same_value(a: object, b: object) -> bool:
    return a.__class__ is b.__class__ and a == b


def outcomes_after(
    earlier: dict[int, RowUpload], later: dict[int, RowUpload]
) -> dict[int, RowUpload]:
    """What every upload of these rows did, ``later`` over ``earlier`` (call off-thread).

    ``later`` itself, not a copy, when it says something of every row ``earlier`` knew
    (the first upload, "send all again", a resume): a million rows' dict (and its keys)
    is kept once, by the result and the step alike. Nobody changes either in place (the
    step copies before it writes), so sharing is safe.
    """
    if not earlier:
        return later
    not_sent = RowOutcome.NOT_SENT
    if earlier.keys() <= later.keys() and all(up.status != not_sent for up in later.values()):
        return later
    return merge_outcomes(earlier, later)


def record_sent_values(
    base: dict[tuple[int, int], CellValue],
    snap: dict[tuple[int, int], CellValue],
    outcomes: dict[int, RowUpload],
) -> dict[tuple[int, int], CellValue]:
    """``base`` after an upload that sent ``snap``'s edited cells as they are there: the
    value each row that this upload sent had in its edited cells (others: as the sheet)."""
    out = dict(base)
    rows = {r for r, _c in snap} | {r for r, _c in base}
    sent = {r for r in rows if (up := outcomes.get(r)) is not None and up.status in SENT}
    for cell in [c for c in out if c[0] in sent and c not in snap]:
        del out[cell]  # sent as the sheet had it this time
    out.update({cell: v for cell, v in snap.items() if cell[0] in sent})
    return out


def changed_after_sent(
    table: Any,
    outcomes: Any,
    edited: Any,
    originals: Any,
    sent_values: dict[tuple[int, int], CellValue],
) -> tuple[set[int], dict[int, list[tuple[int, CellValue, CellValue]]]]:
    """Rows sent (received, without an answer, or rejected) whose cells differ now from
    what was sent; and, for those not rejected, ``row -> [(column, sent, now)]``. Walks the
    edited cells only."""
    changed: set[int] = set()
    after: dict[int, list[tuple[int, CellValue, CellValue]]] = {}
    if not outcomes or table is None:
        return changed, after
    columns = table.columns
    for r, c in set(edited) | set(sent_values):
        up = outcomes.get(r)
        if up is None or up.status not in SENT:
            continue
        if (r, c) in sent_values:
            was = sent_values[(r, c)]
        elif (r, c) in originals:
            was = originals[(r, c)]
        else:
            continue
        now = columns[c][r]
        if _same_value(was, now):
            continue
        changed.add(r)
        if up.status != RowOutcome.REJECTED:
            after.setdefault(r, []).append((c, was, now))
    return changed, after


def rejected_unchanged(outcomes: Any, changed: set[int]) -> int:
    """Rows rejected (by Zuora or the meter) and not changed since: sent as they are, they
    would be rejected again, so Upload does not offer them."""
    if not outcomes:
        return 0
    rejected = RowOutcome.REJECTED
    return sum(1 for r, up in outcomes.items() if up.status == rejected and r not in changed)


def uncertain_count(outcomes: Any) -> int:
    """Rows sent without an answer (the known outcomes)."""
    if not outcomes:
        return 0
    uncertain = RowOutcome.UNCERTAIN
    return sum(1 for up in outcomes.values() if up.status is uncertain)


def left_out_count(result: Any, outcomes: dict[int, RowUpload] | None) -> int:
    """Rows left out in Review that no upload sent (a row sent, then left out, is counted
    where its upload put it). Walks the left-out rows only."""
    excluded = getattr(result, "excluded", None) or ()
    if not outcomes:
        return len(excluded)
    not_sent = RowOutcome.NOT_SENT
    return sum(1 for r in excluded if (up := outcomes.get(r)) is None or up.status == not_sent)


def _plain_details(exc: object) -> str:
    """Show Details for an upload that stopped: technical words a support person can use,
    never a traceback (the log has it)."""
    if isinstance(exc, ZmedError):
        cause = exc.__cause__
        if cause is not None and str(cause) and str(cause) != str(exc):
            log.info("the upload stopped on %s: %s", type(cause).__name__, cause)
            return str(cause)  # the class name is for the log, not for the user
        return ""
    return "The details are in the log (Help > Show log)." if exc is not None else ""


def _keys_match(a: tuple[Any, Any, Any] | None, b: tuple[Any, Any, Any] | None) -> bool:
    """The same table object (edits included), mapping object and destination. By identity:
    comparing a 300k-row table by value would be slow, and a reloaded file starts anew."""
    if a is None or b is None:
        return False
    return a[0] is b[0] and a[1] is b[1] and a[2] == b[2]
