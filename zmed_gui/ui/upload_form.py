"""The Upload step's form: which connection, which meter, and how to send.

The saved connections are a file, read in a worker; the demo connection (demo mode only)
shows at once. Secrets are never read here: the planning worker asks the keyring.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from zmed_gui.core.connections import (
    CUSTOM,
    Connection,
    Target,
    check_same_tenant,
    load_connections,
    make_target,
    meter_url,
    parse_upload_url,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.upload import UploadOptions
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from zmed_gui.ui import jobs
from zmed_gui.ui.connections_dialog import ConnectionsDialog
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import icon
from zmed_gui.ui.jobs import Job
from zmed_gui.ui.state import AppState

log = logging.getLogger(__name__)

DEMO_NAME = "Demo (local emulator)"
DEDUP_TIP = (
    "Tick this only if the meter itself drops a repeat of an event ID: a Deduplicator on "
    "its event-ID field, or an Event Store that upserts by Event Id. Then events sent "
    "earlier without an answer are sent again by themselves, each with the same ID as "
    "before (map the event-ID field to 'Row ID (generated)'). If the meter does not "
    "deduplicate, a resend can bill the usage twice."
)


class UploadForm(QWidget):
    """ "Where to" (connection, meter ID or upload URL) and "How" (batch, gzip, dry run…)."""

    changed = Signal()  # connection, meter or dry run changed: the step's summary follows
    connections_loaded = Signal()  # the saved connections were read (tests wait for it)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._connections: list[Connection] = []
        self._connections_worker: Job | None = None
        self._reload_again = False
        self.connections_dialog: Any = None
        self.session_secrets: dict[str, str] = {}

        self.connections_action = QAction(icon("connections"), "&Connections…", self)
        self.connections_action.triggered.connect(self._on_connections_action_triggered)

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
            "paste the meter's Unique Upload URL from Zuora (or the ID at its end)"
        )
        self.target_edit.setToolTip(
            "In Zuora Mediation, open the meter: its page shows the Unique Upload URL."
        )
        self.target_edit.setAccessibleName("Meter's upload URL")
        self.target_edit.textChanged.connect(self._on_field_changed)
        where = QGroupBox("Where to")
        wf = QFormLayout(where)
        wf.addRow("Connection:", conn_row)
        wf.addRow("Meter's &upload URL:", self.target_edit)

        # how
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(0, 10_000)
        self.batch_spin.setSpecialValueText("As many as allowed")
        self.batch_spin.setToolTip(
            "Events sent in one request; 'As many as allowed' uses what the connection's "
            "tenant type allows."
        )
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setRange(1, 40)
        self.concurrency_spin.setValue(4)
        self.concurrency_spin.setToolTip(
            "How many requests go out side by side. 4 suits most networks; Zuora slows the "
            "upload down by itself when it wants fewer."
        )
        self.gzip_check = QCheckBox("Compress each call (quicker on slow networks)")
        self.gzip_check.setToolTip("Compresses each request (gzip): faster on slow networks.")
        self.gzip_check.setChecked(True)
        self.track_edit = QLineEdit()
        self.track_edit.setPlaceholderText(
            "optional: up to 64 characters, to find it in Zuora later"
        )
        self.track_edit.setMaxLength(64)
        self.dry_run_check = QCheckBox("Dry run: check everything but send nothing")
        self.dry_run_check.toggled.connect(self._on_field_changed)
        self.dedup_check = QCheckBox("The meter ignores an event it already has (same event ID)")
        self.dedup_check.setToolTip(DEDUP_TIP)
        how = QGroupBox("How")
        hf = QFormLayout(how)
        hf.addRow("Your reference:", self.track_edit)
        hf.addRow("", self.dry_run_check)
        hf.addRow("", self.dedup_check)
        # How the events travel: what the connection's tenant type already sets well. Kept
        # behind a disclosure that starts closed (the walk: "aimed at engineers").
        self.sending_button = QToolButton()
        self.sending_button.setText("Sending options")
        self.sending_button.setCheckable(True)
        self.sending_button.setAutoRaise(True)
        self.sending_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.sending_button.setArrowType(Qt.ArrowType.RightArrow)
        self.sending_button.setAccessibleName("Sending options")
        self.sending_button.setToolTip(
            "How many events go in one call to Zuora, how many calls at once, compression: "
            "the connection's tenant type sets them; change them only if asked to."
        )
        self.sending_button.toggled.connect(self._on_sending_button_toggled)
        hf.addRow(self.sending_button)
        self._sending_rows: list[QWidget] = []
        for label, widget in (
            ("Events per call:", self.batch_spin),
            ("Calls at the same time:", self.concurrency_spin),
            ("", self.gzip_check),
        ):
            hf.addRow(label, widget)
            self._sending_rows.append(widget)
            if label:
                shown = hf.labelForField(widget)
                if shown is not None:
                    self._sending_rows.append(shown)
        self._on_sending_button_toggled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(where, 3)
        layout.addWidget(how, 2)

        state.connection_changed.connect(self._on_state_connection_changed)
        state.schema_changed.connect(self._on_state_schema_changed)
        self._editable = True
        self._on_state_schema_changed()

    def _on_sending_button_toggled(self, shown: bool) -> None:
        self.sending_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        for widget in self._sending_rows:
            widget.setVisible(shown)

    def _on_state_schema_changed(self) -> None:
        """The event-ID option only for a meter with an event-ID field (the walk ticked it
        for the demo's meter and got an error naming another option)."""
        usable = any(f.event_id for f in self.state.schema.fields)
        if not usable:
            self.dedup_check.setChecked(False)
            self.dedup_check.setToolTip(
                "This meter's event fields have no event ID, so the meter cannot tell a "
                "repeat from a new event: this option cannot be used with it."
            )
        else:
            self.dedup_check.setToolTip(DEDUP_TIP)
        self.dedup_check.setEnabled(usable and self._editable)

    def _on_field_changed(self, *_args: Any) -> None:
        self.changed.emit()

    def set_editable(self, editable: bool) -> None:
        """Lock everything while an upload (or its planning or report) runs."""
        self.connections_action.setEnabled(editable)
        self.connections_button.setEnabled(editable)
        for w in (
            self.connection_combo,
            self.target_edit,
            self.batch_spin,
            self.concurrency_spin,
            self.gzip_check,
            self.track_edit,
            self.dry_run_check,
        ):
            w.setEnabled(editable)
        self._editable = editable
        self._on_state_schema_changed()

    def destination(self) -> tuple[Any, str]:
        """The chosen connection and meter as typed (what "the same upload" means)."""
        return self.connection_combo.currentData(), self.target_edit.text().strip()

    def demo_selected(self) -> bool:
        """The demo connection is chosen (it uses the demo secret, not the keyring)."""
        return bool(self.connection_combo.currentData() == DEMO_NAME)

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
        self._connections_worker = jobs.run(
            lambda progress, cancel: load_connections(),
            finished=self._on_connections_worker_finished,
            failed=self._on_connections_worker_failed,
        )

    def _on_connections_worker_finished(self, connections: list[Connection]) -> None:
        self._connections_worker = None
        self._connections = connections
        self._fill_connections(connections)
        self._after_connections_loaded()

    def _on_connections_worker_failed(self, message: str, details: str) -> None:
        self._connections_worker = None
        log.warning("reading the connections failed: %s\n%s", message, details)
        show_error(self, message, title="Connections", warning=True)  # traceback: the log
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

    def demo_connection(self) -> tuple[Connection, str]:
        """The demo mode's in-memory connection and its secret."""
        conn = self.state.demo_connection
        secret = self.state.demo_secret or DEMO_CLIENT_SECRET
        if conn is None:
            base_url = (self.state.demo_target or ("", ""))[0]
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
            return self.demo_connection()[0]
        return next((c for c in self._connections if c.name == name), None)

    def _on_connection_combo_current_index_changed(self, _index: int = 0) -> None:
        name = self.connection_combo.currentData()
        if name and name != self.state.connection_name:
            # The demo's too: the banner and the status bar follow the chosen connection.
            self.state.set_connection_name(name)
        conn = self.selected_connection()
        if conn is not None and not self.target_edit.text().strip():
            default = conn.upload_url or conn.meter_id
            if default:
                self.target_edit.setText(default)
        self.changed.emit()

    def _on_state_connection_changed(self) -> None:
        self.reload_connections()

    def prefill_target(self) -> None:
        """In demo mode an empty meter field gets the emulator's meter."""
        if self.target_edit.text().strip():
            return
        demo_target = self.state.demo_target
        if self.state.demo and demo_target:
            base_url, meter_id = demo_target
            self.target_edit.setText(meter_url(base_url, meter_id))

    def _on_connections_action_triggered(self) -> None:
        dialog = ConnectionsDialog(
            self, select=self.connection_combo.currentData(), session_secrets=self.session_secrets
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connections_changed.connect(self.reload_connections)
        dialog.finished.connect(self._on_connections_dialog_finished)
        self.connections_dialog = dialog
        dialog.open()

    def _on_connections_dialog_finished(self, _result: int) -> None:
        # Secrets typed there without a keyring are already in self.session_secrets: the
        # dialog was given that dict.
        self.connections_dialog = None
        self.reload_connections()

    # -- what the planning worker needs ------------------------------------------------------
    def target(self, conn: Connection) -> Target:
        """The target from the field: a pasted URL, or a meter ID on the connection's URL.

        A pasted URL on another host than the connection's is refused (OptionsError):
        the connection's token would go there.
        """
        text = self.target_edit.text().strip()
        if not text:
            default = conn.default_target()
            if default is None:
                raise OptionsError(
                    "Paste the meter's Unique Upload URL from Zuora (or the meter ID at its end)."
                )
            target = default
        elif "://" in text:
            target = parse_upload_url(text)
        else:
            target = make_target(conn.base_url, text, conn.path_style)
        check_same_tenant(conn.base_url, target)
        return target

    def options(self, **overrides: Any) -> Any:
        opts = UploadOptions(
            batch_size=self.batch_spin.value() or None,
            concurrency=self.concurrency_spin.value(),
            gzip=self.gzip_check.isChecked(),
            track_id=self.track_edit.text().strip() or None,
            dry_run=self.dry_run_check.isChecked(),
            meter_deduplicates=self.dedup_check.isChecked(),
        )
        return replace(opts, **overrides)
