"""Step 4, Upload: where to send, how, the duplicate guard, progress, and what happened.

Everything slow runs in workers: resolving the connection and its secret, fingerprinting
the file, planning against the journal (:func:`plan_upload`), sending (:func:`run_upload`)
and writing the result report. The run's :class:`UploadProgress` snapshots are handed to
the GUI thread through the worker's throttled ``progressed`` signal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.connections import (
    CUSTOM,
    Connection,
    Target,
    load_connections,
    make_target,
    parse_upload_url,
)
from zmed_gui.core.credentials import get_secret
from zmed_gui.core.errors import CredentialsError, OptionsError
from zmed_gui.core.journal import Journal
from zmed_gui.core.progress import PauseToken
from zmed_gui.core.report import write_report
from zmed_gui.core.upload import (
    SourceInfo,
    UploadOptions,
    items_from_validation,
    plan_upload,
    run_upload,
)
from zmed_gui.core.validate import RowStatus
from zmed_gui.core.zuora import ZuoraClient
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from zmed_gui.ui.connections_dialog import ConnectionsDialog
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import icon
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
    resend_question,
)
from zmed_gui.ui.workers import Worker, start

log = logging.getLogger(__name__)

DEMO_NAME = "Demo (local emulator)"
RESEND_STATUSES = frozenset({"rejected", "uncertain"})


@dataclass
class _Prepared:
    """What the planning worker hands back: everything run_upload needs."""

    plan: Any
    connection: Connection
    secret: str
    journal: Any
    earlier: dict[str, Any]


def mapping_json(state: AppState) -> str:
    """The mapping as stable JSON (part of the source fingerprint)."""
    data = {name: asdict(src) for name, src in sorted(state.mapping.sources.items())}
    for src in data.values():
        src.pop("confidence", None)
    return json.dumps(data, sort_keys=True)


def source_info(state: AppState) -> Any:
    """The source's fingerprint (hashes the file: call from a worker)."""
    table = state.table
    assert table is not None
    sheet = state.sheet or table.sheet
    if state.path is not None and Path(state.path).is_file():
        return SourceInfo.from_file(Path(state.path), sheet, mapping_json(state))
    h = hashlib.sha256(f"{table.source}\0{sheet}\0{len(table)}\0".encode())
    h.update(mapping_json(state).encode())
    return SourceInfo(table.source, sheet, h.hexdigest())


