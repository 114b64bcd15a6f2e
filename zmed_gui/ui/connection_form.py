"""The form of the Connections dialog: one connection's fields, read and written as a whole.

The form never touches the disk or the keyring. :func:`check_form` runs the checks that
need neither (the CA bundle file is checked by the worker that saves or tests).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from zmed_gui.core.connections import (
    CUSTOM,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    PATH_STYLE_LABELS,
    Connection,
    PathStyle,
    TenantLimits,
    limits_preset,
)
from zmed_gui.ui.numbers import count, counted

OWN_LIMITS = "own"  # the limits combo's item for saved limits that match no preset
PATH_FOUND = "Found by the connection test."
PATH_NOT_TESTED = "Not confirmed yet: Test connection finds the path that answers."


def _limits_text(label: str, lim: TenantLimits) -> str:
    mb = lim.max_payload_bytes / 1_000_000
    size = f"{count(round(mb))} MB" if mb >= 1 else f"{count(lim.max_payload_bytes // 1000)} KB"
    return (
        f"{label}: {counted(lim.max_events, 'event')}, {size} per call, "
        f"{counted(lim.calls_per_minute, 'call')} a minute"
    )


def check_form(conn: Connection) -> None:
    """``conn.validate()`` without its file check, cheap enough for the GUI thread.

    The CA bundle path may be on a network share that takes seconds to answer; the save
    and test workers run the full ``validate()`` (``save_connection`` does it itself).
    Raises :class:`~zmed_gui.core.errors.OptionsError` with one sentence.
    """
    dataclasses.replace(conn, ca_bundle="").validate()


class ConnectionForm(QWidget):
    """Name, environment, tenant type, client ID and secret, meter number; then Advanced.

    What a finance user needs comes first, in words; the technical settings (entity and org
    IDs, the upload path, the meter's upload URL, the environment's address) wait behind an
    "Advanced" disclosure that starts closed. Choosing an environment sets its tenant type
    (limits); another tenant type can still be chosen, and is then saved as the user's own
    (``limits_custom``). The upload path shows whether a connection test found it. Settings
    the form does not show (CA bundle, proxy) are kept from the connection last loaded, so
    saving the form never drops them.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded = Connection(name="")
        self._loading = False
        self._kept_fields: tuple[object, ...] | None = None  # as loaded: see has_changes
        self._path_confirmed = False
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Production EU")
        self.environment_combo = QComboBox()
        self.environment_combo.setAccessibleName("Environment")
        for env in ENVIRONMENTS.values():
            self.environment_combo.addItem(env.label, env.key)
            self.environment_combo.setItemData(
                self.environment_combo.count() - 1, env.base_url, Qt.ItemDataRole.ToolTipRole
            )
        self.environment_combo.addItem("Another address (Custom)…", CUSTOM)
        self.environment_combo.currentIndexChanged.connect(
            self._on_environment_combo_current_index_changed
        )
        self.base_url_edit = QLineEdit()
        self.base_url_edit.setPlaceholderText("https://rest.example.zuora.com")
        self.base_url_edit.textEdited.connect(self._on_base_url_edit_text_edited)
        self.client_id_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setAccessibleName("Client secret")
        self.entity_edit = QLineEdit()
        self.entity_edit.setPlaceholderText("only with Multi-entity")
        self.org_edit = QLineEdit()
        self.org_edit.setPlaceholderText("only with Multi-Org; comma separated")
        self.limits_combo = QComboBox()
        self.limits_combo.setAccessibleName("Tenant type")
        for key, (label, lim) in LIMIT_PRESETS.items():
            self.limits_combo.addItem(_limits_text(label, lim), key)
        self.path_style_combo = QComboBox()
        self.path_style_combo.setAccessibleName("Upload path")
        for style, label in PATH_STYLE_LABELS.items():
            self.path_style_combo.addItem(label, style)
        self.path_style_combo.currentIndexChanged.connect(
            self._on_path_style_combo_current_index_changed
        )
        self.path_state_label = QLabel()
        self.meter_edit = QLineEdit()
        self.meter_edit.setPlaceholderText("optional: the meter's Unique Upload URL")
        self.meter_number_edit = QLineEdit()
        self.meter_number_edit.setPlaceholderText(
            "optional: the meter's number, shown on its page in Zuora Mediation"
        )
        self.meter_number_edit.setToolTip(
            "The meter's numeric ID (not the 32-character ID of its Upload URL). zmed-gui "
            "uses it to check with Zuora which events the meter kept after receiving them."
        )
        self.hints: dict[str, QLabel] = {}
        self.advanced_hints: list[QLabel] = []

        def hint_label(text: str) -> QLabel:
            note = QLabel(text)  # one line: a wrapped label makes the form's rows uneven
            note.setEnabled(False)  # drawn lighter: a hint, not a field
            return note

        def row(label: str, widget: QWidget, hint: str = "", advanced: bool = False) -> None:
            form.addRow(label, widget)
            rows = [widget]
            if hint:
                self.hints[label] = note = hint_label(hint)
                form.addRow("", note)
                rows.append(note)
                if advanced:
                    self.advanced_hints.append(note)
            if advanced:
                self._advanced_rows += rows

        # One form for both parts, so that their labels and fields line up.
        form = self._form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self._advanced_rows: list[QWidget] = []
        row("&Name:", self.name_edit, "Any name you will recognise in the Upload step.")
        row(
            "&Environment:",
            self.environment_combo,
            "Where your Zuora tenant lives (ask your administrator); start on a sandbox.",
        )
        row("&Base URL:", self.base_url_edit)
        row(
            "&Tenant type:",
            self.limits_combo,
            "How much one request may carry; it follows the environment.",
        )
        row(
            "Client &ID:",
            self.client_id_edit,
            "From your Zuora administrator (Settings > Administration > OAuth Clients).",
        )
        row(
            "Client &secret:",
            self.secret_edit,
            "Shown once when the OAuth client is made; kept in the password store.",
        )
        row(
            "Meter n&umber:",
            self.meter_number_edit,
            "The number on the meter's page (not the ID in its URL): to check what it kept.",
        )

        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setChecked(False)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setAccessibleName("Advanced settings")
        self.advanced_button.toggled.connect(self._on_advanced_button_toggled)
        form.addRow(self.advanced_button)
        row("Entity ID:", self.entity_edit, "Only if your tenant has several entities.", True)
        row("Org IDs:", self.org_edit, "Only if your tenant has several organisations.", True)
        row(
            "&Upload path:",
            self.path_style_combo,
            "Test connection finds it; change it only if Zuora support asks you to.",
            True,
        )
        form.addRow("", self.path_state_label)
        self._advanced_rows.append(self.path_state_label)
        row(
            "Meter's upload &URL:",
            self.meter_edit,
            "Optional: the meter the Upload step starts with (from the meter's page).",
            True,
        )
        # as tall as its rows: the dialog's spare height goes below the buttons
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._on_advanced_button_toggled(False)

    def _on_advanced_button_toggled(self, shown: bool) -> None:
        self.advanced_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        for widget in self._advanced_rows:
            self._form.setRowVisible(widget, shown)
        self._show_base_url_row()

    def _show_base_url_row(self) -> None:
        """The address is asked for with Custom, and shown read-only under Advanced."""
        custom = self.environment_combo.currentData() == CUSTOM
        self._form.setRowVisible(self.base_url_edit, custom or self.advanced_button.isChecked())

    def show_secret_state(self, stored: bool | None, typed_earlier: bool = False) -> None:
        """Say in the secret field whether it may be left empty (a secret is kept) or not.

        ``stored`` is the keyring's answer: None while it is being asked, False also when
        there is no keyring; ``typed_earlier``: a secret typed in this session is kept.
        """
        if stored:
            text = "leave empty to keep the stored secret"
        elif typed_earlier:
            text = "leave empty to use the secret typed earlier (kept until the app closes)"
        elif stored is None and self._loaded.name:
            text = "checking the password store…"
        else:
            text = "needed: paste the client secret"
        self.secret_edit.setPlaceholderText(text)

    def load(self, conn: Connection) -> None:
        """Show ``conn`` (a blank one for a new connection); the secret field is emptied."""
        self._loaded = conn
        self._loading = True
        try:
            self.name_edit.setText(conn.name)
            i = self.environment_combo.findData(conn.environment)
            self.environment_combo.setCurrentIndex(max(i, 0))
            self.base_url_edit.setText(conn.custom_base_url)
            self._on_environment_combo_current_index_changed()
            self._show_limits(conn.limits)
            j = self.path_style_combo.findData(conn.path_style)
            self.path_style_combo.setCurrentIndex(max(j, 0))
        finally:
            self._loading = False
        self._set_path_confirmed(conn.path_style_confirmed)
        self.client_id_edit.setText(conn.client_id)
        self.secret_edit.clear()
        self.show_secret_state(None)
        self.entity_edit.setText(conn.entity_ids)
        self.org_edit.setText(conn.org_ids)
        self.meter_edit.setText(conn.upload_url or conn.meter_id)
        self.meter_number_edit.setText(conn.meter_number)
        self.mark_unchanged()

    def _fields(self) -> tuple[object, ...]:
        """What the user can change, as shown (the secret only as typed or not)."""
        texts = tuple(
            edit.text()
            for edit in (
                self.name_edit,
                self.base_url_edit,
                self.client_id_edit,
                self.entity_edit,
                self.org_edit,
                self.meter_edit,
                self.meter_number_edit,
            )
        )
        combos = tuple(
            combo.currentIndex()
            for combo in (self.environment_combo, self.limits_combo, self.path_style_combo)
        )
        return (*texts, *combos, bool(self.secret_edit.text()))

    def mark_unchanged(self) -> None:
        """What the form shows now counts as kept (after loading, or a finding saved)."""
        self._kept_fields = self._fields()

    def has_changes(self) -> bool:
        """Has the user changed anything since the connection was loaded (or saved)?"""
        return self._kept_fields is not None and self._fields() != self._kept_fields

    def _show_limits(self, limits: TenantLimits) -> None:
        """Select the preset equal to ``limits``, or an item for limits of the user's own."""
        own = self.limits_combo.findData(OWN_LIMITS)
        if own >= 0:
            self.limits_combo.removeItem(own)
        preset = next((k for k, (_l, lim) in LIMIT_PRESETS.items() if lim == limits), None)
        if preset is None:
            self.limits_combo.addItem(_limits_text("Your own", limits), OWN_LIMITS)
            preset = OWN_LIMITS
        self.limits_combo.setCurrentIndex(max(self.limits_combo.findData(preset), 0))

    def set_found_path_style(self, style: PathStyle) -> None:
        """Show the path a connection test found answering (saved with the form)."""
        self._loading = True
        try:
            self.path_style_combo.setCurrentIndex(max(self.path_style_combo.findData(style), 0))
        finally:
            self._loading = False
        self._set_path_confirmed(True)

    def _set_path_confirmed(self, confirmed: bool) -> None:
        self._path_confirmed = confirmed
        self.path_state_label.setText(PATH_FOUND if confirmed else PATH_NOT_TESTED)

    def _on_base_url_edit_text_edited(self, _text: str) -> None:
        self._set_path_confirmed(False)  # another address: the finding was about the old one

    def _on_path_style_combo_current_index_changed(self, _index: int = 0) -> None:
        if not self._loading:
            self._set_path_confirmed(False)  # chosen by hand

    def connection(self) -> Connection:
        """The connection as the form describes it (not yet checked or saved)."""
        env = self.environment_combo.currentData()
        meter = self.meter_edit.text().strip()
        is_url = "://" in meter
        key = self.limits_combo.currentData()
        if key == OWN_LIMITS:
            limits, custom = self._loaded.limits, True
        else:
            environment = ENVIRONMENTS.get(env)
            limits = limits_preset(key)
            custom = environment is not None and key != environment.limits_preset
        return Connection(
            name=self.name_edit.text().strip(),
            environment=env,
            client_id=self.client_id_edit.text().strip(),
            custom_base_url=self.base_url_edit.text().strip() if env == CUSTOM else "",
            entity_ids=self.entity_edit.text().strip(),
            org_ids=self.org_edit.text().strip(),
            limits=limits,
            limits_custom=custom,
            meter_id="" if is_url else meter,
            upload_url=meter if is_url else "",
            path_style=self.path_style_combo.currentData(),
            path_style_confirmed=self._path_confirmed,
            meter_number=self.meter_number_edit.text().strip(),
            ca_bundle=self._loaded.ca_bundle,
            proxy=self._loaded.proxy,
        )

    def _on_environment_combo_current_index_changed(self, _index: int = 0) -> None:
        key = self.environment_combo.currentData()
        custom = key == CUSTOM
        self.base_url_edit.setReadOnly(not custom)
        if not custom:
            env = ENVIRONMENTS.get(key)
            self.base_url_edit.setText(env.base_url if env else "")
        self._show_base_url_row()
        if self._loading:
            return
        # The user chose an environment: its tenant type follows (a custom base URL keeps
        # what is chosen), and a path found on another tenant is not a finding here.
        if not custom and env is not None:
            self._show_limits(limits_preset(env.limits_preset))
        self._set_path_confirmed(False)
