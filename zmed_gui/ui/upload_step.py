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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.connections import get_secret, remember_batch_size, remember_path_style
from zmed_gui.core.errors import CredentialsError, OptionsError
from zmed_gui.core.journal import JournalDamaged
from zmed_gui.core.report import write_report
from zmed_gui.core.upload import check_upload
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui import jobs
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import icon
from zmed_gui.ui.jobs import Job
from zmed_gui.ui.journal_dialog import journal_damaged_box
from zmed_gui.ui.review_step import (
    keep_gui_thread_responsive,
    row_counts,
    sendable_count,
    settle_long_lived,
)
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_dialogs import (
    GuardChoice,
    choice_of,
    duplicate_guard,
    n,
)
from zmed_gui.ui.upload_form import DEMO_NAME, UploadForm
from zmed_gui.ui.upload_jobs import Prepared, cell_edits, prepare_upload, send_upload
from zmed_gui.ui.upload_progress import UploadProgressPanel
from zmed_gui.ui.upload_result import UploadResultPanel, is_complete

__all__ = ["DEMO_NAME", "UploadStep"]

log = logging.getLogger(__name__)

EMULATOR = "the local emulator"  # where demo uploads go; never say "Zuora" for them


class UploadStep(QWidget):
    """The Upload step (see module docstring)."""

    advance_requested = Signal()  # never emitted: the last step
    upload_finished = Signal(object)  # UploadResult (tests, window status line)
    upload_stopped = Signal(str)  # planning failed or was cancelled (message)
    upload_checked = Signal(object)  # a ReconcileResult: what the meter kept
    guard_shown = Signal(object)  # the QMessageBox of the duplicate guard (tests)
    report_written = Signal(str)
    connections_loaded = Signal()  # the saved connections were read (tests wait for it)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        keep_gui_thread_responsive()
        self.state = state
        self._worker: Job | None = None
        self._prepared: Prepared | None = None
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

        self.start_action = QAction(icon("upload"), "&Upload", self)
        self.start_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.start_action.setToolTip("Check for duplicates, then send the events (Ctrl+Enter)")
        self.start_action.triggered.connect(self._on_start_action_triggered)
        self.addAction(self.start_action)  # Ctrl+Return while this step is shown

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
        start_row = QHBoxLayout()
        start_row.addWidget(self.summary_label, 1)
        start_row.addWidget(self.start_button)

        self.progress_box = progress = UploadProgressPanel(self)
        progress.cancel_requested.connect(self.cancel)
        self.progress_bar = progress.progress_bar
        self.progress_label = progress.progress_label
        self.pause_button = progress.pause_button
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

        layout = QVBoxLayout(self)
        layout.addWidget(form)
        layout.addLayout(start_row)
        layout.addWidget(progress)
        layout.addWidget(results)
        layout.addStretch(1)

        form.changed.connect(self._update_summary)
        state.validation_changed.connect(self._on_state_validation_changed)
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
        return self._worker is not None

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

    def _update_summary(self) -> None:
        result = self.state.validation
        if result is not self._counted:
            # Counting a million statuses is quick but not free: once per result.
            self._counted, self._counts = result, row_counts(result)
        count = sendable_count(result, self._counts)
        dry_run = self.dry_run_check.isChecked()
        # After a complete upload the same events to the same meter would only meet the
        # duplicate guard: the button says so instead of inviting it.
        done = self._complete_for is not None and self._complete_for == self.form.destination()
        if result is None:
            self.summary_label.setText("Check the rows in Review first.")
        elif done:
            self.summary_label.setText(
                f"These events were all received by {self._complete_service}. To send again, "
                "change the rows, the mapping, the connection or the meter."
            )
        else:
            invalid = self._counts[RowStatus.INVALID]
            text = f"{n(count)} events are ready to send."
            if invalid:
                text += f" {n(invalid)} invalid rows will not be sent."
            self.summary_label.setText(text)
        can = count > 0 and not self.busy and self.connection_combo.currentData() is not None
        can = can and (dry_run or not done)
        self.start_action.setEnabled(can)
        self.start_button.setEnabled(can)
        if dry_run:
            self.start_button.setText("Dry run")
        elif done:
            self.start_button.setText("Upload complete")
        else:
            self.start_button.setText(f"Upload {n(count)} events")

    # -- planning --------------------------------------------------------------------------------
    def _on_start_action_triggered(self) -> None:
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

        self._run_worker(work, self._on_plan_finished, "Preparing the upload…")

    def _on_plan_finished(self, prepared: Prepared) -> None:
        self._worker = None
        settle_long_lived()  # the plan lives through the upload
        plan = prepared.plan
        if self.state.resume_candidates and plan.resuming:
            self.state.set_resume_candidates([])
        # Ask only about what would be held back; a plan that already sends them anyway
        # (the user chose "Send all" or "Resend") lists them too.
        held_back = (plan.duplicates and not plan.options.allow_duplicates) or (
            plan.uncertain and not plan.options.resend_uncertain
        )
        if held_back:
            self._prepared = prepared
            box = duplicate_guard(self, plan, prepared.earlier, service=self._service)
            box.setWindowModality(Qt.WindowModality.WindowModal)
            box.finished.connect(self._on_guard_box_finished)
            self.guard_box = box
            box.open()
            self.guard_shown.emit(box)
            self._set_running(False)
            return
        self._send(prepared)

    def _on_guard_box_finished(self, _code: int) -> None:
        box, prepared = self.guard_box, self._prepared
        self.guard_box = None
        self._prepared = None
        if box is None or prepared is None:
            return
        choice = choice_of(box)
        box.deleteLater()
        if choice is GuardChoice.SEND_NEW and prepared.plan.to_send:
            self._send(prepared)
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
            self.progress_label.setText("Nothing was sent.")
            self.upload_stopped.emit("Nothing was sent.")

    # -- sending ---------------------------------------------------------------------------------
    def _send(self, prepared: Prepared) -> None:
        plan = prepared.plan
        total = len(plan.to_send)
        pause = self.progress_box.prepare_sending(total, self._service)
        post = self.progress_box.post

        def work(progress: Any, cancel: Any) -> Any:
            return send_upload(prepared, pause=pause, post=post, progress=progress, cancel=cancel)

        self.last_upload_id = plan.upload_id
        self._sending = True
        self._run_worker(work, self._on_send_finished, f"Sending {n(total)} events…")
        self.pause_button.setEnabled(True)

    def _run_worker(self, fn: Any, on_finished: Any, text: str) -> None:
        self._worker = jobs.run(
            fn,
            min_interval=0.1,
            progressed=self.progress_box.show_latest,
            finished=on_finished,
            failed_error=self._on_worker_failed_error,
            failed=self._on_worker_failed,
            cancelled=self._on_worker_cancelled,
            release_memory=True,  # a plan is let go at the end: give the heap back
        )
        self._set_running(True)
        self.progress_box.start_job(text)

    def _job_ended(self) -> None:
        """The worker finished, failed or was cancelled: unlock the form, hide the bar."""
        self._worker = None
        self._set_running(False)
        self.progress_box.hide()

    def _set_running(self, running: bool) -> None:
        self.progress_box.set_running(running)
        self.form.set_editable(not running)
        if running:
            self.result_box.hide()
        self._update_summary()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.progress_box.stopping()

    def _on_worker_failed_error(self, exc: object) -> None:
        self._failed_error = exc

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._sending = False
        self._job_ended()
        exc, self._failed_error = self._failed_error, None
        if isinstance(exc, JournalDamaged):
            self.journal_box = journal_damaged_box(self, message, exc.path)
        else:
            show_error(self, message, details, "Upload")
        self.upload_stopped.emit(message)

    def _on_worker_cancelled(self) -> None:
        sending, self._sending = self._sending, False
        self._job_ended()
        if sending:
            self.result_box.show_stopped()
            self.upload_stopped.emit("The upload was stopped.")
        else:
            self.upload_stopped.emit("Cancelled before anything was sent.")

    def _on_send_finished(self, outcome: tuple[Any, dict[int, str]]) -> None:
        result, failed = outcome
        settle_long_lived()
        self._sending = False
        if is_complete(result):
            self._complete_for = self.form.destination()
            self._complete_service = self._service
        self._job_ended()
        self.last_result = result
        self.result_box.show_result(result, failed, self._service)
        self._remember_findings(result)
        self._schedule_check(result)
        self.upload_finished.emit(result)

    # -- what next ------------------------------------------------------------------------------
    def resume(self) -> None:
        """Continue the upload that was stopped (only what it has not finished is sent)."""
        if self.last_upload_id is not None:
            self.start_upload(resume_id=self.last_upload_id)

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
        self.result_box.show_check(checked)
        self.upload_checked.emit(checked)

    def _on_check_failed(self, message: str, details: str) -> None:
        self.result_box.check_button.setEnabled(True)
        show_error(self, message, details, "Check with Zuora")

    def _on_result_box_resend_confirmed(self, rows: set[int]) -> None:
        self.start_upload(rows=rows, allow_duplicates=True, resend_uncertain=True)

    def default_result_path(self) -> Path:
        return self.result_box.default_path()

    def _on_result_box_report_requested(self, path: Path, open_after: bool) -> None:
        self.write_result_report(path, open_after=open_after)

    def write_result_report(self, path: Path, *, open_after: bool = False) -> None:
        """Every row with its upload outcome (worker); opens the file afterwards if asked."""
        result, upload = self.state.validation, self.last_result
        if result is None or upload is None or self.busy:
            return
        edits = dict(self.state.edit_originals)  # a copy: cell -> value before Review

        def work(progress: Any, cancel: Any) -> Path:
            write_report(
                path,
                result,
                uploads=upload.row_outcomes,
                edits=edits,
                progress=progress,
                cancel=cancel,
            )
            return path

        self._open_report = open_after
        self._run_worker(work, self._on_report_finished, f"Writing {path.name}…")

    def _on_report_finished(self, path: Path) -> None:
        self._job_ended()
        self.result_box.show()
        self.last_report = path
        if self._open_report:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.result_box.add_note(f"Report saved as {path}.")
        self.report_written.emit(str(path))
