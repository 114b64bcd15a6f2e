"""Connections…: add, edit, test and delete saved Zuora logins.

The client secret goes to the OS keyring only (never to the JSON file). A machine without a
keyring shows the keyring's sentence in the dialog and keeps working: connections can be
saved without a secret, tested with a secret typed for this session, and the demo works.

The form is :class:`ConnectionForm`; the connections file and the keyring are read and
written by :class:`~zmed_gui.ui.jobs.Queue` jobs, one at a time, never on the GUI thread
(that includes the check that the connection's CA bundle file exists).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.connections import (
    NO_KEYRING,
    Connection,
    PathStyle,
    delete_connection,
    get_connection,
    get_secret,
    keyring_available,
    load_connections,
    parse_upload_url,
    save_connection,
)
from zmed_gui.core.errors import CredentialsError, ZmedError
from zmed_gui.core.zuora import ConnectionTestResult, ProbeOutcome, test_connection
from zmed_gui.ui.connection_form import ConnectionForm, check_form
from zmed_gui.ui.jobs import Latest, Queue

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
    path_style_saved = Signal(str)  # a test's finding was written to the saved connection

    def __init__(
        self,
        parent: QWidget | None = None,
        select: str | None = None,
        session_secrets: dict[str, str] | None = None,
    ) -> None:
        """``session_secrets``: the app's secrets typed when there is no keyring (shared,
        so a dialog opened again knows them and says so)."""
        super().__init__(parent)
        self.setWindowTitle("Connections")
        self.resize(760, 580)
        self._connections: list[Connection] = []
        self._current: str | None = None  # name of the saved connection being edited
        self._test_job = Latest(self)
        self._test_job.finished.connect(self._on_test_job_finished)
        self._test_job.failed.connect(self._on_test_job_failed)
        self._probe_job = Latest(self)  # does the keyring hold a secret for the form?
        self._probe_job.finished.connect(self._on_probe_job_finished)
        self._probe_job.failed.connect(self._on_probe_job_failed)
        self._probe_name = ""
        self._store = Queue(self)
        self._store.failed.connect(self._on_store_failed)
        # typed here when there is no keyring; kept until the app closes
        self._session_secrets = session_secrets if session_secrets is not None else {}
        # (saved name or None for a new one, base URL) of the connection under test
        self._tested: tuple[str | None, str] | None = None

        self.keyring_label = QLabel()
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setStyleSheet(_NOTE_STYLE)
        self.keyring_label.hide()

        self.list = QListWidget()
        self.list.setAccessibleName("Saved connections")
        self.list.currentTextChanged.connect(self._on_list_current_text_changed)
        self.new_button = new_button = QPushButton("New")
        new_button.clicked.connect(self._on_new_button_clicked)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)

        self.form = form = ConnectionForm()
        # the form's fields, under the names callers and tests use
        self.name_edit = form.name_edit
        self.environment_combo = form.environment_combo
        self.base_url_edit = form.base_url_edit
        self.client_id_edit = form.client_id_edit
        self.secret_edit = form.secret_edit
        self.entity_edit = form.entity_edit
        self.org_edit = form.org_edit
        self.limits_combo = form.limits_combo
        self.path_style_combo = form.path_style_combo
        self.path_state_label = form.path_state_label
        self.meter_edit = form.meter_edit

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
        # The sentences of a test take their room from the start, so nothing in the dialog
        # moves when they appear, change or go (the walk clicked a moved button).
        self.result_slot = QWidget()
        slot = QVBoxLayout(self.result_slot)
        slot.setContentsMargins(0, 0, 0, 0)
        slot.addWidget(self.result_label)
        slot.addStretch(1)
        self.result_slot.setMinimumHeight(self.fontMetrics().lineSpacing() * 6 + 16)

        # The form scrolls rather than growing the dialog past the screen with Advanced
        # open (the second walk: Close was cut off at 800 pixels).
        scroll = QScrollArea()
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = scroll.style().pixelMetric(scroll.style().PixelMetric.PM_ScrollBarExtent)
        scroll.setMinimumWidth(form.minimumSizeHint().width() + bar)  # only height scrolls
        self.form_scroll = scroll
        right = QVBoxLayout()
        right.addWidget(scroll, 1)
        right.addLayout(actions)
        right.addWidget(self.result_slot)

        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.keyring_label)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)

        if not keyring_available():
            self._show_keyring_problem(NO_KEYRING)
        self._reload(select)

    # -- list -------------------------------------------------------------------------------
    def _reload(
        self, select: str | None = None, note: tuple[str, bool | None] | None = None
    ) -> None:
        """Read the saved connections in a worker, then fill the list (``loaded``)."""
        self._store.add(
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

    def _on_store_failed(self, message: str, _details: str) -> None:
        self._show_result(message, ok=False)
        self.loaded.emit()
        self.saved.emit(False)

    def _on_list_current_text_changed(self, name: str) -> None:
        if not self._may_leave_form(then_select=name):
            # Cancel: stay on the edited one, now and once the click that moved the
            # highlight has finished (the walk: the highlight stayed on the other one).
            self._select_in_list(self._current)
            current = self._current
            QTimer.singleShot(0, self, lambda: self._select_in_list(current))
            return
        for conn in self._connections:
            if conn.name == name:
                self._load_form(conn)
                return

    def _select_in_list(self, name: str | None) -> None:
        self.list.blockSignals(True)
        names = [c.name for c in self._connections]
        if name in names:
            self.list.setCurrentRow(names.index(name))
        else:
            self.list.clearSelection()
            self.list.setCurrentRow(-1)
        self.list.blockSignals(False)

    def _on_new_button_clicked(self) -> None:
        if not self._may_leave_form():
            return
        self._select_in_list(None)
        self._load_form(Connection(name=""))
        self.name_edit.setFocus()

    # -- unsaved changes ------------------------------------------------------------------
    def _may_leave_form(self, then_select: str | None = None, closing: bool = False) -> bool:
        """Ask what to do with the form's unsaved changes before they would be lost.

        True: go on now (nothing changed, or the user chose not to keep the changes).
        False: stay (Cancel, or Save started: once saved, the dialog closes when
        ``closing``, and otherwise shows ``then_select``).
        """
        if not self.form.has_changes():
            return True
        answer = ask_unsaved_changes(self, self._current or self.name_edit.text().strip())
        if answer == QMessageBox.StandardButton.Discard:
            return True
        if answer == QMessageBox.StandardButton.Save:
            self.save(close_after=closing, then_select=then_select)
        return False

    def reject(self) -> None:
        """Close, Escape or the window's close box: unsaved changes are asked about."""
        if self._may_leave_form(closing=True):
            super().reject()

    def _on_delete_button_clicked(self) -> None:
        name = self._current
        if not name:
            return
        self._session_secrets.pop(name, None)
        self.form.mark_unchanged()  # deleted: its edits are not asked about

        def work(progress: Any, cancel: Any) -> None:
            delete_connection(name)

        def then(_result: None) -> None:
            self.connections_changed.emit()
            self._reload(note=(f"The connection '{name}' was deleted.", True))

        self._store.add(work, then)

    # -- form -------------------------------------------------------------------------------
    def _load_form(self, conn: Connection) -> None:
        self._current = conn.name or None
        self.form.load(conn)
        self.result_label.hide()
        self._probe_secret(conn.name)

    def _probe_secret(self, name: str) -> None:
        """Ask the keyring (in a worker: it may prompt or be slow) whether a secret is kept."""
        if self._probe_job.busy:
            return  # when it ends, it sees the form changed and asks again
        probe_name = name or "zmed-gui keyring check"

        def work(progress: Any, cancel: Any) -> bool:
            return get_secret(probe_name) is not None

        self._probe_name = name
        self._probe_job.run(work)

    def _on_probe_job_finished(self, stored: bool) -> None:
        if self._probe_name != (self._current or ""):
            self._probe_secret(self._current or "")
            return
        typed = self._probe_name in self._session_secrets
        self.form.show_secret_state(bool(self._probe_name) and stored, typed)
        self.keyring_checked.emit()

    def _on_probe_job_failed(self, message: str, _details: str) -> None:
        # said once, in the note at the top; the secret field says only what to do
        self._show_keyring_problem(message)
        if self._probe_name == (self._current or ""):
            self.form.show_secret_state(False, self._probe_name in self._session_secrets)
        self.keyring_checked.emit()

    def form_connection(self) -> Connection:
        """The connection as the form describes it (not yet checked or saved)."""
        return self.form.connection()

    def _on_save_button_clicked(self) -> None:
        self.save()

    def save(self, *, close_after: bool = False, then_select: str | None = None) -> bool:
        """Check the form, then save it in a worker; the secret goes to the keyring.

        Returns False at once when the form cannot be saved (the reason is shown);
        otherwise ``saved`` is emitted when the file and the keyring are written. Then
        the dialog closes (``close_after``) or shows ``then_select`` (the connection the
        user clicked before saving), or the saved one.
        """
        conn = self.form_connection()
        secret = self.secret_edit.text() or None
        try:
            check_form(conn)  # save_connection checks the CA bundle file in the worker
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
                    f"The connection '{conn.name}' was saved without its secret, which "
                    "cannot be kept on this computer (see the note above).",
                    False,
                )
            self.connections_changed.emit()
            self.form.mark_unchanged()  # kept: closing or switching no longer asks
            if close_after and keyring_problem is None:
                self.saved.emit(True)
                super(ConnectionsDialog, self).reject()
                return
            # Saved without its secret: the dialog stays open to say so (closing on the
            # user would hide that the secret is gone after this session).
            self._reload(then_select or conn.name, note)
            self.saved.emit(True)

        self._show_result("Saving…", ok=None)
        self._store.add(work, then)
        return True

    def session_secret(self, name: str) -> str | None:
        """A secret typed in this dialog when the keyring could not keep it."""
        return self._session_secrets.get(name)

    # -- test -----------------------------------------------------------------------------------
    def _on_test_button_clicked(self) -> None:
        self.start_test()

    def start_test(self) -> None:
        """Fetch a token and probe the meter in a worker; the answer shows in the dialog."""
        if self._test_job.busy:
            return
        try:
            conn = self.form_connection()
            check_form(conn)
        except ZmedError as exc:
            self._show_result(str(exc), ok=False)
            self.test_finished.emit()
            return
        typed = self.secret_edit.text() or self._session_secrets.get(conn.name)
        name = self._current or conn.name
        meter = self.meter_edit.text().strip()
        self._tested = (self._current, conn.base_url)

        def work(progress: Any, cancel: Any) -> Any:
            conn.validate()  # with the CA bundle file check, off the GUI thread
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
            return test_connection(conn, secret, meter_id=meter_id, target=target)

        self._test_job.run(work)
        self.test_button.setEnabled(False)
        self._show_result("Testing the connection…", ok=None)

    def _on_test_job_finished(self, result: ConnectionTestResult) -> None:
        self.test_button.setEnabled(True)
        later = result.outcome in (ProbeOutcome.RATE_LIMITED, ProbeOutcome.UNAVAILABLE)
        self._show_result(result.message, ok=None if later and not result.ok else result.ok)
        if result.outcome == ProbeOutcome.ANSWERS and result.style is not None:
            self._keep_found_path(result.style, result.upload_url)
        self.test_finished.emit()

    def _keep_found_path(self, style: PathStyle, upload_url: str | None) -> None:
        """Show the path the test found; a saved connection keeps it at once."""
        tested, self._tested = self._tested, None
        try:
            shown = (self._current, self.form_connection().base_url)
        except ZmedError:
            shown = None
        if tested is None or tested != shown:
            return  # the form shows another connection or address now
        changed_before = self.form.has_changes()
        self.form.set_found_path_style(style)
        if "://" in self.meter_edit.text() and upload_url:
            self.meter_edit.setText(upload_url)  # the pasted URL, on the path that answers
        name, base_url = tested
        if name is None or self.name_edit.text().strip() != name:
            return  # not saved yet (or renamed): Save keeps the finding
        if not changed_before:
            self.form.mark_unchanged()  # the finding is saved below, nothing is left unsaved

        def work(progress: Any, cancel: Any) -> Connection | None:
            try:
                saved = get_connection(name)
                if saved.base_url != base_url:
                    return None  # the saved one is another tenant than the one tested
                saved.path_style, saved.path_style_confirmed = style, True
                save_connection(saved, None)
            except ZmedError as exc:
                log.warning("the found upload path was not saved: %s", exc)
                return None
            return saved

        def then(saved: Connection | None) -> None:
            if saved is None:
                return
            self._connections = [saved if c.name == saved.name else c for c in self._connections]
            self.connections_changed.emit()
            self.path_style_saved.emit(saved.path_style)

        self._store.add(work, then)

    def _on_test_job_failed(self, message: str, _details: str) -> None:
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
        self._test_job.cancel()
        super().done(result)

    @property
    def keyring_message(self) -> str:
        return self.keyring_label.text() if self.keyring_label.isVisibleTo(self) else ""


def ask_unsaved_changes(parent: QWidget, name: str) -> QMessageBox.StandardButton:
    """Save, Discard or Cancel for a connection's unsaved changes (tests replace it)."""
    what = f"the connection '{name}'" if name else "the new connection"
    box = QMessageBox(parent)
    box.setWindowTitle("Unsaved changes")
    box.setIcon(QMessageBox.Icon.Question)
    box.setText(f"Save your changes to {what}?")
    box.setInformativeText("If you do not save them, they are lost.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return QMessageBox.StandardButton(box.exec())
