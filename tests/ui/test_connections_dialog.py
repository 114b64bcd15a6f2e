"""The Connections dialog: save with the secret in the keyring, test, delete, no keyring."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from zmed_gui.core.connections import (
    CUSTOM,
    Connection,
    get_secret,
    load_connections,
    save_connection,
)
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.connections_dialog import ConnectionsDialog

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()


pytestmark = pytest.mark.usefixtures("wait_for_pool")


def fill(dialog: ConnectionsDialog, name: str, base_url: str, secret: str = "") -> None:
    dialog.name_edit.setText(name)
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData(CUSTOM))
    dialog.base_url_edit.setText(base_url)
    dialog.client_id_edit.setText(DEMO_CLIENT_ID)
    dialog.secret_edit.setText(secret)
    dialog.meter_edit.setText(DEMO_METER_ID)


def open_dialog(qtbot: Any) -> ConnectionsDialog:
    dialog = ConnectionsDialog()
    qtbot.addWidget(dialog)
    # the connections file and the keyring are read in workers
    with qtbot.waitSignals([dialog.keyring_checked, dialog.loaded], timeout=5_000):
        dialog.show()
    return dialog


def save(qtbot: Any, dialog: ConnectionsDialog) -> None:
    """Press Save and wait until the file, the keyring and the list are done."""
    with qtbot.waitSignals([dialog.saved, dialog.loaded], timeout=5_000):
        assert dialog.save()


def test_environment_list_has_the_ten_zuora_urls(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    combo = dialog.environment_combo
    assert combo.count() == 11
    assert "https://rest.eu.zuora.com" in [combo.itemText(i).split()[-1] for i in range(10)]
    combo.setCurrentIndex(0)
    assert dialog.base_url_edit.isReadOnly()
    combo.setCurrentIndex(combo.findData(CUSTOM))
    assert not dialog.base_url_edit.isReadOnly()
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password


def test_save_puts_the_secret_in_the_keyring_only(
    qtbot: Any, emulator: Emulator, memory_keyring: Any
) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    with qtbot.waitSignal(dialog.connections_changed):
        save(qtbot, dialog)
    [conn] = load_connections()
    assert conn.name == "Emulator" and conn.meter_id == DEMO_METER_ID
    assert get_secret("Emulator") == DEMO_CLIENT_SECRET
    assert DEMO_CLIENT_SECRET not in repr(conn.to_json())
    assert dialog.list.count() == 1


def test_test_connection_shows_the_sentences(qtbot: Any, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert dialog.result_label.isVisibleTo(dialog)
    good = dialog.result_label.text()
    assert "Signed in" in good and DEMO_METER_ID in good

    fill(dialog, "Emulator", emulator.base_url, "wrong-secret")
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert "refused" in dialog.result_label.text()


def test_delete_removes_connection_and_secret(qtbot: Any, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    save(qtbot, dialog)
    dialog.list.setCurrentRow(0)
    with qtbot.waitSignals([dialog.connections_changed, dialog.loaded], timeout=5_000):
        dialog.delete_button.click()
    assert dialog.list.count() == 0
    assert load_connections() == []
    assert get_secret("Emulator") is None


def test_bad_input_is_a_sentence_not_a_crash(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Broken", "http://zuora.example.com", "s")
    assert not dialog.save()
    assert "https" in dialog.result_label.text()
    assert load_connections() == []


def test_no_keyring_shows_the_message(qtbot: Any, no_keyring: None, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    assert "keyring" in dialog.keyring_message.lower()
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    save(qtbot, dialog)  # saved without the secret; the secret is kept for this session
    assert "without its secret" in dialog.result_label.text()
    [conn] = load_connections()
    assert conn.name == "Emulator"
    assert dialog.session_secret("Emulator") == DEMO_CLIENT_SECRET
    # and testing still works with the secret typed this session
    dialog.list.setCurrentRow(0)
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert "Signed in" in dialog.result_label.text()


def test_ca_bundle_is_kept_and_checked_off_the_gui_thread(
    qtbot: Any, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("not checked here", encoding="utf-8")
    save_connection(
        Connection(
            name="Corp",
            environment=CUSTOM,
            custom_base_url=emulator.base_url,
            client_id=DEMO_CLIENT_ID,
            meter_id=DEMO_METER_ID,
            ca_bundle=str(bundle),
        ),
        DEMO_CLIENT_SECRET,
    )
    dialog = open_dialog(qtbot)
    assert dialog.name_edit.text() == "Corp"
    save(qtbot, dialog)  # the form has no CA bundle field: saving keeps it
    [conn] = load_connections()
    assert conn.ca_bundle == str(bundle)

    # Who looks at the bundle file: only workers, never the GUI thread.
    on_gui_thread: list[bool] = []
    real_is_file = Path.is_file

    def spy(self: Path) -> bool:
        if str(self) == str(bundle):
            on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return real_is_file(self)

    monkeypatch.setattr(Path, "is_file", spy)
    bundle.unlink()
    with qtbot.waitSignal(dialog.saved, timeout=5_000) as done:
        assert dialog.save()  # the form is fine; the worker finds the file missing
    assert done.args == [False]
    assert "CA bundle" in dialog.result_label.text()
    with qtbot.waitSignal(dialog.test_finished, timeout=5_000):
        dialog.test_button.click()
    assert "CA bundle" in dialog.result_label.text()
    assert on_gui_thread and not any(on_gui_thread)