def failed_rows(result: Any) -> dict[int, str]:
    """Rows Zuora rejected or never answered for: what "Resend" offers (call off-thread)."""
    out = {}
    for row, outcome in (result.row_outcomes or {}).items():
        status = str(getattr(outcome, "status", "")).lower()
        if status in RESEND_STATUSES:
            out[row] = status
    return out


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    if seconds < 1:
        return "under a second"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class UploadStep(QWidget):
    """The Upload step (see module docstring)."""

    advance_requested = Signal()  # never emitted: the last step
    upload_finished = Signal(object)  # UploadResult (tests, window status line)
    upload_stopped = Signal(str)  # planning failed or was cancelled (message)
    guard_shown = Signal(object)  # the QMessageBox of the duplicate guard (tests)
    report_written = Signal(str)
    connections_loaded = Signal()  # the saved connections were read (tests wait for it)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._retired: list[Worker] = []
        keep_gui_thread_responsive()
        self.state = state
        self._worker: Worker | None = None
        self._pause = PauseToken()
        self._latest: Any = None  # the newest UploadProgress, written by the worker thread
        self._latest_lock = threading.Lock()
        self._prepared: _Prepared | None = None
        self._rows_only: set[int] | None = None  # resend: only these rows
        self.last_result: Any = None
        self.last_upload_id: str | None = None  # the upload being (or last) sent
        self._sending = False
        self.guard_box: QMessageBox | None = None
        self.resend_box: QMessageBox | None = None
        self._resend_rows: set[int] = set()
        self.connections_dialog: Any = None
        self.last_report: Path | None = None
        self._connections: list[Connection] = []
        self._connections_worker: Worker | None = None
        self._reload_again = False
        self._counted: Any = None
        self._failed: dict[int, str] = {}
        self._failed_next: dict[int, str] = {}
        self._counts: dict[RowStatus, int] = row_counts(None)
        self._session_secrets: dict[str, str] = {}

        self.start_action = QAction(icon("upload"), "&Upload", self)
        self.start_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.start_action.setToolTip("Check for duplicates, then send the events (Ctrl+Enter)")
        self.start_action.triggered.connect(self._on_start_action_triggered)
        self.connections_action = QAction(icon("connections"), "&Connections…", self)
        self.connections_action.triggered.connect(self._on_connections_action_triggered)
        self.addAction(self.start_action)  # Ctrl+Return while this step is shown

        # where
        self.connection_combo = QComboBox()
        self.connection_combo.setAccessibleName("Connection")
        self.connection_combo.setMinimumContentsLength(24)
        self.connection_combo.currentIndexChanged.connect(
            self._on_connection_combo_current_index_changed
        )
        self.connections_button = connections_button = QPushButton(
            self.connections_action.icon(), "Connections…"
        )
        connections_button.clicked.connect(self.connections_action.trigger)
        conn_row = QHBoxLayout()
        conn_row.addWidget(self.connection_combo, 1)
        conn_row.addWidget(connections_button)
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText(
            "the meter's ID, or paste its Unique Upload URL from Zuora"
        )
        self.target_edit.setAccessibleName("Meter ID or upload URL")
        where = QGroupBox("Where to")
        wf = QFormLayout(where)
        wf.addRow("Connection:", conn_row)
        wf.addRow("Meter ID or &upload URL:", self.target_edit)

        # how
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(0, 10_000)
        self.batch_spin.setSpecialValueText("Tenant limit")
        self.batch_spin.setToolTip("Events per request; 'Tenant limit' uses the connection's.")
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setRange(1, 40)
        self.concurrency_spin.setValue(4)
        self.gzip_check = QCheckBox("Compress requests (gzip)")
        self.gzip_check.setChecked(True)
        self.track_edit = QLineEdit()
        self.track_edit.setPlaceholderText("optional: your reference, up to 64 characters")
        self.track_edit.setMaxLength(64)
        self.dry_run_check = QCheckBox("Dry run: check everything but send nothing")
        how = QGroupBox("How")
        hf = QFormLayout(how)
        hf.addRow("Events per request:", self.batch_spin)
        hf.addRow("Requests at a time:", self.concurrency_spin)
        hf.addRow("", self.gzip_check)
        hf.addRow("Track ID:", self.track_edit)
        hf.addRow("", self.dry_run_check)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.start_button = QPushButton(self.start_action.icon(), "Upload")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_action.trigger)
        start_row = QHBoxLayout()
        start_row.addWidget(self.summary_label, 1)
        start_row.addWidget(self.start_button)

        # progress
        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName("Upload progress")
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.progress_box = QGroupBox("Sending")
        pl = QGridLayout(self.progress_box)
        pl.addWidget(self.progress_bar, 0, 0, 1, 3)
        pl.addWidget(self.progress_label, 1, 0)
        pl.addWidget(self.pause_button, 1, 1)
        pl.addWidget(self.cancel_button, 1, 2)
        pl.setColumnStretch(0, 1)
        self.progress_box.hide()

        # results
        self.result_box = QGroupBox("Result")
        self.result_title = QLabel()
        self.result_title.setWordWrap(True)
        self.result_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        names = [
            ("accepted", "Accepted by Zuora"),
            ("rejected", "Rejected by Zuora"),
            ("invalid", "Invalid, not sent"),
            ("skipped_duplicates", "Duplicates skipped"),
            ("uncertain", "No answer (uncertain)"),
            ("not_sent", "Not sent yet"),
        ]
        for i, (key, label) in enumerate(names):
            value = QLabel("0")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            font = value.font()
            font.setBold(True)
            value.setFont(font)
            self.count_labels[key] = value
            grid.addWidget(QLabel(label + ":"), i % 3, (i // 3) * 2)
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
        buttons = QHBoxLayout()
        for b in (
            self.report_button,
            self.report_as_button,
            self.resume_button,
            self.resend_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        rl = QVBoxLayout(self.result_box)
        rl.addWidget(self.result_title)
        rl.addLayout(grid)
        rl.addLayout(buttons)
        self.result_box.hide()

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(where, 3)
        top.addWidget(how, 2)
        layout.addLayout(top)
        layout.addLayout(start_row)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.result_box)
        layout.addStretch(1)

        state.validation_changed.connect(self._on_state_validation_changed)
        state.connection_changed.connect(self._on_state_connection_changed)
        self._update_summary()

    # -- step contract -----------------------------------------------------------------------

    def _retire(self, worker: Worker | None) -> None:
        """Keep a finished worker a little longer: this runs inside its own signal's
        delivery, and dropping the last reference there deletes the signals' QObject
        mid-delivery. The previous one is dropped now, safely outside its delivery."""
        self._retired = [worker] if worker is not None else []

    def step_actions(self) -> list[QAction]:
        return [self.start_action, self.connections_action]

    def activate(self) -> None:
        self._counted = None  # rows may have been fixed or left out in Review
        self.reload_connections()
        self._prefill_target()
        self._update_summary()

    @property
    def busy(self) -> bool:
        return self._worker is not None

    # -- connections ---------------------------------------------------------------------------
    def reload_connections(self) -> None:
        """Fill the picker: the demo connection at once, the saved ones when read.

        The saved connections are a file: read in a worker (a home folder on a network
        drive can take its time), then :meth:`_fill_connections` runs on this thread.
        """
        self._fill_connections(self._connections)
        if self._connections_worker is not None:
            self._reload_again = True
            return
        worker = Worker(lambda progress, cancel: load_connections())
        worker.signals.finished.connect(self._on_connections_worker_finished)
        worker.signals.failed.connect(self._on_connections_worker_failed)
        self._connections_worker = worker
        start(worker)

    def _on_connections_worker_finished(self, connections: list[Connection]) -> None:
        self._retire(self._connections_worker)
        self._connections_worker = None
        self._connections = connections
        self._fill_connections(connections)
        self._after_connections_loaded()

    def _on_connections_worker_failed(self, message: str, details: str) -> None:
        self._retire(self._connections_worker)
        self._connections_worker = None
        show_error(self, message, details, "Connections", warning=True)
        self._after_connections_loaded()

    def _after_connections_loaded(self) -> None:
        if self._reload_again:
            self._reload_again = False
            self.reload_connections()
        else:
            self.connections_loaded.emit()

    def _fill_connections(self, connections: list[Connection]) -> None:
        wanted = self.connection_combo.currentData() or self.state.connection_name
        self.connection_combo.blockSignals(True)
        self.connection_combo.clear()
        if self.state.demo:
            self.connection_combo.addItem(DEMO_NAME, DEMO_NAME)
        for conn in connections:
            self.connection_combo.addItem(conn.name, conn.name)
        if self.connection_combo.count() == 0:
            self.connection_combo.addItem("No connection yet: press Connections…", None)
        i = self.connection_combo.findData(wanted)
        if i < 0 and self.state.demo:
            i = 0
        self.connection_combo.setCurrentIndex(max(i, 0))
        self.connection_combo.blockSignals(False)
        self._on_connection_combo_current_index_changed()

    def _demo_connection(self) -> tuple[Connection, str]:
        conn = getattr(self.state, "demo_connection", None)
        secret = getattr(self.state, "demo_secret", None) or DEMO_CLIENT_SECRET
        if conn is None:
            base_url = (getattr(self.state, "demo_target", None) or ("", ""))[0]
            conn = Connection(
                name=DEMO_NAME,
                environment=CUSTOM,
                custom_base_url=base_url,
                client_id=DEMO_CLIENT_ID,
            )
        return conn, secret

    def selected_connection(self) -> Connection | None:
        name = self.connection_combo.currentData()
        if name == DEMO_NAME and self.state.demo:
            return self._demo_connection()[0]
        return next((c for c in self._connections if c.name == name), None)

    def _on_connection_combo_current_index_changed(self, _index: int = 0) -> None:
        name = self.connection_combo.currentData()
        if name and name != self.state.connection_name:
            self.state.connection_name = name if name != DEMO_NAME else self.state.connection_name
        conn = self.selected_connection()
        if conn is not None and not self.target_edit.text().strip():
            default = conn.upload_url or conn.meter_id
            if default:
                self.target_edit.setText(default)
        self._update_summary()

    def _on_state_connection_changed(self) -> None:
        self.reload_connections()

    def _prefill_target(self) -> None:
        if self.target_edit.text().strip():
            return
        demo_target = getattr(self.state, "demo_target", None)
        if self.state.demo and demo_target:
            base_url, meter_id = demo_target
            self.target_edit.setText(
                f"{base_url.rstrip('/')}/meters/streaming/ingestion/{meter_id}"
            )

    def _on_connections_action_triggered(self) -> None:
        dialog = ConnectionsDialog(self, select=self.connection_combo.currentData())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connections_changed.connect(self.reload_connections)
        dialog.finished.connect(self._on_connections_dialog_finished)
        self.connections_dialog = dialog
        dialog.open()

    def _on_connections_dialog_finished(self, _result: int) -> None:
        dialog = self.connections_dialog
        if dialog is not None:
            # Secrets typed there when the keyring could not keep them (this session only).
            self._session_secrets.update(dialog._session_secrets)
        self.connections_dialog = None
        self.reload_connections()

    def target(self, conn: Connection) -> Target:
        """The target from the field: a pasted URL, or a meter ID on the connection's URL."""
        text = self.target_edit.text().strip()
        if not text:
            default = conn.default_target()
            if default is None:
                raise OptionsError(
                    "Enter the meter ID, or paste the meter's Unique Upload URL from Zuora."
                )
            return default
        if "://" in text:
            return parse_upload_url(text)
        return make_target(conn.base_url, text, conn.path_style)

    # -- summary -------------------------------------------------------------------------------
    def _on_state_validation_changed(self) -> None:
        self._counted = None
        self._update_summary()

    def _update_summary(self) -> None:
        result = self.state.validation
        if result is not self._counted:
            # Counting a million statuses is quick but not free: once per result.
            self._counted, self._counts = result, row_counts(result)
        count = sendable_count(result, self._counts)
        if result is None:
            self.summary_label.setText("Check the rows in Review first.")
        else:
            invalid = self._counts[RowStatus.INVALID]
            text = f"{n(count)} events are ready to send."
            if invalid:
                text += f" {n(invalid)} invalid rows will not be sent."
            self.summary_label.setText(text)
        can = count > 0 and not self.busy and self.connection_combo.currentData() is not None
        self.start_action.setEnabled(can)
        self.start_button.setEnabled(can)
        self.start_button.setText(
            "Dry run" if self.dry_run_check.isChecked() else f"Upload {n(count)} events"
        )

    # -- planning --------------------------------------------------------------------------------
    def options(self, **overrides: Any) -> Any:
        opts = UploadOptions(
            batch_size=self.batch_spin.value() or None,
            concurrency=self.concurrency_spin.value(),
            gzip=self.gzip_check.isChecked(),
            track_id=self.track_edit.text().strip() or None,
            dry_run=self.dry_run_check.isChecked(),
        )
        return replace(opts, **overrides)

    def _on_start_action_triggered(self) -> None:
        self.start_upload()

    def start_upload(
        self, *, resume_id: str | None = None, rows: set[int] | None = None, **overrides: Any
    ) -> None:
        """Plan in a worker; then the guard (if needed), then :meth:`_send`."""
        if self.busy or self.state.validation is None:
            return
        conn = self.selected_connection()
        if conn is None:
            show_error(self, "Choose a connection first, or add one with Connections….")
            return
        demo = self.connection_combo.currentData() == DEMO_NAME
        demo_secret = self._demo_connection()[1] if demo else None
        session_secret = self._session_secrets.get(conn.name)
        try:
            target = self.target(conn)
        except OptionsError as exc:
            show_error(self, str(exc), title="Upload", warning=True)
            return
        options = self.options(**overrides)
        state = self.state
        result = state.validation
        self._rows_only = rows
        resume_candidates = [] if resume_id else list(getattr(state, "resume_candidates", []))

        def work(progress: Any, cancel: Any) -> _Prepared:

            secret = demo_secret or session_secret
            if not secret and not options.dry_run:
                secret = get_secret(conn.name)
                if not secret:
                    raise CredentialsError(
                        f"No client secret is stored for '{conn.name}'; enter it in Connections."
                    )
            progress(0, 0, "Reading the rows to send…")
            items, invalid = items_from_validation(result)
            if rows is not None:
                items = [i for i in items if i.row in rows]
            cancel.raise_if_cancelled()
            progress(0, 0, "Fingerprinting the file…")
            source = source_info(state)
            cancel.raise_if_cancelled()
            resume = resume_id
            if resume is None:
                for rec in resume_candidates:
                    if rec.fingerprint == source.fingerprint and rec.meter_key == target.meter_key:
                        resume = rec.upload_id
                        break
            progress(0, 0, "Checking what was sent before…")
            journal = Journal()
            try:
                plan = plan_upload(
                    journal,
                    target,
                    items,
                    source,
                    options,
                    resume,
                    limits=conn.limits,
                    invalid_rows=invalid,
                    connection=conn.name,
                )
                earlier = {}
                if plan.duplicates or plan.uncertain:
                    earlier = {r.upload_id: r for r in journal.list_uploads(200)}
            except BaseException:
                journal.close()
                raise
            return _Prepared(plan, conn, secret or "", journal, earlier)

        self._run_worker(work, self._on_plan_finished, "Preparing the upload…")

    def _on_plan_finished(self, prepared: _Prepared) -> None:
        self._retire(self._worker)
        self._worker = None
        settle_long_lived()  # the plan lives through the upload
        plan = prepared.plan
        if getattr(self.state, "resume_candidates", None) and plan.resuming:
            self.state.resume_candidates = []
        # Ask only about what would be held back; a plan that already sends them anyway
        # (the user chose "Send all" or "Resend") lists them too.
        held_back = (plan.duplicates and not plan.options.allow_duplicates) or (
            plan.uncertain and not plan.options.resend_uncertain
        )
        if held_back:
            self._prepared = prepared
            box = duplicate_guard(self, plan, prepared.earlier)
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
            prepared.journal.close()
            rows = self._rows_only
            self.start_upload(
                resume_id=prepared.plan.upload_id if prepared.plan.resuming else None,
                rows=rows,
                allow_duplicates=True,
                resend_uncertain=True,
            )
        else:
            prepared.journal.close()
            self.progress_label.setText("Nothing was sent.")
            self.upload_stopped.emit("Nothing was sent.")

    # -- sending ---------------------------------------------------------------------------------
    def _send(self, prepared: _Prepared) -> None:
        plan = prepared.plan
        self._pause = pause = PauseToken()
        self._latest = None

        def work(progress: Any, cancel: Any) -> Any:
            def on_progress(p: Any) -> None:
                with self._latest_lock:
                    self._latest = p
                done = p.accepted + p.rejected + p.uncertain
                progress(done, max(p.events_total, 1), p.message)

            client = None
            try:
                if not plan.options.dry_run:
                    client = ZuoraClient.for_connection(prepared.connection, prepared.secret)
                result = run_upload(
                    plan,
                    client,
                    prepared.journal,
                    progress=on_progress,
                    cancel=cancel,
                    pause=pause,
                )
                # Walk the per-row outcomes here, not in the GUI thread's slot.
                self._failed_next = failed_rows(result)
                return result
            finally:
                if client is not None:
                    client.close()
                prepared.journal.close()

        self.last_upload_id = plan.upload_id
        self._sending = True
        total = len(plan.to_send)
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"0 of {n(total)} events")
        self._run_worker(work, self._on_send_finished, f"Sending {n(total)} events…")
        self.pause_button.setEnabled(True)

    def _run_worker(self, fn: Any, on_finished: Any, text: str) -> None:
        worker = Worker(fn, min_interval=0.1)
        worker.signals.progressed.connect(self._on_worker_progressed)
        worker.signals.finished.connect(on_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        self._set_running(True)
        self.progress_label.setText(text)
        self.progress_bar.setRange(0, 0)
        self.pause_button.setEnabled(False)
        start(worker)

    def _set_running(self, running: bool) -> None:
        self.progress_box.setVisible(running or self.progress_box.isVisible())
        self.cancel_button.setEnabled(running)
        self.pause_button.setEnabled(running and self.pause_button.isEnabled())
        if not running:
            self.pause_button.setEnabled(False)
            self.pause_button.setText("Pause")
        self.connections_action.setEnabled(not running)
        self.connections_button.setEnabled(not running)
        for w in (
            self.connection_combo,
            self.target_edit,
            self.batch_spin,
            self.concurrency_spin,
            self.gzip_check,
            self.track_edit,
            self.dry_run_check,
        ):
            w.setEnabled(not running)
        if running:
            self.result_box.hide()
        self._update_summary()

    def _on_worker_progressed(self, done: int, total: int, message: str) -> None:
        with self._latest_lock:
            p = self._latest
        if p is None:
            if message:
                self.progress_label.setText(message)
            return
        # Skipped duplicates are never sent: count against what goes out.
        to_send = max(p.events_total - p.skipped_duplicates, 0)
        handled = p.accepted + p.rejected + p.uncertain
        self.progress_bar.setRange(0, max(to_send, 1))
        self.progress_bar.setValue(min(handled, max(to_send, 1)))
        self.progress_bar.setFormat(f"{n(handled)} of {n(to_send)} events")
        parts = [f"{n(handled)} of {n(to_send)} events sent"]
        if p.skipped_duplicates:
            parts.append(f"{n(p.skipped_duplicates)} already in Zuora, skipped")
        parts.append(f"{n(int(p.events_per_second))} events/s")
        parts.append(
            f"{fmt_duration(p.eta_seconds)} left"
            if p.eta_seconds is not None
            else "time left: estimating…"
        )
        parts.append(f"{n(p.retries)} retries")
        failed = p.rejected + p.uncertain
        parts.append(f"{n(failed)} failed")
        text = " · ".join(parts)
        if p.paused or self._pause.paused:
            text = "Paused. " + text
        elif p.message:
            text += f"\n{p.message}"
        self.progress_label.setText(text)

    def _on_pause_button_clicked(self) -> None:
        if self._pause.paused:
            self._pause.resume()
            self.pause_button.setText("Pause")
            self.progress_label.setText("Resuming…")
        else:
            self._pause.pause()
            self.pause_button.setText("Resume")
            self.progress_label.setText("Pausing after the requests already on their way…")

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._pause.resume()  # a paused run must wake up to see the cancel
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Stopping after the requests already on their way…")

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._retire(self._worker)
        self._worker = None
        self._sending = False
        self._set_running(False)
        self.progress_box.hide()
        show_error(self, message, details, "Upload")
        self.upload_stopped.emit(message)

    def _on_worker_cancelled(self) -> None:
        self._retire(self._worker)
        self._worker = None
        sending, self._sending = self._sending, False
        self._set_running(False)
        self.progress_box.hide()
        if sending:
            self.result_title.setText(
                "The upload was stopped. Press Resume upload to send the rest; nothing is "
                "sent twice."
            )
            self.resume_button.show()
            self.resend_button.hide()
            self.result_box.show()
            self.upload_stopped.emit("The upload was stopped.")
        else:
            self.upload_stopped.emit("Cancelled before anything was sent.")

    def _on_send_finished(self, result: Any) -> None:
        self._retire(self._worker)
        self._worker = None
        settle_long_lived()
        self._sending = False
        self._set_running(False)
        self.progress_box.hide()
        self.last_result = result
        self._show_result(result)
        self.upload_finished.emit(result)

    # -- result ----------------------------------------------------------------------------------
    def _show_result(self, result: Any) -> None:
        for key, label in self.count_labels.items():
            # "uncertain" includes events an earlier upload sent without an answer and this
            # one held back: the user must look at both before resending.
            attr = "uncertain_total" if key == "uncertain" else key
            label.setText(n(int(getattr(result, attr, getattr(result, key, 0)) or 0)))
        if result.dry_run:
            title = "Dry run finished: nothing was sent."
        elif result.error is not None:
            title = f"The upload stopped: {result.error}"
        elif result.interrupted:
            title = (
                f"The upload was stopped after {n(result.accepted)} accepted events. "
                "Press Resume upload to send the rest; nothing is sent twice."
            )
        elif result.rejected or result.uncertain:
            title = (
                f"Finished with problems: {n(result.accepted)} events accepted, "
                f"{n(result.rejected)} rejected, {n(result.uncertain)} without an answer. "
                "The result report shows which rows and why."
            )
        else:
            title = f"Done: all {n(result.accepted)} events were accepted by Zuora."
        if result.message and (result.uncertain or result.held_uncertain or result.error):
            # Core's sentence adds what to do about uncertain events; counts are below.
            title += f"\n{result.message}"
        title += f"\nUpload {result.upload_id[:8]}, track ID {result.track_id}."
        self.result_title.setText(title)
        self.resume_button.setVisible(bool(result.interrupted))
        self._failed = self._failed_next
        failed = self._failed
        self.resend_button.setVisible(bool(failed) and not result.interrupted)
        self.result_box.show()

    def _on_resume_button_clicked(self) -> None:
        if self.last_upload_id is not None:
            self.start_upload(resume_id=self.last_upload_id)

    def resume(self) -> None:
        self._on_resume_button_clicked()

    def _on_resend_button_clicked(self) -> None:
        if self.last_result is None:
            return
        failed = self._failed
        uncertain = sum(1 for s in failed.values() if s == "uncertain")
        box = resend_question(self, len(failed) - uncertain, uncertain)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self._resend_rows = set(failed)
        box.finished.connect(self._on_resend_box_finished)
        self.resend_box = box
        box.open()

    def _on_resend_box_finished(self, _code: int) -> None:
        box, rows = self.resend_box, self._resend_rows
        self.resend_box = None
        if box is None:
            return
        choice = choice_of(box)
        box.deleteLater()
        if choice is GuardChoice.SEND_ALL:
            self.start_upload(rows=rows, allow_duplicates=True, resend_uncertain=True)

    def default_result_path(self) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        source = self.state.path
        if source is not None:
            return Path(source).with_name(f"{Path(source).stem}-uploaded-{stamp}.xlsx")
        return Path.home() / f"zmed-upload-{stamp}.xlsx"

    def _on_report_button_clicked(self) -> None:
        self.write_result_report(self.default_result_path(), open_after=True)

    def _on_report_as_button_clicked(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Save result report",
            str(self.default_result_path()),
            "Excel workbook (*.xlsx);;CSV file (*.csv)",
        )
        if path:
            p = Path(path)
            if not p.suffix:
                p = p.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
            self.write_result_report(p, open_after=True)

    def write_result_report(self, path: Path, *, open_after: bool = False) -> None:
        """Every row with its upload outcome (worker); opens the file afterwards if asked."""
        result, upload = self.state.validation, self.last_result
        if result is None or upload is None or self.busy:
            return

        def work(progress: Any, cancel: Any) -> Path:
            write_report(
                path, result, uploads=upload.row_outcomes, progress=progress, cancel=cancel
            )
            return path

        self._open_report = open_after
        self._run_worker(work, self._on_report_finished, f"Writing {path.name}…")

    def _on_report_finished(self, path: Path) -> None:
        self._retire(self._worker)
        self._worker = None
        self._set_running(False)
        self.progress_box.hide()
        self.result_box.show()
        self.last_report = path
        if self._open_report:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.result_title.setText(self.result_title.text() + f"\nReport saved as {path}.")
        self.report_written.emit(str(path))
