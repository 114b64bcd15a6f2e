"""The form of the Connections dialog: one connection's fields, read and written as a whole.

The form never touches the disk or the keyring. :func:`check_form` runs the checks that
need neither (the CA bundle file is checked by the worker that saves or tests).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from zmed_gui.core.connections import (
    CUSTOM,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    Connection,
    limits_preset,
)


def check_form(conn: Connection) -> None:
    """``conn.validate()`` without its file check, cheap enough for the GUI thread.

    The CA bundle path may be on a network share that takes seconds to answer; the save
    and test workers run the full ``validate()`` (``save_connection`` does it itself).
    Raises :class:`~zmed_gui.core.errors.OptionsError` with one sentence.
    """
    dataclasses.replace(conn, ca_bundle="").validate()


class ConnectionForm(QWidget):
    """Name, environment, ids, secret, tenant type and default meter of one connection.

    Settings the form does not show (CA bundle, proxy) are kept from the connection last
    loaded, so saving the form never drops them.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded = Connection(name="")
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
        self.secret_state_label = QLabel()
        self.secret_state_label.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Environment:", self.environment_combo)
        form.addRow("&Base URL:", self.base_url_edit)
        form.addRow("Client &ID:", self.client_id_edit)
        form.addRow("Client &secret:", self.secret_edit)
        form.addRow("Entity ID:", self.entity_edit)
        form.addRow("Org IDs:", self.org_edit)
        form.addRow("&Tenant type:", self.limits_combo)
        form.addRow("Default &meter:", self.meter_edit)
        form.addRow("", self.secret_state_label)

    def load(self, conn: Connection) -> None:
        """Show ``conn`` (a blank one for a new connection); the secret field is emptied."""
        self._loaded = conn
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

    def connection(self) -> Connection:
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
            path_style=self._loaded.path_style,
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
