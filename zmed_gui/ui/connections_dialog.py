"""Connections…: add, edit, test and delete saved Zuora logins.

The client secret goes to the OS keyring only (never to the JSON file). A machine without a
keyring shows the keyring's sentence in the dialog and keeps working: connections can be
saved without a secret, tested with a secret typed for this session, and the demo works.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.connections import (
    CUSTOM,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    Connection,
    delete_connection,
    limits_preset,
    load_connections,
    parse_upload_url,
    save_connection,
    test_connection,
)
from zmed_gui.core.credentials import NO_KEYRING, get_secret, keyring_available
from zmed_gui.core.errors import CredentialsError, ZmedError
from zmed_gui.ui.workers import Worker, start

log = logging.getLogger(__name__)

_OK_STYLE = (
    "color: palette(text); background: rgba(46,160,67,60); padding: 6px; border-radius: 4px;"
)
_BAD_STYLE = (
    "color: palette(text); background: rgba(230,40,40,60); padding: 6px; border-radius: 4px;"
)
_NOTE_STYLE = (
    "color: palette(text); background: rgba(255,170,0,60); padding: 6px; border-radius: 4px;"
)


class ConnectionsDialog(QDialog):
    """Edit the saved connections; emits ``connections_changed`` after a save or delete."""

    connections_changed = Signal()
    test_finished = Signal()  # for tests
    keyring_checked = Signal()  # the keyring answered (or refused) for the shown connection
    loaded = Signal()  # the saved connections were read and listed
    saved = Signal(bool)  # a save finished (False: refused, the reason is shown)

    def __init__(self, parent: QWidget | None = None, select: str | None = None) -> None:
        super().__init__(parent)
        self._retired: list[Worker] = []
        self.setWindowTitle("Connections")
        self.resize(760, 520)
        self._connections: list[Connection] = []
        self._current: str | None = None  # name of the saved connection being edited
        self._worker: Worker | None = None
        self._probe: Worker | None = None
        self._probe_name = ""
        self._store_worker: Worker | None = None
        self._store_queue: list[tuple[Any, Any]] = []
        self._store_then: Any = None
        self._session_secrets: dict[str, str] = {}  # typed here when there is no keyring

        self.keyring_label = QLabel()
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setStyleSheet(_NOTE_STYLE)
        self.keyring_label.hide()

        self.list = QListWidget()
        self.list.setAccessibleName("Saved connections")
        self.list.currentTextChanged.connect(self._on_list_current_text_changed)
        new_button = QPushButton("New")
        new_button.clicked.connect(self._on_new_button_clicked)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Production EU")
        self.environment_combo = QComboBox()
        for env in ENVIRONMENTS.values():
            self.environment_combo.addItem(f"{env.label}  —  {env.base_url}", env.key)
        self.environment_combo.addItem("Custom base URL…", CUSTOM)
        self.environment_combo.currentIndexChanged.connect(
            self._on_environment_combo_current_index_changed
        )
        self.base_url_edit = QLineEdit()
        self.base_url_edit.setPlaceholderText("https://rest.example.zuora.com")
        self.client_id_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setAccessibleName("Client secret")
        self.entity_edit = QLineEdit()
        self.entity_edit.setPlaceholderText("only with Multi-entity")
        self.org_edit = QLineEdit()
        self.org_edit.setPlaceholderText("only with Multi-Org; comma separated")
        self.limits_combo = QComboBox()
        for key, (label, lim) in LIMIT_PRESETS.items():
            self.limits_combo.addItem(
                f"{label}: {lim.max_events:,} events, "
                f"{lim.max_payload_bytes // 1_000_000} MB per call",
                key,
            )
        self.meter_edit = QLineEdit()
        self.meter_edit.setPlaceholderText("optional: meter ID or the meter's Unique Upload URL")
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Environment:", self.environment_combo)
        form.addRow("&Base URL:", self.base_url_edit)
        form.addRow("Client &ID:", self.client_id_edit)
        form.addRow("Client &secret:", self.secret_edit)
        form.addRow("Entity ID:", self.entity_edit)
        form.addRow("Org IDs:", self.org_edit)
        form.addRow("&Tenant type:", self.limits_combo)
        form.addRow("Default &meter:", self.meter_edit)

        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.save_button = QPushButton("&Save")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName("Connection status")
        self.result_label.hide()

        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(actions)
        right.addWidget(self.result_label)
        right.addStretch(1)

        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.keyring_label)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)

        self.secret_state_label = QLabel()
        self.secret_state_label.setWordWrap(True)
        form.addRow("", self.secret_state_label)
        if not keyring_available():
            self._show_keyring_problem(NO_KEYRING)
        self._reload(select)

    # -- list -------------------------------------------------------------------------------

    def _retire(self, worker: Worker | None) -> None:
        """Keep a finished worker a little longer: this runs inside its own signal's
        delivery, and dropping the last reference there deletes the signals' QObject
        mid-delivery. The previous one is dropped now, safely outside its delivery."""
        self._retired = [worker] if worker is not None else []

    def _reload(
        self, select: str | None = None, note: tuple[str, bool | None] | None = None
    ) -> None:
        """Read the saved connections in a worker, then fill the list (``loaded``)."""
        self._store_job(
            lambda progress, cancel: load_connections(),
            lambda conns: self._fill_list(conns, select, note),
        )

    def _fill_list(
        self,
        connections: list[Connection],
        select: str | None,
        note: tuple[str, bool | None] | None,
    ) -> None:
        self._connections = connections
        self.list.blockSignals(True)
        self.list.clear()
        for conn in self._connections:
            self.list.addItem(conn.name)
        self.list.blockSignals(False)
        names = [c.name for c in self._connections]
        if select in names:
            self.list.setCurrentRow(names.index(select))
        elif names:
            self.list.setCurrentRow(0)
        else:
            self._load_form(Connection(name=""))
        self.delete_button.setEnabled(bool(names))
        if note is not None:
            self._show_result(*note)
        self.loaded.emit()

    # -- the connections file and the keyring, off the GUI thread ------------------------------
    def _store_job(self, fn: Any, then: Any) -> None:
        """Run ``fn`` (file or keyring work) in a worker, one at a time; ``then(result)``."""
        self._store_queue.append((fn, then))
        if self._store_worker is None:
            self._next_store_job()

    def _next_store_job(self) -> None:
        if not self._store_queue:
            return
        fn, then = self._store_queue.pop(0)
        self._store_then = then
        worker = Worker(fn)
        worker.signals.finished.connect(self._on_store_worker_finished)
        worker.signals.failed.connect(self._on_store_worker_failed)
        self._store_worker = worker
        start(worker)

    def _on_store_worker_finished(self, result: Any) -> None:
        self._retire(self._store_worker)
        self._store_worker = None
        then, self._store_then = self._store_then, None
        if then is not None:
            then(result)
        self._next_store_job()

    def _on_store_worker_failed(self, message: str, _details: str) -> None:
        self._retire(self._store_worker)
        self._store_worker = None
        self._store_then = None
        self._show_result(message, ok=False)
        self.loaded.emit()
        self.saved.emit(False)
        self._next_store_job()

    def _on_list_current_text_changed(self, name: str) -> None:
        for conn in self._connections:
            if conn.name == name:
                self._load_form(conn)
                return

    def _on_new_button_clicked(self) -> None:
        self.list.clearSelection()
        self._load_form(Connection(name=""))
        self.name_edit.setFocus()

    def _on_delete_button_clicked(self) -> None:
        name = self._current
        if not name:
            return
        self._session_secrets.pop(name, None)

        def work(progress: Any, cancel: Any) -> None:
            delete_connection(name)

        def then(_result: None) -> None:
            self.connections_changed.emit()
            self._reload(note=(f"The connection '{name}' was deleted.", True))

        self._store_job(work, then)

    # -- form -------------------------------------------------------------------------------
    def _load_form(self, conn: Connection) -> None:
        self._current = conn.name or None
        self.name_edit.setText(conn.name)
        i = self.environment_combo.findData(conn.environment)
        self.environment_combo.setCurrentIndex(max(i, 0))
        self.base_url_edit.setText(conn.custom_base_url)
        self._on_environment_combo_current_index_changed()
        self.client_id_edit.setText(conn.client_id)
        self.secret_edit.clear()
        self.secret_edit.setPlaceholderText(
            "leave empty to keep the stored secret" if conn.name else "paste the client secret"
        )
        self.entity_edit.setText(conn.entity_ids)
        self.org_edit.setText(conn.org_ids)
        preset = next(
            (k for k, (_l, lim) in LIMIT_PRESETS.items() if lim == conn.limits), "production"
        )
        self.limits_combo.setCurrentIndex(max(self.limits_combo.findData(preset), 0))
        self.meter_edit.setText(conn.upload_url or conn.meter_id)
        self.result_label.hide()
        self._probe_secret(conn.name)

    def _probe_secret(self, name: str) -> None:
        """Ask the keyring (in a worker: it may prompt or be slow) whether a secret is kept."""
        self.secret_state_label.setText("")
        if self._probe is not None:
            return
        probe_name = name or "zmed-gui keyring check"

        def work(progress: Any, cancel: Any) -> bool:
            return get_secret(probe_name) is not None

        worker = Worker(work)
        worker.signals.finished.connect(self._on_probe_finished)
        worker.signals.failed.connect(self._on_probe_failed)
        self._probe = worker
        self._probe_name = name
        start(worker)

    def _on_probe_finished(self, stored: bool) -> None:
        self._retire(self._probe)
        self._probe = None
        if self._probe_name != (self._current or ""):
            self._probe_secret(self._current or "")
            return
        if not self._probe_name:
            self.secret_state_label.setText("")
        elif stored:
            self.secret_state_label.setText("A secret is stored in the system keyring.")
        else:
            self.secret_state_label.setText("No secret is stored yet for this connection.")
        self.keyring_checked.emit()

    def _on_probe_failed(self, message: str, _details: str) -> None:
        self._retire(self._probe)
        self._probe = None
        self._show_keyring_problem(message)
        self.secret_state_label.setText("The secret cannot be kept on this computer.")
        self.keyring_checked.emit()

    def _on_environment_combo_current_index_changed(self, _index: int = 0) -> None:
        key = self.environment_combo.currentData()
        custom = key == CUSTOM
        self.base_url_edit.setReadOnly(not custom)
        if not custom:
            env = ENVIRONMENTS.get(key)
            self.base_url_edit.setText(env.base_url if env else "")

    def form_connection(self) -> Connection:
        """The connection as the form describes it (not yet checked or saved)."""
        env = self.environment_combo.currentData()
        meter = self.meter_edit.text().strip()
        is_url = "://" in meter
        return Connection(
            name=self.name_edit.text().strip(),
            environment=env,
            client_id=self.client_id_edit.text().strip(),
            custom_base_url=self.base_url_edit.text().strip() if env == CUSTOM else "",
            entity_ids=self.entity_edit.text().strip(),
            org_ids=self.org_edit.text().strip(),
            limits=limits_preset(self.limits_combo.currentData()),
            meter_id="" if is_url else meter,
            upload_url=meter if is_url else "",
        )

    def _on_save_button_clicked(self) -> None:
        self.save()

    def save(self) -> bool:
        """Check the form, then save it in a worker; the secret goes to the keyring.

        Returns False at once when the form cannot be saved (the reason is shown);
        otherwise ``saved`` is emitted when the file and the keyring are written.
        """
        conn = self.form_connection()
        secret = self.secret_edit.text() or None
        try:
            conn.validate()
        except ZmedError as exc:
            self._show_result(str(exc), ok=False)
            self.saved.emit(False)
            return False
        renamed_from = (
            self._current
            if self._current and self._current.casefold() != conn.name.casefold()
            else None
        )

        def work(progress: Any, cancel: Any) -> str | None:
            try:
                save_connection(conn, secret)
            except CredentialsError as exc:
                # No keyring: keep the connection without its secret, say so.
                save_connection(conn, None)
                return str(exc)
            if renamed_from:
                delete_connection(renamed_from)
            return None

        def then(keyring_problem: str | None) -> None:
            if keyring_problem is None:
                note = (f"The connection '{conn.name}' was saved.", True)
            else:
                if secret:
                    self._session_secrets[conn.name] = secret  # this session only
                self._show_keyring_problem(keyring_problem)
                note = (
                    f"The connection '{conn.name}' was saved without its secret: {keyring_problem}",
                    False,
                )
            self.connections_changed.emit()
            self._reload(conn.name, note)
            self.saved.emit(True)

        self._show_result("Saving…", ok=None)
        self._store_job(work, then)
        return True

    def session_secret(self, name: str) -> str | None:
        """A secret typed in this dialog when the keyring could not keep it."""
        return self._session_secrets.get(name)

    # -- test -----------------------------------------------------------------------------------
    def _on_test_button_clicked(self) -> None:
        self.start_test()

    def start_test(self) -> None:
        """Fetch a token and probe the meter in a worker; the answer shows in the dialog."""
        if self._worker is not None:
            return
        try:
            conn = self.form_connection()
            conn.validate()
        except ZmedError as exc:
            self._show_result(str(exc), ok=False)
            self.test_finished.emit()
            return
        typed = self.secret_edit.text() or self._session_secrets.get(conn.name)
        name = self._current or conn.name
        meter = self.meter_edit.text().strip()

        def work(progress: Any, cancel: Any) -> Any:
            secret = typed or get_secret(name)
            if not secret:
                raise CredentialsError(
                    f"No client secret is stored for '{name}'; type it in the secret field."
                )
            target = None
            meter_id = None
            if "://" in meter:
                target = parse_upload_url(meter)
            elif meter:
                meter_id = meter
            return test_connection(conn, secret, meter_id, target=target)

        worker = Worker(work)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        self._worker = worker
        self.test_button.setEnabled(False)
        self._show_result("Testing the connection…", ok=None)
        start(worker)

    def _on_worker_finished(self, result: Any) -> None:
        self._retire(self._worker)
        self._worker = None
        self.test_button.setEnabled(True)
        self._show_result(result.message, ok=result.ok)
        self.test_finished.emit()

    def _on_worker_failed(self, message: str, _details: str) -> None:
        self._retire(self._worker)
        self._worker = None
        self.test_button.setEnabled(True)
        self._show_result(message, ok=False)
        self.test_finished.emit()

    # -- messages -------------------------------------------------------------------------------
    def _show_keyring_problem(self, message: str) -> None:
        self.keyring_label.setText(
            f"{message} You can still try the demo, and test a connection with a secret "
            "typed here (it is kept only until the app closes)."
        )
        self.keyring_label.show()

    def _show_result(self, text: str, ok: bool | None) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(
            _NOTE_STYLE if ok is None else (_OK_STYLE if ok else _BAD_STYLE)
        )
        self.result_label.show()

    def done(self, result: int) -> None:
        if self._worker is not None:
            self._worker.cancel()
        super().done(result)

    @property
    def keyring_message(self) -> str:
        return self.keyring_label.text() if self.keyring_label.isVisibleTo(self) else ""
